import numpy as np
from mmdet.structures.mask import BitmapMasks

from mmvmt.datasets.transforms import PackVMTInputs


def test_extra_masks_are_split_by_ignore_flags_like_gt_masks():
    h, w = 8, 12
    masks = BitmapMasks(np.random.default_rng(0).integers(0, 2, (3, h, w)).astype(np.uint8),
                        h, w)
    coarse = BitmapMasks(1 - masks.masks, h, w)
    results = dict(
        img=[np.zeros((h, w, 3), np.uint8)] * 2, img_id=[1, 2], frame_id=[0, 1],
        gt_bboxes=[np.zeros((3, 4), np.float32)] * 2,
        gt_bboxes_labels=[np.array([0, 1, 2])] * 2,
        gt_instances_ids=[np.array([5, 6, 7])] * 2,
        gt_ignore_flags=[np.array([False, True, False]), np.array([False] * 3)],
        gt_masks=[masks] * 2, gt_coarse_masks=[coarse] * 2, gt_other=[coarse] * 2)
    packed = PackVMTInputs()(results)
    assert 'other' not in packed['data_samples'].video_data_samples[0].gt_instances
    packed = PackVMTInputs(mask_keys=('gt_coarse_masks', 'gt_other'))(results)
    assert tuple(packed['inputs'].shape) == (2, 3, h, w)
    f0, f1 = packed['data_samples'].video_data_samples
    np.testing.assert_array_equal(f0.gt_instances.coarse_masks.masks, coarse.masks[[0, 2]])
    np.testing.assert_array_equal(f0.ignored_instances.coarse_masks.masks, coarse.masks[[1]])
    assert len(f1.gt_instances.other) == 3 and 'refine_regions' not in f1.gt_instances
    assert 'mask_keys' in repr(PackVMTInputs())
