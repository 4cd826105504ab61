"""The three toy categories, drawn as exact binary masks with thin parts.

Conventions: pixel coordinates, x to the right, y down. An object is drawn in its own local
frame (facing +x, origin at the body centre, units = pixels at scale 1) and placed into the
image by a :class:`Pose`. Thin parts (legs, antennae, tails, beaks) are 1-2 px wide whatever
the scale, because those are what coarse annotations lose and what VMT must recover.
"""
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import cv2
import numpy as np

CATEGORIES: Tuple[Dict[str, object], ...] = (
    dict(id=1, name='lizard', supercategory='animal'),
    dict(id=2, name='beetle', supercategory='animal'),
    dict(id=3, name='bird', supercategory='animal'),
)

# cv2 draws with sub-pixel precision when coordinates are fixed point with this many bits.
_SHIFT = 4
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class Pose:
    """Where an object is in one frame.

    Args:
        cx, cy: Position of the body centre in pixels (may lie outside the image).
        angle: Heading in radians (0 = facing +x; positive turns towards +y).
        scale: Size factor applied to the local geometry (not to line widths).
        phase: Gait phase in radians: legs swing, tails wave and wings flap with it.
    """
    cx: float
    cy: float
    angle: float
    scale: float
    phase: float


def _place(pose: Pose, points: np.ndarray) -> np.ndarray:
    """Map local points (N, 2) to fixed-point image coordinates (N, 2) int32."""
    cos, sin = np.cos(pose.angle), np.sin(pose.angle)
    rot = np.array([[cos, -sin], [sin, cos]]) * pose.scale
    xy = np.asarray(points, dtype=np.float64) @ rot.T + (pose.cx, pose.cy)
    return np.round(xy * _ONE).astype(np.int32)


def _ellipse(mask: np.ndarray, pose: Pose, centre: Tuple[float, float],
             axes: Tuple[float, float]) -> None:
    """Fill an ellipse whose axes are aligned with the object's local frame."""
    c = _place(pose, [centre])[0]
    ax = (int(round(axes[0] * pose.scale * _ONE)), int(round(axes[1] * pose.scale * _ONE)))
    cv2.ellipse(mask, (int(c[0]), int(c[1])), ax, float(np.degrees(pose.angle)), 0, 360, 1,
                thickness=-1, lineType=cv2.LINE_8, shift=_SHIFT)


def _line(mask: np.ndarray, pose: Pose, points: List[Tuple[float, float]],
          thickness: int) -> None:
    """Draw an open polyline through local points, ``thickness`` px wide."""
    pts = _place(pose, points)
    cv2.polylines(mask, [pts.reshape(-1, 1, 2)], False, 1, thickness=thickness,
                  lineType=cv2.LINE_8, shift=_SHIFT)


def _polygon(mask: np.ndarray, pose: Pose, points: List[Tuple[float, float]]) -> None:
    """Fill a polygon given by local points."""
    pts = _place(pose, points)
    cv2.fillPoly(mask, [pts.reshape(-1, 1, 2)], 1, lineType=cv2.LINE_8, shift=_SHIFT)


def _limb(root: Tuple[float, float], angle: float, lengths: Tuple[float, float],
          bend: float) -> List[Tuple[float, float]]:
    """A two-segment limb from ``root``: first segment at ``angle``, the second bent by ``bend``."""
    x0, y0 = root
    x1, y1 = x0 + lengths[0] * np.cos(angle), y0 + lengths[0] * np.sin(angle)
    a2 = angle + bend
    return [(x0, y0), (x1, y1), (x1 + lengths[1] * np.cos(a2), y1 + lengths[1] * np.sin(a2))]


def draw_lizard(mask: np.ndarray, pose: Pose) -> None:
    """Body, head, four 2-px legs with 1-px toes (diagonal gait), a long tapering wavy tail."""
    _ellipse(mask, pose, (0, 0), (13, 4.5))
    _ellipse(mask, pose, (15, 0), (5, 3.5))
    for x, side, trot in ((8, -1, 0), (8, 1, 1), (-8, -1, 1), (-8, 1, 0)):
        tilt = 0.35 if x > 0 else -0.35  # front legs reach forward, hind legs backward
        swing = 0.55 * np.sin(pose.phase + np.pi * trot)
        leg = _limb((x, side * 3.5), side * (np.pi / 2 - tilt) + swing, (7, 4), -side * 0.9)
        _line(mask, pose, leg[:2], 2)
        _line(mask, pose, leg[1:], 1)
    s = np.linspace(0, 1, 10)
    tail = np.stack([-12 - 25 * s, 4.5 * s * np.sin(pose.phase + 3.5 * s)], axis=1)
    for seg, width in ((slice(0, 4), 3), (slice(3, 7), 2), (slice(6, 10), 1)):
        _line(mask, pose, [tuple(p) for p in tail[seg]], width)


def draw_beetle(mask: np.ndarray, pose: Pose) -> None:
    """Oval body, head, six 1-px legs (tripod gait) and two elbowed 1-px antennae."""
    _ellipse(mask, pose, (0, 0), (10, 7))
    _ellipse(mask, pose, (11, 0), (3.5, 3.5))
    for i, x in enumerate((5, 0, -5)):
        for side in (-1, 1):
            tripod = (i + (side > 0)) % 2
            swing = 0.45 * np.sin(pose.phase + np.pi * tripod)
            knee = -0.8 if x > 0 else 0.8  # front tarsi point forward, the others backward
            leg = _limb((x, side * 6), side * (np.pi / 2 - 0.1 * x) + swing, (7, 5), side * knee)
            _line(mask, pose, leg, 1)
    for side in (-1, 1):
        wiggle = 0.15 * np.sin(1.3 * pose.phase + side)
        _line(mask, pose, _limb((13, side * 2), side * 0.55 + wiggle, (5, 5), -side * 0.5), 1)


def draw_bird(mask: np.ndarray, pose: Pose) -> None:
    """Body, head, flapping swept wings, a 1-px beak and a fan of three 1-px tail feathers."""
    _ellipse(mask, pose, (0, 0), (11, 4))
    _ellipse(mask, pose, (12, 0), (3.5, 3.5))
    span = 14 + 6 * np.sin(pose.phase)
    for side in (-1, 1):
        _polygon(mask, pose, [(4, side * 2), (-1, side * (span * 0.6 + 3)),
                              (-6, side * (span + 3)), (-9, side * (span + 1)), (-5, side * 2)])
    _line(mask, pose, [(15, 0), (20, 0.5 * np.sin(pose.phase))], 1)
    for k in (-1, 0, 1):
        spread = k * (0.3 + 0.1 * np.sin(pose.phase))
        _line(mask, pose, [(-10, 0), (-10 - 10 * np.cos(spread), 10 * np.sin(spread))], 1)


DRAWERS: Dict[int, Callable[[np.ndarray, Pose], None]] = {
    1: draw_lizard, 2: draw_beetle, 3: draw_bird}

# Radius (local units) of a disc around the body centre that holds every pose of the category.
EXTENTS: Dict[int, float] = {1: 39.0, 2: 24.0, 3: 26.0}


def draw_mask(category_id: int, pose: Pose, height: int, width: int) -> np.ndarray:
    """Draw one object.

    Args:
        category_id: 1 lizard, 2 beetle, 3 bird.
        pose: Where and how the object is.
        height, width: Image size.

    Returns:
        np.ndarray: (height, width) bool mask, clipped to the image.
    """
    mask = np.zeros((height, width), np.uint8)
    DRAWERS[category_id](mask, pose)
    return mask.astype(bool)
