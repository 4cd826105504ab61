import torch

from mmvmt.models.layers.quadtree import (dense_to_nodes, expand_children, fg_fraction,
                                          flat_index, incoherent_cells, pack_by_group,
                                          rank_in_group, topk_per_group)


def test_flat_index_matches_dense_indexing():
    dense = torch.arange(2 * 3 * 4 * 5).view(2, 3, 4, 5)
    nodes = torch.tensor([[0, 0, 0, 0], [1, 2, 3, 4], [1, 0, 2, 1]])
    expected = torch.stack([dense[tuple(n)] for n in nodes])
    assert torch.equal(dense.flatten()[flat_index(nodes, (3, 4, 5))], expected)


def test_rank_in_group_hand_case():
    groups = torch.tensor([2, 0, 2, 1, 0, 2])
    assert rank_in_group(groups).tolist() == [0, 0, 1, 0, 1, 2]
    assert rank_in_group(torch.zeros(0, dtype=torch.long)).numel() == 0


def test_topk_per_group_threshold_and_cap():
    scores = torch.tensor([0.9, 0.2, 0.8, 0.95, 0.7, 0.6, 0.99])
    groups = torch.tensor([0, 0, 0, 1, 1, 1, 0])
    # group 0 above 0.5: idx 0 (0.9), 2 (0.8), 6 (0.99) -> best two: 6, 0
    # group 1 above 0.5: idx 3, 4, 5 -> best two: 3, 4
    assert topk_per_group(scores, groups, k=2, thr=0.5).tolist() == [0, 3, 4, 6]
    assert topk_per_group(scores, groups, k=0, thr=0.5).numel() == 0


def test_dense_to_nodes_hand_case():
    scores = torch.zeros(2, 2, 2, 2)
    scores[0, 1, 0, 1] = 0.9
    scores[0, 0, 1, 1] = 0.7
    scores[0, 0, 0, 0] = 0.8
    scores[0, 0, 0, 1] = 0.75
    scores[1, 0, 1, 0] = 0.6
    nodes = dense_to_nodes(scores, thr=0.5, k=2)
    # the cap is per frame: frame 0 of instance 0 keeps its best two (0.8, 0.75), frame 1
    # its only one; raster order
    assert nodes.tolist() == [[0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 1], [1, 0, 1, 0]]


def test_dense_to_nodes_ranks_by_score_within_each_frame():
    """A late frame's best cells win over an early frame's weaker ones: no raster order."""
    scores = torch.zeros(1, 3, 4, 4)
    scores[0, 0] = 0.6  # frame 0: 16 cells above the threshold
    scores[0, 2, 3, 3] = 0.99  # the last cell of the last frame
    nodes = dense_to_nodes(scores, thr=0.5, k=3)
    assert torch.bincount(nodes[:, 1], minlength=3).tolist() == [3, 0, 1]
    assert [0, 2, 3, 3] in nodes.tolist()


def test_expand_children_hand_case():
    nodes = torch.tensor([[0, 1, 1, 2], [3, 0, 0, 0]])
    children, parent = expand_children(nodes)
    assert children.tolist() == [
        [0, 1, 2, 4], [0, 1, 2, 5], [0, 1, 3, 4], [0, 1, 3, 5],
        [3, 0, 0, 0], [3, 0, 0, 1], [3, 0, 1, 0], [3, 0, 1, 1]]
    assert parent.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    # the parent of a child is (y // 2, x // 2), same instance and frame
    back = children.clone()
    back[:, 2:] //= 2
    assert torch.equal(back, nodes[parent])


def test_pack_by_group_round_trip_and_padding():
    values = torch.arange(12.).view(6, 2)
    groups = torch.tensor([2, 0, 2, 2, 0, 3])
    packed, padding_mask, rank = pack_by_group(values, groups, num_groups=4)
    assert packed.shape == (4, 3, 2)
    assert torch.equal(packed[groups, rank], values)
    assert padding_mask.tolist() == [[False, False, True], [True, True, True],
                                     [False, False, False], [False, True, True]]
    assert (packed[padding_mask] == 0).all()
    empty, empty_mask, _ = pack_by_group(values[:0], groups[:0], num_groups=2)
    assert empty.shape == (2, 1, 2) and empty_mask.all()


def test_incoherent_cells_and_fg_fraction_hand_case():
    mask = torch.tensor([[1, 1, 0, 0],
                         [1, 1, 0, 1],
                         [0, 0, 0, 0],
                         [1, 0, 0, 0]], dtype=torch.bool)[None]
    assert incoherent_cells(mask, 2)[0].tolist() == [[False, True], [True, False]]
    assert fg_fraction(mask, 2)[0].tolist() == [[1.0, 0.25], [0.25, 0.0]]
    # a cell is mixed iff downsample (majority) -> nearest upsample loses pixels
    rand = torch.rand(3, 8, 8) > 0.5
    lossy = (fg_fraction(rand, 4) > 0.5).repeat_interleave(4, 1).repeat_interleave(4, 2) != rand
    lost_cells = torch.nn.functional.max_pool2d(lossy[:, None].float(), 4)[:, 0] > 0
    assert torch.equal(incoherent_cells(rand, 4), lost_cells)


def test_frame_runs_fewest_runs_within_the_budget():
    from mmvmt.models.layers.quadtree import frame_runs

    # instance 0: 10 nodes, budget 4 -> 3 runs; instance 1: 2 nodes -> 1; instance 2: none
    # -> 1; instance 3: 50 nodes over 4 frames -> at most one run per frame
    inst = torch.tensor([0] * 10 + [1] * 2 + [3] * 50)
    assert frame_runs(inst, 4, 4, 4).tolist() == [3, 1, 1, 4]
