import re

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from ytvis_fakes import encode

from mmvmt.structures import (MAX_COUNT_DIGITS, MAX_FRAME_PIXELS, YTVISFormatError,
                              check_segmentation, decode_rle_crop, encode_frames, encode_mask,
                              encode_masks, parse_rle_counts, to_json_rle,
                              track_areas_and_boxes)


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


def test_encode_mask_and_masks_give_json_rles_pycocotools_decodes():
    masks = list(random_masks(12, seed=4))
    for mask in masks:
        rle = encode_mask(mask.astype(bool))
        assert isinstance(rle['counts'], str) and rle['size'] == list(mask.shape)
        np.testing.assert_array_equal(mask_utils.decode(rle), mask)
        assert rle == encode(mask, 'compressed')  # the independent encoder of the tests
    stack = np.stack([m for m in masks if m.shape == masks[2].shape] * 3)
    assert encode_masks(stack) == [encode_mask(m) for m in stack]
    assert encode_masks(np.zeros((0, 4, 5), np.uint8)) == []
    raw = mask_utils.encode(np.asfortranarray(masks[3]))
    assert to_json_rle(raw) == encode_mask(masks[3])
    assert isinstance(raw['counts'], bytes)  # the input is not changed


@pytest.mark.parametrize('counts, message', [
    ('0é', 'non-ASCII'),
    ('0\x00', "outside the range '0'..'o'"),  # the C parser would stop at the NUL
    ('0o', 'ends in the middle of a number'),
    ('0' + 'o' * 6 + '1', 'count 1 of "counts" takes 7 characters; at most 6'),
    ('0' + 'o' * 12 + '1', 'takes 13 characters'),
    ('1' + 'O', 'negative run length'),
])
def test_parse_counts_rejects(counts, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rle_counts(counts)


def test_counts_of_the_largest_frame_fit_the_characters_pycocotools_reads():
    # The longest count a frame needs is H * W (a full mask) or a delta of +-H * W.
    assert MAX_FRAME_PIXELS < 2 ** (5 * MAX_COUNT_DIGITS - 1)
    side = int(MAX_FRAME_PIXELS ** 0.5)
    full = encode_mask(np.ones((side, side), bool))
    np.testing.assert_array_equal(parse_rle_counts(full['counts']), [0, MAX_FRAME_PIXELS])
    corner = np.zeros((side, side), bool)
    corner[-1, -1] = True
    rle = encode_mask(corner)
    np.testing.assert_array_equal(parse_rle_counts(rle['counts']), [MAX_FRAME_PIXELS - 1, 1])


def test_more_runs_than_pixels_are_refused():
    with pytest.raises(YTVISFormatError, match='6 runs; a frame of 2 x 2 pixels has at most 5'):
        check_segmentation(dict(size=[2, 2], counts=[0, 0, 0, 0, 0, 4]), 2, 2)
    with pytest.raises(YTVISFormatError, match='6 runs'):
        check_segmentation(dict(size=[2, 2], counts='00000' + '4'), 2, 2)
    assert check_segmentation(dict(size=[2, 2], counts=[0, 1, 1, 1, 1]), 2, 2)[1].size == 5


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
    rle, counts = check_segmentation({'size': [3, 3], 'counts': [2, 0, 0, 2, 0, 5]}, 3, 3)
    crop, box = decode_rle_crop(counts, 3, 3)
    mask = mask_utils.decode(rle)
    assert box == (0, 0, 3, 3)  # pixel (2, 0), then columns 1 and 2
    np.testing.assert_array_equal(crop, mask)


def test_track_areas_and_boxes_by_hand():
    mask = np.zeros((5, 7), np.uint8)
    mask[1:3, 2:6] = 1  # 2 rows x 4 columns at x=2, y=1
    out = track_areas_and_boxes([encode_mask(mask), None, encode_mask(np.zeros((5, 7)))])
    assert out == dict(areas=[8, None, 0], bboxes=[[2.0, 1.0, 4.0, 2.0], None,
                                                   [0.0, 0.0, 0.0, 0.0]])


def test_encode_frames_writes_null_where_absent_and_an_rle_for_every_present_frame():
    masks = np.zeros((4, 3, 5), bool)
    masks[1, 0, 2] = True
    masks[3, 1:, :2] = True
    rles = encode_frames(masks, np.array([False, True, True, True]))
    assert rles[0] is None
    for t in (1, 2, 3):  # frame 2 is present but empty: an RLE, not null
        assert isinstance(rles[t]['counts'], str) and rles[t]['size'] == [3, 5]
        np.testing.assert_array_equal(mask_utils.decode(rles[t]).astype(bool), masks[t])
    assert encode_frames(masks, np.zeros(4, bool)) == [None] * 4
