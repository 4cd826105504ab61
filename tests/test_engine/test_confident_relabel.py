"""The self-correction rule on hand-made tensors: only pixels inside the refined region with
confidence > thr change."""
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
    everywhere = torch.ones_like(coarse)
    corrected, changed = confident_relabel(coarse, refined, confidence, everywhere, 0.65)
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
        corrected, _ = confident_relabel(coarse, refined, confidence, torch.ones_like(coarse), thr)
        assert corrected.flatten().tolist() == [bool(e) for e in expected]


def test_removing_foreground_may_need_more_confidence_than_adding():
    """remove_thr applies where the refined label would take coarse foreground away;
    additions keep conf_thr; None is the symmetric rule."""
    coarse = torch.tensor([[[[1, 1, 1, 0, 0, 0]]]], dtype=torch.bool)
    refined = torch.tensor([[[[0, 0, 0, 1, 1, 1]]]], dtype=torch.bool)
    confidence = torch.tensor([[[[0.7, 0.85, 0.95, 0.7, 0.85, 0.95]]]])
    everywhere = torch.ones_like(coarse)
    cases = [(None, [0, 0, 0, 1, 1, 1]),  # everything above 0.65 changes
             (0.9, [1, 1, 0, 1, 1, 1]),  # removals only above 0.9, additions above 0.65
             (0.65, [0, 0, 0, 1, 1, 1])]
    for remove_thr, expected in cases:
        corrected, changed = confident_relabel(coarse, refined, confidence, everywhere, 0.65,
                                               remove_thr)
        assert corrected.flatten().int().tolist() == expected
        assert torch.equal(changed, corrected != coarse)
    # a removal threshold below conf_thr makes removing easier than adding
    corrected, _ = confident_relabel(coarse, refined, confidence - 0.1, everywhere, 0.8, 0.55)
    assert corrected.flatten().int().tolist() == [0, 0, 0, 0, 0, 1]


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match='one shape'):
        confident_relabel(torch.zeros(1, 1, 2, 2, dtype=torch.bool),
                          torch.zeros(1, 1, 2, 3, dtype=torch.bool), torch.ones(1, 1, 2, 2),
                          torch.ones(1, 1, 2, 2, dtype=torch.bool), 0.65)
    with pytest.raises(ValueError, match='one shape'):
        confident_relabel(torch.zeros(1, 1, 2, 2, dtype=torch.bool),
                          torch.zeros(1, 1, 2, 2, dtype=torch.bool), torch.ones(1, 1, 2, 2),
                          torch.ones(1, 1, 2, 1, dtype=torch.bool), 0.65)


def test_nothing_changes_outside_the_region():
    """Confident disagreements outside the refined region keep the coarse label: a 1-px
    line that no node touched survives bit for bit, even where the refiner erased it."""
    coarse = torch.zeros(1, 2, 6, 6, dtype=torch.bool)
    coarse[:, :, 1:5, 1:3] = True  # a body
    coarse[:, :, 3, 3:6] = True  # a 1-px leg
    refined = torch.zeros_like(coarse)
    refined[:, :, 1:5, 1:3] = True
    refined[:, 1, 0, 0] = True  # a confident addition inside the region
    region = torch.zeros_like(coarse)
    region[:, :, :3, :3] = True
    corrected, changed = confident_relabel(coarse, refined, torch.ones(coarse.shape), region, 0.65)
    assert torch.equal(corrected[..., 3:, :], coarse[..., 3:, :])  # the leg's rows
    assert torch.equal(changed, (refined != coarse) & region)
    assert corrected[0, 1, 0, 0] and changed.sum() == 1
