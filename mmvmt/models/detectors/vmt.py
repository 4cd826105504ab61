"""Video Mask Transfiner: backbone -> deformable encoder -> video-query head -> refiner."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import MultiScaleDeformableAttention
from mmdet.models.layers import SinePositionalEncoding
from mmdet.models.layers.transformer import DeformableDetrTransformerEncoder
from mmdet.models.mot import BaseMOTModel
from mmdet.structures import TrackSampleList
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvmt.registry import MODELS


@MODELS.register_module()
class VideoMaskTransfiner(BaseMOTModel):
    """Video Mask Transfiner (Ke et al., ECCV 2022) for video instance segmentation.

    Each frame goes through the backbone, the neck (its first output, stride 4, feeds the
    refiner; the others, from stride 8 on, feed the encoder) and mmdet's Deformable DETR
    encoder. The base head decodes video-level instance queries over all frames' memory into
    classes, per-frame boxes and coarse H/8 masks; the refinement head refines the coarse
    masks of the instances in their incoherent regions up to H x W.

    Inference on a long video is chunked: the backbone and the encoder run on
    ``test_cfg.chunk_size`` frames at a time and their memory is kept, the decoder then runs
    once over all frames' memory, so the instance queries (and the track ids, which are
    the query ranks) are the same for the whole video; the refinement then groups the
    quadtrees of *all* frames of the video into one sequence per instance (Quadtree
    Sequence Grouping over the whole video, the paper's best setting), its node caps being
    per frame.

    Args:
        backbone (dict): Backbone config (mmdet ResNet / Swin).
        neck (dict): Neck config (ChannelMapper), ``num_outs = num_levels + 1``: a stride-4
            level, then the encoder's levels.
        encoder (dict): Config of mmdet's ``DeformableDetrTransformerEncoder``.
        positional_encoding (dict): Config of ``SinePositionalEncoding``.
        base_head (dict): Config of the video-query head (``VideoQueryHead``).
        refine_head (dict, optional): Config of the refinement head (``VMTRefineHead``);
            without it the model is the base detector alone.
        train_cfg (dict, optional): Passed to the base head (``assigner``), and
            ``refine_input``: ``'pred'`` (default) refines the base head's coarse masks of
            the queries matched to GT tracks, training both heads end to end; ``'given'``
            refines the GT tracks' ``coarse_masks`` from the data pipeline, class-agnostic,
            training the refiner alone (self-correction).
        test_cfg (dict, optional): ``chunk_size`` (frames per backbone/encoder pass; None:
            the whole video), ``max_per_video`` (kept predictions), ``mask_thr`` (threshold
            on mask probabilities, default 0.5), ``refine`` (run the refiner, default True).
        data_preprocessor (dict, optional): Config of ``TrackDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 *,
                 backbone: ConfigType,
                 neck: ConfigType,
                 encoder: ConfigType,
                 positional_encoding: ConfigType,
                 base_head: ConfigType,
                 refine_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super(BaseMOTModel, self).__init__(data_preprocessor=data_preprocessor,
                                           init_cfg=init_cfg)
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.positional_encoding = SinePositionalEncoding(**positional_encoding)
        self.encoder = DeformableDetrTransformerEncoder(**encoder)
        self.embed_dims = self.encoder.embed_dims
        self.num_levels = encoder['layer_cfg']['self_attn_cfg']['num_levels']
        self.level_embed = nn.Parameter(torch.zeros(self.num_levels, self.embed_dims))
        base_head = dict(base_head, train_cfg=self.train_cfg, test_cfg=self.test_cfg)
        self.base_head = MODELS.build(base_head)
        self.refine_head = MODELS.build(refine_head) if refine_head is not None else None
        self.num_classes = self.base_head.num_classes

    @property
    def with_refine(self) -> bool:
        """bool: Whether the model has a refinement head."""
        return self.refine_head is not None

    def init_weights(self) -> None:
        """Deformable-DETR initialisation of the encoder and level embeddings."""
        super().init_weights()
        for p in self.encoder.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for m in self.encoder.modules():
            if isinstance(m, MultiScaleDeformableAttention):
                m.init_weights()
        nn.init.normal_(self.level_embed)

    # ------------------------------------------------------------------ features
    def extract_feat(self, imgs: Tensor, img_shapes: Sequence[Tuple[int, int]]) -> Dict:
        """Backbone, neck and deformable encoder on a batch of frames.

        Args:
            imgs (Tensor): (B, 3, H, W) normalised, padded frames.
            img_shapes (Sequence[tuple]): B (h, w) image sizes before padding.

        Returns:
            dict: ``memory`` (B, L, C); ``memory_mask`` (B, L) bool, True at padding, or
            None when nothing is padded; ``spatial_shapes`` (num_levels, 2);
            ``level_start_index`` (num_levels,); ``valid_ratios`` (B, num_levels, 2);
            ``f4`` (B, C, H/4, W/4) stride-4 features for the refiner.
        """
        feats = self.neck(self.backbone(imgs))
        if len(feats) != self.num_levels + 1:
            raise ValueError(f'VideoMaskTransfiner (detectors/vmt.py): the neck gave '
                             f'{len(feats)} levels, expected num_levels + 1 = '
                             f'{self.num_levels + 1} (stride 4, then the encoder levels).')
        f4, levels = feats[0], feats[1:]
        batch, height, width = imgs.shape[0], imgs.shape[-2], imgs.shape[-1]
        padded = any(tuple(s[:2]) != (height, width) for s in img_shapes)
        pad_mask = None
        if padded:
            pad_mask = imgs.new_ones(batch, height, width)
            for i, (h, w) in enumerate(img_shapes):
                pad_mask[i, :h, :w] = 0
        flat, pos_flat, mask_flat, shapes, ratios = [], [], [], [], []
        for lvl, feat in enumerate(levels):
            h, w = feat.shape[-2:]
            if padded:
                mask = F.interpolate(pad_mask[None], size=(h, w))[0].bool()
                pos = self.positional_encoding(mask)
                valid_h = (~mask[:, :, 0]).sum(1).float() / h
                valid_w = (~mask[:, 0, :]).sum(1).float() / w
                ratios.append(torch.stack([valid_w, valid_h], -1))
                mask_flat.append(mask.flatten(1))
            else:
                pos = self.positional_encoding(None, input=feat)
                ratios.append(feat.new_ones(batch, 2))
            flat.append(feat.flatten(2).transpose(1, 2))
            pos_flat.append(pos.flatten(2).transpose(1, 2) + self.level_embed[lvl])
            shapes.append((h, w))
        spatial_shapes = torch.as_tensor(shapes, dtype=torch.long, device=imgs.device)
        level_start_index = torch.cat([
            spatial_shapes.new_zeros(1), spatial_shapes.prod(1).cumsum(0)[:-1]])
        valid_ratios = torch.stack(ratios, 1)
        memory_mask = torch.cat(mask_flat, 1) if padded else None
        memory = self.encoder(query=torch.cat(flat, 1), query_pos=torch.cat(pos_flat, 1),
                              key_padding_mask=memory_mask, spatial_shapes=spatial_shapes,
                              level_start_index=level_start_index,
                              valid_ratios=valid_ratios)
        return dict(memory=memory, memory_mask=memory_mask, spatial_shapes=spatial_shapes,
                    level_start_index=level_start_index, valid_ratios=valid_ratios, f4=f4)

    def extract_video_feat(self, video: Tensor,
                           img_shapes: Sequence[Tuple[int, int]]) -> Dict:
        """:meth:`extract_feat` on a whole video, ``test_cfg.chunk_size`` frames at a time.

        Args:
            video (Tensor): (T, 3, H, W) normalised, padded frames of one video.
            img_shapes (Sequence[tuple]): T (h, w) image sizes before padding.

        Returns:
            dict: as :meth:`extract_feat`, batch = T.
        """
        chunk = self.test_cfg.get('chunk_size') or len(video)
        parts = [self.extract_feat(video[s:s + chunk], img_shapes[s:s + chunk])
                 for s in range(0, len(video), chunk)]
        out = dict(parts[0])
        for key in ('memory', 'memory_mask', 'valid_ratios', 'f4'):
            if out[key] is not None:
                out[key] = torch.cat([p[key] for p in parts])
        return out

    def _decode(self, enc: Dict, num_frames: int) -> Dict:
        """Run the base head's decoder over the encoder outputs."""
        return self.base_head(enc['memory'], enc['memory_mask'], enc['spatial_shapes'],
                              enc['level_start_index'], enc['valid_ratios'], num_frames)

    @staticmethod
    def _img_scale(meta: dict) -> Tuple[float, float]:
        """Padded input size over image size, (x, y)."""
        pad_h, pad_w = meta['batch_input_shape']
        img_h, img_w = meta['img_shape'][:2]
        return pad_w / img_w, pad_h / img_h

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples: TrackSampleList, **kwargs) -> Dict:
        """Losses of the base head and of the refinement head on a batch of clips.

        Args:
            inputs (Tensor): Input clips of shape (N, T, C, H, W), normalised and padded.
            data_samples (list[TrackDataSample]): N clips; frame t's ``gt_instances`` holds
                ``labels``, ``instances_ids``, ``masks`` (and optionally ``bboxes``).

        Returns:
            dict[str, Tensor]: Loss components.
        """
        if inputs.dim() != 5:
            raise ValueError('VideoMaskTransfiner.loss (detectors/vmt.py): inputs must be '
                             f'(N, T, C, H, W), got shape {tuple(inputs.shape)}.')
        num_frames = inputs.shape[1]
        imgs = inputs.flatten(0, 1)
        metas = [video[t].metainfo for video in data_samples for t in range(len(video))]
        enc = self.extract_feat(imgs, [m['img_shape'] for m in metas])
        batch_gts = self.base_head.preprocess_gt(data_samples)
        if self.train_cfg.get('refine_input', 'pred') == 'given':
            return self._loss_refine_given(enc, imgs, batch_gts, data_samples)
        outs = self._decode(enc, num_frames)
        img_scales = imgs.new_tensor([self._img_scale(video[0].metainfo)
                                      for video in data_samples])
        losses, matched = self.base_head.loss(outs, batch_gts, img_scales)
        if self.with_refine:
            # Every frame of a clip is annotated; where a track is absent its target is
            # the empty mask, which the refiner must learn too.
            losses.update(self.refine_head.loss(
                coarse_logits=matched['coarse_logits'], feats=[outs['f8'], enc['f4']],
                images=imgs, inst_embeds=matched['inst_embeds'],
                video_idx=matched['video_idx'], frame_ids=self._frame_ids(data_samples, imgs),
                gt_masks=matched['gt_masks']))
        return losses

    @staticmethod
    def _frame_ids(data_samples: TrackSampleList, imgs: Tensor) -> Tensor:
        """(N, T) long: each clip frame's index in its video (``frame_id`` of its metainfo;
        the refiner's temporal position)."""
        return torch.tensor([[video[t].metainfo.get('frame_id', t) for t in range(len(video))]
                             for video in data_samples], dtype=torch.long, device=imgs.device)

    def _loss_refine_given(self, enc: Dict, imgs: Tensor, batch_gts: list,
                           data_samples: TrackSampleList) -> Dict:
        """Class-agnostic refiner training on given coarse masks (self-correction).

        Every GT track is refined from its ``coarse_masks`` (e.g. degraded by the data
        pipeline) with instance embeddings pooled under them; only the refinement head's
        losses are returned (the base head is not trained in this mode).
        """
        if not all('coarse_masks' in gt for gt in batch_gts):
            raise KeyError("VideoMaskTransfiner (detectors/vmt.py): train_cfg.refine_input="
                           "'given' needs gt_instances.coarse_masks in every frame (see "
                           "PackVMTInputs and the mask degradation transform).")
        f8, _ = self.base_head.mask_features(enc['memory'], enc['spatial_shapes'],
                                             enc['level_start_index'])
        coarse = torch.cat([gt.coarse_masks for gt in batch_gts])
        video_idx = torch.cat([torch.full((len(gt),), v, dtype=torch.long, device=f8.device)
                               for v, gt in enumerate(batch_gts)])
        if getattr(self.refine_head, 'given_embeddings', 'pooled') != 'pooled':
            raise ValueError("VideoMaskTransfiner (detectors/vmt.py): train_cfg.refine_input="
                             "'given' trains the refiner with pooled embeddings and no base "
                             "head; refine_head.given_embeddings='query' needs a trained base "
                             "head (train with refine_input='pred').")
        regions = torch.cat([gt.refine_regions for gt in batch_gts]) \
            if all('refine_regions' in gt for gt in batch_gts) else None
        return self.refine_head.loss(
            **self._given_inputs(coarse, video_idx, f8, enc['f4'], imgs),
            frame_ids=self._frame_ids(data_samples, imgs),
            gt_masks=torch.cat([gt.masks for gt in batch_gts]), regions=regions)

    def _given_inputs(self, masks: Tensor, video_idx: Tensor, f8: Tensor, f4: Tensor,
                      imgs: Tensor, queries: Optional[Dict] = None) -> Dict:
        """The refinement head's inputs for given binary masks (K, T, h, w) of known tracks:
        coarse logits from each H/8 cell's foreground fraction, and instance embeddings
        (video-level and per frame) of the tracks (``refine_head.given_inst_embeds``: pooled
        under the masks, or the base head's ``queries`` matched to them)."""
        fractions = self._mask_fractions(masks, imgs.shape[-2:], f8.shape[-2:])
        inst_embeds, frame_embeds = self.refine_head.given_inst_embeds(fractions, video_idx,
                                                                       f8, queries)
        return dict(coarse_logits=torch.logit(fractions.clamp(1e-2, 1 - 1e-2)), feats=[f8, f4],
                    images=imgs, inst_embeds=inst_embeds, video_idx=video_idx,
                    frame_embeds=frame_embeds)

    # ------------------------------------------------------------------ inference
    def predict(self, inputs: Tensor, data_samples: TrackSampleList,
                rescale: bool = True) -> TrackSampleList:
        """Segment and track the instances of one whole video.

        Args:
            inputs (Tensor): (1, T, C, H, W) frames of one video.
            data_samples (list[TrackDataSample]): One video's data samples.
            rescale (bool): Return masks at the original frame size. Defaults to True.

        Returns:
            list[TrackDataSample]: One sample; frame t's ``pred_track_instances`` has
            ``instances_id`` (K,), ``scores`` (K,), ``labels`` (K,), ``masks`` (K, h, w)
            bool and ``bboxes`` (K, 4): the refined masks when the model has a refiner and
            ``test_cfg.refine`` is not False, else the coarse ones;
            ``pred_track_instances_coarse`` holds the same instances with the base head's
            coarse masks (upsampled from H/8), for coarse-vs-refined evaluation.
        """
        if inputs.dim() != 5 or inputs.shape[0] != 1:
            raise ValueError('VideoMaskTransfiner.predict (detectors/vmt.py): inputs must be '
                             f'(1, T, C, H, W), got shape {tuple(inputs.shape)}.')
        video, track_sample = inputs[0], data_samples[0]
        metas = [track_sample[t].metainfo for t in range(len(track_sample))]
        enc = self.extract_video_feat(video, [m['img_shape'] for m in metas])
        outs = self._decode(enc, len(video))
        pred = self.base_head.predict(outs, video.new_tensor(self._img_scale(metas[0])))
        coarse = pred['coarse_logits'].sigmoid()
        refined = None
        if self.with_refine and self.test_cfg.get('refine', True):
            refined, _ = self.refine_head.predict(
                coarse_logits=pred['coarse_logits'], feats=[outs['f8'], enc['f4']],
                images=video, inst_embeds=pred['inst_embeds'],
                video_idx=video.new_zeros(len(pred['scores']), dtype=torch.long),
                frame_ids=torch.arange(len(video), device=video.device)[None])
        num_preds = len(pred['scores'])
        for t, frame in enumerate(track_sample.video_data_samples):
            meta = metas[t]
            coarse_t = self._postprocess(coarse[:, t], meta, rescale)
            frame.pred_track_instances_coarse = self._instances(pred, coarse_t, num_preds)
            final_t = coarse_t if refined is None else self._postprocess(
                refined[:, t], meta, rescale)
            frame.pred_track_instances = self._instances(pred, final_t, num_preds)
        return [track_sample]

    def _postprocess(self, probs: Tensor, meta: dict, rescale: bool) -> Tensor:
        """(K, h', w') probabilities at any stride -> (K, h, w) bool masks of one frame."""
        pad_h, pad_w = meta['batch_input_shape']
        img_h, img_w = meta['img_shape'][:2]
        probs = probs[:, None].float()
        if probs.shape[-2:] != (pad_h, pad_w):
            probs = F.interpolate(probs, size=(pad_h, pad_w), mode='bilinear',
                                  align_corners=False)
        probs = probs[..., :img_h, :img_w]
        if rescale and tuple(meta['ori_shape'][:2]) != (img_h, img_w):
            probs = F.interpolate(probs, size=tuple(meta['ori_shape'][:2]), mode='bilinear',
                                  align_corners=False)
        return probs[:, 0] > self.test_cfg.get('mask_thr', 0.5)

    @staticmethod
    def _instances(pred: Dict, masks: Tensor, num_preds: int) -> InstanceData:
        """One frame's ``pred_track_instances``; the track id is the prediction's rank."""
        return InstanceData(instances_id=torch.arange(num_preds, device=masks.device),
                            scores=pred['scores'], labels=pred['labels'], masks=masks,
                            bboxes=mask2bbox(masks))

    # ------------------------------------------------------------------ self-correction
    @torch.no_grad()
    def refine_masks(self, frames: Tensor,
                     coarse_masks: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Class-agnostic refinement of given masks of known tracks (self-correction).

        Each track's instance embedding is the stride-8 features ``f8`` averaged under its
        given mask in all frames, or, with ``refine_head.given_embeddings='query'``, the base
        head's video-level query matched to the track (the decoder then runs too); the
        coarse logits at H/8 are the logits of each cell's foreground fraction. The backbone and
        encoder run ``test_cfg.chunk_size`` frames at a time; the refinement groups the
        quadtrees of all frames.

        Args:
            frames (Tensor): (T, 3, H, W) frames as the data pipeline gives them (before
                the data preprocessor: unnormalised, channel order of the pipeline).
            coarse_masks (Tensor): (K, T, H, W) bool coarse masks of K tracks.

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``refined`` (K, T, H, W) bool masks,
            ``confidence`` (K, T, H, W) float in [0.5, 1], the probability of the refined
            label (max(p, 1 - p)), and ``region`` (K, T, H, W) bool, the pixels the refiner
            labelled at full resolution (:func:`~mmvmt.models.heads.refined_region`):
            elsewhere ``refined`` is only the coarse mask seen at H/8 (or one value per
            8 x 8 / 4 x 4 cell) and must not replace it.
        """
        if not self.with_refine:
            raise RuntimeError('VideoMaskTransfiner.refine_masks (detectors/vmt.py): the '
                               'model has no refine_head.')
        if coarse_masks.dim() != 4 or coarse_masks.shape[1:] != (frames.shape[0],
                                                                  *frames.shape[-2:]):
            raise ValueError('VideoMaskTransfiner.refine_masks (detectors/vmt.py): '
                             f'coarse_masks must be (K, T, H, W) = (K, {frames.shape[0]}, '
                             f'{frames.shape[-2]}, {frames.shape[-1]}), got '
                             f'{tuple(coarse_masks.shape)}.')
        height, width = frames.shape[-2:]
        video = self.data_preprocessor(dict(inputs=[frames], data_samples=None))['inputs'][0]
        enc = self.extract_video_feat(video, [(height, width)] * len(video))
        queries = None
        if getattr(self.refine_head, 'given_embeddings', 'pooled') == 'query':
            outs = self._decode(enc, len(video))
            f8 = outs['f8']
            queries = self.base_head.predict(
                outs, video.new_tensor([video.shape[-1] / width, video.shape[-2] / height]))
        else:
            f8, _ = self.base_head.mask_features(enc['memory'], enc['spatial_shapes'],
                                                 enc['level_start_index'])
        coarse_masks = coarse_masks.to(video.device)
        video_idx = video.new_zeros(len(coarse_masks), dtype=torch.long)
        probs, region = self.refine_head.predict(
            **self._given_inputs(coarse_masks, video_idx, f8, enc['f4'], video, queries),
            frame_ids=torch.arange(len(video), device=video.device)[None])
        probs, region = probs[..., :height, :width], region[..., :height, :width].bool()
        return probs > 0.5, self.refine_head.confidence(probs), region

    @staticmethod
    def _mask_fractions(masks: Tensor, pad_size: Tuple[int, int],
                        size: Tuple[int, int]) -> Tensor:
        """Given binary masks (K, T, h, w) -> (K, T, *size): the foreground fraction of each
        cell after zero-padding to ``pad_size``."""
        pad_h, pad_w = pad_size
        masks = F.pad(masks.float(), (0, pad_w - masks.shape[-1], 0, pad_h - masks.shape[-2]))
        return F.interpolate(masks, size=tuple(size), mode='area')
