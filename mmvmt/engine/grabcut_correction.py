"""GrabCut seeded from a coarse mask: the training-free baseline corrector of Table 3.

A corrector has to beat this classic to be worth its training (issue 20). One frame, one
mask, no learning: OpenCV's GrabCut (Rother et al. 2004: colour GMMs of foreground and
background and a graph cut with a contrast-sensitive smoothness term) on a crop around the
coarse mask, with the trimap drawn from the coarse mask itself:

* the coarse mask eroded by ``sure_erosion`` px (disc) is sure foreground;
* the rest of the coarse mask is probable foreground (a halo can sit anywhere in it);
* a ring of ``ring`` px around the coarse mask (disc dilation) is probable background, so a
  coarse mask drawn inside the object (a shrunk polygon) can grow by up to ``ring`` px;
* the rest of the crop (the coarse box grown by ``margin`` px, clipped to the frame) is sure
  background, from which the background colour model is learnt.

Three iterations of ``cv2.grabCut(..., cv2.GC_INIT_WITH_MASK)``. GrabCut initialises its
GMMs with k-means, which draws from OpenCV's random generator: the generator is seeded
(``cv2.setRNGSeed(seed)``) before every call, so a mask gives the same result whatever ran
before. Masks GrabCut cannot or should not work on pass through unchanged: an empty mask, a
mask of fewer than ``min_area`` px (too few colours for a model), and a crop without
background (the mask fills it). When GrabCut's result is empty (the foreground model lost
everywhere, e.g. an object the colour of its background with no sure foreground left after
the erosion) the coarse mask is returned: an annotation never loses an object to its
corrector.
"""
from dataclasses import dataclass
from typing import Tuple

import cv2
import numpy as np


@dataclass(frozen=True)
class GrabCutSettings:
    """How :func:`grabcut_from_coarse` seeds and runs GrabCut (module docstring).

    Args:
        sure_erosion: Erosion (px, disc) of the coarse mask that is sure foreground. It must
            exceed the coarse annotations' halo, or halo pixels become sure foreground; the
            coarse masks of the toy styles grow by up to 6 px.
        ring: Width (px, disc dilation) of the probable-background ring around the mask.
        margin: The crop is the coarse mask's box grown by this many px (clipped to the
            frame); what the ring does not cover is sure background.
        iterations: GrabCut iterations.
        min_area: Masks with fewer pixels pass through unchanged.
        seed: Seed of OpenCV's random generator (GrabCut's k-means), set before each call.
    """
    sure_erosion: int = 6
    ring: int = 4
    margin: int = 16
    iterations: int = 3
    min_area: int = 16
    seed: int = 0

    def describe(self) -> str:
        """The settings in words, for a table row."""
        return (f'sure FG: coarse eroded {self.sure_erosion} px, probable BG: {self.ring} px '
                f'ring, crop margin {self.margin} px, {self.iterations} it')


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def grabcut_trimap(coarse: np.ndarray, *, sure_erosion: int, ring: int) -> np.ndarray:
    """The GrabCut label map of one crop drawn from its coarse mask (module docstring).

    Args:
        coarse: (h, w) bool coarse mask of the crop.
        sure_erosion: Erosion (px, disc) of the coarse mask that is sure foreground; 0 makes
            the whole coarse mask sure foreground.
        ring: Width (px, disc dilation) of the probable-background ring around it.

    Returns:
        np.ndarray: (h, w) uint8 of ``cv2.GC_BGD``, ``GC_PR_BGD``, ``GC_PR_FGD``, ``GC_FGD``.
    """
    mask = coarse.astype(np.uint8)
    trimap = np.full(mask.shape, cv2.GC_BGD, np.uint8)
    trimap[cv2.dilate(mask, _disc(ring)).astype(bool)] = cv2.GC_PR_BGD
    trimap[coarse] = cv2.GC_PR_FGD
    sure = mask if sure_erosion == 0 else cv2.erode(mask, _disc(sure_erosion),
                                                    borderType=cv2.BORDER_CONSTANT,
                                                    borderValue=0)
    trimap[sure.astype(bool)] = cv2.GC_FGD
    return trimap


def _crop(coarse: np.ndarray, margin: int) -> Tuple[slice, slice]:
    ys, xs = np.nonzero(coarse)
    height, width = coarse.shape
    return (slice(max(0, ys.min() - margin), min(height, ys.max() + margin + 1)),
            slice(max(0, xs.min() - margin), min(width, xs.max() + margin + 1)))


def grabcut_from_coarse(image: np.ndarray, coarse: np.ndarray,
                        settings: GrabCutSettings = GrabCutSettings()) -> np.ndarray:
    """Correct one coarse mask with GrabCut on its frame (module docstring).

    Args:
        image: (H, W, 3) uint8 frame (any channel order: GrabCut's colour models do not care).
        coarse: (H, W) bool coarse mask.
        settings: How GrabCut is seeded and run.

    Returns:
        np.ndarray: (H, W) bool corrected mask (a new array; inputs are not modified).

    Raises:
        ValueError: If the image is not (H, W, 3) uint8 of the mask's size, or the mask not
            (H, W).
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'grabcut_from_coarse needs an (H, W, 3) uint8 image, got '
                         f'{image.shape} {image.dtype}')
    if coarse.shape != image.shape[:2]:
        raise ValueError(f'grabcut_from_coarse: mask of shape {coarse.shape} for an image of '
                         f'{image.shape[:2]}')
    coarse = coarse.astype(bool)
    if int(coarse.sum()) < max(1, settings.min_area):
        return coarse.copy()
    rows, cols = _crop(coarse, settings.margin)
    trimap = grabcut_trimap(coarse[rows, cols], sure_erosion=settings.sure_erosion,
                            ring=settings.ring)
    if not (trimap == cv2.GC_BGD).any() and not (trimap == cv2.GC_PR_BGD).any():
        return coarse.copy()
    cv2.setRNGSeed(settings.seed)
    bgd_model = np.zeros((1, 65), np.float64)
    fgd_model = np.zeros((1, 65), np.float64)
    cv2.grabCut(np.ascontiguousarray(image[rows, cols]), trimap, None, bgd_model, fgd_model,
                settings.iterations, cv2.GC_INIT_WITH_MASK)
    fg = (trimap == cv2.GC_FGD) | (trimap == cv2.GC_PR_FGD)
    if not fg.any():
        return coarse.copy()
    out = np.zeros_like(coarse)
    out[rows, cols] = fg
    return out
