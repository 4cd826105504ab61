import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvmt.datasets.toy.coarse import coarse_polygons

H, W = 40, 60


def rasterize(polygons):
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, H, W))).astype(bool)


def body_with_leg():
    """A 20 x 12 block with a 1-px leg of 12 px sticking out of its right side."""
    mask = np.zeros((H, W), np.uint8)
    mask[10:22, 10:30] = 1
    mask[15, 30:42] = 1
    return mask.astype(bool)


def test_thin_leg_is_dropped_body_kept():
    mask = body_with_leg()
    coarse = rasterize(coarse_polygons(mask, tolerance=1.0, halo=0))
    assert not coarse[15, 33:42].any()  # the leg
    body = np.zeros_like(mask)
    body[10:22, 10:30] = True
    assert (coarse & body).sum() / (coarse | body).sum() > 0.8
    near_body = np.zeros_like(mask)
    near_body[9:23, 9:31] = True
    assert not (coarse & ~near_body).any()


def test_few_vertices():
    yy, xx = np.mgrid[0:H, 0:W]
    disc = (yy - 20) ** 2 + (xx - 30) ** 2 <= 15 ** 2
    polygons = coarse_polygons(disc, tolerance=3.0, halo=0)
    assert len(polygons) == 1
    # A contour of ~90 px simplified with 3 px tolerance: a handful of vertices, not dozens.
    assert 3 <= len(polygons[0]) // 2 <= 12


def test_halo_grows_the_mask_by_about_its_width():
    mask = body_with_leg()
    plain = rasterize(coarse_polygons(mask, tolerance=1.0, halo=0))
    haloed = rasterize(coarse_polygons(mask, tolerance=1.0, halo=3))
    assert (plain & ~haloed).sum() <= 2
    # 3 px of halo, give or take the 1 px polygon tolerance: 2 px above the body is covered,
    # 5 px above is not.
    assert haloed[8, 12:28].all() and not plain[8, 12:28].any()
    assert not haloed[5].any()
    assert haloed.sum() > plain.sum() + 2 * 2 * (20 + 12)


def test_only_thin_parts_visible_gives_a_loose_box():
    mask = np.zeros((H, W), bool)
    mask[5, 20:30] = True
    polygons = coarse_polygons(mask, tolerance=2.0, halo=0)
    assert polygons == [[19.0, 4.0, 31.0, 4.0, 31.0, 7.0, 19.0, 7.0]]
    assert rasterize(polygons)[mask].all()


def test_empty_mask_is_an_error():
    with pytest.raises(ValueError, match='non-empty'):
        coarse_polygons(np.zeros((H, W), bool), tolerance=2.0, halo=0)
