import torch

from mmvmt.models.layers import match_tracks_to_queries, soft_tube_iou


def test_soft_tube_iou_hand_case():
    a = torch.zeros(1, 2, 2, 2)
    a[0, 0, 0, 0] = a[0, 1, 0, 0] = 1.  # one cell in each frame
    b = torch.zeros(2, 2, 2, 2)
    b[0, 0, 0, 0] = 1.  # frame 0 only: inter 1, union 2
    b[1, :, 1, 1] = 0.5  # disjoint
    torch.testing.assert_close(soft_tube_iou(a, b), torch.tensor([[0.5, 0.]]))
    assert soft_tube_iou(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)).item() == 0


def test_match_is_one_to_one_and_drops_weak_pairs():
    """Track 0 overlaps queries 0 (best) and 1; track 1 overlaps query 0 a little and query 1
    well; Hungarian gives 0 -> 0, 1 -> 1 (a greedy argmax would give both query 0); track 2
    overlaps nothing: no match."""
    tracks = torch.zeros(3, 1, 4, 4)
    tracks[0, 0, :2, :2] = 1
    tracks[1, 0, 2:, 2:] = 1
    tracks[1, 0, :2, :2] = 1
    tracks[2, 0, 0, 3] = 1
    queries = torch.zeros(3, 1, 4, 4)
    queries[0, 0, :2, :2] = 1  # IoU 1 with track 0, 0.5 with track 1
    queries[1, 0, 2:, 2:] = 1  # 0 with track 0, 0.5 with track 1
    queries[2, 0, 3, 0] = 1  # overlaps no track
    iou = soft_tube_iou(tracks, queries)
    assert iou[1, 0] == iou[1, 1] == 0.5
    queries[1, 0, 2, 2] = 0.9  # make track 1 prefer query 0 under argmax
    assert soft_tube_iou(tracks, queries)[1].argmax() == 0
    assert match_tracks_to_queries(tracks, queries, min_iou=0.1).tolist() == [0, 1, -1]
    assert match_tracks_to_queries(tracks, queries, min_iou=0.9).tolist() == [0, -1, -1]
    assert match_tracks_to_queries(tracks, queries[:0]).tolist() == [-1, -1, -1]
    assert match_tracks_to_queries(tracks[:0], queries).tolist() == []
