"""VMT's refinement head: incoherent quadtrees refined by the temporal refinement transformer.

Shape shorthand:
    V: videos, T: frames per video (a training clip, or a whole video at test time),
    M: instances (of any video), C: backbone channels, C_q: instance embedding channels,
    h8 x w8: the coarse mask grid (H/8), H x W: the images,
    P_l: quadtree nodes at level l (0: H/8, 1: H/4, 2: H/2; see layers/quadtree.py).

The steps of :meth:`VMTRefineHead.refine` follow the paper's Figure 2:

1. ``_detect_roots``: the instance-conditioned incoherent detector scores the whole
   T x H/8 x W/8 volume; the best incoherent cells of each frame become quadtree roots.
2. ``_grow_quadtrees``: the four children of every node are scored with the same instance
   weights one level finer (from one window around them) and kept where incoherent (the
   best of each frame).
3. ``_encode_nodes``: a token per node from its level's features, the coarse mask value and
   a position (x, y, frame index in the video, level); with the fine prior
   (:class:`~mmvmt.models.heads.refine.FinePrior`), a finest node also sees the
   full-resolution mask and RGB pixels around its 2 x 2 sub-labels and a local colour model.
4. ``_group_sequences``: Quadtree Sequence Grouping: all nodes of one instance, all frames
   (of the clip, or of the whole video at test time) and all levels, form one sequence (at
   test time, runs of consecutive frames once an instance's nodes exceed
   ``test_max_nodes_per_sequence``).
5. ``_transform``: the temporal refinement transformer on each sequence (node attention,
   then instance guidance: the nodes query the instance embeddings of their video).
6. ``_decode_nodes``: the dynamic pixel decoder labels every node (four sub-labels at H/2;
   with ``fine_prior`` a correction added to the given mask's full-resolution logit).
7. ``_paste``: the labels are written into the coarse mask upsampled level by level up to
   full resolution (8 h8 x 8 w8, cropped to H x W); outside the nodes it stays the
   upsampled coarse mask.

What varies between the paper and its ablations is composed, built from config dicts
(``mmvmt/models/heads/refine/``): which cells become nodes (:class:`NodeSelector` and its
region strategy), what conditions the incoherent detector, the embeddings of given masks,
and the fine prior.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ..layers.dynamic_pixel_decoder import DynamicPixelDecoder
from ..layers.incoherent_detector import DynamicParams, IncoherentDetector
from ..layers.node_encoder import NodeEncoder, sample_points
from ..layers.node_windows import gather_window
from ..layers.quadtree import (NUM_LEVELS, expand_children, flat_index, frame_runs,
                               pack_by_group, paste_node_logits, upsample_chain)
from ..layers.refinement_transformer import RefinementTransformer
from ..layers.rgb_embedding import RGBEmbedding
from .refine.fine_prior import mask_pyramid
from .refine.incoherence_targets import incoherence_targets
from .refine.refined_region import refined_region

StrategyConfig = Union[str, ConfigType]


def _strategy(arg: str, value: Union[str, bool, ConfigType, None],
              **aliases: Optional[ConfigType]) -> Optional[ConfigType]:
    """The config of a strategy: a config dict as it is, or the config a (deprecated) string
    or bool switch of the head's constructor stands for."""
    if isinstance(value, dict):
        return value
    key = str(value) if not isinstance(value, bool) else ('true' if value else 'false')
    if key not in aliases:
        raise ValueError(f'VMTRefineHead: {arg} must be a config dict or one of '
                         f'{tuple(aliases)}, got {value!r}')
    return aliases[key]


