"""Logits of given (binary or fractional) masks: the one place the clamp is chosen."""
import torch
from torch import Tensor

# A fraction of 0 or 1 has an infinite logit; clamped to [eps, 1 - eps] a given mask reads as
# a confident (|logit| = 4.6) but finite prediction, which the refiner can still overturn.
FRACTION_EPS = 1e-2


def fraction_logits(fractions: Tensor) -> Tensor:
    """Logits of mask fractions in [0, 1] (e.g. the part of each cell a mask covers).

    Args:
        fractions (Tensor): (...) values in [0, 1].

    Returns:
        Tensor: (...) ``logit(clamp(fractions, FRACTION_EPS, 1 - FRACTION_EPS))``.
    """
    return torch.logit(fractions.clamp(FRACTION_EPS, 1 - FRACTION_EPS))
