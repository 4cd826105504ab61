"""The three categories of the garden style (validation only), unlike the toy animals.

Same conventions as :mod:`.shapes` (local frame facing +x, pixels at scale 1, a
:class:`~.shapes.Pose` places the object). Thin parts are 1-2 px wide whatever the scale:
a spider's eight long jointed legs, a dragonfly's veined wings joined by a 2-px abdomen and
1-px legs, a snail's two eye stalks and a shell whose spiral leaves a 1-px gap.
"""
from typing import Callable, Dict, Tuple

import numpy as np

from .shapes import Pose, _ellipse, _limb, _line, _polygon

GARDEN_CATEGORIES: Tuple[Dict[str, object], ...] = (
    dict(id=1, name='spider', supercategory='animal'),
    dict(id=2, name='dragonfly', supercategory='animal'),
    dict(id=3, name='snail', supercategory='animal'),
)


def draw_spider(mask: np.ndarray, pose: Pose) -> None:
    """Round abdomen, small head, eight long 1-px legs with a knee each (alternating gait)."""
    _ellipse(mask, pose, (-6, 0), (7, 6))
    _ellipse(mask, pose, (4, 0), (4, 3.5))
    for i, base in enumerate((0.5, 1.1, 1.9, 2.5)):
        for side in (-1, 1):
            swing = 0.3 * np.sin(pose.phase + np.pi * ((i + (side > 0)) % 2))
            leg = _limb((3 - 2 * i, side * 2), side * base + swing, (10, 12), -side * 0.7)
            _line(mask, pose, leg, 1)


def draw_dragonfly(mask: np.ndarray, pose: Pose) -> None:
    """Head, thorax, a long 2-px abdomen, four narrow wings that beat, six 1-px legs."""
    _ellipse(mask, pose, (12, 0), (3, 3))
    _ellipse(mask, pose, (6, 0), (4, 2.5))
    _line(mask, pose, [(3, 0), (-14, 0.5 * np.sin(pose.phase)), (-28, 0)], 2)
    beat = 0.25 * np.sin(2 * pose.phase)
    for side in (-1, 1):
        for x, length in ((7, 20), (4, 18)):
            angle = side * (np.pi / 2 + 0.25 + beat) + (0.2 if x == 4 else 0)
            tip = (x + length * np.cos(angle), side * 2 + length * np.sin(angle))
            mid = ((x + tip[0]) / 2, (side * 2 + tip[1]) / 2)
            normal = np.array((-np.sin(angle), np.cos(angle))) * 2.2
            _polygon(mask, pose, [(x, side * 2), (mid[0] + normal[0], mid[1] + normal[1]),
                                  tip, (mid[0] - normal[0], mid[1] - normal[1])])
        for k in range(3):
            _line(mask, pose, _limb((8 - 2 * k, side * 2), side * 1.3, (4, 3), side * 0.6), 1)


def draw_snail(mask: np.ndarray, pose: Pose) -> None:
    """A long foot, a shell with a spiral groove, two 1-px eye stalks that sway."""
    _ellipse(mask, pose, (0, 4), (16, 3.5))
    _ellipse(mask, pose, (-2, -4), (9, 8))
    turns = np.linspace(0, 3.2 * np.pi, 40)
    radius = 7.5 * (1 - turns / (4 * np.pi))
    spiral = np.stack([-2 + radius * np.cos(turns), -4 + radius * np.sin(turns)], 1)
    groove = np.zeros_like(mask)  # the spiral is a 1-px gap cut into the shell
    _line(groove, pose, [tuple(p) for p in spiral], 1)
    mask[groove == 1] = 0
    for side in (-1, 1):
        sway = 0.3 * np.sin(pose.phase + side)
        _line(mask, pose, _limb((14, 2 + side), -np.pi / 2.6 * (1 if side < 0 else 0.6) + sway,
                                (6, 5), 0.3), 1)


GARDEN_DRAWERS: Dict[int, Callable[[np.ndarray, Pose], None]] = {
    1: draw_spider, 2: draw_dragonfly, 3: draw_snail}

# Radius (local units) of a disc around the body centre that holds every pose.
GARDEN_EXTENTS: Dict[int, float] = {1: 26.0, 2: 30.0, 3: 24.0}


def draw_garden_mask(category_id: int, pose: Pose, height: int, width: int) -> np.ndarray:
    """Draw one garden object.

    Args:
        category_id: 1 spider, 2 dragonfly, 3 snail.
        pose: Where and how the object is.
        height, width: Image size.

    Returns:
        np.ndarray: (height, width) bool mask, clipped to the image.
    """
    mask = np.zeros((height, width), np.uint8)
    GARDEN_DRAWERS[category_id](mask, pose)
    return mask.astype(bool)