@dataclass
class _Clip:
    """What every step of one refinement call reads (the head's inputs, prepared once).

    ``sizes[l]`` is the (h, w) grid of level l (l = 3: pixels of the finest sub-labels);
    ``frame_base[m]`` the index of instance m's first frame in ``f8`` / ``images``;
    ``frame_ids`` (V, T) the index of each frame in its video; ``coarse_up`` the coarse
    logits at every level (levels 0-3: upsampled, or the given full-resolution mask's cell
    fractions, see :func:`mask_pyramid`); ``force`` (per level, dense (M, T, h_l, w_l) bool)
    cells always taken (training); ``valid`` (M, T) bool frames allowed to hold nodes.
    """
    coarse_logits: Tensor
    coarse_up: List[Tensor]
    f8: Tensor
    f4: Tensor
    rgb: Tensor
    images: Tensor
    inst_embeds: Tensor
    video_idx: Tensor
    frame_ids: Tensor
    frame_base: Tensor
    sizes: List[Tuple[int, int]]
    det_inputs: List[Tensor]
    det_params: DynamicParams
    force: Optional[List[Tensor]]
    valid: Optional[Tensor]

    @property
    def num_frames(self) -> int:
        return self.coarse_logits.shape[1]

    def forced(self, level: int) -> Optional[Tensor]:
        """(M, T, h_l, w_l) bool cells always taken at ``level``, or None."""
        return None if self.force is None else self.force[level]


@dataclass
class _Sequences:
    """Quadtree Sequence Grouping of the nodes of all levels (concatenated, level 0 first):
    ``group`` (P,) the sequence of each node, ``num_groups`` G, ``video`` (G,) the video of
    each sequence, ``lengths`` the number of nodes of each level."""
    group: Tensor
    num_groups: int
    video: Tensor
    lengths: List[int]


