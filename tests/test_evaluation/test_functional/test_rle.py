import numpy as np
import pycocotools.mask as mask_utils
import pytest
from ytvis_fakes import encode

from mmvmt.evaluation.functional import decode_rle_crop, parse_rle_counts, to_compressed_rle


def random_masks(n=30, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = rng.integers(1, 40, size=2)
        kind = i % 5
        if kind == 0:
            yield np.zeros((h, w), np.uint8)
        elif kind == 1:
            yield np.ones((h, w), np.uint8)
        else:
            yield (rng.random((h, w)) < rng.uniform(0.05, 0.95)).astype(np.uint8)


def test_parse_counts_equals_uncompressed_counts():
    for mask in random_masks():
        rle = encode(mask, 'compressed')
        expected = encode(mask, 'uncompressed')['counts']
        np.testing.assert_array_equal(parse_rle_counts(rle['counts']), expected)
        np.testing.assert_array_equal(parse_rle_counts(rle['counts'].encode()), expected)


def test_parse_counts_of_large_runs():
    mask = np.zeros((2000, 3000), np.uint8)
    mask[1500:, 2000:] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    counts = parse_rle_counts(rle['counts'])
    assert counts.sum() == mask.size and counts[0] == 2000 * 2000 + 1500


@pytest.mark.parametrize('kind', ['compressed', 'uncompressed'])
def test_to_compressed_rle_round_trip(kind):
    for mask in random_masks(seed=1):
        rle, counts = to_compressed_rle(encode(mask, kind), *mask.shape)
        assert isinstance(rle['counts'], bytes)
        np.testing.assert_array_equal(mask_utils.decode(rle), mask)
        assert counts.sum() == mask.size


def test_to_compressed_rle_polygons_as_pycocotools():
    polys = [[1, 1, 8, 1, 8, 6], [2.5, 7, 9, 7, 9, 9, 2.5, 9]]
    rle, _ = to_compressed_rle(polys, 10, 12)
    expected = mask_utils.merge(mask_utils.frPyObjects(polys, 10, 12))
    np.testing.assert_array_equal(mask_utils.decode(rle), mask_utils.decode(expected))


@pytest.mark.parametrize('segm, message', [
    ({'size': [5, 6], 'counts': 'PP1'}, 'differs from the video size'),
    ({'size': [4, 6], 'counts': [3, 4]}, 'add up to 7 pixels'),
    ({'size': [4, 6], 'counts': [3, -1, 22]}, 'non-negative integers'),
    ({'size': [4, 6], 'counts': [3, 1.5, 19.5]}, 'non-negative integers'),
    ({'size': [4, 6], 'counts': ['a', 'b']}, 'list of integers'),
    ({'size': [4, 6], 'counts': '0\x7f'}, 'outside the range'),
    ({'size': [4, 6], 'counts': '8'}, 'add up to 8 pixels'),
    ({'size': [4, 6], 'counts': 'P'}, 'ends in the middle'),
    ({'size': [4, 6], 'counts': '02A'}, 'negative run length'),
    ({'size': [4, 6], 'counts': 7}, 'must be a string or a list'),
    ({'size': [4, 6]}, 'missing'),
    ('abc', 'must be a list of polygons'),
    ([[1, 2, 3, 4]], 'at least 3 (x, y) pairs'),
    ([[1, 2, 3, 4, 'x', 6]], 'non-numeric'),
    ([[1, 2, 3, 4, float('nan'), 6]], 'NaN'),
    ([], 'at least one polygon'),
])
def test_to_compressed_rle_rejects(segm, message):
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        to_compressed_rle(segm, 4, 6)


def test_decode_rle_crop_is_the_bounding_box():
    for i, mask in enumerate(random_masks(60, seed=2)):
        if i % 7 == 3:  # a single small blob that touches nothing
            mask = np.zeros((30, 20), np.uint8)
            mask[4:9, 11:15] = 1
        counts = parse_rle_counts(encode(mask, 'compressed')['counts'])
        out = decode_rle_crop(counts, *mask.shape)
        if not mask.any():
            assert out is None
            continue
        crop, (x0, y0, x1, y1) = out
        ys, xs = np.nonzero(mask)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        np.testing.assert_array_equal(crop, mask[y0:y1, x0:x1])


def test_decode_rle_crop_with_zero_length_runs():
    # A valid but non-canonical uncompressed RLE: empty runs in the middle.
    rle, counts = to_compressed_rle({'size': [3, 3], 'counts': [2, 0, 0, 2, 0, 5]}, 3, 3)
    crop, box = decode_rle_crop(counts, 3, 3)
    mask = mask_utils.decode(rle)
    assert box == (0, 0, 3, 3)  # pixel (2, 0), then columns 1 and 2
    np.testing.assert_array_equal(crop, mask)
