"""The self-correction rule on hand-made tensors: only pixels with confidence > thr change."""
import pytest
import torch

from mmvmt.engine import confident_relabel


def test_only_confident_disagreements_change():
    coarse = torch.tensor([[[[1, 1, 0, 0],
                             [1, 1, 0, 0]]]], dtype=torch.bool)
    refined = torch.tensor([[[[0, 1, 1, 0],
                              [1, 0, 1, 1]]]], dtype=torch.bool)
    confidence = torch.tensor([[[[0.90, 0.99, 0.65, 0.99],
                                 [0.50, 0.66, 0.80, 0.64]]]])
    corrected, changed = confident_relabel(coarse, refined, confidence, 0.65)
    # (0,0): disagree, 0.90 -> 0; (0,2): disagree but 0.65 is not > 0.65 -> keeps 0;
    # (1,1): disagree, 0.66 -> 0; (1,2): disagree, 0.80 -> 1; (1,3): 0.64 -> keeps 0.
    expected = torch.tensor([[[[0, 1, 0, 0],
                               [1, 0, 1, 0]]]], dtype=torch.bool)
    assert torch.equal(corrected, expected)
    assert torch.equal(changed, expected != coarse)
    assert changed.sum() == 3


def test_threshold_is_a_config_value():
    coarse = torch.zeros(1, 1, 1, 3, dtype=torch.bool)
    refined = torch.ones(1, 1, 1, 3, dtype=torch.bool)
    confidence = torch.tensor([[[[0.6, 0.7, 0.95]]]])
    for thr, expected in [(0.5, [1, 1, 1]), (0.65, [0, 1, 1]), (0.9, [0, 0, 1])]:
        corrected, _ = confident_relabel(coarse, refined, confidence, thr)
        assert corrected.flatten().tolist() == [bool(e) for e in expected]


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match='one shape'):
        confident_relabel(torch.zeros(1, 1, 2, 2, dtype=torch.bool),
                          torch.zeros(1, 1, 2, 3, dtype=torch.bool), torch.ones(1, 1, 2, 2), 0.65)
