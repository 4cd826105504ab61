"""Given masks as logits: the one clamp that every consumer of a given mask uses.

A given mask (an annotation to correct, a degraded GT mask) has no logits; its cells'
foreground fractions in [0, 1] stand for probabilities. A fraction of exactly 0 or 1 would
be an infinite logit, so fractions are clamped to ``[FRACTION_EPS, 1 - FRACTION_EPS]``
first: a logit of at most ``logit(1 - 1e-2) = 4.6``, so a given mask reads as confident
but not certain, and the refiner's residuals on it (``FinePrior``) stay of the order of
the decoder's outputs.
"""
import torch
from torch import Tensor

#: fractions are clamped to [FRACTION_EPS, 1 - FRACTION_EPS] before the logit
FRACTION_EPS = 1e-2


def fraction_logits(fractions: Tensor) -> Tensor:
    """Logits of mask fractions, clamped to ``[FRACTION_EPS, 1 - FRACTION_EPS]``.

    Args:
        fractions (Tensor): (...) foreground fractions (or soft masks) in [0, 1].

    Returns:
        Tensor: (...) logits in ``[-4.6, 4.6]``.
    """
    return torch.logit(fractions.clamp(FRACTION_EPS, 1 - FRACTION_EPS))
