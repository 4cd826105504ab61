"""SeqFormer's decoder: video-level instance queries beside per-frame box queries.

Shape shorthand (used throughout this module)::

    V  videos      T  frames per video      B = V * T frames (video-major: frame t of
    video v at index v * T + t)             N  queries      C  embedding dims
    L  flattened memory tokens of one frame

Each layer carries two streams (Wu et al., SeqFormer, ECCV 2022):

* the box stream (B, N, C), one box query per frame: self-attention among the N queries of
  that frame, multi-scale deformable attention into that frame's memory around the frame's
  own reference box, residual + FFN; it predicts the per-frame boxes;
* the instance stream (V, N, C), one query per video: its own self-attention; the deformable
  attention's per-frame samples (taken at the box queries' locations) are projected by the
  instance stream's own output projection and merged over the T frames with temporal weights
  (a softmax over T of a linear score of each frame's box query), then residual + FFN; it
  predicts the class and the dynamic mask parameters.

The instance stream holds the names of mmdet's ``DeformableDetrTransformerDecoderLayer``
(``self_attn``, ``cross_attn``, ``ffn``, ``norms``), so an mmdet Deformable DETR checkpoint
initialises it through ``load_from``; the box stream's modules are prefixed ``box_``.
"""
from typing import List, Optional, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmcv.ops import MultiScaleDeformableAttention
from mmcv.ops.multi_scale_deform_attn import (MultiScaleDeformableAttnFunction,
                                              multi_scale_deformable_attn_pytorch)
from mmdet.models.layers.transformer import inverse_sigmoid
from mmdet.models.layers.transformer.deformable_detr_layers import \
    DeformableDetrTransformerDecoderLayer
from mmdet.utils import ConfigType, OptConfigType
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn


class SeqFormerCrossAttention(MultiScaleDeformableAttention):
    """mmcv's multi-scale deformable attention with a second output projection.

    Sampling offsets and attention weights come from the box queries; the sampled values go
    through ``output_proj`` for the instance stream and ``box_output_proj`` for the box
    stream. Arguments as ``MultiScaleDeformableAttention`` (``batch_first=True``).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)  # mmcv initialises its layers here
        self.box_output_proj = nn.Linear(self.embed_dims, self.embed_dims)
        self._init_box_output_proj()

    def _init_box_output_proj(self) -> None:
        nn.init.xavier_uniform_(self.box_output_proj.weight)
        nn.init.constant_(self.box_output_proj.bias, 0.0)

    def init_weights(self) -> None:
        """mmcv's initialisation, and xavier for the box projection (as ``output_proj``)."""
        super().init_weights()
        if 'box_output_proj' in self._modules:  # mmcv's __init__ calls this before it exists
            self._init_box_output_proj()

    def sample(self, query: Tensor, value: Tensor, key_padding_mask: Optional[Tensor],
               reference_points: Tensor, spatial_shapes: Tensor,
               level_start_index: Tensor) -> Tensor:
        """Deformable sampling without the output projection.

        Args:
            query (Tensor): (B, N, C) box queries with their positional embedding added.
            value (Tensor): (B, L, C) memory.
            key_padding_mask (Tensor, optional): (B, L) bool, True at padding.
            reference_points (Tensor): (B, N, num_levels, 2 or 4) normalised references.
            spatial_shapes (Tensor): (num_levels, 2) (h, w) of each level.
            level_start_index (Tensor): (num_levels,) start of each level in L.

        Returns:
            Tensor: (B, N, C) attention-weighted samples.
        """
        bs, num_query, _ = query.shape
        num_value = value.shape[1]
        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        value = value.view(bs, num_value, self.num_heads, -1)
        offsets = self.sampling_offsets(query).view(bs, num_query, self.num_heads,
                                                    self.num_levels, self.num_points, 2)
        weights = self.attention_weights(query).view(
            bs, num_query, self.num_heads, self.num_levels * self.num_points).softmax(-1)
        weights = weights.view(bs, num_query, self.num_heads, self.num_levels,
                               self.num_points)
        if reference_points.shape[-1] == 2:
            normalizer = torch.stack([spatial_shapes[..., 1], spatial_shapes[..., 0]], -1)
            locations = reference_points[:, :, None, :, None, :] + \
                offsets / normalizer[None, None, None, :, None, :]
        elif reference_points.shape[-1] == 4:
            locations = reference_points[:, :, None, :, None, :2] + offsets / \
                self.num_points * reference_points[:, :, None, :, None, 2:] * 0.5
        else:
            raise ValueError('SeqFormerCrossAttention: '
                             'reference_points must end in 2 or 4, got '
                             f'{reference_points.shape[-1]}.')
        if value.is_cuda:
            return MultiScaleDeformableAttnFunction.apply(value, spatial_shapes,
                                                          level_start_index, locations,
                                                          weights, self.im2col_step)
        return multi_scale_deformable_attn_pytorch(value, spatial_shapes, locations, weights)


