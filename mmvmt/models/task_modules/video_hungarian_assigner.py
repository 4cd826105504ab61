"""Video-level Hungarian matching between instance queries and GT tracks.

Shape shorthand: N queries, G ground-truth tracks, T frames, K classes, P mask pixels per frame.
Boxes are (cx, cy, w, h) normalised to [0, 1] by the frame's image size.

A query predicts one class for the whole video and one box (and mask) per frame, so its cost
against a track averages the per-frame box costs over the frames where the track is present
(its ``valid`` frames); frames where the track is absent do not count.
"""
from typing import Optional, Tuple

import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from mmvmt.registry import TASK_UTILS


def focal_class_cost(cls_logits: Tensor, gt_labels: Tensor, alpha: float = 0.25,
                     gamma: float = 2.0, eps: float = 1e-12) -> Tensor:
    """Sigmoid focal-loss classification cost, as mmdet's ``FocalLossCost``.

    Args:
        cls_logits (Tensor): Class logits of shape (N, K).
        gt_labels (Tensor): GT labels of shape (G,), in [0, K).
        alpha (float): Focal alpha. Defaults to 0.25.
        gamma (float): Focal gamma. Defaults to 2.0.
        eps (float): Added inside the logarithms. Defaults to 1e-12.

    Returns:
        Tensor: Cost of shape (N, G).
    """
    prob = cls_logits.sigmoid()
    neg = -(1 - prob + eps).log() * (1 - alpha) * prob.pow(gamma)
    pos = -(prob + eps).log() * alpha * (1 - prob).pow(gamma)
    return pos[:, gt_labels] - neg[:, gt_labels]


def valid_frame_mean(cost: Tensor, gt_valid: Tensor) -> Tensor:
    """Average a per-frame cost over each track's valid frames.

    Args:
        cost (Tensor): Per-frame cost of shape (N, G, T).
        gt_valid (Tensor): Bool of shape (G, T), True where the track is present.

    Returns:
        Tensor: Cost of shape (N, G); 0 for a track with no valid frame.
    """
    weight = gt_valid.to(cost.dtype)
    return (cost * weight[None]).sum(-1) / weight.sum(-1).clamp(min=1)[None]


def box_l1_cost(pred_boxes: Tensor, gt_boxes: Tensor, gt_valid: Tensor) -> Tensor:
    """L1 distance between boxes, averaged over valid frames.

    Args:
        pred_boxes (Tensor): (N, T, 4) normalised cxcywh.
        gt_boxes (Tensor): (G, T, 4) normalised cxcywh.
        gt_valid (Tensor): (G, T) bool.

    Returns:
        Tensor: Cost of shape (N, G).
    """
    per_frame = (pred_boxes[:, None] - gt_boxes[None]).abs().sum(-1)  # (N, G, T)
    return valid_frame_mean(per_frame, gt_valid)


def box_giou_cost(pred_boxes: Tensor, gt_boxes: Tensor, gt_valid: Tensor) -> Tensor:
    """Negative generalised IoU, averaged over valid frames.

    Args:
        pred_boxes (Tensor): (N, T, 4) normalised cxcywh.
        gt_boxes (Tensor): (G, T, 4) normalised cxcywh.
        gt_valid (Tensor): (G, T) bool.

    Returns:
        Tensor: Cost of shape (N, G).
    """
    pred = bbox_cxcywh_to_xyxy(pred_boxes).transpose(0, 1)  # (T, N, 4)
    gt = bbox_cxcywh_to_xyxy(gt_boxes).transpose(0, 1)  # (T, G, 4)
    giou = bbox_overlaps(pred, gt, mode='giou')  # (T, N, G)
    return valid_frame_mean(-giou.permute(1, 2, 0), gt_valid)


def tube_dice_cost(mask_logits: Tensor, gt_masks: Tensor, eps: float = 1.0) -> Tensor:
    """Dice cost between predicted and GT mask tubes (all frames together).

    Args:
        mask_logits (Tensor): (N, T, P) mask logits.
        gt_masks (Tensor): (G, T, P) binary or soft targets.
        eps (float): Smoothing term. Defaults to 1.0.

    Returns:
        Tensor: Cost of shape (N, G).
    """
    pred = mask_logits.sigmoid().flatten(1)
    gt = gt_masks.to(pred.dtype).flatten(1)
    inter = pred @ gt.t()
    total = pred.sum(-1)[:, None] + gt.sum(-1)[None]
    return 1 - (2 * inter + eps) / (total + eps)


