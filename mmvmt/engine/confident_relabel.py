"""The self-correction rule of VMT (Section 3.2): change a label only where the refiner is sure.

Shape shorthand: K tracks, T frames, H x W frame.

Given a track's coarse mask, the refiner's mask and its per-pixel confidence (the probability
of the refiner's label, ``max(p, 1 - p)``), a pixel takes the refiner's label if and only if
the confidence is strictly greater than the threshold (0.65 in the paper); everywhere else it
keeps the coarse label. The rule is symmetric: foreground can be added or removed.
"""
from typing import Tuple

import torch
from torch import Tensor


def confident_relabel(coarse: Tensor, refined: Tensor, confidence: Tensor,
                      conf_thr: float) -> Tuple[Tensor, Tensor]:
    """Take the refined label only where ``confidence > conf_thr``.

    Args:
        coarse (Tensor): (K, T, H, W) bool coarse masks.
        refined (Tensor): (K, T, H, W) bool refined masks.
        confidence (Tensor): (K, T, H, W) float, the probability of the refined label.
        conf_thr (float): Confidence a change needs (strictly exceeded).

    Returns:
        tuple[Tensor, Tensor]: ``corrected`` (K, T, H, W) bool masks and ``changed``
        (K, T, H, W) bool, the pixels whose label differs from the coarse one.
    """
    if not coarse.shape == refined.shape == confidence.shape:
        raise ValueError('confident_relabel (engine/confident_relabel.py): coarse, refined '
                         'and confidence must have one shape (K, T, H, W), got '
                         f'{tuple(coarse.shape)}, {tuple(refined.shape)}, '
                         f'{tuple(confidence.shape)}.')
    coarse, refined = coarse.bool(), refined.bool()
    changed = (refined != coarse) & (confidence > conf_thr)
    return torch.where(changed, refined, coarse), changed
