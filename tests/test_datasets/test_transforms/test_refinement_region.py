import numpy as np
from mmdet.structures.mask import BitmapMasks

from mmvmt.datasets.transforms import RefinementRegionTarget, refinement_region


def test_refinement_region_is_the_disagreement_dilated_by_3px():
    acc = np.zeros((1, 20, 20), np.uint8)
    coarse = acc.copy()
    coarse[0, 10, 10] = 1
    region = refinement_region(acc, coarse, dilation=3)[0]
    expected = np.zeros((20, 20), np.uint8)
    expected[7:14, 7:14] = 1
    np.testing.assert_array_equal(region, expected)
    assert not refinement_region(acc, acc).any()


def test_transform_writes_the_region_only_with_coarse_masks():
    acc = np.zeros((2, 30, 40), np.uint8)
    acc[:, 5:20, 7:30] = 1
    coarse = acc.copy()
    coarse[1, 4, 7:30] = 1
    out = RefinementRegionTarget()(dict(gt_masks=BitmapMasks(acc, 30, 40),
                                        gt_coarse_masks=BitmapMasks(coarse, 30, 40)))
    assert set(k for k in out if k.startswith('gt_')) == {
        'gt_masks', 'gt_coarse_masks', 'gt_refine_regions'}
    assert not out['gt_refine_regions'].masks[0].any()
    assert out['gt_refine_regions'].masks[1, 1:8].all(axis=0)[7:30].all()
    assert not out['gt_refine_regions'].masks[1, 9:].any()
    without = RefinementRegionTarget()(dict(gt_masks=BitmapMasks(acc, 30, 40)))
    assert set(without) == {'gt_masks'}
