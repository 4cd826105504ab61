"""SeqFormer-style base head of VMT: video-level instance queries, per-frame box queries.

Shape shorthand (used throughout this module)::

    V  videos in the batch          T  frames per video        B = V * T frames
    N  instance queries per video   C  embedding dims          K  classes
    G  GT tracks of one video       D  mask-feature channels   P  dynamic-conv parameters
    h, w  size of the stride-8 mask feature map;  H, W  padded input size

Boxes are (cx, cy, w, h) normalised to [0, 1] by each frame's image size (``img_shape``,
before padding), as in Deformable DETR.

Each decoder layer is mmdet's ``DeformableDetrTransformerDecoderLayer`` run on the B frames
as a batch: the N box queries of frame t attend to each other and, through
``MultiScaleDeformableAttention``, to frame t's encoder memory around frame t's own reference
box; the reference boxes are refined layer by layer (box refinement, detached). The per-frame
outputs are merged into one video-level instance embedding per query with learned temporal
weights (softmax over T). Heads: a class per instance (from the embedding), a box per frame
(from the box queries), and a coarse mask per frame at H/8 from a CondInst-style dynamic
convolution whose weights the instance embedding generates, applied to the mask features
together with the coordinates relative to that frame's predicted box centre.
"""
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmcv.ops import MultiScaleDeformableAttention
from mmdet.models.layers.transformer import (MLP, DeformableDetrTransformerDecoderLayer,
                                             inverse_sigmoid)
from mmdet.structures import TrackSampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule, ModuleList, bias_init_with_prob, constant_init
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvmt.registry import MODELS, TASK_UTILS


def dynamic_conv_param_count(in_channels: int, channels: int, num_layers: int) -> int:
    """Number of weights + biases of a stack of 1x1 convs ``in -> c -> ... -> c -> 1``."""
    dims = [in_channels] + [channels] * (num_layers - 1) + [1]
    return sum(cin * cout + cout for cin, cout in zip(dims[:-1], dims[1:]))


def split_dynamic_params(params: Tensor, in_channels: int, channels: int,
                         num_layers: int) -> List[Tuple[Tensor, Tensor]]:
    """Cut generated parameters into per-layer (weight, bias).

    Args:
        params (Tensor): (..., P) generated parameters.
        in_channels (int): Input channels of the first conv.
        channels (int): Hidden channels.
        num_layers (int): Number of 1x1 convs.

    Returns:
        list[tuple[Tensor, Tensor]]: weight (..., C_out, C_in) and bias (..., C_out) per layer.
    """
    dims = [in_channels] + [channels] * (num_layers - 1) + [1]
    out, start = [], 0
    for cin, cout in zip(dims[:-1], dims[1:]):
        weight = params[..., start:start + cin * cout].unflatten(-1, (cout, cin))
        start += cin * cout
        bias = params[..., start:start + cout]
        start += cout
        out.append((weight, bias))
    return out


def relative_coords(centers: Tensor, h: int, w: int, scale: Tensor) -> Tensor:
    """Coordinates of the mask-feature pixels relative to per-frame instance centres.

    Args:
        centers (Tensor): (M, T, 2) centres (x, y), normalised by the image size.
        h (int): Height of the mask feature map.
        w (int): Width of the mask feature map.
        scale (Tensor): (2,) padded input size over image size (x, y): a pixel at column j
            of the feature map lies at ``(j + 0.5) / w * scale_x`` in normalised units.

    Returns:
        Tensor: (M, T, 2, h * w) with (x, y) differences.
    """
    ys = (torch.arange(h, device=centers.device, dtype=centers.dtype) + 0.5) / h * scale[1]
    xs = (torch.arange(w, device=centers.device, dtype=centers.dtype) + 0.5) / w * scale[0]
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
    loc = torch.stack([grid_x.flatten(), grid_y.flatten()])  # (2, h * w)
    return loc[None, None] - centers[..., None]