@MODELS.register_module()
class VMTRefineHead(BaseModule):
    """Video Mask Transfiner's refinement head (class-agnostic).

    Inputs of :meth:`forward`, :meth:`loss` and :meth:`predict` (keyword arguments):

    * ``coarse_logits`` (M, T, h8, w8): coarse mask logits.
    * ``feats``: [f8 (V*T, C, h8, w8), f4 (V*T, C, h4, w4)] frame features.
    * ``images`` (V*T, 3, H, W): normalised (padded) frames.
    * ``inst_embeds`` (M, C_q): video-level instance embeddings (the base head's queries,
      or :meth:`given_inst_embeds` for given masks).
    * ``video_idx`` (M,) long: the video of each instance.
    * ``frame_ids`` (V, T) long, optional: each frame's index in its video (the temporal
      position); ``arange(T)`` when None.
    * ``frame_embeds`` (M, T, C_q), optional: per-frame instance embeddings, needed only by
      :class:`~mmvmt.models.heads.refine.FrameCondition`.
    * ``fine_masks`` (M, T, H, W), optional: the given masks at full resolution (float in
      [0, 1]); read by the fine prior only.

    :meth:`forward` returns a dict with ``incoherent_logits`` [(M, T, h8, w8), (C_1,),
    (C_2,)], ``candidates`` [(C_1, 4), (C_2, 4)] (the children scored at levels 1, 2),
    ``nodes`` [(P_l, 4)], ``node_logits`` [(P_0,), (P_1,), (P_2, 4)], ``refined_logits``
    (M, T, H, W) and ``label_cell`` (M, T, H, W) uint8 (see
    :func:`~mmvmt.models.layers.paste_node_logits`).

    Args:
        in_channels (int): C of ``feats``.
        inst_channels (int): C_q.
        hidden_dim (int): width of node tokens.
        num_heads (int): attention heads.
        num_layers (int): refinement transformer layers.
        ffn_channels (int): FFN width in the transformer.
        rgb_channels (int): channels of the RGB embedding.
        detector_channels (int): channels of the dynamic incoherent detector.
        max_nodes_per_frame (Sequence[int]): training caps of nodes per instance, frame and
            level (H/8, H/4, H/2), see :class:`~mmvmt.models.heads.refine.NodeSelector`.
        test_max_nodes_per_frame (Sequence[int], optional): the caps in eval mode (more nodes
            cover more of a given mask's errors, at the cost of time); None: the same.
        incoherent_thr (float): the least region score (probability) of a node.
        force_gt_incoherence (bool): in training, always pick GT-incoherent cells as nodes
            (before predicted ones, in random order within each frame, up to the caps).
        mark_coarse_errors (bool): in training, cells where the coarse mask disagrees with the
            GT majority also count as incoherent.
        node_region (str | dict): the region strategy of node selection:
            ``dict(type='IncoherentRegion')`` (the paper) or ``dict(type='BoundaryBandRegion',
            width=...)``; the strings ``'incoherent'`` / ``'boundary'`` stand for them.
        boundary_width (int): the width of ``node_region='boundary'``.
        detector_condition (str | dict): what generates the incoherent detector's weights:
            ``dict(type='VideoCondition')`` (the paper), ``'FrameCondition'`` or
            ``'FixedCondition'`` (``inst_channels`` is filled in); the strings ``'video'``,
            ``'frame'``, ``'fixed'`` stand for them.
        group_frames (int, optional): frames whose nodes form one sequence in Quadtree
            Sequence Grouping: None groups all frames of the clip or video (the paper), 1
            gives per-frame sequences (QSG off).
        test_max_nodes_per_sequence (int, optional): at inference (eval mode, with
            ``group_frames=None``), the longest sequence node attention sees: an instance
            with more nodes is split into the fewest runs of consecutive frames, of equal
            length in frames, that bring its mean run within the budget. Every node is
            kept; only whom it attends to changes. None: one sequence per instance.
        given_embeddings (str | dict): the embeddings of given masks:
            ``dict(type='PooledEmbeddings', min_cells=...)`` or ``dict(type='QueryEmbeddings',
            min_cells=..., min_iou=...)``; the strings ``'pooled'`` / ``'query'`` stand for
            them with ``pool_min_cells`` and ``query_min_iou``.
        pool_min_cells (float): ``min_cells`` of the string switches.
        query_min_iou (float): ``min_iou`` of ``given_embeddings='query'``.
        fine_prior (bool | dict): ``dict(type='FinePrior')`` (True) or None (False: the head
            without it, ``fine_masks`` unused, whose checkpoints it loads).
        prior_scale (float): initial value of the learnt ``prior_scale`` of the fine prior.
        loss_incoherent (dict): config of the incoherence-map loss, applied per level.
        loss_node (dict): config of the node-label loss, applied per level.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self, *, in_channels: int = 256, inst_channels: int = 256, hidden_dim: int = 64,
                 num_heads: int = 4, num_layers: int = 3, ffn_channels: int = 256,
                 rgb_channels: int = 16, detector_channels: int = 8,
                 max_nodes_per_frame: Sequence[int] = (32, 64, 128),
                 test_max_nodes_per_frame: Optional[Sequence[int]] = None,
                 incoherent_thr: float = 0.5, force_gt_incoherence: bool = True,
                 mark_coarse_errors: bool = True, node_region: StrategyConfig = 'incoherent',
                 boundary_width: int = 1, detector_condition: StrategyConfig = 'video',
                 group_frames: Optional[int] = None,
                 test_max_nodes_per_sequence: Optional[int] = None,
                 given_embeddings: StrategyConfig = 'pooled',
                 pool_min_cells: float = 4., query_min_iou: float = 0.1,
                 fine_prior: Union[bool, ConfigType] = True, prior_scale: float = 0.5,
                 loss_incoherent: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                                    loss_weight=1.0),
                 loss_node: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                              loss_weight=1.0),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if group_frames is not None and group_frames < 1:
            raise ValueError(f'VMTRefineHead: group_frames must be None or >= 1, got '
                             f'{group_frames}')
        if test_max_nodes_per_sequence is not None and test_max_nodes_per_sequence < 1:
            raise ValueError(f'VMTRefineHead: test_max_nodes_per_sequence must be None or '
                             f'>= 1, got {test_max_nodes_per_sequence}')
        self.test_max_nodes_per_sequence = test_max_nodes_per_sequence
        self.force_gt_incoherence = force_gt_incoherence
        self.mark_coarse_errors = mark_coarse_errors
        self.group_frames = group_frames
        region = _strategy('node_region', node_region, incoherent=dict(type='IncoherentRegion'),
                           boundary=dict(type='BoundaryBandRegion', width=boundary_width))
        self.selector = MODELS.build(dict(
            type='NodeSelector', max_nodes_per_frame=max_nodes_per_frame,
            test_max_nodes_per_frame=test_max_nodes_per_frame, thr=incoherent_thr,
            region=region))
        self.given_embedder = MODELS.build(_strategy(
            'given_embeddings', given_embeddings,
            pooled=dict(type='PooledEmbeddings', min_cells=pool_min_cells),
            query=dict(type='QueryEmbeddings', min_cells=pool_min_cells,
                       min_iou=query_min_iou)))
        fine_prior = _strategy('fine_prior', fine_prior, true=dict(type='FinePrior'),
                               false=None)
        self.fine_prior = None if fine_prior is None else MODELS.build(fine_prior)
        # the learnt modules in the order of the head's checkpoints (and of its seeded init)
        self.rgb_embed = RGBEmbedding(embed_channels=rgb_channels)
        self.detector = IncoherentDetector(inst_channels=inst_channels, in_channels=in_channels,
                                           rgb_channels=rgb_channels,
                                           embed_channels=detector_channels,
                                           feat_channels=detector_channels)
        self.condition = MODELS.build(
            _strategy('detector_condition', detector_condition,
                      video=dict(type='VideoCondition'), frame=dict(type='FrameCondition'),
                      fixed=dict(type='FixedCondition')),
            default_args=dict(inst_channels=inst_channels))
        window_channels = 0 if self.fine_prior is None else self.fine_prior.window_channels
        self.node_encoder = NodeEncoder(
            level_channels=(in_channels, in_channels,
                            in_channels + rgb_channels + window_channels),
            hidden_dim=hidden_dim)
        if self.fine_prior is not None:
            self.prior_scale = nn.Parameter(torch.tensor(float(prior_scale)))
        self.transformer = RefinementTransformer(num_layers=num_layers, embed_dims=hidden_dim,
                                                 inst_channels=inst_channels,
                                                 num_heads=num_heads, ffn_channels=ffn_channels)
        self.pixel_decoder = DynamicPixelDecoder(inst_channels=inst_channels,
                                                 hidden_dim=hidden_dim, num_levels=NUM_LEVELS)
        self.mask_pool_proj = nn.Linear(in_channels, inst_channels)
        self.loss_incoherent = MODELS.build(loss_incoherent)
        self.loss_node = MODELS.build(loss_node)

    @property
    def given_embeddings(self) -> str:
        """``'query'`` when the given-mask embeddings need the base head's queries, else
        ``'pooled'`` (the name the detectors read; ``given_embedder.needs_queries`` is the
        typed form)."""
        return 'query' if self.given_embedder.needs_queries else 'pooled'

    # ------------------------------------------------------------------ entry points
    def forward(self, **inputs) -> Dict[str, object]:
        """Refine coarse masks (inference node selection); see the class docstring."""
        return self.refine(**inputs)

    def loss(self, *, gt_masks: Tensor, valid: Optional[Tensor] = None,
             regions: Optional[Tensor] = None, **inputs) -> Dict[str, Tensor]:
        """Incoherence-map losses and node-label losses, per level.

        Args:
            gt_masks (Tensor): (M, T, H, W) bool, the GT mask of each instance's track.
            valid (Tensor, optional): (M, T) bool, frames whose GT is annotated; others are
                ignored. All frames when None.
            regions (Tensor, optional): (M, T, H, W) bool, extra pixels to refine, e.g. the
                pipeline's ``refine_regions`` (coarse-vs-GT disagreement dilated by 3 px, the
                paper's self-correction training region). A cell touching one is a target.
            **inputs: the inputs of :meth:`forward` (class docstring).

        Returns:
            dict[str, Tensor]: ``loss_incoherent_l{0,1,2}`` and ``loss_node_l{0,1,2}``.
        """
        coarse_logits = inputs['coarse_logits']
        if valid is None:
            valid = torch.ones(coarse_logits.shape[:2], dtype=torch.bool,
                               device=coarse_logits.device)
        h8, w8 = coarse_logits.shape[-2:]
        gt = _fit(gt_masks, (8 * h8, 8 * w8))
        fractions, targets = incoherence_targets(
            gt, coarse_logits if self.mark_coarse_errors else None,
            None if regions is None else _fit(regions, gt.shape[-2:]))
        out = self.refine(**inputs, force=targets if self.force_gt_incoherence else None,
                          valid=valid)

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

    def predict(self, **inputs) -> Tuple[Tensor, Tensor]:
        """Refined foreground probabilities and where the refiner labelled pixels itself.

        Args:
            **inputs: the inputs of :meth:`forward` (class docstring).

        Returns:
            tuple[Tensor, Tensor]: probabilities (M, T, H, W) float in [0, 1] (the upsampled
            coarse mask outside the nodes) and ``region`` (M, T, H, W) bool, the pixels
            labelled at full resolution (:func:`refined_region`): only there may a refined
            label replace a given mask's.
        """
        out = self.refine(**inputs)
        return out['refined_logits'].sigmoid(), refined_region(out['label_cell'])

    def pool_inst_embeds(self, masks: Tensor, video_idx: Tensor,
                         f8: Tensor) -> Tuple[Tensor, Tensor]:
        """Instance embeddings of given masks: the H/8 features averaged *under* each mask
        (:meth:`PooledEmbeddings.pool <mmvmt.models.heads.refine.PooledEmbeddings.pool>`),
        projected to C_q.

        Args:
            masks (Tensor): (M, T, h8, w8) fraction of each cell that the mask covers.
            video_idx (Tensor): (M,) long.
            f8 (Tensor): (V*T, C, h8, w8).

        Returns:
            tuple[Tensor, Tensor]: video-level (M, C_q) over all frames, and per-frame
            (M, T, C_q).
        """
        video, frame = self.given_embedder.pool(masks, video_idx, f8)
        return self.mask_pool_proj(video), self.mask_pool_proj(frame)

    def given_inst_embeds(self, masks: Tensor, video_idx: Tensor, f8: Tensor,
                          queries: Optional[Dict[str, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        """Instance embeddings of given masks, by the ``given_embeddings`` strategy.

        Args:
            masks (Tensor): (M, T, h8, w8) fraction of each cell that the mask covers.
            video_idx (Tensor): (M,) long.
            f8 (Tensor): (V*T, C, h8, w8).
            queries (dict, optional): the base head's predictions of one video, for
                :class:`~mmvmt.models.heads.refine.QueryEmbeddings` (see there).

        Returns:
            tuple[Tensor, Tensor]: video-level (M, C_q) and per-frame (M, T, C_q).
        """
        return self.given_embedder(masks, video_idx, f8, self.mask_pool_proj, queries)

    # ------------------------------------------------------------------ the steps
    def refine(self, *, coarse_logits: Tensor, feats: Sequence[Tensor], images: Tensor,
               inst_embeds: Tensor, video_idx: Tensor, frame_ids: Optional[Tensor] = None,
               frame_embeds: Optional[Tensor] = None, fine_masks: Optional[Tensor] = None,
               force: Optional[List[Tensor]] = None,
               valid: Optional[Tensor] = None) -> Dict[str, object]:
        """Steps 1-7 of the module docstring (Figure 2 of the paper).

        Args:
            coarse_logits, feats, images, inst_embeds, video_idx, frame_ids, frame_embeds,
                fine_masks: see the class docstring.
            force (list[Tensor], optional): per level, dense (M, T, h_l, w_l) bool cells
                always taken as nodes (training), before the detector's.
            valid (Tensor, optional): (M, T) bool; other frames hold no nodes.

        Returns:
            dict: see the class docstring.
        """
        clip = self._prepare(coarse_logits, feats, images, inst_embeds, video_idx, frame_ids,
                             frame_embeds, fine_masks, force, valid)
        roots, root_logits = self._detect_roots(clip)
        nodes, candidates, candidate_logits = self._grow_quadtrees(clip, roots)
        tokens = self._encode_nodes(clip, nodes)
        sequences = self._group_sequences(clip, nodes)
        node_feats = self._transform(clip, tokens, sequences)
        node_logits = self._decode_nodes(clip, nodes, node_feats)
        refined, label_cell = self._paste(clip, nodes, node_logits)
        return dict(incoherent_logits=[root_logits] + candidate_logits, candidates=candidates,
                    nodes=nodes, node_logits=node_logits, refined_logits=refined,
                    label_cell=label_cell)

    def _prepare(self, coarse_logits: Tensor, feats: Sequence[Tensor], images: Tensor,
                 inst_embeds: Tensor, video_idx: Tensor, frame_ids: Optional[Tensor],
                 frame_embeds: Optional[Tensor], fine_masks: Optional[Tensor],
                 force: Optional[List[Tensor]], valid: Optional[Tensor]) -> _Clip:
        """Check the inputs; compute what all steps share (the coarse mask at every level,
        the RGB embedding, the detector's per-level inputs and dynamic weights)."""
        f8, f4 = feats[0], feats[1]
        num_frames, h8, w8 = coarse_logits.shape[1:]
        if f8.shape[-2:] != (h8, w8) or f8.shape[0] != images.shape[0] or \
                f8.shape[0] % num_frames:
            raise ValueError(
                f'VMTRefineHead: feats[0] must be (V*T, C, h8, w8) = (V*{num_frames}, C, {h8}, '
                f'{w8}) like coarse_logits, and images (V*T, 3, H, W); got feats[0] '
                f'{tuple(f8.shape)}, images {tuple(images.shape)}')
        num_videos = f8.shape[0] // num_frames
        if frame_ids is None:
            frame_ids = torch.arange(num_frames, device=f8.device).expand(num_videos, -1)
        if tuple(frame_ids.shape) != (num_videos, num_frames):
            raise ValueError(f'VMTRefineHead: frame_ids must be (V, T) = ({num_videos}, '
                             f'{num_frames}), got {tuple(frame_ids.shape)}')
        sizes = [(h8 << level, w8 << level) for level in range(NUM_LEVELS + 1)]
        if fine_masks is not None and (fine_masks.dim() != 4 or
                                       fine_masks.shape[:2] != coarse_logits.shape[:2]):
            raise ValueError(f'VMTRefineHead: fine_masks must be (M, T, H, W) with (M, T) = '
                             f'{tuple(coarse_logits.shape[:2])} like coarse_logits, got '
                             f'{tuple(fine_masks.shape)}')
        if fine_masks is None or self.fine_prior is None:
            coarse_up = upsample_chain(coarse_logits, NUM_LEVELS)
        else:
            coarse_up = mask_pyramid(coarse_logits, _fit(fine_masks.float(), sizes[-1]))
        # channels last: a node's C features (or a pixel's RGB) are one contiguous row for
        # sample_points and gather_window, and CPU convolutions run 2x faster on them
        f4 = f4.contiguous(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
        rgb = self.rgb_embed(images).contiguous(memory_format=torch.channels_last)
        condition = self.condition(inst_embeds, frame_embeds)
        return _Clip(coarse_logits=coarse_logits, coarse_up=coarse_up, f8=f8, f4=f4, rgb=rgb,
                     images=images, inst_embeds=inst_embeds, video_idx=video_idx,
                     frame_ids=frame_ids.to(f8.device), frame_base=video_idx * num_frames,
                     sizes=sizes,
                     det_inputs=self.detector.level_inputs(f8, f4, rgb, sizes[:NUM_LEVELS]),
                     det_params=self.detector.generate_params(condition), force=force,
                     valid=valid)

    def _detect_roots(self, clip: _Clip) -> Tuple[Tensor, Tensor]:
        """Step 1: incoherence logits over the whole (M, T, h8, w8) volume; roots (P_0, 4)."""
        volume = clip.det_inputs[0].unflatten(0, (-1, clip.num_frames))[clip.video_idx]
        volume = torch.cat([volume, clip.coarse_logits[:, :, None]], 2)  # (M, T, E + 1, h, w)
        logits = self.detector.forward_dense(clip.det_params, self.condition.group_volume(volume))
        logits = logits.view_as(clip.coarse_logits)
        roots = self.selector.select_roots(logits, clip.coarse_up[0], clip.forced(0), clip.valid)
        return roots, logits

    def _grow_quadtrees(self, clip: _Clip,
                        roots: Tensor) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        """Step 2: levels 1, 2. The children of the nodes above are scored by the same
        dynamic weights (only there: the cost follows the number of nodes) and the best
        incoherent ones of each frame are kept.

        Returns:
            tuple[list, list, list]: nodes (P_l, 4) of levels 0-2, candidates (C_l, 4) and
            their logits (C_l,) of levels 1, 2.
        """
        num_frames, radius = clip.num_frames, self.detector.radius
        nodes, candidates, logits_per_level = [roots], [], []
        for level in range(1, NUM_LEVELS):
            cand = expand_children(nodes[-1])[0]
            # one window around each parent's 2 x 2 children scores all four
            m, t, y, x = nodes[-1].unbind(1)
            windows, inside = gather_window(clip.det_inputs[level], clip.frame_base[m] + t,
                                            2 * y, 2 * x, -radius, 2 * radius + 2)
            coarse, _ = gather_window(clip.coarse_up[level].flatten(0, 1)[:, None],
                                      m * num_frames + t, 2 * y, 2 * x, -radius,
                                      2 * radius + 2)
            logits = self.detector.forward_windows(
                clip.det_params, torch.cat([windows, coarse], 1), inside,
                self.condition.weight_sets(m, t, num_frames))
            logits = logits.flatten()  # (P, 2, 2) row-major: child k = 2 * dy + dx
            keep = self.selector.keep_children(cand, logits, clip.coarse_up[level], level,
                                          clip.forced(level), clip.valid)
            nodes.append(cand[keep])
            candidates.append(cand)
            logits_per_level.append(logits)
        return nodes, candidates, logits_per_level

    def _encode_nodes(self, clip: _Clip, nodes: List[Tensor]) -> List[Tensor]:
        """Step 3: node tokens (P_l, E) per level from the level's features (f8; f4; f4 and
        the RGB embedding, and with the fine prior its full-resolution windows), the coarse
        mask logit, and the position (x, y in cells of the finest level, the frame's index
        in the video)."""
        level_maps = [[clip.f8], [clip.f4], [clip.f4, clip.rgb]]
        tokens = []
        for level, level_nodes in enumerate(nodes):
            m, t, y, x = level_nodes.unbind(1)
            h, w = clip.sizes[level]
            xy = torch.stack([(x + 0.5) / w, (y + 0.5) / h], 1)
            frames = clip.frame_base[m] + t
            feats = [sample_points(f, frames, xy) for f in level_maps[level]]
            if self.fine_prior is not None and level == NUM_LEVELS - 1:
                feats.append(self.fine_prior.node_windows(clip.coarse_up[NUM_LEVELS],
                                                          clip.images, level_nodes,
                                                          clip.frame_base))
            feats = torch.cat(feats, 1)
            coarse_up = clip.coarse_up[level]
            coarse = coarse_up.flatten()[flat_index(level_nodes, coarse_up.shape[1:])]
            scale = 2 ** (NUM_LEVELS - 1 - level)  # positions in cells of the finest level
            frame_index = clip.frame_ids[clip.video_idx[m], t].to(xy.dtype)
            pos = torch.stack([(x + 0.5) * scale, (y + 0.5) * scale, frame_index], 1)
            tokens.append(self.node_encoder(feats, coarse, pos, level))
        return tokens

    def _group_sequences(self, clip: _Clip, nodes: List[Tensor]) -> _Sequences:
        """Step 4: Quadtree Sequence Grouping.

        The nodes of one instance over all frames and levels form one sequence (or, with
        ``group_frames = g``, those of each g consecutive frames: g = 1 turns QSG off). At
        inference an instance with more than ``test_max_nodes_per_sequence`` nodes is split
        into runs of consecutive frames (:func:`~mmvmt.models.layers.quadtree.frame_runs`).
        """
        all_nodes = torch.cat(nodes)
        inst, frame = all_nodes[:, 0], all_nodes[:, 1]
        num_frames, num_inst = clip.num_frames, len(clip.inst_embeds)
        if self.group_frames is None and not self.training and \
                self.test_max_nodes_per_sequence is not None:
            runs = frame_runs(inst, num_inst, num_frames, self.test_max_nodes_per_sequence)
            groups_per_inst = int(runs.max()) if num_inst else 1
            run = frame * runs[inst] // num_frames
        else:
            span = self.group_frames or num_frames
            groups_per_inst = -(-num_frames // span)
            run = frame // span
        return _Sequences(group=inst * groups_per_inst + run,
                          num_groups=num_inst * groups_per_inst,
                          video=clip.video_idx.repeat_interleave(groups_per_inst),
                          lengths=[len(n) for n in nodes])

    def _transform(self, clip: _Clip, tokens: List[Tensor],
                   sequences: _Sequences) -> List[Tensor]:
        """Step 5: the refinement transformer on the packed sequences; instance guidance
        attends to the embeddings of all instances of the sequence's video.

        Returns:
            list[Tensor]: (P_l, E) refined tokens per level.
        """
        if sequences.num_groups == 0:  # attention refuses empty batches; there are no nodes
            return tokens
        packed, padding_mask, rank = pack_by_group(torch.cat(tokens), sequences.group,
                                                   sequences.num_groups)
        num_videos = clip.f8.shape[0] // clip.num_frames
        keys, key_padding_mask, _ = pack_by_group(clip.inst_embeds, clip.video_idx, num_videos)
        out = self.transformer(packed, padding_mask, keys[sequences.video],
                               key_padding_mask[sequences.video])
        return list(out[sequences.group, rank].split(sequences.lengths))

    def _decode_nodes(self, clip: _Clip, nodes: List[Tensor],
                      node_feats: List[Tensor]) -> List[Tensor]:
        """Step 6: the dynamic pixel decoder's node logits [(P_0,), (P_1,), (P_2, 4)];
        with the fine prior the sub-labels add ``prior_scale`` times the full-resolution
        prior logit at their pixels (a correction of the given mask, not a new one)."""
        logits = self.pixel_decoder(node_feats, [n[:, 0] for n in nodes], clip.inst_embeds)
        if self.fine_prior is not None:
            prior = self.fine_prior.at_sub_labels(clip.coarse_up[NUM_LEVELS], nodes[-1])
            logits[-1] = logits[-1] + self.prior_scale * prior
        return logits

    def _paste(self, clip: _Clip, nodes: List[Tensor],
               node_logits: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """Step 7: node logits written into the coarse mask, level by level.

        Returns:
            tuple[Tensor, Tensor]: refined logits and ``label_cell`` (M, T, H, W), cropped
            to the images (see :func:`~mmvmt.models.layers.paste_node_logits`).
        """
        # inference: the head's own upsampled maps become the output (no copy of a whole
        # video's full-resolution masks); training keeps them, whatever autograd saved
        refined, label_cell = paste_node_logits(clip.coarse_up, nodes, node_logits,
                                                overwrite=not torch.is_grad_enabled())
        size = tuple(clip.images.shape[-2:])
        return _fit(refined, size), _fit(label_cell, size)


def _fit(x: Tensor, size: Tuple[int, int]) -> Tensor:
    """Crop (a view) or zero-pad (bottom / right, the padding of batched images) the last two
    dims of (M, T, h, w) to ``size``; resize bilinearly when one dim is larger and the other
    smaller."""
    h, w = x.shape[-2:]
    if h >= size[0] and w >= size[1]:
        return x[..., :size[0], :size[1]]  # a view: no copy of a whole video's masks
    if h <= size[0] and w <= size[1]:
        return F.pad(x, (0, size[1] - w, 0, size[0] - h))
    resized = F.interpolate(x.float().flatten(0, 1)[:, None], size=size, mode='bilinear',
                            align_corners=False)
    return resized.view(*x.shape[:2], *size).to(x.dtype)
