"""SeqFormer's video head (VMT's base detector).

Shape shorthand (used throughout this module)::

    V  videos in the batch          T  frames per video        B = V * T frames
    N  instance queries per video   C  embedding dims          K  classes
    G  GT tracks of one video       D  mask-feature channels   P  dynamic-conv parameters
    h, w  size of the stride-8 mask feature map;  H, W  padded input size

Boxes are (cx, cy, w, h) normalised to [0, 1] by each frame's image size (``img_shape``,
before padding), as in Deformable DETR.

The decoder (:class:`~mmvmt.models.layers.SeqFormerTransformerDecoder`) gives, per layer,
the video-level instance queries and the per-frame box queries. This head predicts a class
per instance (``cls_branches``, from the instance query), a box per frame (``reg_branches``,
from the box queries, refining the layer's input reference) and a coarse mask per frame: the
``controller`` turns the instance query into the parameters of three dynamic 1x1 convs that
run over SeqFormer's stride-8 mask features (``mask_branch``) together with the pixel
coordinates relative to the frame's reference centre (the layer's *input* reference, as
SeqFormer), giving H/8 logits that are upsampled to H/4 with ``aligned_bilinear``.

Why not a subclass of mmdet's ``DeformableDETRHead``: mmdet's DETR heads take one query
stream ``(num_layers, B, N, C)`` and return class and box tensors, and their ``loss`` /
``predict`` read ``batch_data_samples`` of single images. SeqFormer's head takes two
streams (video-level instance queries, per-frame box queries), predicts masks from mask
features the detector computes, and its matches feed the refiner, so none of those
signatures would hold; a subclass changing all of them breaks every call through mmdet's
interface. This head is a plain ``BaseModule`` that keeps mmdet's *parameter* layout
(``cls_branches``, ``reg_branches``, built and initialised as ``DeformableDETRHead`` does),
so mmdet's Deformable DETR checkpoints load into it, and its own typed contract:
:meth:`VideoQueryHead.forward` gives one :class:`~mmvmt.models.data.QueryPredictions` per
decoder layer, :meth:`~VideoQueryHead.loss_and_match` the losses and the matched queries,
:meth:`~VideoQueryHead.predict` the kept predictions (``InstanceData``).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmcv.cnn import Linear
from mmdet.models.layers.transformer import MLP, inverse_sigmoid
from mmdet.models.utils import aligned_bilinear
from mmdet.structures import TrackSampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule, bias_init_with_prob, constant_init
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvmt.registry import MODELS, TASK_UTILS
from ..data import EncodedFrames, MaskFeatures, QueryPredictions
from ..layers.dynamic_conv import (dynamic_conv_dims, dynamic_conv_param_count,
                                   dynamic_mask_logits)
from ..layers.seqformer_mask_branch import SeqFormerMaskBranch

# Optional per-frame masks of the data pipeline (PackVMTInputs) gathered into tracks too.
TRACK_MASK_FIELDS = ('coarse_masks', 'refine_regions')
# Stride of the mask features and of the coarse masks the head outputs (SeqFormer's).
MASK_FEAT_STRIDE = 8
MASK_OUT_STRIDE = 4


@MODELS.register_module()
class VideoQueryHead(BaseModule):
    """SeqFormer's video instance head (VMT's base detector).

    Built by the detectors of :mod:`mmvmt.models.detectors` as mmdet's Deformable DETR
    builds its ``bbox_head`` (``share_pred_layer``, ``num_pred_layer`` and ``as_two_stage``
    come from the detector). Parameters keep the names and the initialisation of mmdet's
    ``DeformableDETRHead`` (``cls_branches``, ``reg_branches``), so a Deformable DETR
    checkpoint loads into them; why it is not a subclass: see the module docstring.

    Args:
        num_classes (int): Number of object classes K.
        embed_dims (int): Embedding dims C. Defaults to 256.
        mask_dims (int, optional): Channels D of the mask features. Defaults to C // 32.
        dynamic_channels (int): Hidden channels of the dynamic mask convs. Defaults to 8.
        dynamic_layers (int): Number of dynamic mask convs. Defaults to 3.
        mask_levels (int): Encoder levels fused by the mask branch. Defaults to 3.
        num_reg_fcs (int): Hidden layers of a box branch (mmdet's). Defaults to 2.
        share_pred_layer (bool): One class / box branch for all layers. Defaults to False.
        num_pred_layer (int): Decoder layers predicted from. Defaults to 6.
        as_two_stage (bool): Must be False (SeqFormer is one-stage); mmdet's detector
            passes it.
        loss_cls (dict): Class loss (sigmoid focal).
        loss_bbox (dict): Per-frame L1 box loss.
        loss_iou (dict): Per-frame GIoU box loss.
        loss_mask (dict): Per-pixel coarse-mask loss (sigmoid focal, as SeqFormer).
        loss_dice (dict): Tube dice coarse-mask loss.
        train_cfg (dict, optional): ``assigner``, a registered video matcher (default
            ``VideoHungarianAssigner``).
        test_cfg (dict, optional): ``max_per_video`` (kept predictions, default 10).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 *,
                 num_classes: int,
                 embed_dims: int = 256,
                 mask_dims: Optional[int] = None,
                 dynamic_channels: int = 8,
                 dynamic_layers: int = 3,
                 mask_levels: int = 3,
                 num_reg_fcs: int = 2,
                 share_pred_layer: bool = False,
                 num_pred_layer: int = 6,
                 as_two_stage: bool = False,
                 loss_cls: ConfigType = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0,
                                             alpha=0.25, loss_weight=2.0),
                 loss_bbox: ConfigType = dict(type='L1Loss', loss_weight=5.0),
                 loss_iou: ConfigType = dict(type='GIoULoss', loss_weight=2.0),
                 loss_mask: ConfigType = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0,
                                              alpha=0.25, loss_weight=2.0),
                 loss_dice: ConfigType = dict(type='DiceLoss', use_sigmoid=True,
                                              activate=True, eps=1.0, loss_weight=5.0),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if as_two_stage:
            raise ValueError('VideoQueryHead: SeqFormer is one-stage; as_two_stage must be '
                             'False.')
        train_cfg = dict(train_cfg or {})
        train_cfg.setdefault('assigner', dict(type='VideoHungarianAssigner'))
        self.train_cfg, self.test_cfg = train_cfg, dict(test_cfg or {})
        self.assigner = TASK_UTILS.build(train_cfg['assigner'])
        self.num_classes = num_classes
        self.embed_dims = embed_dims
        self.num_reg_fcs = num_reg_fcs
        self.share_pred_layer = share_pred_layer
        self.num_pred_layer = num_pred_layer
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        if not self.loss_cls.use_sigmoid:
            raise ValueError('VideoQueryHead: loss_cls must use sigmoid (a focal loss): the '
                             'queries have no background class.')
        self.mask_dims = mask_dims or embed_dims // 32
        self.mask_levels = mask_levels
        self.dynamic_dims = dynamic_conv_dims(self.mask_dims + 2, dynamic_channels,
                                              dynamic_layers)
        self._init_layers()
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)

    @property
    def num_layers(self) -> int:
        """int: Number of decoder layers predicted from."""
        return self.num_pred_layer

    def _init_layers(self) -> None:
        """mmdet's class and box branches (``DeformableDETRHead``'s layout), the
        dynamic-mask controller and the mask branch."""
        fc_cls = Linear(self.embed_dims, self.num_classes)
        reg_branch = []
        for _ in range(self.num_reg_fcs):
            reg_branch += [Linear(self.embed_dims, self.embed_dims), nn.ReLU()]
        reg_branch = nn.Sequential(*reg_branch, Linear(self.embed_dims, 4))
        copies = (lambda m: m) if self.share_pred_layer else copy.deepcopy
        self.cls_branches = nn.ModuleList([copies(fc_cls) for _ in range(self.num_pred_layer)])
        self.reg_branches = nn.ModuleList(
            [copies(reg_branch) for _ in range(self.num_pred_layer)])
        self.controller = MLP(self.embed_dims, self.embed_dims,
                              dynamic_conv_param_count(self.dynamic_dims), 3)
        self.mask_branch = SeqFormerMaskBranch(embed_dims=self.embed_dims,
                                               mask_dims=self.mask_dims,
                                               num_levels=self.mask_levels)

    def init_weights(self) -> None:
        """mmdet's Deformable DETR head init; SeqFormer's for the controller and branch.

        It does not call ``BaseModule.init_weights`` (nor did mmdet's head): that would
        initialise the mask branch a second time."""
        bias_init = bias_init_with_prob(0.01)
        for m in self.cls_branches:
            nn.init.constant_(m.bias, bias_init)
        for m in self.reg_branches:
            constant_init(m[-1], 0, bias=0)
        nn.init.constant_(self.reg_branches[0][-1].bias.data[2:], -2.0)
        for layer in self.controller.layers:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.mask_branch.init_weights()

    # ------------------------------------------------------------------ forward
    def mask_features(self, enc: EncodedFrames) -> MaskFeatures:
        """SeqFormer's mask branch over the encoder memory of B frames.

        Args:
            enc (EncodedFrames): The encoder's output; its level 0 has stride 8.

        Returns:
            MaskFeatures: ``f8``, ``mask_feats`` and ``f8_sum``, each (B, ., h, w).
        """
        levels = SeqFormerMaskBranch.split_levels(enc.memory, enc.spatial_shapes,
                                                  enc.level_start_index, self.mask_levels)
        f8, mask_feats, f8_sum = self.mask_branch(levels, return_sum=True)
        return MaskFeatures(f8=f8, mask_feats=mask_feats, f8_sum=f8_sum)

    def forward(self, inst_states: Sequence[Tensor], box_states: Sequence[Tensor],
                references: Sequence[Tensor], num_frames: int) -> List[QueryPredictions]:
        """Per-layer predictions.

        Args:
            inst_states (Sequence[Tensor]): per layer, (V, N, C) instance queries.
            box_states (Sequence[Tensor]): per layer, (B, N, C) box queries.
            references (Sequence[Tensor]): the decoder's references: (B, N, 2) before the
                first layer, (B, N, 4) after each layer.
            num_frames (int): T.

        Returns:
            list[QueryPredictions]: one per decoder layer.
        """
        layers = []
        for layer, (inst, box) in enumerate(zip(inst_states, box_states)):
            reference = references[layer]
            delta = self.reg_branches[layer](box)
            if reference.shape[-1] == 4:
                boxes = delta + inverse_sigmoid(reference)
            else:
                boxes = torch.cat([delta[..., :2] + inverse_sigmoid(reference), delta[..., 2:]],
                                  -1)
            layers.append(QueryPredictions(
                cls_scores=self.cls_branches[layer](inst),
                bbox_preds=boxes.sigmoid().unflatten(0, (-1, num_frames)).transpose(1, 2),
                mask_params=self.controller(inst), inst_embeds=inst,
                mask_centers=reference[..., :2].unflatten(0, (-1, num_frames)).transpose(1, 2)))
        return layers

    def coarse_mask_logits(self, params: Tensor, centers: Tensor, mask_feats: Tensor,
                           img_size: Tensor) -> Tuple[Tensor, Tensor]:
        """Coarse masks of M instances of one video.

        Args:
            params (Tensor): (M, P) dynamic-conv parameters.
            centers (Tensor): (M, T, 2) normalised (x, y) centres of the relative coordinates.
            mask_feats (Tensor): (T, D, h, w) mask features of the video.
            img_size (Tensor): (2,) image size (w, h) before padding, in pixels.

        Returns:
            tuple[Tensor, Tensor]: logits at H/8 (M, T, h, w) and, upsampled as SeqFormer
            does, at H/4 (M, T, 2h, 2w).
        """
        logits = dynamic_mask_logits(params, centers * img_size, mask_feats, self.dynamic_dims,
                                     MASK_FEAT_STRIDE)
        up = aligned_bilinear(logits.flatten(0, 1)[:, None],
                              MASK_FEAT_STRIDE // MASK_OUT_STRIDE)
        return logits, up[:, 0].unflatten(0, logits.shape[:2])

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

    def loss_and_match(self, layers: Sequence[QueryPredictions], mask_feats: Tensor,
                       batch_gts: InstanceList,
                       img_sizes: Tensor) -> Tuple[Dict[str, Tensor], InstanceData]:
        """Match every decoder layer's predictions to the GT tracks and compute the losses.

        Args:
            layers (Sequence[QueryPredictions]): Output of :meth:`forward`.
            mask_feats (Tensor): (B, D, h, w) mask features.
            batch_gts (list[InstanceData]): Output of :meth:`preprocess_gt`.
            img_sizes (Tensor): (V, 2) image size (w, h) before padding, in pixels.

        Returns:
            tuple[dict, InstanceData]: The losses (``loss_cls`` ... for the last layer,
            ``d{i}.loss_cls`` ... for the auxiliary ones), and the M queries of the last
            layer matched to GT tracks (all videos), for a refiner: ``inst_embeds``
            (M, C), ``coarse_logits`` (M, T, h, w) at H/8, ``video_idx`` (M,) long,
            ``gt_masks`` (M, T, H, W) bool, ``valid`` (M, T) bool.
        """
        num_videos = len(batch_gts)
        mask_feats = mask_feats.unflatten(0, (num_videos, -1))
        num_gts = sum(len(gt) for gt in batch_gts)
        num_gts = max(reduce_mean(layers[0].cls_scores.new_tensor(num_gts)).item(), 1.0)
        losses = {}
        for layer, preds in enumerate(layers):
            layer_losses, matched = self._loss_single_layer(preds, mask_feats, batch_gts,
                                                            img_sizes, num_gts)
            prefix = '' if layer == len(layers) - 1 else f'd{layer}.'
            losses.update({prefix + k: v for k, v in layer_losses.items()})
        return losses, matched

    def _loss_single_layer(self, preds: QueryPredictions, mask_feats: Tensor,
                           batch_gts: InstanceList, img_sizes: Tensor,
                           num_gts: float) -> Tuple[Dict[str, Tensor], InstanceData]:
        """Losses and matches of one decoder layer; see :meth:`loss_and_match`."""
        cls_scores, bbox_preds = preds.cls_scores, preds.bbox_preds
        num_videos = cls_scores.shape[0]
        cls_targets = torch.full(cls_scores.shape[:2], self.num_classes, dtype=torch.long,
                                 device=cls_scores.device)
        embeds, boxes, gt_boxes, valid, logits8, logits4, gt_masks, video_idx = \
            [], [], [], [], [], [], [], []
        for v in range(num_videos):
            gt = batch_gts[v]
            masks = None
            if self.assigner.with_mask_cost and len(gt):
                masks = self.coarse_mask_logits(preds.mask_params[v], preds.mask_centers[v],
                                                mask_feats[v], img_sizes[v])
            q, g = self.assigner.match(
                cls_scores[v].detach(), bbox_preds[v].detach(), gt.labels, gt.bboxes,
                gt.valid, None if masks is None else masks[1].detach(),
                None if masks is None else self.mask_targets(gt.masks))
            if masks is None:
                masks = self.coarse_mask_logits(preds.mask_params[v][q],
                                                preds.mask_centers[v][q], mask_feats[v],
                                                img_sizes[v])
            else:
                masks = (masks[0][q], masks[1][q])
            cls_targets[v, q] = gt.labels[g]
            embeds.append(preds.inst_embeds[v][q])
            boxes.append(bbox_preds[v][q])
            gt_boxes.append(gt.bboxes[g])
            valid.append(gt.valid[g])
            logits8.append(masks[0])
            logits4.append(masks[1])
            gt_masks.append(gt.masks[g])
            video_idx.append(torch.full_like(q, v))
        boxes, gt_boxes, valid = torch.cat(boxes), torch.cat(gt_boxes), torch.cat(valid)
        logits8, logits4, gt_masks = torch.cat(logits8), torch.cat(logits4), torch.cat(gt_masks)

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
        targets = self.mask_targets(gt_masks)
        if targets.shape[-2:] != logits4.shape[-2:]:
            raise ValueError('VideoQueryHead: the padded input size must be a multiple of '
                             f'{MASK_FEAT_STRIDE}; masks at H/4 are '
                             f'{tuple(logits4.shape[-2:])}, targets '
                             f'{tuple(targets.shape[-2:])}.')
        flat_logits, flat_targets = logits4.flatten(1), targets.flatten(1)
        losses['loss_mask'] = self.loss_mask(
            flat_logits.reshape(-1, 1), (1 - flat_targets).long().reshape(-1),
            avg_factor=flat_logits.shape[1] * num_gts)
        losses['loss_dice'] = self.loss_dice(flat_logits, flat_targets, avg_factor=num_gts)
        matched = InstanceData(inst_embeds=torch.cat(embeds), coarse_logits=logits8,
                               video_idx=torch.cat(video_idx), gt_masks=gt_masks, valid=valid)
        return losses, matched

    @staticmethod
    def mask_targets(gt_masks: Tensor) -> Tensor:
        """GT masks (..., H, W) sampled at the H/4 cell centres (SeqFormer's targets)."""
        start = MASK_OUT_STRIDE // 2
        return gt_masks[..., start::MASK_OUT_STRIDE, start::MASK_OUT_STRIDE].float()

    # ------------------------------------------------------------------ inference
    def predict(self, layers: Sequence[QueryPredictions], mask_feats: Tensor,
                img_size: Tensor) -> InstanceData:
        """Keep the best (query, class) pairs of one video and compute their coarse masks.

        Args:
            layers (Sequence[QueryPredictions]): Output of :meth:`forward` for a single
                video (V = 1); the last layer is read.
            mask_feats (Tensor): (T, D, h, w) mask features.
            img_size (Tensor): (2,) image size (w, h) before padding, in pixels.

        Returns:
            InstanceData: K = min(test_cfg.max_per_video, N * num_classes) predictions,
            best first: ``scores`` (K,), ``labels`` (K,), ``query_inds`` (K,) (a query
            kept for two classes is listed twice), ``inst_embeds`` (K, C), ``bboxes``
            (K, T, 4) normalised cxcywh, ``mask_centers`` (K, T, 2) the normalised (x, y)
            centres of the dynamic masks, ``coarse_logits`` (K, T, h, w) at H/8 and
            ``mask_logits`` (K, T, 2h, 2w) at H/4.
        """
        last = layers[-1]
        scores = last.cls_scores[0].sigmoid().flatten()
        max_per_video = min(self.test_cfg.get('max_per_video', 10), scores.numel())
        scores, inds = scores.topk(max_per_video)
        query_inds = torch.div(inds, self.num_classes, rounding_mode='floor')
        labels = inds % self.num_classes
        centers = last.mask_centers[0][query_inds]
        logits8, logits4 = self.coarse_mask_logits(last.mask_params[0][query_inds], centers,
                                                   mask_feats, img_size)
        return InstanceData(scores=scores, labels=labels, query_inds=query_inds,
                            inst_embeds=last.inst_embeds[0][query_inds],
                            bboxes=last.bbox_preds[0][query_inds], mask_centers=centers,
                            coarse_logits=logits8, mask_logits=logits4)
