import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from ytvis_fakes import encode

from mmvmt.structures import (YTVISFormatError, check_segmentation, frames_to_masks,
                              frames_to_rles, segmentation_to_rle)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def random_masks(n=30, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = rng.integers(1, 40, size=2)
        yield (rng.random((h, w)) < [0, 1, 0.5][i % 3]).astype(np.uint8)


@pytest.mark.parametrize('kind', ['compressed', 'uncompressed'])
def test_rle_round_trip(kind):
    for mask in random_masks(seed=1):
        rle, counts = check_segmentation(encode(mask, kind), *mask.shape)
        assert isinstance(rle['counts'], str) and rle['size'] == list(mask.shape)
        np.testing.assert_array_equal(mask_utils.decode(rle), mask)
        assert counts.sum() == mask.size


def test_polygons_as_pycocotools_even_a_little_outside_the_frame():
    polys = [[1, 1, 8, 1, 8, 6], [2.5, 7, 9, 7, 9, 9, 2.5, 9], [-3, -2, 14, 0.5, 13, 11.9]]
    rle = segmentation_to_rle(polys, 10, 12)
    expected = mask_utils.merge(mask_utils.frPyObjects(polys, 10, 12))
    np.testing.assert_array_equal(mask_utils.decode(rle), mask_utils.decode(expected))


@pytest.mark.parametrize('segm, message', [
    ({'size': [5, 6], 'counts': 'PP1'}, 'RLE size [5, 6] differs from the video size [4, 6]'),
    ({'size': [4, True], 'counts': 'PP1'}, 'differs from the video size'),
    ({'size': [4, 6], 'counts': [3, 4]}, 'add up to 7 pixels'),
    ({'size': [4, 6], 'counts': [3, -1, 22]}, 'non-negative integers'),
    ({'size': [4, 6], 'counts': [3, 1.5, 19.5]}, 'non-negative integers'),
    ({'size': [4, 6], 'counts': [3, 1e300, 19]}, 'each at most the 24 pixels'),
    ({'size': [4, 6], 'counts': [3, float('nan'), 21]}, 'non-negative integers'),
    ({'size': [4, 6], 'counts': [3, 10 ** 400, 21]}, 'int too large'),
    ({'size': [4, 6], 'counts': ['a', 'b']}, 'list of integers'),
    ({'size': [4, 6], 'counts': [True, 23]}, 'list of integers'),
    ({'size': [4, 6], 'counts': '0\x7f'}, 'outside the range'),
    ({'size': [4, 6], 'counts': '0\x00'}, 'outside the range'),
    ({'size': [4, 6], 'counts': '8'}, 'add up to 8 pixels'),
    ({'size': [4, 6], 'counts': 'P'}, 'ends in the middle'),
    ({'size': [4, 6], 'counts': '02A'}, 'negative run length'),
    ({'size': [4, 6], 'counts': 7}, 'must be a string'),
    ({'size': [4, 6]}, "missing: ['counts']"),
    ('abc', 'must be a list of polygons'),
    ([[1, 2, 3, 4, 5]], 'odd number (5) of coordinates'),
    ([[1, 2, 3, 4, 'x', 6]], 'polygon 0 must be a flat list of numbers'),
    ([[1, 2, 3, 4, [5], 6]], 'polygon 0 must be a flat list of numbers'),
    ([[0, 0, 1, 1, 1, 0], 5], 'polygon 1 must be a flat list'),
    ([[1, 2, 3, 4, float('nan'), 6]], 'NaN'),
    ([[1e9, 1e9, -1e9, 5, 7, 7]], 'polygon 0 has a point outside [-W, 2W] x [-H, 2H]'),
    ([[0, 0, 13, 0, 1, 1]], 'outside'),
    ([[0, 0, 5, 0, 0, 5] * 2000], 'the polygons have 6000 vertices'),
    ([[-6, -4, 12, 8] * 50], 'an outline of 1800 px'),  # 100 edges of 18 px
])
def test_bad_segmentations_raise_the_format_error(segm, message):
    with pytest.raises(YTVISFormatError) as info:
        check_segmentation(segm, 4, 6, 'gt.json', 'annotations[2] (id 5) segmentations[1]')
    err = info.value
    assert (err.source, err.entry) == ('gt.json', 'annotations[2] (id 5) segmentations[1]')
    assert message in err.expected
    assert str(err).startswith('gt.json: annotations[2] (id 5) segmentations[1]: ')


def test_format_error_survives_pickling_as_in_worker_processes():
    err = YTVISFormatError('res.json', 'entry 3', 'score must be a finite number')
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is YTVISFormatError and str(back) == str(err)
    assert (back.source, back.entry, back.expected) == (err.source, err.entry, err.expected)
    assert str(YTVISFormatError('gt.json', None, 'not JSON')) == 'gt.json: not JSON'


def test_frames_to_rles_names_the_frame_and_keeps_nulls():
    good = encode(np.eye(4, 6, dtype=np.uint8), 'compressed')
    rles, runs = frames_to_rles([good, None, good], 4, 6, 'r.json', 'entry 0 segmentations')
    assert rles[1] is None and runs[1] is None and rles[0] == good
    with pytest.raises(YTVISFormatError, match=r'^r\.json: entry 0 segmentations\[2\]: '):
        frames_to_rles([good, None, dict(good, size=[6, 4])], 4, 6, 'r.json',
                       'entry 0 segmentations')


@pytest.mark.parametrize('coordinate', ['1e9', '3e8'])
def test_huge_polygon_coordinates_are_refused_not_a_crash(tmp_path, coordinate):
    # Issue case 3: pycocotools segfaulted (1e9) or was killed for memory (3e8) on these,
    # in the evaluation and in the datasets. Run in a child so a crash cannot take pytest.
    script = f'''
import sys
from mmvmt.evaluation.functional import evaluate_tube_ap
from mmvmt.structures import YTVISFormatError, ytvis_to_cocovid
gt = dict(videos=[dict(id=1, height=720, width=1280, file_names=['v/0.jpg'])],
          categories=[dict(id=1, name='a')],
          annotations=[dict(id=1, video_id=1, category_id=1, areas=[10], segmentations=[
              [[{coordinate}, {coordinate}, -{coordinate}, 5, 7, 7]]])])
for run in (lambda: evaluate_tube_ap(gt, [], gt_source='gt.json'),
            lambda: ytvis_to_cocovid(gt, 'gt.json')):
    try:
        run()
    except YTVISFormatError as e:
        print(e)
'''
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          env=dict(PYTHONPATH=ROOT), timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and all(
        line.startswith('gt.json: annotations[0] (id 1) segmentations[0]: polygon 0 has a '
                        'point outside') for line in lines), proc.stdout


def test_frames_to_masks_decodes_present_frames_and_leaves_null_ones_empty():
    # Column-major runs 1 x 0, 2 x 1, 3 x 0 of a 2 x 3 frame, written out by hand.
    drawn = np.array([[0, 1, 0], [1, 0, 0]], bool)
    empty = dict(size=[2, 3], counts=[6])
    masks, present = frames_to_masks([None, dict(size=[2, 3], counts=[1, 2, 3]), empty],
                                     2, 3, 'f.json', 'annotations[0] segmentations')
    assert masks.shape == (3, 2, 3) and masks.dtype == bool
    np.testing.assert_array_equal(masks, [np.zeros((2, 3), bool), drawn,
                                          np.zeros((2, 3), bool)])
    assert present.tolist() == [False, True, True]  # an empty mask is not a null frame
    masks, present = frames_to_masks([None, None], 2, 3, 'f.json', 'x')
    assert not masks.any() and masks.shape == (2, 2, 3) and not present.any()
    with pytest.raises(YTVISFormatError, match=r'f\.json: x\[1\]: '):
        frames_to_masks([None, dict(size=[2, 3], counts=[1, 2])], 2, 3, 'f.json', 'x')
