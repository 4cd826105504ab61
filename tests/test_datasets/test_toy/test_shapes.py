import cv2
import numpy as np
import pytest

from mmvmt.datasets.toy.shapes import CATEGORIES, EXTENTS, Pose, draw_mask

SIZE = 160


@pytest.mark.parametrize('category_id', [c['id'] for c in CATEGORIES])
def test_every_pose_stays_inside_the_declared_extent(category_id):
    """The generator relies on EXTENTS to place objects wholly outside the image."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    for scale in (1.0, 1.7):
        radius = EXTENTS[category_id] * scale + 3  # as the generator uses it
        outside = (xx - SIZE / 2) ** 2 + (yy - SIZE / 2) ** 2 > radius ** 2
        for angle in np.linspace(0, 2 * np.pi, 7):
            for phase in np.linspace(0, 2 * np.pi, 9):
                mask = draw_mask(category_id, Pose(SIZE / 2, SIZE / 2, angle, scale, phase),
                                 SIZE, SIZE)
                assert mask.any() and not (mask & outside).any()


@pytest.mark.parametrize('category_id', [c['id'] for c in CATEGORIES])
def test_thin_parts_exist_and_move(category_id):
    pose = Pose(SIZE / 2, SIZE / 2, 0.4, 1.2, 0.0)
    mask = draw_mask(category_id, pose, SIZE, SIZE).astype(np.uint8)
    square = np.ones((3, 3), np.uint8)  # what cannot hold it: legs, antennae, tails, beaks
    thin = mask.astype(bool) & ~cv2.morphologyEx(mask, cv2.MORPH_OPEN, square).astype(bool)
    assert thin.sum() > max(20, 0.04 * mask.sum())
    moved = draw_mask(category_id, Pose(SIZE / 2, SIZE / 2, 0.4, 1.2, 1.5), SIZE, SIZE)
    assert (moved != mask.astype(bool)).sum() > 10


def test_pose_moves_and_clips():
    a = draw_mask(2, Pose(40, 40, 0.0, 1.0, 0.0), 80, 80)
    b = draw_mask(2, Pose(50, 40, 0.0, 1.0, 0.0), 80, 80)
    assert (np.roll(a, 10, axis=1) == b).all()
    assert not draw_mask(2, Pose(-40, 40, 0.0, 1.0, 0.0), 80, 80).any()
