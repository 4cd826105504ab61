import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
from plain_tube_ap import plain_boundary
from ytvis_fakes import random_mask

from mmvmt.structures import (boundary_width, frames_boundary_counts, mask_boundary,
                              rle_boundary_counts)


def erode3x3_literal(padded, times):
    """Erosion with a 3x3 square, pixels beyond the array neutral (as OpenCV's default)."""
    out = padded.copy()
    for _ in range(times):
        ext = np.pad(out, 1, constant_values=1)
        h, w = out.shape
        out = np.min([ext[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], 0)
    return out


def released_recipe_literal(mask, d):
    h, w = mask.shape
    padded = np.pad(mask, 1, constant_values=0)
    return mask - erode3x3_literal(padded, d)[1:h + 1, 1:w + 1]


@pytest.mark.parametrize('h, w, d', [(720, 1280, 29), (480, 854, 20), (1080, 1920, 44),
                                     (6, 9, 1), (1, 1, 1), (24, 24, 1), (26, 26, 1),
                                     (27, 27, 1), (100, 100, 3)])
def test_boundary_width(h, w, d):
    assert boundary_width(h, w) == d


def test_boundary_width_ratio():
    assert boundary_width(100, 100, ratio=0.1) == 14
    assert boundary_width(100, 100, ratio=0.0) == 1


@pytest.mark.parametrize('seed', range(12))
def test_one_big_erosion_equals_d_padded_3x3_erosions(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 30, size=2)
    mask = (rng.random((h, w)) < rng.uniform(0.3, 0.95)).astype(np.uint8)
    if seed % 3 == 0:
        mask[:] = 1  # touches every border
    for d in (1, 2, 3, 5, 40):
        expected = released_recipe_literal(mask, d).astype(bool)
        np.testing.assert_array_equal(mask_boundary(mask, d), expected)
    # ... and the released code's own cv2 call (iterations=d) agrees with the literal one.
    d = boundary_width(h, w)
    np.testing.assert_array_equal(plain_boundary(mask), released_recipe_literal(mask, d))


def test_full_frame_mask_gives_a_ring_of_width_d():
    band = mask_boundary(np.ones((10, 12), np.uint8), 2)
    expected = np.ones((10, 12), bool)
    expected[2:-2, 2:-2] = False
    np.testing.assert_array_equal(band, expected)


def test_band_of_a_crop_is_the_crop_of_the_band():
    rng = np.random.default_rng(0)
    mask = np.zeros((60, 80), np.uint8)
    mask[5:40, 50:80] = rng.random((35, 30)) < 0.9  # touches the right border
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    full = mask_boundary(mask, 4)
    np.testing.assert_array_equal(mask_boundary(mask[y0:y1, x0:x1], 4), full[y0:y1, x0:x1])
    assert not full[:y0].any() and not full[:, :x0].any()


def test_accepts_bool_and_matches_cv2_directly():
    mask = np.zeros((9, 9), bool)
    mask[2:7, 2:7] = True
    band = mask_boundary(mask, 1)
    eroded = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    np.testing.assert_array_equal(band, mask & ~eroded.astype(bool))
    assert band.sum() == 16


def released_recipe_cv2(mask, d):
    """The released evaluator's own calls: pad 1 px of zeros, cv2.erode 3x3 d times, crop."""
    h, w = mask.shape
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), dtype=np.uint8), iterations=d)
    return mask - eroded[1:h + 1, 1:w + 1]


def decode_counts(counts, h, w):
    """Run lengths -> dense mask, by pycocotools (independent of mmvmt's RLE code)."""
    rle = mask_utils.frPyObjects(dict(size=[h, w], counts=[int(c) for c in counts]), h, w)
    return mask_utils.decode(rle)


def counts_of(mask):
    """Run lengths of a mask, written here (column-major, starting with 0s)."""
    flat = np.asarray(mask, np.uint8).flatten(order='F')
    change = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate([[0], change, [flat.size]]))
    return np.concatenate([[0], counts]) if flat[0] else counts


