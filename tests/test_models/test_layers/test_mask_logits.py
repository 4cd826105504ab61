import math

import torch

from mmvmt.models.layers import FRACTION_EPS, fraction_logits


def test_fraction_logits_clamp_both_ends():
    got = fraction_logits(torch.tensor([0., 0.5, 1., 0.2]))
    bound = math.log((1 - FRACTION_EPS) / FRACTION_EPS)
    assert torch.allclose(got, torch.tensor([-bound, 0., bound, math.log(0.25)]))
