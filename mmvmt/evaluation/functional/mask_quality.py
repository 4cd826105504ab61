"""How close candidate masks are to exact ones, besides AP: the measures of mask correction.

Shape shorthand: H x W a frame.

Per (track, frame) pair with a non-empty exact or candidate mask:

* frame IoU: ``|C & E| / |C | E|``;
* boundary IoU: the same on the boundary bands (:func:`mask_boundary` of width
  :func:`boundary_width`, 2% of the frame diagonal, as the Tube-Boundary AP);

pooled over all pixels of all pairs:

* thin-part recall: of the exact mask's *thin parts* (its pixels that an opening with a
  7 x 7 ellipse removes: legs, antennae, tails), the share the candidate covers;
* halo: candidate pixels more than 1 px outside the exact mask (outside its 3 x 3
  dilation), per exact pixel.
"""
from typing import Dict

import cv2
import numpy as np

from mmvmt.structures import boundary_width, mask_boundary

#: Side of the ellipse whose opening defines thin parts.
THIN_KERNEL = 7
_ELLIPSE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (THIN_KERNEL, THIN_KERNEL))
_SQUARE = np.ones((3, 3), np.uint8)


def thin_parts(exact: np.ndarray) -> np.ndarray:
    """Pixels of a mask that an opening with a 7 x 7 ellipse removes.

    Args:
        exact (np.ndarray): (H, W) bool or 0/1 mask.

    Returns:
        np.ndarray: (H, W) bool.
    """
    mask = np.ascontiguousarray(exact, dtype=np.uint8)
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _ELLIPSE, borderType=cv2.BORDER_CONSTANT,
                              borderValue=0)
    return (mask > 0) & (opened == 0)


def halo_pixels(candidate: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Candidate pixels more than 1 px (Chebyshev) outside the exact mask.

    Args:
        candidate (np.ndarray): (H, W) bool or 0/1 mask.
        exact (np.ndarray): (H, W) bool or 0/1 mask.

    Returns:
        np.ndarray: (H, W) bool.
    """
    near = cv2.dilate(np.ascontiguousarray(exact, dtype=np.uint8), _SQUARE)
    return (np.asarray(candidate) > 0) & (near == 0)


class MaskQualityMeter:
    """Accumulates the four measures over (track, frame) pairs of candidate and exact masks.

    Args:
        boundary_ratio (float): Boundary band width as a fraction of the frame diagonal.
    """

    def __init__(self, boundary_ratio: float = 0.02) -> None:
        self.boundary_ratio = boundary_ratio
        self.ious, self.boundary_ious = [], []
        self.thin = self.thin_covered = self.exact_area = self.halo = 0

    def update(self, candidate: np.ndarray, exact: np.ndarray) -> None:
        """Add one frame of one track.

        Args:
            candidate (np.ndarray): (H, W) bool or 0/1, empty where the candidate is null.
            exact (np.ndarray): (H, W) bool or 0/1, empty where the track is absent.
        """
        candidate, exact = np.asarray(candidate) > 0, np.asarray(exact) > 0
        if candidate.shape != exact.shape:
            raise ValueError(f'MaskQualityMeter: candidate {candidate.shape} and exact '
                             f'{exact.shape} masks differ in size')
        if not (candidate.any() or exact.any()):
            return
        self.ious.append((candidate & exact).sum() / (candidate | exact).sum())
        width = boundary_width(*exact.shape, self.boundary_ratio)
        band_c, band_e = mask_boundary(candidate, width), mask_boundary(exact, width)
        self.boundary_ious.append((band_c & band_e).sum() / max((band_c | band_e).sum(), 1))
        thin = thin_parts(exact)
        self.thin += int(thin.sum())
        self.thin_covered += int((thin & candidate).sum())
        self.exact_area += int(exact.sum())
        self.halo += int(halo_pixels(candidate, exact).sum())

    def summary(self) -> Dict[str, float]:
        """The measures so far.

        Returns:
            dict[str, float]: ``frame_iou``, ``boundary_iou`` (means over pairs),
            ``thin_recall`` and ``halo`` (pooled ratios); NaN where nothing was counted.
        """
        def ratio(a: float, b: float) -> float:
            return float(a) / b if b else float('nan')

        return dict(frame_iou=float(np.mean(self.ious)) if self.ious else float('nan'),
                    boundary_iou=float(np.mean(self.boundary_ious)) if self.boundary_ious
                    else float('nan'),
                    thin_recall=ratio(self.thin_covered, self.thin),
                    halo=ratio(self.halo, self.exact_area))
