"""BDD100K MOTS read from tiny bitmask PNGs and RLE JSON made as the release makes them."""
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from mmvmt.datasets import BDD100K_MOTS_CLASSES
from mmvmt.registry import DATASETS
from mmvmt.utils import register_all_modules

register_all_modules()
H, W = 24, 32


def write_bitmask(path, objects):
    """objects: (mask, category id 1..8, instance id, attribute bits)."""
    bitmask = np.zeros((H, W, 4), np.uint8)
    for mask, cat, iid, attr in objects:
        m = mask.astype(bool)
        bitmask[m] = (cat, attr, iid >> 8, iid & 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(bitmask, mode='RGBA').save(path)


def box(x0, y0, x1, y1):
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


@pytest.fixture
def bdd_root(tmp_path):
    """Two videos of 3 frames: a car (id 300, tracked), a pedestrian (id 7) in frame 2 only,
    a crowd of pedestrians (id 9, attribute crowd) in video a; video b has no labels."""
    frames = {'vid-a': 3, 'vid-b': 2}
    for video, n in frames.items():
        for t in range(n):
            name = f'{video}-{t + 1:07d}'
            img = tmp_path / 'images' / video / f'{name}.jpg'
            img.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(img), np.full((H, W, 3), 40 * t, np.uint8))
            objects = []
            if video == 'vid-a':
                objects = [(box(2 + t, 2, 10 + t, 8), 3, 300, 0),
                           (box(20, 14, 28, 22), 1, 9, 2)]
                if t == 1:
                    objects.append((box(12, 12, 16, 20), 1, 7, 0))
            write_bitmask(tmp_path / 'bitmasks' / video / f'{name}.png', objects)
    return tmp_path


def build(root, ann, **kwargs):
    return DATASETS.build(dict(type='BDD100KMOTSDataset', ann_file=str(ann),
                               data_prefix=dict(img_path=str(root / 'images')), **kwargs))


def test_bitmasks_give_classes_ids_and_crowd_flags(bdd_root):
    ds = build(bdd_root, bdd_root / 'bitmasks')
    assert ds.metainfo['classes'] == BDD100K_MOTS_CLASSES and len(BDD100K_MOTS_CLASSES) == 8
    assert len(ds) == 1  # vid-b has no labels: skipped in training
    video = ds.get_data_info(0)
    assert video['video_name'] == 'vid-a' and video['video_length'] == 3
    frames = video['images']
    assert [f['frame_id'] for f in frames] == [0, 1, 2]
    assert frames[1]['img_path'].endswith('vid-a/vid-a-0000002.jpg')
    by_id = {i['instance_id']: i for i in frames[1]['instances']}
    assert set(by_id) == {300, 9, 7}
    assert by_id[300]['bbox_label'] == 2 and by_id[300]['bbox'] == [3, 2, 11, 8]
    assert by_id[9]['ignore_flag'] == 1 and by_id[7]['ignore_flag'] == 0
    assert len(build(bdd_root, bdd_root / 'bitmasks', test_mode=True)) == 2


def test_rle_json_of_the_toolkit_loads_the_same(bdd_root):
    from scalabel.label.transforms import mask_to_rle
    frames = []
    for t in range(3):
        labels = [dict(id='300', category='car', attributes=dict(crowd=False),
                       rle=mask_to_rle(box(2 + t, 2, 10 + t, 8)).dict()),
                  dict(id='9', category='person', attributes=dict(crowd=True),
                       rle=mask_to_rle(box(20, 14, 28, 22)).dict()),
                  dict(id='11', category='other vehicle', attributes=dict(crowd=False),
                       rle=mask_to_rle(box(0, 20, 4, 24)).dict())]
        frames.append(dict(name=f'vid-a-{t + 1:07d}.jpg', videoName='vid-a', frameIndex=t,
                           labels=labels))
    ann = bdd_root / 'rles.json'
    ann.write_text(json.dumps(frames))
    frame = build(bdd_root, ann).get_data_info(0)['images'][0]
    by_id = {i['instance_id']: i for i in frame['instances']}
    assert by_id[300]['bbox_label'] == 2 and by_id[300]['ignore_flag'] == 0
    assert by_id[9]['bbox_label'] == 0 and by_id[9]['ignore_flag'] == 1  # person -> pedestrian
    assert by_id[11]['bbox_label'] == 2 and by_id[11]['ignore_flag'] == 1  # ignored, as car
    assert (frame['height'], frame['width']) == (H, W)


def test_bitmask_that_is_not_rgba_is_named(bdd_root):
    bad = bdd_root / 'bad' / 'v' / 'v-0000001.png'
    bad.parent.mkdir(parents=True)
    Image.fromarray(np.zeros((H, W), np.uint8)).save(bad)
    with pytest.raises(ValueError, match=r'v-0000001\.png: a BDD100K MOTS bitmask is RGBA'):
        build(bdd_root, bdd_root / 'bad')


def test_pipeline_packs_crowds_as_ignored(bdd_root):
    ds = build(bdd_root, bdd_root / 'bitmasks', pipeline=[
        dict(type='SeqFormerFrameSample', num_frames=2),
        dict(type='TransformBroadcaster', share_random_params=True, transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True)]),
        dict(type='PackVMTInputs')])
    frame = ds[0]['data_samples'][0]
    assert 9 in frame.ignored_instances.instances_ids.tolist()
    assert 9 not in frame.gt_instances.instances_ids.tolist()
