import cv2
import numpy as np
import pytest
from mmcv.transforms import TransformBroadcaster
from mmdet.structures.mask import BitmapMasks

from mmvmt.datasets import transforms
from mmvmt.datasets.transforms import MaskDegradation, simplify_mask_polygons
from mmvmt.datasets.transforms import mask_degradation
from mmvmt.structures import mask_boundary

H, W = 40, 60
OFF = dict(keep_prob=0., simplify_prob=0., drop_prob=0., morph_prob=0., halo_prob=0.)


def disk_mask(cy=20, cx=30, r=12):
    yy, xx = np.mgrid[:H, :W]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r).astype(np.uint8)


def run(transform, masks, ids=None):
    results = dict(gt_masks=BitmapMasks(np.stack(masks), H, W))
    if ids is not None:
        results['gt_instances_ids'] = np.asarray(ids, np.int32)
    return transform(results)['gt_coarse_masks'].masks.astype(bool)


def test_dilation_only_contains_the_accurate_mask():
    mask = disk_mask()
    t = MaskDegradation(**dict(OFF, morph_prob=1., dilate_prob=1.), kernel_size=(3, 3),
                        iterations=(2, 2))
    coarse = run(t, [mask])[0]
    assert (coarse[mask == 1]).all() and coarse.sum() > mask.sum()
    assert (coarse == cv2.dilate(mask, cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (3, 3)), iterations=2).astype(bool)).all()


def test_erosion_only_loses_boundary_pixels_only():
    mask = disk_mask()
    t = MaskDegradation(**dict(OFF, morph_prob=1., dilate_prob=0.), kernel_size=(3, 3),
                        iterations=(1, 1))
    coarse = run(t, [mask])[0]
    lost = mask.astype(bool) & ~coarse
    assert not (coarse & ~mask.astype(bool)).any()
    assert lost.any() and not (lost & ~mask_boundary(mask, 1)).any()


def test_halo_adds_every_pixel_within_its_width():
    mask = disk_mask()
    t = MaskDegradation(**dict(OFF, halo_prob=1.), halo_width=(2, 2))
    coarse = run(t, [mask])[0]
    dist = cv2.distanceTransform((1 - mask).astype(np.uint8), cv2.DIST_L2, 5)
    assert coarse[dist <= 2].all() and not coarse[dist > 2.5].any()


def test_dropping_boundary_pixels_keeps_the_interior():
    mask = disk_mask()
    t = MaskDegradation(**dict(OFF, drop_prob=1.), drop_width=(2, 2), drop_ratio=(0.5, 0.5))
    coarse = run(t, [mask])[0]
    band = mask_boundary(mask, 2)
    lost = mask.astype(bool) & ~coarse
    assert not (coarse & ~mask.astype(bool)).any()
    assert (coarse[mask.astype(bool) & ~band]).all()
    assert 0.3 < lost.sum() / band.sum() < 0.7 and not (lost & ~band).any()


def test_boundary_band_is_the_evaluations_one():
    # One implementation of the band: the transform uses the evaluation's mask_boundary.
    assert mask_degradation.mask_boundary is mask_boundary
    assert not hasattr(transforms, 'boundary_band')
    assert not hasattr(mask_degradation, 'boundary_band')