@TASK_UTILS.register_module()
class VideoHungarianAssigner:
    """One-to-one matching of video-level instance queries to GT tracks.

    The cost of query ``n`` against track ``g`` is
    ``cls_weight * focal(n, g) + l1_weight * mean_t L1 + giou_weight * mean_t (-GIoU)
    [+ mask_weight * tube dice]``, the box means over the frames where ``g`` is present.
    The assignment minimising the total cost is found with scipy's
    ``linear_sum_assignment``.

    Args:
        cls_weight (float): Weight of the focal class cost. Defaults to 2.0.
        l1_weight (float): Weight of the per-frame L1 box cost. Defaults to 5.0.
        giou_weight (float): Weight of the per-frame GIoU box cost. Defaults to 2.0.
        mask_weight (float): Weight of the tube dice mask cost; 0 disables it (and the mask
            predictions are then not needed). Defaults to 0.0.
        alpha (float): Focal alpha of the class cost. Defaults to 0.25.
        gamma (float): Focal gamma of the class cost. Defaults to 2.0.
    """

    def __init__(self, *, cls_weight: float = 2.0, l1_weight: float = 5.0,
                 giou_weight: float = 2.0, mask_weight: float = 0.0, alpha: float = 0.25,
                 gamma: float = 2.0) -> None:
        self.cls_weight = cls_weight
        self.l1_weight = l1_weight
        self.giou_weight = giou_weight
        self.mask_weight = mask_weight
        self.alpha = alpha
        self.gamma = gamma

    @property
    def with_mask_cost(self) -> bool:
        """bool: Whether :meth:`assign` needs mask predictions."""
        return self.mask_weight > 0

    @torch.no_grad()
    def cost_matrix(self, cls_logits: Tensor, pred_boxes: Tensor, gt_labels: Tensor,
                    gt_boxes: Tensor, gt_valid: Tensor, mask_logits: Optional[Tensor] = None,
                    gt_masks: Optional[Tensor] = None) -> Tensor:
        """Total matching cost.

        Args:
            cls_logits (Tensor): (N, K) class logits of the queries.
            pred_boxes (Tensor): (N, T, 4) per-frame boxes, normalised cxcywh.
            gt_labels (Tensor): (G,) labels in [0, K).
            gt_boxes (Tensor): (G, T, 4) per-frame GT boxes, normalised cxcywh (any value
                on frames where the track is absent).
            gt_valid (Tensor): (G, T) bool, True where the track is present.
            mask_logits (Tensor, optional): (N, T, h, w) mask logits; needed when
                ``mask_weight > 0``.
            gt_masks (Tensor, optional): (G, T, h, w) GT masks at the same size.

        Returns:
            Tensor: (N, G) cost.
        """
        cost = self.cls_weight * focal_class_cost(cls_logits, gt_labels, self.alpha,
                                                  self.gamma)
        cost = cost + self.l1_weight * box_l1_cost(pred_boxes, gt_boxes, gt_valid)
        cost = cost + self.giou_weight * box_giou_cost(pred_boxes, gt_boxes, gt_valid)
        if self.with_mask_cost:
            if mask_logits is None or gt_masks is None:
                raise ValueError('VideoHungarianAssigner (task_modules/'
                                 'video_hungarian_assigner.py): mask_weight > 0 needs '
                                 'mask_logits and gt_masks.')
            cost = cost + self.mask_weight * tube_dice_cost(mask_logits.flatten(2),
                                                            gt_masks.flatten(2))
        return cost

    def assign(self, cls_logits: Tensor, pred_boxes: Tensor, gt_labels: Tensor,
               gt_boxes: Tensor, gt_valid: Tensor, mask_logits: Optional[Tensor] = None,
               gt_masks: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Match queries to GT tracks of one video.

        Args: as :meth:`cost_matrix`.

        Returns:
            tuple[Tensor, Tensor]: ``(query_inds, gt_inds)``, long tensors of length
            min(N, G) on the predictions' device; query ``query_inds[i]`` is matched to
            track ``gt_inds[i]``, sorted by query index.
        """
        device = cls_logits.device
        if gt_labels.numel() == 0:
            empty = torch.zeros(0, dtype=torch.long, device=device)
            return empty, empty.clone()
        cost = self.cost_matrix(cls_logits, pred_boxes, gt_labels, gt_boxes, gt_valid,
                                mask_logits, gt_masks)
        cost = torch.nan_to_num(cost, nan=1e8, posinf=1e8, neginf=-1e8)
        rows, cols = linear_sum_assignment(cost.detach().cpu().numpy())
        return (torch.as_tensor(rows, dtype=torch.long, device=device),
                torch.as_tensor(cols, dtype=torch.long, device=device))