def dynamic_mask_logits(params: Tensor, centers: Tensor, mask_feats: Tensor, scale: Tensor,
                        channels: int, num_layers: int) -> Tensor:
    """Instance-conditioned 1x1 convs over mask features + relative coordinates.

    Args:
        params (Tensor): (M, P) generated parameters of M instances of one video.
        centers (Tensor): (M, T, 2) per-frame instance centres (normalised x, y).
        mask_feats (Tensor): (T, D, h, w) mask features of that video.
        scale (Tensor): (2,) padded input size over image size, (x, y).
        channels (int): Hidden channels of the dynamic convs.
        num_layers (int): Number of dynamic convs.

    Returns:
        Tensor: (M, T, h, w) mask logits.
    """
    num_frames, dims, h, w = mask_feats.shape
    layers = split_dynamic_params(params, dims + 2, channels, num_layers)
    rel = relative_coords(centers, h, w, scale)  # (M, T, 2, hw)
    feats = mask_feats.flatten(2)  # (T, D, hw)
    weight, bias = layers[0]
    # The first conv is split into its feature part (shared input, so no (M, T, D, hw)
    # copy is made) and its coordinate part.
    x = (torch.einsum('mod,tdp->mtop', weight[..., 2:], feats) +
         torch.einsum('moc,mtcp->mtop', weight[..., :2], rel) + bias[:, None, :, None])
    for weight, bias in layers[1:]:
        x = torch.einsum('moc,mtcp->mtop', weight, F.relu(x)) + bias[:, None, :, None]
    return x.squeeze(2).unflatten(-1, (h, w))


# Optional per-frame masks of the data pipeline (PackVMTInputs) gathered into tracks too.
TRACK_MASK_FIELDS = ('coarse_masks', 'refine_regions')


