import pytest
import torch

from mmvmt.models.heads.refine import BoundaryBandRegion, IncoherentRegion, boundary_band_scores


def test_incoherent_region_is_the_detector_probability_without_gradient():
    logits = torch.tensor([-2., 0., 3.], requires_grad=True)
    scores = IncoherentRegion()(logits, torch.zeros(1, 1, 1, 3))
    assert torch.allclose(scores, torch.sigmoid(torch.tensor([-2., 0., 3.])))
    assert not scores.requires_grad


def test_boundary_band_hand_case():
    """A 1 x 5 row, foreground in columns 1-2: the band of width 1 is columns 0-3 (each a
    cell from the boundary), column 4 is outside; inside it the score is 2 - |2p - 1|."""
    coarse = torch.tensor([-4., 2., 0.5, -1., -4.]).view(1, 1, 1, 5)
    p = coarse.sigmoid()[0, 0, 0]
    expected = torch.tensor([2 - (2 * p[i] - 1).abs() for i in range(4)] + [0.])
    assert torch.allclose(boundary_band_scores(coarse, 1)[0, 0, 0], expected)
    region = BoundaryBandRegion(width=1)
    # read at cells, the logits only give the shape
    cells = torch.tensor([[0, 0, 0, 4], [0, 0, 0, 1]])
    assert torch.allclose(region(torch.zeros(2), coarse, cells), expected[[4, 1]])
    with pytest.raises(ValueError, match='width'):
        BoundaryBandRegion(width=0)
