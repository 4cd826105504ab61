"""VideoHungarianAssigner against a brute-force search over all assignments."""
import itertools

import pytest
import torch

from mmvmt.models.task_modules import VideoHungarianAssigner
from mmvmt.models.task_modules.video_hungarian_assigner import box_giou_cost, box_l1_cost
from mmvmt.registry import TASK_UTILS


def _random_case(num_queries, num_gts, num_frames, num_classes=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    cls_logits = torch.randn(num_queries, num_classes, generator=gen)
    pred_boxes = torch.rand(num_queries, num_frames, 4, generator=gen) * 0.5 + 0.1
    gt_boxes = torch.rand(num_gts, num_frames, 4, generator=gen) * 0.5 + 0.1
    gt_labels = torch.randint(num_classes, (num_gts,), generator=gen)
    gt_valid = torch.rand(num_gts, num_frames, generator=gen) > 0.3
    gt_valid[:, 0] = True
    return cls_logits, pred_boxes, gt_labels, gt_boxes, gt_valid


def _iou_xyxy(a, b):
    """Independent GIoU of two single xyxy boxes, plain Python."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    union = area(a) + area(b) - inter
    hull = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    return inter / union - (hull - union) / hull


def _slow_cost(cls_logits, pred_boxes, gt_labels, gt_boxes, gt_valid, n, g):
    """Cost of one (query, track) pair computed frame by frame in Python."""
    p = cls_logits[n, gt_labels[g]].sigmoid().item()
    cls = 0.25 * (1 - p) ** 2 * -torch.log(torch.tensor(p)).item() - \
        0.75 * p ** 2 * -torch.log(torch.tensor(1 - p)).item()
    l1 = giou = 0.0
    frames = [t for t in range(gt_valid.shape[1]) if gt_valid[g, t]]
    for t in frames:
        pb, gb = pred_boxes[n, t].tolist(), gt_boxes[g, t].tolist()
        l1 += sum(abs(x - y) for x, y in zip(pb, gb))
        to_xyxy = lambda b: [b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2,  # noqa: E731
                             b[1] + b[3] / 2]
        giou += _iou_xyxy(to_xyxy(pb), to_xyxy(gb))
    return 2 * cls + 5 * l1 / len(frames) - 2 * giou / len(frames)


def test_cost_matrix_matches_slow_reference():
    case = _random_case(4, 3, 5)
    cost = VideoHungarianAssigner().cost_matrix(*case)
    for n in range(4):
        for g in range(3):
            assert cost[n, g].item() == pytest.approx(_slow_cost(*case, n, g), abs=1e-4)


def test_invalid_frames_do_not_count():
    cls_logits, pred_boxes, gt_labels, gt_boxes, gt_valid = _random_case(3, 2, 4)
    gt_valid[:] = True
    gt_valid[0, 2] = False
    changed = gt_boxes.clone()
    changed[0, 2] = torch.tensor([0.9, 0.9, 0.01, 0.01])
    a = box_l1_cost(pred_boxes, gt_boxes, gt_valid) + box_giou_cost(pred_boxes, gt_boxes,
                                                                    gt_valid)
    b = box_l1_cost(pred_boxes, changed, gt_valid) + box_giou_cost(pred_boxes, changed,
                                                                  gt_valid)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize('num_queries,num_gts,seed', [(4, 2, 0), (5, 3, 1), (3, 3, 2),
                                                      (6, 4, 3)])
def test_assignment_is_optimal(num_queries, num_gts, seed):
    case = _random_case(num_queries, num_gts, 3, seed=seed)
    assigner = TASK_UTILS.build(dict(type='VideoHungarianAssigner'))
    cost = assigner.cost_matrix(*case)
    query_inds, gt_inds = assigner.match(*case)
    assert sorted(gt_inds.tolist()) == list(range(num_gts))
    assert len(set(query_inds.tolist())) == num_gts
    best = min(sum(cost[q, g].item() for g, q in enumerate(perm))
               for perm in itertools.permutations(range(num_queries), num_gts))
    assert cost[query_inds, gt_inds].sum().item() == pytest.approx(best, abs=1e-5)


def test_mask_cost_changes_the_assignment():
    # Two queries with identical class/box predictions; only their masks tell them apart.
    cls_logits = torch.zeros(2, 1)
    pred_boxes = torch.full((2, 2, 4), 0.5)
    gt_boxes = torch.full((1, 2, 4), 0.5)
    gt_masks = torch.zeros(1, 2, 4, 4)
    gt_masks[0, :, :2] = 1
    mask_logits = torch.full((2, 2, 4, 4), -5.0)
    mask_logits[1, :, :2] = 5.0
    assigner = VideoHungarianAssigner(mask_weight=1.0)
    query_inds, gt_inds = assigner.match(cls_logits, pred_boxes, torch.zeros(1).long(),
                                          gt_boxes, torch.ones(1, 2, dtype=torch.bool),
                                          mask_logits, gt_masks)
    assert query_inds.tolist() == [1] and gt_inds.tolist() == [0]
    with pytest.raises(ValueError, match='mask_logits'):
        assigner.match(cls_logits, pred_boxes, torch.zeros(1).long(), gt_boxes,
                        torch.ones(1, 2, dtype=torch.bool))


def test_no_gt():
    case = _random_case(3, 0, 2)
    query_inds, gt_inds = VideoHungarianAssigner().match(*case)
    assert query_inds.numel() == 0 and gt_inds.numel() == 0