@MODELS.register_module()
class VideoQueryHead(BaseModule):
    """SeqFormer-style video instance head (VMT's base detector).

    Args:
        num_classes (int): Number of object classes K.
        num_queries (int): Number of video-level instance queries N. Defaults to 300.
        embed_dims (int): Embedding dims C. Defaults to 256.
        decoder (dict): ``num_layers`` and ``layer_cfg`` of mmdet's
            ``DeformableDetrTransformerDecoderLayer``.
        mask_dims (int): Channels D of the mask features. Defaults to 8.
        dynamic_channels (int): Hidden channels of the dynamic mask convs. Defaults to 8.
        dynamic_layers (int): Number of dynamic mask convs. Defaults to 3.
        norm_cfg (dict): Norm of the mask branch. Defaults to GN with 32 groups.
        loss_cls (dict): Class loss (sigmoid focal).
        loss_bbox (dict): Per-frame L1 box loss.
        loss_iou (dict): Per-frame GIoU box loss.
        loss_mask (dict): Per-pixel BCE coarse-mask loss.
        loss_dice (dict): Tube dice coarse-mask loss.
        train_cfg (dict, optional): ``assigner``: a registered video matcher.
        test_cfg (dict, optional): ``max_per_video``: (query, class) pairs kept at test time.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 *,
                 num_classes: int,
                 num_queries: int = 300,
                 embed_dims: int = 256,
                 decoder: ConfigType,
                 mask_dims: int = 8,
                 dynamic_channels: int = 8,
                 dynamic_layers: int = 3,
                 norm_cfg: ConfigType = dict(type='GN', num_groups=32),
                 loss_cls: ConfigType = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0,
                                             alpha=0.25, loss_weight=2.0),
                 loss_bbox: ConfigType = dict(type='L1Loss', loss_weight=5.0),
                 loss_iou: ConfigType = dict(type='GIoULoss', loss_weight=2.0),
                 loss_mask: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                              loss_weight=2.0),
                 loss_dice: ConfigType = dict(type='DiceLoss', use_sigmoid=True,
                                              activate=True, eps=1.0, loss_weight=5.0),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_queries = num_queries
        self.embed_dims = embed_dims
        self.num_layers = decoder['num_layers']
        self.mask_dims = mask_dims
        self.dynamic_channels = dynamic_channels
        self.dynamic_layers = dynamic_layers
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}

        self.query_embedding = nn.Embedding(num_queries, embed_dims * 2)
        self.reference_fc = nn.Linear(embed_dims, 4)
        self.layers = ModuleList([
            DeformableDetrTransformerDecoderLayer(**decoder['layer_cfg'])
            for _ in range(self.num_layers)
        ])
        self.temporal_weight = ModuleList(
            [nn.Linear(embed_dims, 1) for _ in range(self.num_layers)])
        self.cls_branches = ModuleList(
            [nn.Linear(embed_dims, num_classes) for _ in range(self.num_layers)])
        self.reg_branches = ModuleList(
            [MLP(embed_dims, embed_dims, 4, 3) for _ in range(self.num_layers)])
        num_params = dynamic_conv_param_count(mask_dims + 2, dynamic_channels, dynamic_layers)
        self.controller = MLP(embed_dims, embed_dims, num_params, 3)
        self.mask_fuse = ConvModule(embed_dims, embed_dims, 3, padding=1, norm_cfg=norm_cfg)
        self.mask_proj = nn.Conv2d(embed_dims, mask_dims, 1)

        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.assigner = TASK_UTILS.build(
            self.train_cfg.get('assigner', dict(type='VideoHungarianAssigner')))

    def init_weights(self) -> None:
        """Deformable-DETR initialisation: xavier decoder, focal prior on the classes."""
        super().init_weights()
        for p in self.layers.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for m in self.layers.modules():
            if isinstance(m, MultiScaleDeformableAttention):
                m.init_weights()
        bias_init = bias_init_with_prob(0.01)
        for m in self.cls_branches:
            nn.init.constant_(m.bias, bias_init)
        for m in self.reg_branches:
            constant_init(m.layers[-1], 0, bias=0)
        nn.init.xavier_uniform_(self.reference_fc.weight)
        # Initial boxes: centres spread by the query embedding, about 0.12 of the image wide.
        nn.init.constant_(self.reference_fc.bias[:2], 0.0)
        nn.init.constant_(self.reference_fc.bias[2:], -2.0)

    # ------------------------------------------------------------------ forward
    def mask_features(self, memory: Tensor, spatial_shapes: Tensor,
                      level_start_index: Tensor) -> Tuple[Tensor, Tensor]:
        """Fuse the encoder levels into the stride-8 feature map and the mask features.

        Args:
            memory (Tensor): (B, L, C) encoder output, levels concatenated; level 0 has
                stride 8.
            spatial_shapes (Tensor): (num_levels, 2) (h, w) of each level.
            level_start_index (Tensor): (num_levels,) start of each level in L.

        Returns:
            tuple[Tensor, Tensor]: ``f8`` (B, C, h, w), the fused stride-8 features (also
            used by the refinement head), and ``mask_feats`` (B, D, h, w).
        """
        num_frames = memory.shape[0]
        fused = None
        for lvl, (h, w) in enumerate(spatial_shapes.tolist()):
            start = int(level_start_index[lvl])
            level = memory[:, start:start + h * w].transpose(1, 2).reshape(
                num_frames, -1, h, w)
            if fused is None:
                fused = level
            else:
                fused = fused + F.interpolate(level, size=fused.shape[-2:], mode='bilinear',
                                              align_corners=False)
        f8 = self.mask_fuse(fused)
        return f8, self.mask_proj(f8)

    def forward(self, memory: Tensor, memory_mask: Optional[Tensor], spatial_shapes: Tensor,
                level_start_index: Tensor, valid_ratios: Tensor,
                num_frames: int) -> Dict[str, object]:
        """Decode the video-level instance queries.

        Args:
            memory (Tensor): (B, L, C) encoder output of all frames, video-major
                (frame t of video v at index v * T + t).
            memory_mask (Tensor, optional): (B, L) bool, True at padding.
            spatial_shapes (Tensor): (num_levels, 2) (h, w) of each level.
            level_start_index (Tensor): (num_levels,) start of each level in L.
            valid_ratios (Tensor): (B, num_levels, 2) valid fraction of each level.
            num_frames (int): T.

        Returns:
            dict: ``cls_scores`` list of (V, N, K) logits per layer; ``bbox_preds`` list of
            (V, N, T, 4) boxes per layer; ``mask_params`` list of (V, N, P) per layer;
            ``inst_embeds`` list of (V, N, C) per layer; ``f8`` (B, C, h, w);
            ``mask_feats`` (B, D, h, w).
        """
        num_all = memory.shape[0]
        num_videos = num_all // num_frames
        query_pos, query = self.query_embedding.weight.split(self.embed_dims, dim=-1)
        reference = self.reference_fc(query_pos).sigmoid()
        box_query = query[None].expand(num_all, -1, -1)
        query_pos = query_pos[None].expand(num_all, -1, -1)
        reference = reference[None].expand(num_all, -1, -1)
        ratios = torch.cat([valid_ratios, valid_ratios], -1)[:, None]

        outs = dict(cls_scores=[], bbox_preds=[], mask_params=[], inst_embeds=[])
        for i, layer in enumerate(self.layers):
            box_query = layer(
                box_query,
                query_pos=query_pos,
                value=memory,
                key_padding_mask=memory_mask,
                spatial_shapes=spatial_shapes,
                level_start_index=level_start_index,
                valid_ratios=valid_ratios,
                reference_points=reference[:, :, None] * ratios)
            boxes = (self.reg_branches[i](box_query) + inverse_sigmoid(reference)).sigmoid()
            reference = boxes.detach()
            per_frame = box_query.unflatten(0, (num_videos, num_frames))  # (V, T, N, C)
            weights = self.temporal_weight[i](per_frame).softmax(dim=1)
            inst = (weights * per_frame).sum(1)  # (V, N, C)
            outs['inst_embeds'].append(inst)
            outs['cls_scores'].append(self.cls_branches[i](inst))
            outs['mask_params'].append(self.controller(inst))
            outs['bbox_preds'].append(
                boxes.unflatten(0, (num_videos, num_frames)).transpose(1, 2))
        outs['f8'], outs['mask_feats'] = self.mask_features(memory, spatial_shapes,
                                                            level_start_index)
        return outs

    def coarse_mask_logits(self, params: Tensor, boxes: Tensor, mask_feats: Tensor,
                           scale: Tensor) -> Tensor:
        """Coarse masks at H/8 of M instances of one video.

        Args:
            params (Tensor): (M, P) dynamic-conv parameters.
            boxes (Tensor): (M, T, 4) per-frame boxes; their centres anchor the relative
                coordinates (detached: the boxes learn from the box losses).
            mask_feats (Tensor): (T, D, h, w) mask features of the video.
            scale (Tensor): (2,) padded input size over image size, (x, y).

        Returns:
            Tensor: (M, T, h, w) mask logits.
        """
        return dynamic_mask_logits(params, boxes[..., :2].detach(), mask_feats, scale,
                                   self.dynamic_channels, self.dynamic_layers)

    # ------------------------------------------------------------------ training
    @staticmethod
    def preprocess_gt(data_samples: TrackSampleList) -> InstanceList:
        """Gather each video's per-frame GT into tracks.

        Args:
            data_samples (list[TrackDataSample]): V videos of T frames; frame t's
                ``gt_instances`` holds ``labels``, ``instances_ids``, ``masks`` (BitmapMasks
                padded to the batch input size) and optionally ``bboxes`` (xyxy pixels).

        Returns:
            list[InstanceData]: per video, G tracks with ``labels`` (G,), ``instances_ids``
            (G,), ``masks`` (G, T, H, W) bool, ``bboxes`` (G, T, 4) normalised cxcywh and
            ``valid`` (G, T) bool, True where the track is present with a non-empty box, and
            ``coarse_masks`` / ``refine_regions`` (G, T, H, W) bool when every frame has them
            (from the data pipeline, for the class-agnostic refiner training).
        """
        videos = []
        for video in data_samples:
            frames = [video[t] for t in range(len(video))]
            gts = [frame.gt_instances for frame in frames]
            device = gts[0].labels.device
            ids = torch.cat([gt.instances_ids for gt in gts]).unique().tolist()
            index = {track_id: g for g, track_id in enumerate(ids)}
            height, width = frames[0].batch_input_shape
            num_tracks, num_frames = len(ids), len(frames)
            masks = torch.zeros(num_tracks, num_frames, height, width, dtype=torch.bool,
                                device=device)
            boxes = torch.zeros(num_tracks, num_frames, 4, device=device)
            valid = torch.zeros(num_tracks, num_frames, dtype=torch.bool, device=device)
            labels = torch.zeros(num_tracks, dtype=torch.long, device=device)
            extras = {key: torch.zeros_like(masks) for key in TRACK_MASK_FIELDS
                      if all(key in gt for gt in gts)}
            for t, (frame, gt) in enumerate(zip(frames, gts)):
                if len(gt) == 0:
                    continue
                rows = torch.as_tensor([index[i] for i in gt.instances_ids.tolist()],
                                       device=device)
                frame_masks = gt.masks.to_tensor(dtype=torch.bool, device=device)
                masks[rows, t] = frame_masks
                for key, track_masks in extras.items():
                    given = gt[key].to_tensor(dtype=torch.bool, device=device)
                    track_masks[rows, t, :given.shape[-2], :given.shape[-1]] = given
                if 'bboxes' in gt:
                    xyxy = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') else gt.bboxes
                else:
                    xyxy = mask2bbox(frame_masks)
                img_h, img_w = frame.img_shape[:2]
                boxes[rows, t] = bbox_xyxy_to_cxcywh(xyxy.float().to(device)) / \
                    boxes.new_tensor([img_w, img_h, img_w, img_h])
                valid[rows, t] = (boxes[rows, t, 2:] > 0).all(-1)
                labels[rows] = gt.labels.to(device)
            video_gts = InstanceData(labels=labels, instances_ids=torch.as_tensor(ids),
                                     masks=masks, bboxes=boxes, valid=valid, **extras)
            videos.append(video_gts)
        return videos

    def loss(self, outs: Dict[str, object], batch_gts: InstanceList,
             img_scales: Tensor) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """Match every decoder layer's predictions to the GT tracks and compute the losses.

        Args:
            outs (dict): Output of :meth:`forward`.
            batch_gts (list[InstanceData]): Output of :meth:`preprocess_gt`.
            img_scales (Tensor): (V, 2) padded input size over image size, (x, y).

        Returns:
            tuple[dict, dict]: The losses (``loss_cls`` ... for the last layer,
            ``d{i}.loss_cls`` ... for the auxiliary ones), and the last layer's matched
            instances for the refinement head: ``inst_embeds`` (M, C), ``coarse_logits``
            (M, T, h, w), ``video_idx`` (M,), ``gt_masks`` (M, T, H, W) bool, ``valid``
            (M, T) bool.
        """
        num_videos = len(batch_gts)
        mask_feats = outs['mask_feats'].unflatten(0, (num_videos, -1))
        num_gts = sum(len(gt) for gt in batch_gts)
        num_gts = max(reduce_mean(outs['cls_scores'][0].new_tensor(num_gts)).item(), 1.0)
        losses, matched = {}, {}
        for layer in range(self.num_layers):
            layer_losses, layer_matched = self._loss_single_layer(
                outs['cls_scores'][layer], outs['bbox_preds'][layer],
                outs['mask_params'][layer], mask_feats, batch_gts, img_scales, num_gts)
            prefix = '' if layer == self.num_layers - 1 else f'd{layer}.'
            losses.update({prefix + k: v for k, v in layer_losses.items()})
            if layer == self.num_layers - 1:
                matched = layer_matched
                matched['inst_embeds'] = torch.cat([
                    outs['inst_embeds'][layer][v][q]
                    for v, q in enumerate(layer_matched.pop('query_inds'))
                ])
        return losses, matched

    def _loss_single_layer(self, cls_scores: Tensor, bbox_preds: Tensor, mask_params: Tensor,
                           mask_feats: Tensor, batch_gts: InstanceList, img_scales: Tensor,
                           num_gts: float) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """Losses of one decoder layer; see :meth:`loss` for shapes."""
        num_videos = cls_scores.shape[0]
        cls_targets = torch.full(cls_scores.shape[:2], self.num_classes, dtype=torch.long,
                                 device=cls_scores.device)
        query_inds, boxes, gt_boxes, valid, logits, gt_masks, video_idx = \
            [], [], [], [], [], [], []
        for v in range(num_videos):
            gt = batch_gts[v]
            pred_masks = small_gt = None
            if self.assigner.with_mask_cost and len(gt):
                pred_masks = self.coarse_mask_logits(mask_params[v], bbox_preds[v],
                                                     mask_feats[v], img_scales[v])
                small_gt = F.interpolate(gt.masks.float(), size=pred_masks.shape[-2:],
                                         mode='area')
            q, g = self.assigner.assign(
                cls_scores[v].detach(), bbox_preds[v].detach(), gt.labels, gt.bboxes,
                gt.valid, None if pred_masks is None else pred_masks.detach(), small_gt)
            cls_targets[v, q] = gt.labels[g]
            query_inds.append(q)
            boxes.append(bbox_preds[v][q])
            gt_boxes.append(gt.bboxes[g])
            valid.append(gt.valid[g])
            logits.append(pred_masks[q] if pred_masks is not None else self.coarse_mask_logits(
                mask_params[v][q], bbox_preds[v][q], mask_feats[v], img_scales[v]))
            gt_masks.append(gt.masks[g])
            video_idx.append(torch.full_like(q, v))
        boxes, gt_boxes, valid = torch.cat(boxes), torch.cat(gt_boxes), torch.cat(valid)
        logits, gt_masks = torch.cat(logits), torch.cat(gt_masks)

        losses = dict(loss_cls=self.loss_cls(cls_scores.flatten(0, 1), cls_targets.flatten(),
                                             avg_factor=num_gts))
        # Boxes count only on the frames where the track is present.
        num_valid = max(reduce_mean(valid.sum().float()).item(), 1.0)
        box_weight = valid[..., None].float().expand_as(boxes)
        losses['loss_bbox'] = self.loss_bbox(boxes, gt_boxes, weight=box_weight,
                                             avg_factor=num_valid)
        losses['loss_iou'] = self.loss_iou(
            bbox_cxcywh_to_xyxy(boxes).flatten(0, 1), bbox_cxcywh_to_xyxy(gt_boxes).flatten(
                0, 1), weight=valid.flatten().float(), avg_factor=num_valid)
        # Masks count on every frame: an absent instance must predict an empty mask there.
        small_gt = F.interpolate(gt_masks.float(), size=logits.shape[-2:], mode='area') \
            if len(gt_masks) else torch.zeros_like(logits)
        losses['loss_mask'] = self.loss_mask(logits.flatten(1), small_gt.flatten(1),
                                             avg_factor=math.prod(logits.shape[1:]) * num_gts)
        losses['loss_dice'] = self.loss_dice(logits.flatten(1), small_gt.flatten(1),
                                             avg_factor=num_gts)
        matched = dict(query_inds=query_inds, coarse_logits=logits, video_idx=torch.cat(
            video_idx), gt_masks=gt_masks, valid=valid)
        return losses, matched

    # ------------------------------------------------------------------ inference
    def predict(self, outs: Dict[str, object], img_scale: Tensor) -> Dict[str, Tensor]:
        """Keep the best (query, class) pairs of one video and compute their coarse masks.

        Args:
            outs (dict): Output of :meth:`forward` for a single video (V = 1).
            img_scale (Tensor): (2,) padded input size over image size, (x, y).

        Returns:
            dict: ``scores`` (K,), ``labels`` (K,), ``query_inds`` (K,), ``inst_embeds``
            (K, C), ``bboxes`` (K, T, 4) normalised cxcywh, ``coarse_logits``
            (K, T, h, w); K = min(test_cfg.max_per_video, N * num_classes).
        """
        cls_scores = outs['cls_scores'][-1][0]
        scores = cls_scores.sigmoid().flatten()
        max_per_video = min(self.test_cfg.get('max_per_video', 10), scores.numel())
        scores, inds = scores.topk(max_per_video)
        query_inds = torch.div(inds, self.num_classes, rounding_mode='floor')
        labels = inds % self.num_classes
        boxes = outs['bbox_preds'][-1][0][query_inds]
        logits = self.coarse_mask_logits(outs['mask_params'][-1][0][query_inds], boxes,
                                         outs['mask_feats'], img_scale)
        return dict(scores=scores, labels=labels, query_inds=query_inds,
                    inst_embeds=outs['inst_embeds'][-1][0][query_inds], bboxes=boxes,
                    coarse_logits=logits)
