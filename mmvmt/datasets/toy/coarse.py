"""YouTube-VIS-like coarse annotation of an exact mask.

The VMT paper (Section 3.2, Fig. 2) finds two kinds of error in YouTube-VIS masks: polygons
with few vertices that cut through thin parts, and a boundary halo of a few pixels around
the object. :func:`coarse_polygons` imitates an annotator who makes both.
"""
from typing import List

import cv2
import numpy as np

# Parts that cannot hold a square of this many pixels are not annotated (legs, antennae, tail
# tips, beaks).
THIN_PART_WIDTH = 3
# Parts that are left with fewer pixels than this after dropping thin parts are not annotated.
MIN_PART_AREA = 6
# Contours are traced on the mask upsampled this much: traced at pixel level, a polygon runs
# through the centres of the boundary pixels and pycocotools' rasterisation would shave half a
# pixel off every side; at 2x it round-trips exactly (polygon -> frPyObjects -> same mask).
_TRACE_UPSAMPLE = 2


def coarse_polygons(mask: np.ndarray, *, tolerance: float, halo: int) -> List[List[float]]:
    """Polygons a hurried annotator would draw around ``mask``.

    Thin parts are dropped (a morphological opening with a ``THIN_PART_WIDTH`` square), the
    rest is grown by ``halo`` px (dilation with a disc; a negative halo shrinks it by
    ``-halo`` px, an annotator drawing inside the object), and every outer contour is
    simplified with ``cv2.approxPolyDP(tolerance)``. A visible object is never left out: if
    nothing thick remains (e.g. only a leg shows), a box 1 px looser than it is drawn instead.

    Args:
        mask: (H, W) bool or uint8 exact mask; must not be empty.
        tolerance: Largest distance in px between the true contour and the polygon.
        halo: Dilation (> 0) or erosion (< 0) in px applied before tracing (0 = none).

    Returns:
        list[list[float]]: COCO polygons ``[x0, y0, x1, y1, ...]`` (at least 3 vertices each)
        in COCO pixel coordinates (pixel ``(x, y)`` covers ``[x, x + 1) x [y, y + 1)``).
    """
    mask = np.ascontiguousarray(mask, dtype=np.uint8)
    if not mask.any():
        raise ValueError('coarse_polygons needs a non-empty mask')
    square = np.ones((THIN_PART_WIDTH, THIN_PART_WIDTH), np.uint8)
    thick = cv2.morphologyEx(mask, cv2.MORPH_OPEN, square)
    if halo:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(halo) + 1,) * 2)
        thick = cv2.dilate(thick, disc) if halo > 0 else cv2.erode(thick, disc)
    up = _TRACE_UPSAMPLE
    traced = cv2.resize(thick, None, fx=up, fy=up, interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(traced, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    polygons = []
    for contour in contours:
        if cv2.contourArea(contour) < MIN_PART_AREA * up * up:
            continue
        approx = cv2.approxPolyDP(contour, tolerance * up, True).reshape(-1, 2)
        if len(approx) >= 3:
            polygons.append(((approx + 0.5) / up).ravel().tolist())
    if not polygons:
        ys, xs = np.nonzero(mask)
        height, width = mask.shape
        x0, y0 = max(0.0, float(xs.min()) - 1), max(0.0, float(ys.min()) - 1)
        x1, y1 = min(float(width), float(xs.max()) + 2), min(float(height), float(ys.max()) + 2)
        polygons = [[x0, y0, x1, y0, x1, y1, x0, y1]]
    return polygons
