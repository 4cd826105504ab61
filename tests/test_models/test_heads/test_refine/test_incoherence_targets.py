import torch

from mmvmt.models.heads.refine import incoherence_targets


def test_targets_hand_case():
    """A 16 x 16 frame (2 x 2 cells at H/8), GT foreground the 4 x 4 block at (0..3, 0..3):
    at H/8 only cell (0, 0) is mixed; at H/4 none is (the block is a whole cell); a coarse
    mask that marks cell (1, 1) adds it at H/8; a region pixel at (15, 0) adds cell (1, 0)."""
    gt = torch.zeros(1, 1, 16, 16, dtype=torch.bool)
    gt[..., :4, :4] = True
    fractions, targets = incoherence_targets(gt)
    assert fractions[0][0, 0].tolist() == [[0.25, 0.], [0., 0.]]
    assert targets[0][0, 0].tolist() == [[True, False], [False, False]]
    assert not targets[1].any()
    coarse = torch.full((1, 1, 2, 2), -5.)
    coarse[..., 1, 1] = 5.
    regions = torch.zeros_like(gt)
    regions[..., 15, 0] = True
    _, targets = incoherence_targets(gt, coarse, regions)
    assert targets[0][0, 0].tolist() == [[True, False], [True, True]]
