import numpy as np
import pytest
from mmdet.structures.mask import BitmapMasks

from mmvmt.datasets.transforms import (IncoherentRegionTarget, incoherent_map,
                                       refinement_region)


def lost_under_resampling(mask, s):
    """Independent check: average-pool to the s-grid, upsample by nearest, compare; a cell
    is lost where any of its pixels does not come back."""
    h, w = mask.shape
    hs, ws = -(-h // s), -(-w // s)
    out = np.zeros((hs, ws), np.uint8)
    for i in range(hs):
        for j in range(ws):
            block = mask[i * s:(i + 1) * s, j * s:(j + 1) * s].astype(float)
            recovered = np.full(block.shape, block.mean())
            out[i, j] = (np.abs(recovered - block) > 1e-9).any()
    return out


@pytest.mark.parametrize('shape', [(32, 48), (30, 45)])
def test_incoherent_cells_are_where_resampling_loses_information(shape):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    masks = np.stack([((yy - 15) ** 2 + (xx - 20) ** 2 < 90).astype(np.uint8),
                      (rng.random(shape) < 0.02).astype(np.uint8),
                      np.zeros(shape, np.uint8)])
    for s in (8, 4, 2):
        got = incoherent_map(masks, s)
        assert got.shape == (3, -(-shape[0] // s), -(-shape[1] // s))
        for m, g in zip(masks, got):
            np.testing.assert_array_equal(g, lost_under_resampling(m, s))
    # The levels nest as a quadtree: an incoherent cell at s / 2 lies in one at s.
    fine, coarse = incoherent_map(masks, 4), incoherent_map(masks, 8)
    assert not (fine & ~np.kron(coarse, np.ones((2, 2), np.uint8)).astype(bool)[
        :, :fine.shape[1], :fine.shape[2]]).any()


def test_grid_aligned_square_has_no_incoherent_cells_until_shifted():
    mask = np.zeros((1, 32, 32), np.uint8)
    mask[0, 8:24, 8:24] = 1
    assert not incoherent_map(mask, 8).any()
    shifted = np.roll(mask, 1, axis=2)
    got = incoherent_map(shifted, 8)[0]
    assert got.tolist() == [[0, 0, 0, 0], [0, 1, 0, 1], [0, 1, 0, 1], [0, 0, 0, 0]]


def test_refinement_region_is_the_disagreement_dilated_by_3px():
    acc = np.zeros((1, 20, 20), np.uint8)
    coarse = acc.copy()
    coarse[0, 10, 10] = 1
    region = refinement_region(acc, coarse, dilation=3)[0]
    expected = np.zeros((20, 20), np.uint8)
    expected[7:14, 7:14] = 1
    np.testing.assert_array_equal(region, expected)
    assert not refinement_region(acc, acc).any()


def test_transform_writes_every_level_and_the_region():
    acc = np.zeros((2, 30, 40), np.uint8)
    acc[:, 5:20, 7:30] = 1
    coarse = acc.copy()
    coarse[1, 4, 7:30] = 1
    out = IncoherentRegionTarget()(dict(gt_masks=BitmapMasks(acc, 30, 40),
                                        gt_coarse_masks=BitmapMasks(coarse, 30, 40)))
    assert out['gt_incoherent_s8'].masks.shape == (2, 4, 5)
    assert out['gt_incoherent_s2'].masks.shape == (2, 15, 20)
    assert not out['gt_refine_regions'].masks[0].any()
    assert out['gt_refine_regions'].masks[1, 1:8].all(axis=0)[7:30].all()
    only_levels = IncoherentRegionTarget(strides=(4, ))(dict(gt_masks=BitmapMasks(acc, 30, 40)))
    assert 'gt_refine_regions' not in only_levels and 'gt_incoherent_s8' not in only_levels