def hostile_masks(rng, h, w):
    """Random blobs, noise, border-touching, empty, full, thin lines and single pixels."""
    if min(h, w) >= 2:
        yield random_mask(rng, h, w)
    yield (rng.random((h, w)) < rng.uniform(0.5, 1.0)).astype(np.uint8)
    yield np.zeros((h, w), np.uint8)
    yield np.ones((h, w), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    mask[rng.integers(h)] = 1  # a horizontal line through the frame
    mask[:, rng.integers(w)] = 1  # a vertical one
    yield mask
    mask = np.ones((h, w), np.uint8)
    mask[rng.integers(h), rng.integers(w)] = 0  # a full frame with one hole
    yield mask
    mask = np.zeros((h, w), np.uint8)
    mask[h // 2:, w // 3] = 1  # the bottom of one column joined to the top of the next
    mask[:h // 2, min(w - 1, w // 3 + 1)] = 1
    yield mask
    mask = np.zeros((h, w), np.uint8)
    for _ in range(4):  # rectangles from a corner (touching two borders)
        y, x = rng.integers(0, h + 1), rng.integers(0, w + 1)
        mask[(np.s_[:y], np.s_[y:])[rng.integers(2)], (np.s_[:x], np.s_[x:])[rng.integers(2)]] = 1
    yield mask


@pytest.mark.parametrize('path', ['runs', 'box', 'cheaper'])
@pytest.mark.parametrize('seed', range(8))
def test_rle_boundary_equals_the_released_cv2_recipe(monkeypatch, seed, path):
    # Differential test: the band computed from the RLE (by the run-based erosion, by the
    # dense one on the box, or by whichever is cheaper) against the released evaluator's
    # dense cv2 erosions, on random sizes (1-pixel images included) and hostile masks,
    # for small bands, the benchmark's band and bands wider than the mask.
    from mmvmt.structures import boundary
    cost = {'runs': 0, 'box': 10 ** 12, 'cheaper': boundary.NS_PER_EVENT}[path]
    monkeypatch.setattr(boundary, 'NS_PER_EVENT', cost)
    rng = np.random.default_rng(seed)
    sizes = [(1, 1), (1, 9), (9, 1), (2, 2)] + [tuple(rng.integers(1, 60, 2)) for _ in range(4)]
    for h, w in sizes:
        for mask in hostile_masks(rng, h, w):
            counts = counts_of(mask)
            for d in {1, 2, 3, boundary_width(h, w), int(rng.integers(1, 40)), max(h, w)}:
                got = decode_counts(rle_boundary_counts(counts, h, w, d), h, w)
                np.testing.assert_array_equal(got, released_recipe_cv2(mask, d),
                                              err_msg=f'{h}x{w} d={d}')


def test_rle_boundary_of_a_720p_full_frame_is_a_ring():
    counts = np.array([0, 720 * 1280])
    band = decode_counts(rle_boundary_counts(counts, 720, 1280, 29), 720, 1280)
    expected = np.ones((720, 1280), np.uint8)
    expected[29:-29, 29:-29] = 0
    np.testing.assert_array_equal(band, expected)


def test_rle_boundary_with_zero_length_runs():
    # Counts need not be canonical: a zero-length run of 0s joins two runs of 1s into one,
    # which erodes as one (on their own, two runs of 3 px would vanish with d = 2).
    wide = np.zeros((10, 7), np.uint8)
    wide[2:8] = 1
    counts = np.array([2, 6, 4, 6, 4, 6, 4, 3, 0, 3, 4, 6, 4, 6, 4, 6, 2, 0])
    assert counts.sum() == wide.size
    np.testing.assert_array_equal(decode_counts(counts, 10, 7), wide)
    got = decode_counts(rle_boundary_counts(counts, 10, 7, 2), 10, 7)
    expected = released_recipe_cv2(wide, 2)
    assert expected.sum() < wide.sum()  # the middle column's 2 inner pixels erode
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize('max_events', [1, 10 ** 9])
@pytest.mark.parametrize('seed', range(6))
def test_frames_boundary_counts_is_each_frame_side_by_side(monkeypatch, seed, max_events):
    # Frames of both kinds (eroded on the runs or on the box) side by side in one strip,
    # the run-based ones one by one or all together.
    from mmvmt.structures import boundary
    monkeypatch.setattr(boundary, 'MAX_EVENTS', max_events)
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 40, 2))
    masks = list(hostile_masks(rng, h, w)) + [None]
    masks = [masks[i] for i in rng.permutation(len(masks))]
    d = int(rng.integers(1, 8))
    runs = [None if m is None else counts_of(m) for m in masks]
    strip_w = len(masks) * (w + 1) - 1
    got = decode_counts(frames_boundary_counts(runs, h, w, d), h, strip_w)
    expected = np.zeros((h, strip_w), np.uint8)
    for t, mask in enumerate(masks):
        if mask is not None:
            expected[:, t * (w + 1):t * (w + 1) + w] = released_recipe_cv2(mask, d)
    np.testing.assert_array_equal(got, expected)
    assert frames_boundary_counts([], h, w, d).size == 0


def test_band_counts_hold_no_zero_length_run_inside():
    # pycocotools' run-length IoU can stop early on a zero-length run inside the counts:
    # the band of two full-height columns (run ends meeting at a column border) has none.
    mask = np.zeros((20, 20), np.uint8)
    mask[:, 3:5] = 1
    mask[:, 9:19] = 1
    counts = rle_boundary_counts(counts_of(mask), 20, 20, 2)
    assert (counts[1:-1] > 0).all()
    band = decode_counts(counts, 20, 20)
    np.testing.assert_array_equal(band, released_recipe_cv2(mask, 2))
    other = mask_utils.encode(np.asfortranarray(band))
    got = mask_utils.frPyObjects(dict(size=[20, 20], counts=counts.tolist()), 20, 20)
    assert mask_utils.iou([got], [other], [0])[0, 0] == 1.0
