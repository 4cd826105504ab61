"""The self-correction rule of VMT (Section 3.2), with "do no harm".

Shape shorthand: K tracks, T frames, H x W frame.

Given a track's coarse mask, the refiner's mask, its per-pixel confidence (the probability
of the refiner's label, ``max(p, 1 - p)``) and the refined region, a pixel takes the
refiner's label if and only if

1. it lies in the refined region: the pixels the refiner actually labelled at full
   resolution (the sub-labels of its finest nodes). Elsewhere the refiner's mask is the
   coarse mask taken down to H/8 and back up, which erases every part a few pixels wide, or
   one value over a whole 8 x 8 / 4 x 4 cell; a label there says nothing new;
2. the confidence is strictly greater than the threshold (0.65 in the paper): where the
   refiner is unsure, the annotator's label is the better guess. Removing the annotator's
   foreground may ask for more (``remove_thr``): the two mistakes do not cost the same. A
   wrongly removed pixel of a leg, antenna or tail 2-3 px wide cuts the structure (what lies
   beyond the cut is lost to the object), while a wrongly kept halo pixel only widens a
   boundary by a pixel; and the refiner is least sure exactly where a part is as thin as
   its finest (2 x 2 pixel) node.

Everywhere else the coarse label stays bit for bit, so thin structures that no node touched
survive. With ``remove_thr=None`` the rule is symmetric (the paper's).
"""
from typing import Optional, Tuple

import torch
from torch import Tensor


def confident_relabel(coarse: Tensor, refined: Tensor, confidence: Tensor, region: Tensor,
                      conf_thr: float,
                      remove_thr: Optional[float] = None) -> Tuple[Tensor, Tensor]:
    """Take the refined label only inside ``region`` and where ``confidence > conf_thr``
    (``> remove_thr`` where it removes coarse foreground).

    Args:
        coarse (Tensor): (K, T, H, W) bool coarse masks.
        refined (Tensor): (K, T, H, W) bool refined masks.
        confidence (Tensor): (K, T, H, W) float, the probability of the refined label.
        region (Tensor): (K, T, H, W) bool, the pixels the refiner refined.
        conf_thr (float): Confidence a change needs (strictly exceeded).
        remove_thr (float, optional): Confidence a removal of coarse foreground needs
            (strictly exceeded); None: ``conf_thr``.

    Returns:
        tuple[Tensor, Tensor]: ``corrected`` (K, T, H, W) bool masks and ``changed``
        (K, T, H, W) bool, the pixels whose label differs from the coarse one.
    """
    if not coarse.shape == refined.shape == confidence.shape == region.shape:
        raise ValueError('confident_relabel (engine/confident_relabel.py): coarse, refined, '
                         'confidence and region must have one shape (K, T, H, W), got '
                         f'{tuple(coarse.shape)}, {tuple(refined.shape)}, '
                         f'{tuple(confidence.shape)}, {tuple(region.shape)}.')
    coarse, refined = coarse.bool(), refined.bool()
    needed = conf_thr if remove_thr is None else torch.where(
        coarse, confidence.new_tensor(remove_thr), confidence.new_tensor(conf_thr))
    changed = (refined != coarse) & region.bool() & (confidence > needed)
    return torch.where(changed, refined, coarse), changed
