import cv2
import numpy as np
import pytest
from plain_tube_ap import plain_boundary

from mmvmt.structures import boundary_width, mask_boundary


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


@pytest.mark.parametrize('seed', range(10))
def test_rle_boundary_equals_the_dense_band_on_the_box(seed):
    from ytvis_fakes import encode, random_mask

    from mmvmt.structures import parse_rle_counts, rle_mask_boundary
    rng = np.random.default_rng(seed)
    for h, w in [(5, 7), (31, 18), (90, 140)]:
        for kind in range(4):
            if kind == 0:
                mask = random_mask(rng, h, w)
            elif kind == 1:  # noise: many runs, runs across columns, touches every border
                mask = (rng.random((h, w)) < 0.8).astype(np.uint8)
            elif kind == 2:
                mask = np.zeros((h, w), np.uint8)
            else:  # bottom of one column joined to the top of the next
                mask = np.zeros((h, w), np.uint8)
                mask[h // 2:, 1] = 1
                mask[:h // 3, 2] = 1
            counts = parse_rle_counts(encode(mask, 'compressed')['counts'])
            for d in (1, 2, boundary_width(h, w), 7):
                out = rle_mask_boundary(counts, h, w, d)
                if not mask.any():
                    assert out is None
                    continue
                band, (x0, y0, x1, y1) = out
                full = mask_boundary(mask, d)
                np.testing.assert_array_equal(band, full[y0:y1, x0:x1])
                assert full.sum() == band.sum()
