import numpy as np
import pytest

from mmvmt.datasets import youtube_vis_dataset
from mmvmt.datasets import YTVIS_2019_CLASSES, YTVIS_2021_CLASSES
from mmvmt.registry import DATASETS
from mmvmt.structures import YTVISFormatError
from mmvmt.utils import register_all_modules

register_all_modules()


def build(ytvis_root, ann_file, **kwargs):
    cfg = dict(type='YouTubeVISDataset', ann_file=ann_file,
               data_prefix=dict(img_path=ytvis_root.img_prefix))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_training_set_skips_unannotated_videos_and_logs_it(ytvis, ytvis_root, monkeypatch):
    logged = []
    monkeypatch.setattr(youtube_vis_dataset, 'print_log', lambda msg, *a, **k: logged.append(msg))
    ds = build(ytvis_root, ytvis_root(ytvis.official()))
    assert any('skipped 1 video(s) without annotations; 1 of 2 videos kept' in m for m in logged)
    assert len(ds) == 1
    video = ds.get_data_info(0)
    assert video['video_length'] == 3 and video['video_name'] == 'vid_a'
    frames = video['images']
    assert [len(f['instances']) for f in frames] == [2, 1, 2]  # track 7 absent in frame 1
    inst = frames[0]['instances'][0]
    assert inst['instance_id'] == 7 and inst['bbox'] == [2, 2, 8, 8]
    assert inst['bbox_label'] == 1  # category id 2 'beetle' of the file, in id order
    assert frames[1]['instances'][0]['instance_id'] == 9
    assert frames[0]['img_path'].endswith('vid_a/00000.jpg')


def test_class_names_come_from_the_file_else_the_official_list(ytvis, ytvis_root):
    ds = build(ytvis_root, ytvis_root(ytvis.official()))
    assert ds.metainfo['classes'] == ('lizard', 'beetle', 'bird')
    ann = ytvis.official()
    del ann['categories']
    assert build(ytvis_root, ytvis_root(ann)).metainfo['classes'] == YTVIS_2019_CLASSES
    ds21 = build(ytvis_root, ytvis_root(ann), dataset_version='2021')
    assert ds21.metainfo['classes'] == YTVIS_2021_CLASSES
    assert ds21.get_data_info(0)['images'][0]['instances'][0]['bbox_label'] == 1


def test_user_classes_select_categories_by_name(ytvis, ytvis_root):
    ds = build(ytvis_root, ytvis_root(ytvis.official()), metainfo=dict(classes=('bird', )))
    frames = ds.get_data_info(0)['images']
    assert [[i['instance_id'] for i in f['instances']] for f in frames] == [[9], [9], [9]]
    assert frames[0]['instances'][0]['bbox_label'] == 0
    with pytest.raises(YTVISFormatError, match=r"classes \['cow'\] given in metainfo"):
        build(ytvis_root, ytvis_root(ytvis.official()), metainfo=dict(classes=('cow', )))


def test_test_mode_loads_files_without_annotations(ytvis, ytvis_root):
    ann = ytvis.official()
    ann['annotations'] = None
    ds = build(ytvis_root, ytvis_root(ann, 'valid.json'), test_mode=True)
    assert len(ds) == 2
    assert all(not f['instances'] for v in range(2) for f in ds.get_data_info(v)['images'])


def test_missing_frame_file_is_named(ytvis, ytvis_root):
    ann = ytvis.official()
    ann['videos'][1]['file_names'][1] = 'vid_b/00009.jpg'
    with pytest.raises(FileNotFoundError, match=r'train\.json: 1 frame file.*video 2 frame '
                       r'"vid_b/00009\.jpg"'):
        build(ytvis_root, ytvis_root(ann))
    assert len(build(ytvis_root, ytvis_root(ann), check_frame_files=False)) == 1


def test_zero_frame_video_is_refused_not_dropped(ytvis, ytvis_root):
    # Issue case 7: test mode promises every video; a video without frames was silently
    # dropped here (and refused by eval_vis). Now both refuse it, naming it.
    ann = ytvis.official()
    ann['videos'].append(dict(id=3, width=ytvis.W, height=ytvis.H, length=0, file_names=[]))
    ann['annotations'] = None
    for test_mode in (True, False):
        with pytest.raises(YTVISFormatError, match=r'valid\.json: videos\[2\] \(id 3\): has '
                           r'no frames; a video needs at least one'):
            build(ytvis_root, ytvis_root(ann, 'valid.json'), test_mode=test_mode)


@pytest.mark.parametrize('name', ['../../secret.jpg', 'vid_a/../../x.jpg', '/etc/passwd',
                                  'vid_b/../vid_b/00001.jpg'])
def test_file_names_outside_the_image_folder_are_refused(ytvis, ytvis_root, tmp_path, name):
    # Issue case 9: such names were read. Any ".." part is refused (issue 23: through a
    # link, "vid_b/.." is the link target's parent); the dataset may opt out of the rule.
    ann = ytvis.official()
    ann['videos'][1]['file_names'][1] = name
    with pytest.raises(YTVISFormatError, match=r'train\.json: videos\[1\] \(id 2\) '
                       r'file_names\[1\]: \'' + name.replace('.', r'\.')
                       + r'\' leads outside the image folder'):
        build(ytvis_root, ytvis_root(ann))
    ds = build(ytvis_root, ytvis_root(ann), test_mode=True, allow_outside_root=True,
               check_frame_files=False)
    assert ds.get_data_info(1)['images'][1]['file_name'] == name


def test_unknown_version_is_refused(ytvis, ytvis_root):
    with pytest.raises(ValueError, match='dataset_version'):
        build(ytvis_root, ytvis_root(ytvis.official()), dataset_version='2020')


def test_whole_pipeline_training_clip_and_test_video(ytvis, ytvis_root):
    ann_file = ytvis_root(ytvis.official())
    train = build(ytvis_root, ann_file, pipeline=[
        dict(type='SeqFormerFrameSample', num_frames=5),
        dict(type='TransformBroadcaster', share_random_params=True, transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(64, 48), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='MaskDegradation'),
            dict(type='RefinementRegionTarget'),
        ]),
        dict(type='PackVMTInputs')])
    out = train[0]
    assert tuple(out['inputs'].shape) == (5, 3, 48, 64)
    frames = out['data_samples'].video_data_samples
    for frame in frames:
        gt = frame.gt_instances
        assert gt.masks.masks.shape[1:] == (48, 64)
        assert len(gt.coarse_masks) == len(gt.masks) == len(gt.refine_regions)
        assert gt.refine_regions.masks.shape[1:] == (48, 64)
    # Frame 1 of the video has one object, the others two.
    counts = {f.frame_id: len(f.gt_instances) for f in frames}
    assert all(n == (1 if fid == 1 else 2) for fid, n in counts.items())

    test = build(ytvis_root, ann_file, test_mode=True, pipeline=[
        dict(type='TransformBroadcaster', transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(64, 48), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True)]),
        dict(type='PackVMTInputs')])
    assert len(test) == 2
    video = test[1]
    assert tuple(video['inputs'].shape) == (2, 3, 48, 64)
    assert [f.frame_id for f in video['data_samples']] == [0, 1]
    np.testing.assert_array_equal(test[0]['data_samples'][0].gt_instances.instances_ids, [7, 9])
