"""Typed data that crosses the boundaries between the detectors and their parts.

Shape shorthand (as in :mod:`~mmvmt.models.heads.video_query_head`)::

    V  videos        T  frames per video       B = V * T frames      L  encoder tokens
    N  queries       C  embedding dims         K  classes            P  dynamic-conv params
    D  mask-feature channels   h, w  the stride-8 grid   H, W  the padded input size

Where mmdet has a structure it is used: per-instance data of one model step are
``InstanceData`` (the base head's predictions and its matched queries, fields listed in
:meth:`~mmvmt.models.heads.VideoQueryHead.predict` and ``loss_and_match``), videos are
``TrackDataSample``. The dataclasses here hold what mmdet has no structure for: the
encoder's output, one decoder layer's query predictions, the mask branch's maps and a
refiner's answer on given masks. ``docs/design/data_flow.md`` shows where each goes.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass
class EncodedFrames:
    """mmdet's Deformable DETR encoder over B frames, and the refiner's stride-4 map.

    Attributes:
        memory (Tensor): (B, L, C) encoder output, levels concatenated (level 0: stride 8).
        memory_mask (Tensor, optional): (B, L) bool, True at padding; None when no frame
            is padded.
        spatial_shapes (Tensor): (num_levels, 2) long, (h_l, w_l) of each level.
        level_start_index (Tensor): (num_levels,) long, where each level starts in L.
        valid_ratios (Tensor): (B, num_levels, 2) the unpadded fraction of each level.
        f4 (Tensor, optional): (B, C4, H/4, W/4) stride-4 features for a refiner (the
            ``refine_neck``'s output, or the backbone's raw first output for the released
            refiner); None for a model without one.
    """
    memory: Tensor
    memory_mask: Optional[Tensor]
    spatial_shapes: Tensor
    level_start_index: Tensor
    valid_ratios: Tensor
    f4: Optional[Tensor] = None

    @classmethod
    def cat(cls, parts: Sequence['EncodedFrames']) -> 'EncodedFrames':
        """The frames of ``parts`` (chunks of one video, same input size) as one batch."""
        first = parts[0]
        memory_mask = None
        if any(p.memory_mask is not None for p in parts):
            # a chunk without padding has no mask: all its tokens are valid
            memory_mask = torch.cat([
                p.memory_mask if p.memory_mask is not None else
                p.memory.new_zeros(p.memory.shape[:2], dtype=torch.bool) for p in parts])
        return cls(memory=torch.cat([p.memory for p in parts]), memory_mask=memory_mask,
                   spatial_shapes=first.spatial_shapes,
                   level_start_index=first.level_start_index,
                   valid_ratios=torch.cat([p.valid_ratios for p in parts]),
                   f4=None if first.f4 is None else torch.cat([p.f4 for p in parts]))


@dataclass
class MaskFeatures:
    """SeqFormer's mask branch over the encoder memory of B frames.

    Attributes:
        f8 (Tensor): (B, C, h, w) the fused stride-8 features (the paper refiner's H/8
            features).
        mask_feats (Tensor): (B, D, h, w) what the dynamic mask convs run over.
        f8_sum (Tensor): (B, C, h, w) the top-down sum before the last fuse conv (what the
            VMT release's refiner reads, SeqFormer's ``fused_x_c``).
    """
    f8: Tensor
    mask_feats: Tensor
    f8_sum: Tensor


@dataclass
class QueryPredictions:
    """One decoder layer's predictions for the N queries of V videos.

    Attributes:
        cls_scores (Tensor): (V, N, K) class logits.
        bbox_preds (Tensor): (V, N, T, 4) boxes (cx, cy, w, h) in [0, 1] of each frame's
            unpadded image.
        mask_params (Tensor): (V, N, P) parameters of the dynamic mask convs.
        inst_embeds (Tensor): (V, N, C) video-level instance embeddings.
        mask_centers (Tensor): (V, N, T, 2) normalised (x, y) the layer's dynamic masks are
            centred on (the layer's input reference).
    """
    cls_scores: Tensor
    bbox_preds: Tensor
    mask_params: Tensor
    inst_embeds: Tensor
    mask_centers: Tensor


@dataclass
class RefinedMasks:
    """A refiner's answer for given masks of K tracks of one video (self-correction).

    Attributes:
        probs (Tensor): (K, T, H, W) refined foreground probabilities.
        region (Tensor): (K, T, H, W) bool, the pixels the refiner labelled at full
            resolution (:func:`~mmvmt.models.heads.refined_region`); elsewhere ``probs``
            is the given mask seen at H/8 (or one value per 8 x 8 / 4 x 4 cell) and must
            not replace it.
    """
    probs: Tensor
    region: Tensor

    @classmethod
    def from_labels(cls, masks: Tensor, confidence: Tensor, region: Tensor) -> 'RefinedMasks':
        """The answer of a refiner that states labels (K, T, H, W) bool and their
        confidence (K, T, H, W) in [0.5, 1] (e.g. a stand-in in a test)."""
        return cls(probs=torch.where(masks, confidence, 1 - confidence), region=region)

    @property
    def masks(self) -> Tensor:
        """Tensor: (K, T, H, W) bool, the refined masks (probability > 0.5)."""
        return self.probs > 0.5

    @property
    def confidence(self) -> Tensor:
        """Tensor: (K, T, H, W) in [0.5, 1], the probability of the refined label,
        ``max(p, 1 - p)``."""
        return torch.maximum(self.probs, 1 - self.probs)

    def cpu(self) -> 'RefinedMasks':
        """The same on the CPU."""
        return RefinedMasks(probs=self.probs.cpu(), region=self.region.cpu())

    def resized(self, size: Tuple[int, int]) -> 'RefinedMasks':
        """The answer at another frame size: probabilities bilinearly, the region by
        nearest neighbour."""
        probs = F.interpolate(self.probs.float(), size=size, mode='bilinear',
                              align_corners=False)
        region = F.interpolate(self.region.float(), size=size, mode='nearest').bool()
        return RefinedMasks(probs=probs, region=region)