def test_polygon_simplification_uses_few_vertices():
    mask = disk_mask(r=15)
    out = simplify_mask_polygons(mask, 8)
    contours, _ = cv2.findContours(out, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    assert len(contours) == 1
    assert len(cv2.approxPolyDP(contours[0], 1.0, True)) <= 10
    inter, union = (out & mask).sum(), (out | mask).sum()
    assert 0.85 < inter / union < 1 and (out != mask).any()
    assert (simplify_mask_polygons(mask, 4) & mask).sum() < inter
    t = MaskDegradation(**dict(OFF, simplify_prob=1.), num_vertices=(8, 8))
    np.testing.assert_array_equal(run(t, [mask])[0], out.astype(bool))


def test_keep_prob_one_and_empty_results_leave_masks_untouched():
    mask = disk_mask()
    t = MaskDegradation(keep_prob=1.)
    np.testing.assert_array_equal(run(t, [mask])[0], mask.astype(bool))
    dot = np.zeros((H, W), np.uint8)
    dot[5, 5] = 1
    erode = MaskDegradation(**dict(OFF, morph_prob=1., dilate_prob=0.), kernel_size=(5, 5))
    np.testing.assert_array_equal(run(erode, [dot])[0], dot.astype(bool))


def test_no_instances():
    out = MaskDegradation()(dict(gt_masks=BitmapMasks(np.zeros((0, H, W), np.uint8), H, W)))
    assert out['gt_coarse_masks'].masks.shape == (0, H, W)


def test_reproducible_under_a_seed():
    masks = [disk_mask(), disk_mask(15, 20, 8)]
    t = MaskDegradation()
    outs = []
    for _ in range(2):
        np.random.seed(3)
        outs.append(run(t, masks, ids=[4, 5]))
    np.testing.assert_array_equal(*outs)
    np.random.seed(4)
    assert (run(t, masks, ids=[4, 5]) != outs[0]).any()


def clip(masks_per_frame, ids_per_frame):
    return dict(gt_masks=[BitmapMasks(np.stack(m), H, W) for m in masks_per_frame],
                gt_instances_ids=[np.asarray(i, np.int32) for i in ids_per_frame])


@pytest.mark.parametrize('share', [True, False])
def test_a_track_gets_the_same_parameters_in_every_frame_of_a_clip(share):
    a, b = disk_mask(), disk_mask(15, 20, 8)
    # The same two tracks in three frames, in a different order in frame 2 and with
    # track 5 absent in frame 3.
    results = clip([[a, b], [b, a], [a]], [[4, 5], [5, 4], [4]])
    np.random.seed(0)
    broadcaster = TransformBroadcaster(
        [MaskDegradation(keep_prob=0., halo_prob=1., morph_prob=1.)], share_random_params=share)
    out = [m.masks for m in broadcaster(results)['gt_coarse_masks']]
    same = [np.array_equal(out[0][0], out[1][1]), np.array_equal(out[0][1], out[1][0]),
            np.array_equal(out[0][0], out[2][0])]
    if share:
        assert all(same)
    else:
        assert not all(same)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='keep_prob'):
        MaskDegradation(keep_prob=1.5)
    with pytest.raises(ValueError, match='kernel_size'):
        MaskDegradation(kernel_size=(7, 3))
    assert 'halo_width' in repr(MaskDegradation())


def legged_mask():
    """A disk with a 1-px leg sticking out to the right."""
    mask = disk_mask(cx=24)
    mask[20, 36:56] = 1
    return mask


def test_thin_parts_are_left_out_and_the_body_kept():
    mask = legged_mask()
    t = MaskDegradation(**dict(OFF, thin_prob=1.), thin_width=(3, 3))
    coarse = run(t, [mask])[0]
    assert not coarse[20, 40:56].any()  # the leg is gone
    assert coarse[disk_mask(cx=24) == 1].sum() >= disk_mask(cx=24).sum() - 4  # body stays


def test_partial_error_changes_one_side_only():
    mask = disk_mask()
    params = dict(keep=False, num_vertices=None, drop=None, morph=None, halo=3, thin=None,
                  partial=(0.0, 0.0))  # normal +x through the centre: the right half
    coarse = MaskDegradation.degrade(mask, params).astype(bool)
    added = coarse & ~mask.astype(bool)
    assert added.any()
    assert not added[:, :30].any() and added[:, 31:].any()
    # independent check of the side: the halo alone, kept right of the centre column
    halo = cv2.dilate(mask, mask_degradation._disk(3)).astype(bool)
    expect = mask.astype(bool).copy()
    expect[:, 30:] = halo[:, 30:]
    assert (coarse == expect).all()


def test_new_steps_do_not_shift_the_old_draws():
    old = MaskDegradation()
    new = MaskDegradation(thin_prob=0.5, partial_prob=0.5)
    for instance in range(20):
        a, b = old.sample_params(7, instance), new.sample_params(7, instance)
        assert {k: a[k] for k in ('keep', 'num_vertices', 'drop', 'morph', 'halo')} == \
            {k: b[k] for k in ('keep', 'num_vertices', 'drop', 'morph', 'halo')}
