import torch

from mmvmt.models.heads.refine.fine_prior import FINE_WINDOW, FinePrior, mask_pyramid
from mmvmt.models.layers import fraction_logits


def test_sub_labels_read_the_prior_at_the_node_pixels():
    prior = torch.arange(2 * 1 * 4 * 4.).view(2, 1, 4, 4)
    nodes = torch.tensor([[1, 0, 1, 0]])  # instance 1, pixels rows 2-3, columns 0-1
    got = FinePrior.at_sub_labels(prior, nodes)
    assert got.tolist() == [[prior[1, 0, 2, 0], prior[1, 0, 2, 1], prior[1, 0, 3, 0],
                             prior[1, 0, 3, 1]]]


def test_node_windows_hand_case():
    """A node at pixels (4-5, 4-5) of a 12 x 12 frame whose mask is the single pixel (2, 2):
    the 6 x 6 mask window starts at (2, 2), so its first entry is the mask's probability."""
    fine = torch.zeros(1, 1, 12, 12)
    fine[0, 0, 2, 2] = 1.
    prior = fraction_logits(fine)
    images = torch.zeros(1, 3, 12, 12)
    out = FinePrior().node_windows(prior, images, torch.tensor([[0, 0, 2, 2]]),
                                   torch.tensor([0]))
    assert out.shape == (1, FinePrior.window_channels)
    mask = out[0, :FINE_WINDOW[1] ** 2].view(6, 6)
    expected = torch.full((6, 6), 0.01)
    expected[0, 0] = 0.99
    assert torch.allclose(mask, expected)


def test_mask_pyramid_levels_are_cell_fractions():
    fine = torch.zeros(1, 1, 8, 8)
    fine[..., :2, :2] = 1.  # a quarter of the top-left H/2... cell of 4 x 4 pixels
    levels = mask_pyramid(torch.zeros(1, 1, 1, 1), fine)
    assert [tuple(lv.shape[-2:]) for lv in levels] == [(1, 1), (2, 2), (4, 4), (8, 8)]
    assert torch.allclose(levels[1][0, 0, 0, 0].sigmoid(), torch.tensor(0.25))
    assert torch.allclose(levels[2][0, 0, 0, 0].sigmoid(), torch.tensor(0.99))
    assert torch.allclose(levels[2][0, 0, 1, 1].sigmoid(), torch.tensor(0.01))
