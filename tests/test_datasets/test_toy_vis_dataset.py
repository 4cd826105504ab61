import pytest

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.registry import DATASETS
from mmvmt.utils import register_all_modules

register_all_modules()


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy') / 'toy_vis'
    make_toy_vis(root, seed=0, num_videos=dict(train=2, val=1, test=1), num_frames=6,
                 verbose=False)
    return str(root)


@pytest.mark.parametrize('ann', ['train_hq.json', 'train_coarse.json'])
def test_toy_training_clips_at_full_size(toy_root, ann):
    ds = DATASETS.build(dict(
        type='ToyVISDataset', data_root=toy_root, ann_file=f'annotations/{ann}',
        data_prefix=dict(img_path='train/JPEGImages'), pipeline=[
            dict(type='SeqFormerFrameSample', num_frames=5),
            dict(type='TransformBroadcaster', share_random_params=True, transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True),
                dict(type='RandomFlip', prob=0.5),
                dict(type='MaskDegradation'),
                dict(type='RefinementRegionTarget')]),
            dict(type='PackVMTInputs')]))
    assert ds.metainfo['classes'] == ('lizard', 'beetle', 'bird')
    out = ds[0]
    assert tuple(out['inputs'].shape) == (5, 3, 128, 192)
    gt = out['data_samples'][0].gt_instances
    assert gt.coarse_masks.masks.shape[1:] == (128, 192)
    assert gt.refine_regions.masks.shape[1:] == (128, 192)


@pytest.mark.parametrize('split', ['val', 'test'])
def test_toy_test_mode_gives_whole_videos(toy_root, split):
    ds = DATASETS.build(dict(
        type='ToyVISDataset', data_root=toy_root, ann_file=f'annotations/{split}_hq.json',
        data_prefix=dict(img_path=f'{split}/JPEGImages'), test_mode=True, pipeline=[
            dict(type='TransformBroadcaster', transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True)]),
            dict(type='PackVMTInputs')]))
    assert len(ds) == 1
    assert tuple(ds[0]['inputs'].shape) == (6, 3, 128, 192)