class SeqFormerDecoderLayer(DeformableDetrTransformerDecoderLayer):
    """One SeqFormer decoder layer (instance stream + box stream).

    Args: as mmdet's ``DeformableDetrTransformerDecoderLayer`` (``self_attn_cfg``,
    ``cross_attn_cfg``, ``ffn_cfg``, ``norm_cfg``); the box stream is built from the same
    configs.
    """

    def _init_layers(self) -> None:
        """mmdet's instance-stream modules, SeqFormer's cross-attention and the box stream."""
        super()._init_layers()
        self.cross_attn = SeqFormerCrossAttention(**self.cross_attn_cfg)
        self.box_self_attn = MultiheadAttention(**self.self_attn_cfg)
        self.box_ffn = FFN(**self.ffn_cfg)
        self.box_norms = ModuleList(
            [build_norm_layer(self.norm_cfg, self.embed_dims)[1] for _ in range(3)])
        self.temporal_weight = nn.Linear(self.embed_dims, 1)
        # Dropout on the cross-attention outputs of both streams (SeqFormer's dropout1 /
        # dropout1_box); inside the attention module it would act before the projections.
        self.cross_drop = nn.Dropout(self.cross_attn.dropout.p)

    def forward(self, query: Tensor, box_query: Tensor, query_pos: Tensor, value: Tensor,
                key_padding_mask: Optional[Tensor], reference_points: Tensor,
                spatial_shapes: Tensor, level_start_index: Tensor,
                num_frames: int) -> Tuple[Tensor, Tensor]:
        """Update both streams.

        Args:
            query (Tensor): (V, N, C) instance queries.
            box_query (Tensor): (B, N, C) box queries.
            query_pos (Tensor): (V, N, C) positional query, shared by the frames.
            value (Tensor): (B, L, C) encoder memory.
            key_padding_mask (Tensor, optional): (B, L) bool, True at padding.
            reference_points (Tensor): (B, N, num_levels, 2 or 4) references of each frame.
            spatial_shapes (Tensor): (num_levels, 2).
            level_start_index (Tensor): (num_levels,).
            num_frames (int): T.

        Returns:
            tuple[Tensor, Tensor]: the new instance queries (V, N, C) and box queries
            (B, N, C).
        """
        frame_pos = query_pos.repeat_interleave(num_frames, dim=0)
        query = self.norms[0](self.self_attn(query=query, key=query, value=query,
                                             query_pos=query_pos, key_pos=query_pos))
        box_query = self.box_norms[0](self.box_self_attn(
            query=box_query, key=box_query, value=box_query, query_pos=frame_pos,
            key_pos=frame_pos))
        sampled = self.cross_attn.sample(box_query + frame_pos, value, key_padding_mask,
                                         reference_points, spatial_shapes, level_start_index)
        box_query = self.box_norms[1](
            box_query + self.cross_drop(self.cross_attn.box_output_proj(sampled)))
        box_query = self.box_norms[2](self.box_ffn(box_query))

        per_frame = self.cross_attn.output_proj(sampled).unflatten(0, (-1, num_frames))
        weights = self.temporal_weight(box_query).unflatten(0, (-1, num_frames)).softmax(1)
        merged = (per_frame * weights).sum(1)  # (V, N, C)
        query = self.norms[1](query + self.cross_drop(merged))
        query = self.norms[2](self.ffn(query))
        return query, box_query


class SeqFormerTransformerDecoder(BaseModule):
    """A stack of :class:`SeqFormerDecoderLayer` with iterative box refinement.

    Args:
        num_layers (int): Number of layers.
        layer_cfg (dict): Config of :class:`SeqFormerDecoderLayer`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, num_layers: int, layer_cfg: ConfigType,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_layers = num_layers
        self.layers = ModuleList([SeqFormerDecoderLayer(**layer_cfg) for _ in range(num_layers)])
        self.embed_dims = self.layers[0].embed_dims

    def forward(self, query: Tensor, query_pos: Tensor, value: Tensor,
                key_padding_mask: Optional[Tensor], reference_points: Tensor,
                spatial_shapes: Tensor, level_start_index: Tensor, valid_ratios: Tensor,
                reg_branches: nn.ModuleList,
                num_frames: int) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        """Decode.

        Args:
            query (Tensor): (V, N, C) initial queries of both streams.
            query_pos (Tensor): (V, N, C) positional queries.
            value (Tensor): (B, L, C) encoder memory.
            key_padding_mask (Tensor, optional): (B, L) bool, True at padding.
            reference_points (Tensor): (V, N, 2) initial reference points.
            spatial_shapes (Tensor): (num_levels, 2).
            level_start_index (Tensor): (num_levels,).
            valid_ratios (Tensor): (B, num_levels, 2).
            reg_branches (ModuleList): per-layer box regressors of the head (box refinement).
            num_frames (int): T.

        Returns:
            tuple[list, list, list]: per layer, the instance queries (V, N, C) and the box
            queries (B, N, C); and the references, (B, N, 2) before the first layer then
            (B, N, 4) after each layer (detached).
        """
        box_query = query.repeat_interleave(num_frames, dim=0)
        reference_points = reference_points.repeat_interleave(num_frames, dim=0)
        references = [reference_points]
        inst_states, box_states = [], []
        for layer_id, layer in enumerate(self.layers):
            if reference_points.shape[-1] == 4:
                ref_input = reference_points[:, :, None] * torch.cat(
                    [valid_ratios, valid_ratios], -1)[:, None]
            else:
                ref_input = reference_points[:, :, None] * valid_ratios[:, None]
            query, box_query = layer(query, box_query, query_pos, value, key_padding_mask,
                                     ref_input, spatial_shapes, level_start_index, num_frames)
            delta = reg_branches[layer_id](box_query)
            if reference_points.shape[-1] == 4:
                new_reference = delta + inverse_sigmoid(reference_points)
            else:
                new_reference = torch.cat(
                    [delta[..., :2] + inverse_sigmoid(reference_points), delta[..., 2:]], -1)
            reference_points = new_reference.sigmoid().detach()
            inst_states.append(query)
            box_states.append(box_query)
            references.append(reference_points)
        return inst_states, box_states, references
