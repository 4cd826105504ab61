"""VMT's refinement head: incoherent quadtrees refined by the temporal refinement transformer.

Shape shorthand:
    V: videos, T: frames per video, M: instances (of any video), C: backbone channels,
    C_q: instance embedding channels, h8 x w8: the coarse mask grid (H/8), H x W: the images,
    P_l: quadtree nodes at level l (0: H/8, 1: H/4, 2: H/2; see layers/quadtree.py).

Flow (ARCHITECTURE.md, steps 3-8): the instance-conditioned incoherent detector scores the
whole T x H/8 x W/8 volume and selects roots; each level's children are scored with the same
instance weights and kept where incoherent (at most ``node_caps(T)[l]`` per instance
and level); the nodes of one instance, all frames and levels, form one token sequence that the
refinement transformer refines; the dynamic pixel decoder writes the node labels into the coarse
mask upsampled level by level up to 8 h8 x 8 w8, cropped to H x W.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ..layers.dynamic_pixel_decoder import DynamicPixelDecoder, paste_node_logits, upsample_chain
from ..layers.incoherent_detector import IncoherentDetector, gather_patches
from ..layers.node_encoder import NodeEncoder, sample_points
from ..layers.quadtree import (dense_to_nodes, expand_children, fg_fraction, flat_index,
                               incoherent_cells, pack_by_group, topk_per_group)
from ..layers.refinement_transformer import RefinementTransformer
from ..layers.rgb_embedding import RGBEmbedding

NUM_LEVELS = 3


@MODELS.register_module()
class VMTRefineHead(BaseModule):
    """Video Mask Transfiner's refinement head (class-agnostic).

    Final signatures (M instances of V videos, T frames each):

    * ``forward(inst_embeds, coarse_logits, video_idx, feats, images) -> dict`` with
      ``incoherent_logits`` [(M, T, h8, w8), (C_1,), (C_2,)], ``candidates`` [(C_1, 4), (C_2, 4)]
      (the children scored at levels 1, 2), ``nodes`` [(P_l, 4)], ``parents`` [(P_1,), (P_2,)]
      (index of each node's parent in the level above), ``node_logits`` [(P_0,), (P_1,),
      (P_2, 4)], ``refined_logits`` (M, T, H, W) and ``region`` (M, T, H, W) bool.
    * ``loss(..., gt_masks (M, T, H, W) bool, valid (M, T) bool) -> dict[str, Tensor]``.
    * ``predict(...) -> (M, T, H, W)`` refined foreground probabilities;
      :meth:`confidence` gives ``max(p, 1 - p)``.

    ``inst_embeds`` may be None everywhere: embeddings are then pooled from the H/8 features
    under the coarse masks (:meth:`pool_inst_embeds`), for refining given masks of known tracks.

    Args:
        in_channels (int): C of ``feats``.
        inst_channels (int): C_q.
        hidden_dim (int): width of node tokens.
        num_heads (int): attention heads.
        num_layers (int): refinement transformer layers.
        ffn_channels (int): FFN width in the transformer.
        rgb_channels (int): channels of the RGB embedding.
        detector_channels (int): channels of the dynamic incoherent detector.
        max_nodes_per_instance (Sequence[int]): cap of nodes per instance at levels H/8, H/4,
            H/2, for one clip of T frames (whatever T is).
        max_nodes_per_frame (Sequence[int], optional): caps per instance and level *per
            frame*: a clip or test chunk of T frames gets ``T * max_nodes_per_frame[l]``.
            Overrides ``max_nodes_per_instance``. Use it when training clips and test chunks
            differ in length: with fixed per-clip caps, a test chunk of 8 frames gets a
            third of the per-frame budget of a 3-frame training clip and leaves most of the
            incoherent cells unrefined.
        incoherent_thr (float): a cell is incoherent when its probability exceeds it.
        force_gt_incoherence (bool): in training, always pick GT-incoherent cells as nodes
            (within the caps) besides the predicted ones.
        mark_coarse_errors (bool): in training, cells where the coarse mask disagrees with the
            GT majority also count as incoherent.
        loss_incoherent (dict): config of the incoherence-map loss, applied per level.
        loss_node (dict): config of the node-label loss, applied per level.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self, *, in_channels: int = 256, inst_channels: int = 256, hidden_dim: int = 64,
                 num_heads: int = 4, num_layers: int = 3, ffn_channels: int = 256,
                 rgb_channels: int = 16, detector_channels: int = 8,
                 max_nodes_per_instance: Sequence[int] = (256, 512, 1024),
                 max_nodes_per_frame: Optional[Sequence[int]] = None,
                 incoherent_thr: float = 0.5, force_gt_incoherence: bool = True,
                 mark_coarse_errors: bool = True,
                 loss_incoherent: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                                    loss_weight=1.0),
                 loss_node: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                              loss_weight=1.0),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(max_nodes_per_instance) != NUM_LEVELS:
            raise ValueError(f'VMTRefineHead: max_nodes_per_instance needs {NUM_LEVELS} caps '
                             f'(H/8, H/4, H/2), got {max_nodes_per_instance}')
        self.max_nodes_per_instance = tuple(max_nodes_per_instance)
        if max_nodes_per_frame is not None and len(max_nodes_per_frame) != NUM_LEVELS:
            raise ValueError(f'VMTRefineHead: max_nodes_per_frame needs {NUM_LEVELS} caps '
                             f'(H/8, H/4, H/2), got {max_nodes_per_frame}')
        self.max_nodes_per_frame = None if max_nodes_per_frame is None else \
            tuple(max_nodes_per_frame)
        self.incoherent_thr = incoherent_thr
        self.force_gt_incoherence = force_gt_incoherence
        self.mark_coarse_errors = mark_coarse_errors
        self.rgb_embed = RGBEmbedding(embed_channels=rgb_channels)
        self.detector = IncoherentDetector(inst_channels=inst_channels, in_channels=in_channels,
                                           rgb_channels=rgb_channels,
                                           embed_channels=detector_channels,
                                           feat_channels=detector_channels)
        self.node_encoder = NodeEncoder(
            level_channels=(in_channels, in_channels, in_channels + rgb_channels),
            hidden_dim=hidden_dim)
        self.transformer = RefinementTransformer(num_layers=num_layers, embed_dims=hidden_dim,
                                                 inst_channels=inst_channels,
                                                 num_heads=num_heads, ffn_channels=ffn_channels)
        self.pixel_decoder = DynamicPixelDecoder(inst_channels=inst_channels,
                                                 hidden_dim=hidden_dim, num_levels=NUM_LEVELS)
        self.mask_pool_proj = nn.Linear(in_channels, inst_channels)
        self.loss_incoherent = MODELS.build(loss_incoherent)
        self.loss_node = MODELS.build(loss_node)

    # ------------------------------------------------------------------ entry points
    def forward(self, inst_embeds: Optional[Tensor], coarse_logits: Tensor, video_idx: Tensor,
                feats: Sequence[Tensor], images: Tensor) -> Dict[str, object]:
        """Refine coarse masks (inference node selection). See the class docstring.

        Args:
            inst_embeds (Tensor, optional): (M, C_q) video-level instance embeddings.
            coarse_logits (Tensor): (M, T, h8, w8) coarse mask logits.
            video_idx (Tensor): (M,) long, the video of each instance.
            feats (list[Tensor]): [f8 (V*T, C, h8, w8), f4 (V*T, C, h4, w4)].
            images (Tensor): (V*T, 3, H, W) normalised (padded) frames.

        Returns:
            dict: see the class docstring.
        """
        return self._refine(inst_embeds, coarse_logits, video_idx, feats, images)

    def loss(self, inst_embeds: Optional[Tensor], coarse_logits: Tensor, video_idx: Tensor,
             feats: Sequence[Tensor], images: Tensor, gt_masks: Tensor,
             valid: Tensor, regions: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Incoherence-map losses and node-label losses, per level.

        Args:
            inst_embeds, coarse_logits, video_idx, feats, images: as in :meth:`forward`.
            gt_masks (Tensor): (M, T, H, W) bool, the GT mask of each instance's track.
            valid (Tensor): (M, T) bool, frames whose GT is annotated; others are ignored.
            regions (Tensor, optional): (M, T, H, W) bool, extra pixels to refine, e.g. the
                pipeline's ``refine_regions`` (coarse-vs-GT disagreement dilated by 3 px, the
                paper's self-correction training region). A cell touching one is a target.

        Returns:
            dict[str, Tensor]: ``loss_incoherent_l{0,1,2}`` and ``loss_node_l{0,1,2}``.
        """
        h8, w8 = coarse_logits.shape[-2:]
        gt = _fit(gt_masks, (8 * h8, 8 * w8))
        flat_gt = gt.flatten(0, 1)
        cells = [8 >> level for level in range(NUM_LEVELS)]  # pixels per cell side
        fractions = [fg_fraction(flat_gt, c).unflatten(0, gt.shape[:2]) for c in cells]
        targets = [incoherent_cells(flat_gt, c).unflatten(0, gt.shape[:2]) for c in cells]
        if self.mark_coarse_errors:
            coarse_up = upsample_chain(coarse_logits.detach(), NUM_LEVELS - 1)
            targets = [t | ((u > 0) != (f > 0.5)) for t, u, f in zip(targets, coarse_up, fractions)]
        if regions is not None:
            flat_regions = _fit(regions, gt.shape[-2:]).flatten(0, 1)[:, None].float()
            targets = [t | (F.max_pool2d(flat_regions, c)[:, 0] > 0).unflatten(0, gt.shape[:2])
                       for t, c in zip(targets, cells)]
        out = self._refine(inst_embeds, coarse_logits, video_idx, feats, images,
                           force=targets if self.force_gt_incoherence else None, valid=valid)

        losses = {}
        dense = out['incoherent_logits'][0]
        weight = valid[:, :, None, None].expand_as(dense).float()
        losses['loss_incoherent_l0'] = self.loss_incoherent(
            dense.flatten(), targets[0].flatten().float(), weight.flatten(),
            avg_factor=weight.sum().clamp(min=1))
        for level in range(1, NUM_LEVELS):
            cand, logits = out['candidates'][level - 1], out['incoherent_logits'][level]
            target = targets[level].flatten()[flat_index(cand, targets[level].shape[1:])]
            losses[f'loss_incoherent_l{level}'] = self.loss_incoherent(
                logits, target.float(), avg_factor=max(len(logits), 1))
        for level, (nodes, logits) in enumerate(zip(out['nodes'], out['node_logits'])):
            if level < NUM_LEVELS - 1:
                target = fractions[level].flatten()[flat_index(nodes, fractions[level].shape[1:])]
            else:  # the four full-resolution sub-labels of each finest node
                children = expand_children(nodes)[0]
                target = gt.flatten()[flat_index(children, gt.shape[1:])].view(-1, 4).float()
            losses[f'loss_node_l{level}'] = self.loss_node(
                logits.reshape(-1), target.reshape(-1), avg_factor=max(logits.numel(), 1))
        return losses

    def predict(self, inst_embeds: Optional[Tensor], coarse_logits: Tensor, video_idx: Tensor,
                feats: Sequence[Tensor], images: Tensor) -> Tensor:
        """Refined foreground probabilities.

        Args:
            inst_embeds, coarse_logits, video_idx, feats, images: as in :meth:`forward`.

        Returns:
            Tensor: (M, T, H, W) float in [0, 1].
        """
        return self._refine(inst_embeds, coarse_logits, video_idx, feats,
                            images)['refined_logits'].sigmoid()

    @staticmethod
    def confidence(probs: Tensor) -> Tensor:
        """Per-pixel confidence of a binary prediction, ``max(p, 1 - p)``.

        Args:
            probs (Tensor): (...) probabilities.

        Returns:
            Tensor: (...) in [0.5, 1].
        """
        return torch.maximum(probs, 1 - probs)

    def pool_inst_embeds(self, coarse_logits: Tensor, video_idx: Tensor, f8: Tensor) -> Tensor:
        """Instance embeddings for known tracks without queries: H/8 features averaged under
        each coarse mask over all frames, projected to C_q.

        Args:
            coarse_logits (Tensor): (M, T, h8, w8).
            video_idx (Tensor): (M,) long.
            f8 (Tensor): (V*T, C, h8, w8).

        Returns:
            Tensor: (M, C_q).
        """
        num_inst, num_frames = coarse_logits.shape[:2]
        weights = coarse_logits.sigmoid().reshape(num_inst, -1)  # (M, T*h8*w8)
        videos = f8.view(-1, num_frames, *f8.shape[1:]).transpose(1, 2).flatten(2)  # (V, C, N)
        pooled = torch.einsum('vcn,mn->vmc', videos, weights)
        pooled = pooled[video_idx, torch.arange(num_inst, device=f8.device)]
        return self.mask_pool_proj(pooled / weights.sum(1, keepdim=True).clamp(min=1e-6))

    def node_caps(self, num_frames: int) -> Tuple[int, int, int]:
        """Cap of nodes per instance at each level for a clip (or chunk) of T frames.

        Args:
            num_frames (int): T.

        Returns:
            tuple[int, int, int]: ``T * max_nodes_per_frame`` when that is set, else
            ``max_nodes_per_instance``.
        """
        if self.max_nodes_per_frame is None:
            return self.max_nodes_per_instance
        return tuple(num_frames * cap for cap in self.max_nodes_per_frame)

    # ------------------------------------------------------------------ the pipeline
    def _refine(self, inst_embeds: Optional[Tensor], coarse_logits: Tensor, video_idx: Tensor,
                feats: Sequence[Tensor], images: Tensor, force: Optional[List[Tensor]] = None,
                valid: Optional[Tensor] = None) -> Dict[str, object]:
        """Steps 3-8 of VMT. ``force`` (dense (M, T, h_l, w_l) bool per level) marks cells
        always taken as nodes; ``valid`` (M, T) bool keeps frames out of the quadtrees."""
        f8, f4 = feats[0], feats[1]
        num_inst, num_frames, h8, w8 = coarse_logits.shape
        if f8.shape[-2:] != (h8, w8) or f8.shape[0] != images.shape[0] or \
                f8.shape[0] % num_frames:
            raise ValueError(
                f'VMTRefineHead: feats[0] must be (V*T, C, h8, w8) = (V*{num_frames}, C, {h8}, '
                f'{w8}) like coarse_logits, and images (V*T, 3, H, W); got feats[0] '
                f'{tuple(f8.shape)}, images {tuple(images.shape)}')
        if inst_embeds is None:
            inst_embeds = self.pool_inst_embeds(coarse_logits, video_idx, f8)
        sizes = [(h8 << level, w8 << level) for level in range(NUM_LEVELS + 1)]
        frame_base = video_idx * num_frames  # index of (instance, t=0) in feats and images
        caps = self.node_caps(num_frames)
        coarse_up = upsample_chain(coarse_logits, NUM_LEVELS)
        rgb = self.rgb_embed(images)
        det_inputs = self.detector.level_inputs(f8, f4, rgb, sizes[:NUM_LEVELS])
        params = self.detector.generate_params(inst_embeds)

        def selection_scores(logits: Tensor, level: int, cells: Optional[Tensor]) -> Tensor:
            """Probabilities, 1 where forced, -1 on invalid frames; dense when cells is None."""
            scores = logits.detach().sigmoid()
            if force is not None:
                forced = force[level] if cells is None else \
                    force[level].flatten()[flat_index(cells, force[level].shape[1:])]
                scores = torch.where(forced, torch.ones_like(scores), scores)
            if valid is not None:
                ok = valid[:, :, None, None] if cells is None else valid[cells[:, 0], cells[:, 1]]
                scores = torch.where(ok, scores, -torch.ones_like(scores))
            return scores

        # level 0: the whole volume, one conv group per instance
        volume = det_inputs[0].unflatten(0, (-1, num_frames))[video_idx]  # (M, T, E, h8, w8)
        volume = torch.cat([volume, coarse_logits[:, :, None]], 2)
        incoherent_logits = [self.detector.forward_dense(params, volume)]
        nodes = [dense_to_nodes(selection_scores(incoherent_logits[0], 0, None),
                                self.incoherent_thr, caps[0])]
        candidates, parents = [], []
        # levels 1, 2: the same instance weights, only at the children of the nodes above
        for level in range(1, NUM_LEVELS):
            cand, parent = expand_children(nodes[-1])
            m, t, y, x = cand.unbind(1)
            patches, inside = gather_patches(det_inputs[level], frame_base[m] + t, y, x,
                                             self.detector.radius)
            coarse_patches, _ = gather_patches(coarse_up[level].flatten(0, 1)[:, None],
                                               m * num_frames + t, y, x, self.detector.radius)
            logits = self.detector.forward_sparse(
                params, torch.cat([patches, coarse_patches], 1), inside, m)
            keep = topk_per_group(selection_scores(logits, level, cand), m,
                                  caps[level], self.incoherent_thr)
            incoherent_logits.append(logits)
            candidates.append(cand)
            nodes.append(cand[keep])
            parents.append(parent[keep])

        tokens = self._encode_nodes(nodes, coarse_up, frame_base, [[f8], [f4], [f4, rgb]], sizes)
        node_feats = self._transform(tokens, nodes, inst_embeds, video_idx,
                                     f8.shape[0] // num_frames)
        node_logits = self.pixel_decoder(node_feats, [n[:, 0] for n in nodes], inst_embeds)
        refined, region = paste_node_logits(coarse_up, nodes, node_logits)
        size = tuple(images.shape[-2:])
        return dict(incoherent_logits=incoherent_logits, candidates=candidates, nodes=nodes,
                    parents=parents, node_logits=node_logits,
                    refined_logits=_fit(refined, size), region=_fit(region, size))

    def _encode_nodes(self, nodes: List[Tensor], coarse_up: List[Tensor], frame_base: Tensor,
                      level_maps: List[List[Tensor]], sizes: List[Tuple[int, int]]) -> List[Tensor]:
        """Node tokens (P_l, E) per level; ``level_maps[l]`` are the per-frame maps
        (V*T, C_i, h, w) whose bilinear samples make a level-l node's feature."""
        tokens = []
        for level, level_nodes in enumerate(nodes):
            m, t, y, x = level_nodes.unbind(1)
            h, w = sizes[level]
            xy = torch.stack([(x + 0.5) / w, (y + 0.5) / h], 1)
            feats = torch.cat([sample_points(f, frame_base[m] + t, xy) for f in level_maps[level]], 1)
            coarse = coarse_up[level].flatten()[flat_index(level_nodes, coarse_up[level].shape[1:])]
            scale = 2 ** (NUM_LEVELS - 1 - level)  # positions in cells of the finest level
            pos = torch.stack([(x + 0.5) * scale, (y + 0.5) * scale, t.to(xy.dtype)], 1)
            tokens.append(self.node_encoder(feats, coarse, pos, level))
        return tokens

    def _transform(self, tokens: List[Tensor], nodes: List[Tensor], inst_embeds: Tensor,
                   video_idx: Tensor, num_videos: int) -> List[Tensor]:
        """Quadtree Sequence Grouping, then the refinement transformer; (P_l, E) per level."""
        if len(inst_embeds) == 0:  # attention refuses empty batches; there are no nodes
            return tokens
        inst = torch.cat([n[:, 0] for n in nodes])
        packed, padding_mask, rank = pack_by_group(torch.cat(tokens), inst, inst_embeds.shape[0])
        keys, key_padding_mask, _ = pack_by_group(inst_embeds, video_idx, num_videos)
        out = self.transformer(packed, padding_mask, keys[video_idx], key_padding_mask[video_idx])
        return list(out[inst, rank].split([len(n) for n in nodes]))


def _fit(x: Tensor, size: Tuple[int, int]) -> Tensor:
    """Crop or zero-pad (bottom / right, the padding of batched images) the last two dims of
    (M, T, h, w) to ``size``; resize bilinearly when one dim is larger and the other smaller."""
    h, w = x.shape[-2:]
    if (h >= size[0]) == (w >= size[1]):
        return F.pad(x, (0, size[1] - w, 0, size[0] - h))
    resized = F.interpolate(x.float().flatten(0, 1)[:, None], size=size, mode='bilinear',
                            align_corners=False)
    return resized.view(*x.shape[:2], *size).to(x.dtype)
