import pytest
import torch

from mmvmt.registry import MODELS


def selector(**kwargs):
    cfg = dict(type='NodeSelector', max_nodes_per_frame=(2, 1, 1), thr=0.5)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_roots_are_the_best_cells_above_threshold_per_frame():
    """Frame 0: three cells above 0.5, the two best kept; frame 1: one cell above it."""
    logits = torch.full((1, 2, 2, 2), -5.)
    logits[0, 0, 0, 0], logits[0, 0, 0, 1], logits[0, 0, 1, 1] = 1., 3., 2.
    logits[0, 1, 1, 0] = 0.5
    roots = selector().select_roots(logits, torch.zeros(1, 2, 2, 2))
    assert roots.tolist() == [[0, 0, 0, 1], [0, 0, 1, 1], [0, 1, 1, 0]]


def test_forced_cells_come_first_and_invalid_frames_hold_none():
    logits = torch.full((1, 2, 2, 2), 5.)  # every cell qualifies
    force = torch.zeros(1, 2, 2, 2, dtype=torch.bool)
    force[0, 0, 1, 0] = True  # the least likely cell, forced
    logits[0, 0, 1, 0] = -5.
    valid = torch.tensor([[True, False]])
    roots = selector(max_nodes_per_frame=(1, 1, 1)).select_roots(
        logits, torch.zeros(1, 2, 2, 2), force, valid)
    assert roots.tolist() == [[0, 0, 1, 0]]


def test_children_caps_per_frame_and_eval_caps():
    sel = selector(max_nodes_per_frame=(4, 1, 1), test_max_nodes_per_frame=(4, 2, 2))
    cells = torch.tensor([[0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0], [0, 1, 1, 1]])
    logits = torch.tensor([1., 2., 3., -1.])  # the last below the threshold
    coarse = torch.zeros(1, 2, 2, 2)
    assert sel.keep_children(cells, logits, coarse, 1).tolist() == [1, 2]
    sel.eval()
    assert sel.keep_children(cells, logits, coarse, 1).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match='max_nodes_per_frame'):
        selector(max_nodes_per_frame=(1, 2))


def test_boundary_region_selects_by_the_coarse_mask_not_the_logits():
    sel = selector(max_nodes_per_frame=(9, 9, 9),
                   region=dict(type='BoundaryBandRegion', width=1))
    coarse = torch.full((1, 1, 1, 5), -4.)
    coarse[..., 1:3] = 4.
    roots = sel.select_roots(torch.full((1, 1, 1, 5), 9.), coarse)
    assert roots[:, 3].tolist() == [0, 1, 2, 3]
