"""Mask-correction measures on hand-made masks, against direct pixel counting."""
import numpy as np
import pytest

from mmvmt.evaluation.functional.mask_quality import (MaskQualityMeter, halo_pixels,
                                                      thin_parts)


def body_with_leg(h=40, w=60):
    mask = np.zeros((h, w), bool)
    mask[10:30, 10:30] = True  # a 20 x 20 body
    mask[20, 30:50] = True  # a 1-px leg, 20 px long
    return mask


def test_thin_parts_are_what_a_7x7_opening_removes():
    mask = body_with_leg()
    thin = thin_parts(mask)
    assert thin[20, 31:50].all()  # the leg (its root may touch the body's opening)
    assert not thin[12:28, 12:28].any()  # the body's inside survives the opening
    assert not (thin & ~mask).any()
    assert thin_parts(np.zeros((5, 5), bool)).sum() == 0


def test_halo_counts_pixels_more_than_one_px_outside():
    exact = np.zeros((20, 20), bool)
    exact[5:10, 5:10] = True
    cand = exact.copy()
    cand[4, 5:10] = True  # 1 px outside: not a halo
    cand[2, 5:8] = True  # 3 px outside: a halo
    halo = halo_pixels(cand, exact)
    assert halo.sum() == 3 and halo[2, 5:8].all()


def test_meter_against_hand_counts():
    exact = body_with_leg()
    coarse = np.zeros_like(exact)
    coarse[8:32, 8:32] = True  # body with a 2-px halo, leg lost
    meter = MaskQualityMeter()
    meter.update(coarse, exact)
    meter.update(exact, exact)
    meter.update(np.zeros_like(exact), np.zeros_like(exact))  # both empty: not counted
    out = meter.summary()
    iou = (coarse & exact).sum() / (coarse | exact).sum()
    assert out['frame_iou'] == pytest.approx((iou + 1) / 2)
    thin = thin_parts(exact)
    assert out['thin_recall'] == pytest.approx(((coarse & thin).sum() + thin.sum()) /
                                               (2 * thin.sum()))
    # halo: the ring of width 1 at distance 2 (outside the 3x3 dilation of the body), minus
    # what the leg's dilation covers
    halo = halo_pixels(coarse, exact).sum()
    assert halo == 24 * 24 - 22 * 22 - 3  # rows 19-21 of column 31 are next to the leg
    assert out['halo'] == pytest.approx(halo / (2 * exact.sum()))
    assert 0 < out['boundary_iou'] < 1
    perfect = MaskQualityMeter()
    perfect.update(exact, exact)
    assert perfect.summary()['boundary_iou'] == 1.0
    assert np.isnan(MaskQualityMeter().summary()['frame_iou'])
    with pytest.raises(ValueError, match='differ in size'):
        meter.update(exact[:5], exact)
