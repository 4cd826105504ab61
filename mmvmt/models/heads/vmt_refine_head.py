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
   a position (x, y, frame index in the video, level); with ``fine_prior``, a finest node
   also sees the full-resolution mask and RGB pixels around its 2 x 2 sub-labels and a
   local colour model of the mask's two sides.
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

Node caps are per instance *and frame* (``max_nodes_per_frame``) and cells are ranked by
incoherence score within their frame, so a whole video grouped at once gives every frame
the budget a frame of a training clip has.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ..layers.dynamic_pixel_decoder import DynamicPixelDecoder, paste_node_logits, upsample_chain
from ..layers.incoherent_detector import DynamicParams, IncoherentDetector, gather_window
from ..layers.node_encoder import NodeEncoder, sample_points
from ..layers.quadtree import (dense_to_nodes, expand_children, fg_fraction, flat_index,
                               incoherent_cells, pack_by_group, topk_per_group)
from ..layers.refinement_transformer import RefinementTransformer
from ..layers.rgb_embedding import RGBEmbedding
from ..layers.track_query_matching import match_tracks_to_queries

NUM_LEVELS = 3
NODE_REGIONS = ('incoherent', 'boundary')
DETECTOR_CONDITIONS = ('video', 'frame', 'fixed')
GIVEN_EMBEDDINGS = ('pooled', 'query')
_FORCED = 3.  # selection score of forced cells: above probabilities and boundary scores
# fine_prior: the windows of full-resolution pixels a finest node (2 x 2 pixels at 2y, 2x)
# sees: the mask 2 px around its block, the RGB 1 px around it
FINE_WINDOW = (-2, 6)  # (offset of the first row / column, side)
RGB_WINDOW = (-1, 4)
COLOUR_WINDOW = (-6, 14)  # the local colour model's window (6 px around the block)
_PRIOR_EPS = 1e-2  # mask fractions are clamped to [eps, 1 - eps] before the logit


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
      ``detector_condition='frame'``.
    * ``fine_masks`` (M, T, H, W), optional: the given masks at full resolution (float in
      [0, 1], e.g. the annotations to correct). Then every finer level reads the mask's own
      cell fractions instead of the H/8 logits upsampled, so the detector, the node tokens
      and the mask outside the nodes know where the given boundary lies to the pixel.

    :meth:`forward` returns a dict with ``incoherent_logits`` [(M, T, h8, w8), (C_1,),
    (C_2,)], ``candidates`` [(C_1, 4), (C_2, 4)] (the children scored at levels 1, 2),
    ``nodes`` [(P_l, 4)], ``node_logits`` [(P_0,), (P_1,), (P_2, 4)], ``refined_logits``
    (M, T, H, W) and ``label_cell`` (M, T, H, W) uint8 (see
    :func:`~mmvmt.models.layers.paste_node_logits`: 1 where a pixel has its own refined
    label, 8 or 4 where it has the one label of a leaf node's cell, 0 outside every node).

    Args:
        in_channels (int): C of ``feats``.
        inst_channels (int): C_q.
        hidden_dim (int): width of node tokens.
        num_heads (int): attention heads.
        num_layers (int): refinement transformer layers.
        ffn_channels (int): FFN width in the transformer.
        rgb_channels (int): channels of the RGB embedding.
        detector_channels (int): channels of the dynamic incoherent detector.
        max_nodes_per_frame (Sequence[int]): cap of nodes per instance, frame and level
            (H/8, H/4, H/2); a clip or video of T frames holds at most T times as many.
        test_max_nodes_per_frame (Sequence[int], optional): the caps at inference (eval
            mode), when they should differ from training's: more nodes cover more of a
            given mask's errors (a halo of 6 px around a large object needs more than the
            cells of a training clip's GT boundary), at the cost of time. None: the same.
        incoherent_thr (float): a cell is incoherent when its probability exceeds it.
        force_gt_incoherence (bool): in training, always pick GT-incoherent cells as nodes
            (before predicted ones, in random order within each frame, up to the caps).
        mark_coarse_errors (bool): in training, cells where the coarse mask disagrees with the
            GT majority also count as incoherent.
        node_region (str): which cells become nodes: ``'incoherent'`` (the paper: the
            detector's incoherent cells) or ``'boundary'`` (ablation: a band of
            ``boundary_width`` cells around the coarse mask's boundary at every level, most
            uncertain first; the detector is still trained but not used to select).
        boundary_width (int): half-width in cells of the ``'boundary'`` band.
        detector_condition (str): what generates the incoherent detector's weights:
            ``'video'`` (the paper: the video-level instance embedding), ``'frame'`` (each
            frame's own embedding, ``frame_embeds``) or ``'fixed'`` (one learned embedding
            for all instances: a plain FCN over the features and the coarse mask).
        group_frames (int, optional): frames whose nodes form one sequence in Quadtree
            Sequence Grouping: None groups all frames of the clip or video (the paper), 1
            gives per-frame sequences (QSG off).
        test_max_nodes_per_sequence (int, optional): at inference (eval mode, with
            ``group_frames=None``), the longest sequence node attention sees: an instance
            with more nodes is split into the fewest runs of consecutive frames, of equal
            length in frames, that bring its mean run within the budget. Every node is
            kept; only whom it attends to changes. Node attention costs the square of the
            sequence length, so a whole 36-frame video of 12,000 nodes per instance costs
            9 times a 4,000-node run. None: one sequence per instance, however long.
        given_embeddings (str): the instance embedding of a *given* mask (self-correction,
            :meth:`given_inst_embeds`): ``'pooled'`` (the frame features averaged under the
            binary mask; what a refiner trained on given masks, ``refine_input='given'``,
            learns with) or ``'query'`` (the base detector's video-level query matched to
            the track by tube mask IoU, pooled where none overlaps; for a model whose base
            head is trained, ``refine_input='pred'``).
        pool_min_cells (float): pooling uses the H/8 cells the mask covers at least half;
            a track (or frame) with fewer such cells than this, small or thin, is pooled
            over every cell it touches, weighted by its coverage.
        query_min_iou (float): ``'query'``: the least soft tube IoU of a match.
        fine_prior (bool): the finest nodes predict a *correction* of the mask they refine:
            a sub-label's logit is ``prior_scale * prior + decoder output``, the prior being
            the full-resolution logit of ``fine_masks`` (or of the coarse mask upsampled),
            and each finest node's token also sees the mask in a 6 x 6 and the RGB image in
            a 4 x 4 pixel window around its 2 x 2 sub-labels, and a local colour model
            (:func:`_colour_scores`: which side of the mask each of its pixels looks like
            within 6 px). A refiner that has learnt
            nothing keeps the given mask; where it is unsure it stays near it. The node
            tokens at H/2 otherwise see the mask only as a value bilinearly upsampled from
            H/8, so a 1-3 px halo or a 2 px leg is invisible to them.
            ``fine_prior=False`` is the head without any of this (``fine_masks`` unused),
            whose checkpoints it loads.
        prior_scale (float): initial value of the learnt ``prior_scale``.
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
                 mark_coarse_errors: bool = True, node_region: str = 'incoherent',
                 boundary_width: int = 1, detector_condition: str = 'video',
                 group_frames: Optional[int] = None,
                 test_max_nodes_per_sequence: Optional[int] = None,
                 given_embeddings: str = 'pooled',
                 pool_min_cells: float = 4., query_min_iou: float = 0.1,
                 fine_prior: bool = True, prior_scale: float = 0.5,
                 loss_incoherent: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                                    loss_weight=1.0),
                 loss_node: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                              loss_weight=1.0),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, caps in [('max_nodes_per_frame', max_nodes_per_frame),
                           ('test_max_nodes_per_frame', test_max_nodes_per_frame)]:
            if caps is not None and len(caps) != NUM_LEVELS:
                raise ValueError(f'VMTRefineHead: {name} needs {NUM_LEVELS} caps '
                                 f'(H/8, H/4, H/2), got {caps}')
        if node_region not in NODE_REGIONS:
            raise ValueError(f'VMTRefineHead: node_region must be one of {NODE_REGIONS}, '
                             f'got {node_region!r}')
        if detector_condition not in DETECTOR_CONDITIONS:
            raise ValueError(f'VMTRefineHead: detector_condition must be one of '
                             f'{DETECTOR_CONDITIONS}, got {detector_condition!r}')
        if given_embeddings not in GIVEN_EMBEDDINGS:
            raise ValueError(f'VMTRefineHead: given_embeddings must be one of '
                             f'{GIVEN_EMBEDDINGS}, got {given_embeddings!r}')
        if group_frames is not None and group_frames < 1:
            raise ValueError(f'VMTRefineHead: group_frames must be None or >= 1, got '
                             f'{group_frames}')
        if test_max_nodes_per_sequence is not None and test_max_nodes_per_sequence < 1:
            raise ValueError(f'VMTRefineHead: test_max_nodes_per_sequence must be None or '
                             f'>= 1, got {test_max_nodes_per_sequence}')
        self.test_max_nodes_per_sequence = test_max_nodes_per_sequence
        self.max_nodes_per_frame = tuple(int(c) for c in max_nodes_per_frame)
        self.test_max_nodes_per_frame = self.max_nodes_per_frame if \
            test_max_nodes_per_frame is None else tuple(int(c) for c in test_max_nodes_per_frame)
        self.incoherent_thr = incoherent_thr
        self.force_gt_incoherence = force_gt_incoherence
        self.mark_coarse_errors = mark_coarse_errors
        self.node_region = node_region
        self.boundary_width = boundary_width
        self.detector_condition = detector_condition
        self.group_frames = group_frames
        self.given_embeddings = given_embeddings
        self.pool_min_cells = pool_min_cells
        self.query_min_iou = query_min_iou
        self.fine_prior = fine_prior
        self.rgb_embed = RGBEmbedding(embed_channels=rgb_channels)
        self.detector = IncoherentDetector(inst_channels=inst_channels, in_channels=in_channels,
                                           rgb_channels=rgb_channels,
                                           embed_channels=detector_channels,
                                           feat_channels=detector_channels)
        if detector_condition == 'fixed':
            self.fixed_embed = nn.Parameter(torch.randn(1, inst_channels))
        window_channels = FINE_WINDOW[1] ** 2 + 3 * RGB_WINDOW[1] ** 2 + 5 if fine_prior else 0
        self.node_encoder = NodeEncoder(
            level_channels=(in_channels, in_channels,
                            in_channels + rgb_channels + window_channels),
            hidden_dim=hidden_dim)
        if fine_prior:
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
    def caps(self) -> Tuple[int, ...]:
        """Nodes per instance, frame and level now: training's caps, or in eval mode
        ``test_max_nodes_per_frame``."""
        return self.max_nodes_per_frame if self.training else self.test_max_nodes_per_frame

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

    @staticmethod
    def confidence(probs: Tensor) -> Tensor:
        """Per-pixel confidence of a binary prediction, ``max(p, 1 - p)``.

        Args:
            probs (Tensor): (...) probabilities.

        Returns:
            Tensor: (...) in [0.5, 1].
        """
        return torch.maximum(probs, 1 - probs)

    def pool_inst_embeds(self, masks: Tensor, video_idx: Tensor,
                         f8: Tensor) -> Tuple[Tensor, Tensor]:
        """Instance embeddings of given masks: the H/8 features averaged *under* each mask,
        nothing outside it, projected to C_q.

        The mask at H/8 is binary: the cells it covers at least half. A feature of a cell
        the mask only grazes describes mostly the background, so such cells are left out
        unless the track has fewer than ``pool_min_cells`` covered cells (a small or thin
        object): then every cell it touches counts, weighted by its coverage. The video-level
        embedding applies the rule over all frames, a frame's over that frame; a frame where
        the mask is empty gets the video-level one.

        Args:
            masks (Tensor): (M, T, h8, w8) fraction of each cell that the mask covers.
            video_idx (Tensor): (M,) long.
            f8 (Tensor): (V*T, C, h8, w8).

        Returns:
            tuple[Tensor, Tensor]: video-level (M, C_q) over all frames, and per-frame
            (M, T, C_q).
        """
        num_inst, num_frames = masks.shape[:2]
        interior = (masks >= 0.5).to(masks.dtype)
        videos = f8.unflatten(0, (-1, num_frames))  # (V, T, C, h8, w8)

        def pooled_sums(weights: Tensor) -> Tuple[Tensor, Tensor]:
            sums = weights.new_zeros(num_inst, num_frames, f8.shape[1])
            for v in torch.unique(video_idx).tolist():  # a few videos; no (M, T, C, h, w)
                sel = video_idx == v
                sums[sel] = torch.einsum('tchw,mthw->mtc', videos[v], weights[sel])
            return sums, weights.sum((-2, -1))[..., None]  # (M, T, C), (M, T, 1)

        (in_sums, in_area), (all_sums, all_area) = pooled_sums(interior), pooled_sums(masks)
        small = in_area.sum(1) < self.pool_min_cells  # (M, 1)
        sums = torch.where(small, all_sums.sum(1), in_sums.sum(1))
        video = sums / torch.where(small, all_area.sum(1), in_area.sum(1)).clamp(min=1e-6)
        small_t = in_area < self.pool_min_cells  # (M, T, 1)
        area_t = torch.where(small_t, all_area, in_area)
        frame = torch.where(small_t, all_sums, in_sums) / area_t.clamp(min=1e-6)
        frame = torch.where(area_t > 0, frame, video[:, None])
        return self.mask_pool_proj(video), self.mask_pool_proj(frame)

    def given_inst_embeds(self, masks: Tensor, video_idx: Tensor, f8: Tensor,
                          queries: Optional[Dict[str, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        """Instance embeddings of given masks, as ``given_embeddings`` says.

        Args:
            masks (Tensor): (M, T, h8, w8) fraction of each cell that the mask covers.
            video_idx (Tensor): (M,) long.
            f8 (Tensor): (V*T, C, h8, w8).
            queries (dict, optional): ``'query'`` only, the base head's predictions of one
                video (V = 1): ``inst_embeds`` (K, C_q), ``coarse_logits`` (K, T, h8, w8)
                and optionally ``query_inds`` (K,) (a query listed twice, once per class,
                is matched once).

        Returns:
            tuple[Tensor, Tensor]: video-level (M, C_q) and per-frame (M, T, C_q)
            embeddings. With ``'query'`` the video-level one of a track is its matched
            query's (:func:`~mmvmt.models.layers.match_tracks_to_queries`), pooled where no
            query overlaps it; the per-frame ones are always pooled.
        """
        video, frame = self.pool_inst_embeds(masks, video_idx, f8)
        if self.given_embeddings == 'pooled':
            return video, frame
        if queries is None:
            raise ValueError("VMTRefineHead: given_embeddings='query' needs the base head's "
                             'queries (inst_embeds, coarse_logits) of the video')
        if len(video_idx) and int(video_idx.max()) > 0:
            raise ValueError("VMTRefineHead: given_embeddings='query' matches the tracks of "
                             'one video at a time')
        embeds, logits = queries['inst_embeds'], queries['coarse_logits']
        if 'query_inds' in queries:
            inds = queries['query_inds'].tolist()
            first = [i for i, q in enumerate(inds) if q not in inds[:i]]
            embeds, logits = embeds[first], logits[first]
        match = match_tracks_to_queries(masks, logits.sigmoid(), self.query_min_iou)
        matched = match >= 0
        video = torch.where(matched[:, None], embeds[match.clamp(min=0)].to(video), video) \
            if len(embeds) else video
        return video, frame

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
        """Check the inputs; compute what all steps share (upsampled coarse masks, the RGB
        embedding, the detector's per-level inputs and instance-specific weights)."""
        f8, f4 = feats[0], feats[1]
        num_inst, num_frames, h8, w8 = coarse_logits.shape
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
        if self.detector_condition == 'frame' and frame_embeds is None:
            raise ValueError("VMTRefineHead: detector_condition='frame' needs frame_embeds "
                             '(M, T, C_q)')
        sizes = [(h8 << level, w8 << level) for level in range(NUM_LEVELS + 1)]
        if fine_masks is not None and (fine_masks.dim() != 4 or
                                       fine_masks.shape[:2] != coarse_logits.shape[:2]):
            raise ValueError(f'VMTRefineHead: fine_masks must be (M, T, H, W) with (M, T) = '
                             f'{tuple(coarse_logits.shape[:2])} like coarse_logits, got '
                             f'{tuple(fine_masks.shape)}')
        if fine_masks is None or not self.fine_prior:  # fine_prior=False: the head before it
            coarse_up = upsample_chain(coarse_logits, NUM_LEVELS)
        else:
            coarse_up = mask_pyramid(coarse_logits, _fit(fine_masks.float(), sizes[-1]))
        # channels last: a node's C features (or a pixel's RGB) are one contiguous row for
        # sample_points and gather_window, and CPU convolutions run 2x faster on them
        f4 = f4.contiguous(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
        rgb = self.rgb_embed(images).contiguous(memory_format=torch.channels_last)
        if self.detector_condition == 'video':
            condition = inst_embeds
        elif self.detector_condition == 'frame':
            condition = frame_embeds.flatten(0, 1)  # one weight set per (instance, frame)
        else:
            condition = self.fixed_embed.expand(num_inst, -1)
        return _Clip(coarse_logits=coarse_logits, coarse_up=coarse_up, f8=f8, f4=f4, rgb=rgb,
                     images=images, inst_embeds=inst_embeds, video_idx=video_idx,
                     frame_ids=frame_ids.to(f8.device), frame_base=video_idx * num_frames,
                     sizes=sizes,
                     det_inputs=self.detector.level_inputs(f8, f4, rgb, sizes[:NUM_LEVELS]),
                     det_params=self.detector.generate_params(condition), force=force,
                     valid=valid)

    def _detect_roots(self, clip: _Clip) -> Tuple[Tensor, Tensor]:
        """Step 1: incoherence logits over the whole (M, T, h8, w8) volume; roots (P_0, 4)."""
        num_frames = clip.num_frames
        volume = clip.det_inputs[0].unflatten(0, (-1, num_frames))[clip.video_idx]
        volume = torch.cat([volume, clip.coarse_logits[:, :, None]], 2)  # (M, T, E + 1, h, w)
        if self.detector_condition == 'frame':  # each (instance, frame) its own conv group
            logits = self.detector.forward_dense(clip.det_params, volume.flatten(0, 1)[:, None])
            logits = logits.view_as(clip.coarse_logits)
        else:
            logits = self.detector.forward_dense(clip.det_params, volume)
        scores = self._selection_scores(clip, logits, 0)
        return dense_to_nodes(scores, self.incoherent_thr, self.caps[0]), logits

    def _grow_quadtrees(self, clip: _Clip,
                        roots: Tensor) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        """Step 2: levels 1, 2. The children of the nodes above are scored by the same
        instance weights (only there: the cost follows the number of nodes) and the best
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
            weights = m * num_frames + t if self.detector_condition == 'frame' else m
            logits = self.detector.forward_windows(
                clip.det_params, torch.cat([windows, coarse], 1), inside, weights)
            logits = logits.flatten()  # (P, 2, 2) row-major: child k = 2 * dy + dx
            m, t = cand[:, 0], cand[:, 1]
            scores = self._selection_scores(clip, logits, level, cand)
            keep = topk_per_group(scores, m * num_frames + t, self.caps[level],
                                  self.incoherent_thr)
            nodes.append(cand[keep])
            candidates.append(cand)
            logits_per_level.append(logits)
        return nodes, candidates, logits_per_level

    def _selection_scores(self, clip: _Clip, logits: Tensor, level: int,
                          cells: Optional[Tensor] = None) -> Tensor:
        """Scores that rank cells for selection: incoherence probabilities (or the coarse
        boundary band, ``node_region='boundary'``), above both where forced (in random
        order), -1 on invalid frames. Dense (M, T, h, w) when ``cells`` is None, else at cells (P,).
        """
        def at_cells(dense: Tensor) -> Tensor:
            return dense if cells is None else dense.flatten()[flat_index(cells,
                                                                          dense.shape[1:])]

        if self.node_region == 'boundary':
            scores = at_cells(boundary_band_scores(clip.coarse_up[level], self.boundary_width))
        else:
            scores = logits.detach().sigmoid()
        if clip.force is not None:
            forced = at_cells(clip.force[level])
            # random order among forced cells: when they exceed a frame's cap, the ones
            # taken are a fair sample of the frame, not its top rows
            scores = torch.where(forced, _FORCED + torch.rand_like(scores), scores)
        if clip.valid is not None:
            ok = clip.valid[:, :, None, None].expand_as(clip.coarse_up[level]) \
                if cells is None else clip.valid[cells[:, 0], cells[:, 1]]
            scores = torch.where(ok, scores, -torch.ones_like(scores))
        return scores

    def _encode_nodes(self, clip: _Clip, nodes: List[Tensor]) -> List[Tensor]:
        """Step 3: node tokens (P_l, E) per level from the level's features (f8; f4; f4 and
        the RGB embedding, and with ``fine_prior`` the full-resolution windows of
        :meth:`_pixel_windows`), the coarse mask logit, and the position (x, y in cells of
        the finest level, the frame's index in the video)."""
        level_maps = [[clip.f8], [clip.f4], [clip.f4, clip.rgb]]
        tokens = []
        for level, level_nodes in enumerate(nodes):
            m, t, y, x = level_nodes.unbind(1)
            h, w = clip.sizes[level]
            xy = torch.stack([(x + 0.5) / w, (y + 0.5) / h], 1)
            frames = clip.frame_base[m] + t
            feats = [sample_points(f, frames, xy) for f in level_maps[level]]
            if self.fine_prior and level == NUM_LEVELS - 1:
                feats.append(self._pixel_windows(clip, level_nodes))
            feats = torch.cat(feats, 1)
            coarse_up = clip.coarse_up[level]
            coarse = coarse_up.flatten()[flat_index(level_nodes, coarse_up.shape[1:])]
            scale = 2 ** (NUM_LEVELS - 1 - level)  # positions in cells of the finest level
            frame_index = clip.frame_ids[clip.video_idx[m], t].to(xy.dtype)
            pos = torch.stack([(x + 0.5) * scale, (y + 0.5) * scale, frame_index], 1)
            tokens.append(self.node_encoder(feats, coarse, pos, level))
        return tokens

    @staticmethod
    def _pixel_windows(clip: _Clip, nodes: Tensor) -> Tensor:
        """What a finest node (covering pixels 2y, 2y + 1 and 2x, 2x + 1) sees at full
        resolution: the mask's probabilities in the ``FINE_WINDOW`` and the normalised RGB
        in the ``RGB_WINDOW`` around it, zero outside the image.

        Args:
            clip (_Clip): the prepared inputs.
            nodes (Tensor): (P, 4) long nodes of the finest level.

        Returns:
            Tensor: (P, 6 * 6 + 3 * 4 * 4 + 5): the mask window, the RGB window and the
            local colour model's scores (:func:`_colour_scores`).
        """
        m, t, y, x = nodes.unbind(1)
        prior = clip.coarse_up[NUM_LEVELS].flatten(0, 1)[:, None]  # (M*T, 1, H, W), a view
        # one gather of the widest window; the others are crops of it
        mask, inside = gather_window(prior, m * clip.num_frames + t, 2 * y, 2 * x,
                                     *COLOUR_WINDOW)
        rgb, _ = gather_window(clip.images, clip.frame_base[m] + t, 2 * y, 2 * x,
                               *COLOUR_WINDOW)
        mask = mask[:, 0]  # (P, S, S) logits, 0 outside the image

        def crop(win: Tensor, window: Tuple[int, int]) -> Tensor:
            start = window[0] - COLOUR_WINDOW[0]
            return win[..., start:start + window[1], start:start + window[1]]

        probs = crop(mask.sigmoid() * inside, FINE_WINDOW)
        return torch.cat([probs.flatten(1), crop(rgb, RGB_WINDOW).flatten(1),
                          _colour_scores(mask > 0, rgb, inside)], 1)

    def _group_sequences(self, clip: _Clip, nodes: List[Tensor]) -> _Sequences:
        """Step 4: Quadtree Sequence Grouping.

        The nodes of one instance over all frames and levels form one sequence (or, with
        ``group_frames = g``, those of each g consecutive frames: g = 1 turns QSG off). At
        inference an instance with more than ``test_max_nodes_per_sequence`` nodes is split
        into runs of consecutive frames (:meth:`_frame_runs`).
        """
        all_nodes = torch.cat(nodes)
        inst, frame = all_nodes[:, 0], all_nodes[:, 1]
        num_frames, num_inst = clip.num_frames, len(clip.inst_embeds)
        if self.group_frames is None and not self.training and \
                self.test_max_nodes_per_sequence is not None:
            runs = self._frame_runs(inst, num_inst, num_frames)  # (M,)
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

    def _frame_runs(self, inst: Tensor, num_inst: int, num_frames: int) -> Tensor:
        """How many runs of consecutive frames each instance's sequence is split into: the
        fewest that bring its node count per run within ``test_max_nodes_per_sequence``
        (at most one per frame). Run r of R holds the frames t with ``t * R // T == r``.

        Args:
            inst (Tensor): (P,) long, the instance of each node.
            num_inst (int): M.
            num_frames (int): T.

        Returns:
            Tensor: (M,) long, in [1, T].
        """
        counts = torch.bincount(inst, minlength=num_inst)
        runs = torch.div(counts + self.test_max_nodes_per_sequence - 1,
                         self.test_max_nodes_per_sequence, rounding_mode='floor')
        return runs.clamp(1, num_frames)

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
        with ``fine_prior`` the sub-labels add ``prior_scale`` times the full-resolution
        prior logit at their pixels (a correction of the given mask, not a new one)."""
        logits = self.pixel_decoder(node_feats, [n[:, 0] for n in nodes], clip.inst_embeds)
        if self.fine_prior:
            prior = clip.coarse_up[NUM_LEVELS]
            children = expand_children(nodes[-1])[0]
            at = prior.flatten()[flat_index(children, prior.shape[1:])].view(-1, 4)
            logits[-1] = logits[-1] + self.prior_scale * at
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


def _colour_scores(mask: Tensor, rgb: Tensor, inside: Tensor) -> Tensor:
    """A local colour model of each finest node: which side of the given mask each of its
    four pixels looks like.

    In the ``COLOUR_WINDOW`` around the node, the mean RGB under the given mask (``in``) and
    outside it (``out``); for each of the node's 2 x 2 pixels the score
    ``(d_out - d_in) / (d_out + d_in)`` in [-1, 1] of its squared distances to them (1: it
    looks like the inside), and the contrast ``|in - out|``. Whatever the texture or the
    palette of a video, a halo pixel looks like the background next to it and a leg pixel
    like the body: a cue that does not depend on the style the refiner trained on.

    Args:
        mask (Tensor): (P, S, S) bool, the given mask in each node's ``COLOUR_WINDOW``.
        rgb (Tensor): (P, 3, S, S) the normalised image in the same windows.
        inside (Tensor): (P, S, S) bool, window pixels inside the image.

    Returns:
        Tensor: (P, 5): four scores (child order of ``expand_children``), the contrast.
    """
    sides = torch.stack([mask & inside, ~mask & inside], -1).flatten(1, 2).to(rgb.dtype)
    area = sides.sum(1)  # (P, 2): pixels in, out
    sums = torch.bmm(rgb.flatten(2), sides)  # (P, 3, 2), no (P, 3, S, S) product
    means = sums / area[:, None].clamp(min=1)
    mean_in, mean_out = means.unbind(-1)
    centre = -COLOUR_WINDOW[0]
    block = rgb[:, :, centre:centre + 2, centre:centre + 2].flatten(2)  # (P, 3, 4) row-major
    d_in = (block - mean_in[..., None]).square().sum(1)
    d_out = (block - mean_out[..., None]).square().sum(1)
    scores = (d_out - d_in) / (d_out + d_in).clamp(min=1e-6)
    scores = scores * (area > 0).all(1).to(scores.dtype)[:, None]
    return torch.cat([scores, (mean_in - mean_out).norm(dim=1, keepdim=True)], 1)


def mask_pyramid(coarse_logits: Tensor, fine_masks: Tensor) -> List[Tensor]:
    """The given full-resolution masks seen at every quadtree level.

    Args:
        coarse_logits (Tensor): (M, T, h8, w8) logits at H/8 (level 0, kept as they are).
        fine_masks (Tensor): (M, T, 8 h8, 8 w8) float masks in [0, 1].

    Returns:
        list[Tensor]: levels 0-3, (M, T, h8 * 2**l, w8 * 2**l): level 0 ``coarse_logits``,
        level l > 0 the logit of each cell's foreground fraction (area average of
        ``fine_masks`` over the cell), clamped to [eps, 1 - eps] as the H/8 logits of given
        masks are.
    """
    flat = fine_masks.flatten(0, 1)[:, None]
    levels = [coarse_logits]
    for level in range(1, NUM_LEVELS + 1):
        side = 1 << (NUM_LEVELS - level)
        frac = F.avg_pool2d(flat, side) if side > 1 else flat
        frac = frac.clamp(_PRIOR_EPS, 1 - _PRIOR_EPS)
        levels.append(torch.logit(frac)[:, 0].view(*fine_masks.shape[:2], *frac.shape[-2:]))
    return levels


def boundary_band_scores(coarse_logits: Tensor, width: int) -> Tensor:
    """Cells within ``width`` cells of the coarse mask's boundary, most uncertain first.

    Args:
        coarse_logits (Tensor): (M, T, h, w) coarse logits at one level.
        width (int): half-width of the band in cells.

    Returns:
        Tensor: (M, T, h, w): ``1 + (1 - |2p - 1|)`` in [1, 2] inside the band (above any
        incoherence threshold, ranked by the coarse mask's uncertainty), 0 outside.
    """
    fg = (coarse_logits > 0).float().flatten(0, 1)[:, None]
    size = 2 * width + 1
    band = F.max_pool2d(fg, size, 1, width) != -F.max_pool2d(-fg, size, 1, width)
    probs = coarse_logits.detach().sigmoid()
    return torch.where(band[:, 0].view_as(probs), 2 - (2 * probs - 1).abs(),
                       torch.zeros_like(probs))


def refined_region(label_cell: Tensor) -> Tensor:
    """Where a refined label may replace a given mask's label without doing harm.

    Only the pixels that the refiner labelled at full resolution: the four sub-labels of a
    finest (H/2) node (``label_cell == 1``). Everywhere else the refined mask cannot know
    more than the given one:

    * outside every node it is the coarse mask taken down to H/8 and bilinearly back up,
      which erases every leg, antenna or tail a few pixels wide;
    * inside the cell of a coarser leaf node (an H/8 or H/4 node none of whose children was
      selected) it is one value for a whole 8 x 8 or 4 x 4 block: written over a body it
      punches a blocky hole, written over a thin part it erases or widens it. Those cells
      keep the given mask (the refiner never decoded them at the finest level).

    Args:
        label_cell (Tensor): (K, T, H, W) uint8, the ``label_cell`` of
            :meth:`VMTRefineHead.refine` (the side in pixels of the cell whose one
            prediction labels each pixel; 1 at the sub-labels of finest nodes).

    Returns:
        Tensor: (K, T, H, W) bool.
    """
    return label_cell == 1


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
