"""Video-level Hungarian matching between instance queries and GT tracks.

Shape shorthand: N queries, G ground-truth tracks, T frames, K classes, h x w mask pixels.
Boxes are (cx, cy, w, h) normalised to [0, 1] by the frame's image size.

A query predicts one class for the whole video and one box (and mask) per frame. mmdet's
``HungarianAssigner`` sums the match costs and solves the assignment; the class cost is
mmdet's ``FocalLossCost``, the optional mask cost mmdet's ``DiceCost`` over the whole tube
(its ``flatten(1)`` joins the frames). Only the box costs are video-specific: a query's box
cost against a track averages the per-frame costs over the frames where the track is present
(its ``valid`` frames); frames where the track is absent do not count.
"""
from typing import List, Optional, Tuple

import torch
from mmdet.models.task_modules.assigners import HungarianAssigner
from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor

from mmvmt.registry import TASK_UTILS


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


@TASK_UTILS.register_module()
class VideoBBoxL1Cost(BaseMatchCost):
    """Per-frame L1 box cost averaged over the track's valid frames.

    Reads ``pred_instances.bboxes`` (N, T, 4), ``gt_instances.bboxes`` (G, T, 4) and
    ``gt_instances.valid`` (G, T); returns (N, G) times ``weight``.
    """

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData,
                 img_meta: Optional[dict] = None, **kwargs) -> Tensor:
        return self.weight * box_l1_cost(pred_instances.bboxes, gt_instances.bboxes,
                                         gt_instances.valid)


@TASK_UTILS.register_module()
class VideoGIoUCost(BaseMatchCost):
    """Per-frame negative GIoU averaged over the track's valid frames (see
    :class:`VideoBBoxL1Cost` for the fields read)."""

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData,
                 img_meta: Optional[dict] = None, **kwargs) -> Tensor:
        return self.weight * box_giou_cost(pred_instances.bboxes, gt_instances.bboxes,
                                           gt_instances.valid)


@TASK_UTILS.register_module()
class VideoHungarianAssigner(HungarianAssigner):
    """One-to-one matching of video-level instance queries to GT tracks.

    The cost of query ``n`` against track ``g`` is
    ``cls_weight * focal(n, g) + l1_weight * mean_t L1 + giou_weight * mean_t (-GIoU)
    [+ mask_weight * tube dice]``, the box means over the frames where ``g`` is present.

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
        costs: List[dict] = [
            dict(type='FocalLossCost', weight=cls_weight, alpha=alpha, gamma=gamma),
            dict(type='VideoBBoxL1Cost', weight=l1_weight),
            dict(type='VideoGIoUCost', weight=giou_weight)
        ]
        if mask_weight > 0:
            costs.append(dict(type='DiceCost', weight=mask_weight, pred_act=True, eps=1.0))
        super().__init__(match_costs=costs)
        self.mask_weight = mask_weight

    @property
    def with_mask_cost(self) -> bool:
        """bool: Whether :meth:`match` needs mask predictions."""
        return self.mask_weight > 0

    def _instances(self, cls_logits: Tensor, pred_boxes: Tensor, gt_labels: Tensor,
                   gt_boxes: Tensor, gt_valid: Tensor, mask_logits: Optional[Tensor],
                   gt_masks: Optional[Tensor]) -> Tuple[InstanceData, InstanceData]:
        pred = InstanceData(scores=cls_logits, bboxes=pred_boxes)
        gt = InstanceData(labels=gt_labels, bboxes=gt_boxes, valid=gt_valid)
        if self.with_mask_cost:
            if mask_logits is None or gt_masks is None:
                raise ValueError('VideoHungarianAssigner (task_modules/'
                                 'video_hungarian_assigner.py): mask_weight > 0 needs '
                                 'mask_logits and gt_masks.')
            pred.masks, gt.masks = mask_logits, gt_masks
        return pred, gt

    @torch.no_grad()
    def cost_matrix(self, cls_logits: Tensor, pred_boxes: Tensor, gt_labels: Tensor,
                    gt_boxes: Tensor, gt_valid: Tensor, mask_logits: Optional[Tensor] = None,
                    gt_masks: Optional[Tensor] = None) -> Tensor:
        """Total matching cost (N, G); arguments as :meth:`match`."""
        pred, gt = self._instances(cls_logits, pred_boxes, gt_labels, gt_boxes, gt_valid,
                                   mask_logits, gt_masks)
        return torch.stack([cost(pred_instances=pred, gt_instances=gt)
                            for cost in self.match_costs]).sum(0)

    @torch.no_grad()
    def match(self, cls_logits: Tensor, pred_boxes: Tensor, gt_labels: Tensor,
              gt_boxes: Tensor, gt_valid: Tensor, mask_logits: Optional[Tensor] = None,
              gt_masks: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Match queries to GT tracks of one video (mmdet's :meth:`assign` underneath).

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
            tuple[Tensor, Tensor]: ``(query_inds, gt_inds)``, long tensors of length
            min(N, G); query ``query_inds[i]`` is matched to track ``gt_inds[i]``, sorted by
            query index.
        """
        pred, gt = self._instances(cls_logits, pred_boxes, gt_labels, gt_boxes, gt_valid,
                                   mask_logits, gt_masks)
        gt_inds = self.assign(pred, gt).gt_inds
        query_inds = torch.nonzero(gt_inds > 0, as_tuple=True)[0]
        return query_inds, gt_inds[query_inds] - 1
