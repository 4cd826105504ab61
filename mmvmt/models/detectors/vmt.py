"""Video Mask Transfiner: backbone -> SeqFormer (Deformable DETR video detector) -> refiner."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors import DeformableDETR
from mmdet.models.layers import DeformableDetrTransformerEncoder, SinePositionalEncoding
from mmdet.structures import DetDataSample, TrackSampleList
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ..heads.vmt_release_refine_head import VMTReleaseRefineHead
from ..layers.seqformer_decoder import SeqFormerTransformerDecoder


@MODELS.register_module()
class VideoMaskTransfiner(DeformableDETR):
    """Video Mask Transfiner (Ke et al., ECCV 2022) for video instance segmentation.

    The base detector is SeqFormer (Wu et al., ECCV 2022) written as mmdet's Deformable DETR
    with box refinement (``with_box_refine=True``, ``as_two_stage=False``): each frame goes
    through the backbone, the neck and mmdet's deformable encoder (mmdet's
    ``pre_transformer`` / ``forward_encoder``); SeqFormer's decoder
    (:class:`~mmvmt.models.layers.SeqFormerTransformerDecoder`) decodes video-level instance
    queries over all frames' memory; the ``bbox_head``
    (:class:`~mmvmt.models.heads.VideoQueryHead`) predicts classes, per-frame boxes and
    coarse H/4 masks. Parameter names follow mmdet's Deformable DETR, so its COCO checkpoints
    load with ``load_from``; ``tools/model_converters/seqformer2mmvmt.py`` converts
    SeqFormer's checkpoints. The refinement head refines the coarse masks of the instances in
    their incoherent regions up to H x W; it reads the stride-8 features of SeqFormer's mask
    branch and stride-4 features from the backbone's first output through ``refine_neck``.

    Inference on a long video is chunked: the backbone and the encoder run on
    ``test_cfg.chunk_size`` frames at a time and their memory is kept, the decoder then runs
    once over all frames' memory, so the instance queries (and the track ids, which are
    the query ranks) are the same for the whole video; the refinement then groups the
    quadtrees of *all* frames of the video into one sequence per instance (Quadtree
    Sequence Grouping over the whole video, the paper's best setting), its node caps being
    per frame.

    Args:
        backbone (dict): Backbone config (mmdet ResNet / Swin). With a ``refine_neck`` its
            first output (stride 4) goes there and the others to ``neck``.
        neck (dict): Neck config (ChannelMapper) giving the encoder's ``num_feature_levels``
            levels from stride 8 on.
        encoder (dict): Config of mmdet's ``DeformableDetrTransformerEncoder``.
        decoder (dict): Config of :class:`SeqFormerTransformerDecoder`.
        bbox_head (dict): Config of the video head (``VideoQueryHead``).
        positional_encoding (dict): Config of ``SinePositionalEncoding``.
        num_queries (int): Number of video-level instance queries. Defaults to 300.
        num_feature_levels (int): Encoder levels. Defaults to 4.
        refine_neck (dict, optional): Stride-4 feature projection for the refiner (a
            ChannelMapper over the backbone's first output); required with ``refine_head``,
            except with ``VMTReleaseRefineHead``, which reads the raw first output.
        refine_head (dict, optional): Config of the refinement head (``VMTRefineHead``, or
            ``VMTReleaseRefineHead`` to run the public VMT release's checkpoints); without
            it the model is SeqFormer alone.
        train_cfg (dict, optional): Passed to the ``bbox_head`` (``assigner``), and
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
                 decoder: ConfigType,
                 bbox_head: ConfigType,
                 positional_encoding: ConfigType,
                 num_queries: int = 300,
                 num_feature_levels: int = 4,
                 refine_neck: OptConfigType = None,
                 refine_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, encoder=encoder, decoder=decoder,
                         bbox_head=dict(bbox_head), positional_encoding=positional_encoding,
                         num_queries=num_queries, with_box_refine=True, as_two_stage=False,
                         num_feature_levels=num_feature_levels, train_cfg=train_cfg or {},
                         test_cfg=test_cfg or {}, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.refine_neck = MODELS.build(refine_neck) if refine_neck is not None else None
        self.refine_head = MODELS.build(refine_head) if refine_head is not None else None
        self.release_refiner = isinstance(self.refine_head, VMTReleaseRefineHead)
        if (self.refine_head is not None and not self.release_refiner) != \
                (self.refine_neck is not None):
            raise ValueError('VideoMaskTransfiner (detectors/vmt.py): refine_head and '
                             'refine_neck go together (the refiner reads the stride-4 '
                             'features refine_neck gives); VMTReleaseRefineHead takes none '
                             '(it reads the backbone\'s raw stride-4 output).')
        self.num_classes = self.bbox_head.num_classes

    def _init_layers(self) -> None:
        """mmdet's Deformable DETR layers with SeqFormer's decoder."""
        self.positional_encoding = SinePositionalEncoding(**self.positional_encoding)
        self.encoder = DeformableDetrTransformerEncoder(**self.encoder)
        self.decoder = SeqFormerTransformerDecoder(**self.decoder)
        self.embed_dims = self.encoder.embed_dims
        self.query_embedding = nn.Embedding(self.num_queries, self.embed_dims * 2)
        # zeros, not mmdet's uninitialised memory: a model used without init_weights (e.g.
        # an inferencer without weights) must not compute on garbage
        self.level_embed = nn.Parameter(torch.zeros(self.num_feature_levels, self.embed_dims))
        self.reference_points_fc = nn.Linear(self.embed_dims, 2)

    @property
    def with_refine(self) -> bool:
        """bool: Whether the model has a refinement head."""
        return self.refine_head is not None

    # ------------------------------------------------------------------ features
    def extract_feat(self, imgs: Tensor) -> Tuple[Tuple[Tensor, ...], Optional[Tensor]]:
        """Backbone and necks on a batch of frames.

        Args:
            imgs (Tensor): (B, 3, H, W) normalised, padded frames.

        Returns:
            tuple: the encoder's levels (B, C, h_l, w_l), strides 8 ... ; and ``f4``
            (B, C, H/4, W/4) for the refiner (with ``VMTReleaseRefineHead`` the backbone's
            raw first output), or None without a refiner.
        """
        feats = self.backbone(imgs)
        f4 = None
        if self.refine_neck is not None:
            f4 = self.refine_neck(feats[:1])[0]
            feats = feats[1:]
        elif self.release_refiner:
            f4, feats = feats[0], feats[1:]
        levels = self.neck(feats)
        if len(levels) != self.num_feature_levels:
            raise ValueError(f'VideoMaskTransfiner (detectors/vmt.py): the neck gave '
                             f'{len(levels)} levels, expected num_feature_levels = '
                             f'{self.num_feature_levels}.')
        return levels, f4

    def encode(self, imgs: Tensor, frame_samples: Sequence[DetDataSample]) -> Dict:
        """Features and deformable encoder of a batch of frames.

        Args:
            imgs (Tensor): (B, 3, H, W) normalised, padded frames.
            frame_samples (Sequence[DetDataSample]): B frames with ``img_shape`` and
                ``batch_input_shape`` in their metainfo.

        Returns:
            dict: as :meth:`encode_levels`.
        """
        levels, f4 = self.extract_feat(imgs)
        return self.encode_levels(levels, frame_samples, f4)

    def encode_levels(self, levels: Sequence[Tensor], frame_samples: Sequence[DetDataSample],
                      f4: Optional[Tensor] = None) -> Dict:
        """mmdet's Deformable DETR input preparation and encoder on the neck's levels.

        Args:
            levels (Sequence[Tensor]): ``num_feature_levels`` maps (B, C, h_l, w_l).
            frame_samples (Sequence[DetDataSample]): B frames with ``img_shape`` and
                ``batch_input_shape`` in their metainfo.
            f4 (Tensor, optional): (B, C, H/4, W/4) stride-4 features, passed through.

        Returns:
            dict: ``memory`` (B, L, C); ``memory_mask`` (B, L) bool, True at padding, or
            None when nothing is padded; ``spatial_shapes`` (num_levels, 2);
            ``level_start_index`` (num_levels,); ``valid_ratios`` (B, num_levels, 2);
            ``f4``.
        """
        encoder_inputs, decoder_inputs = self.pre_transformer(tuple(levels),
                                                              list(frame_samples))
        memory = self.forward_encoder(**encoder_inputs)['memory']
        return dict(memory=memory, f4=f4, **decoder_inputs)

    def extract_video_feat(self, video: Tensor,
                           frame_samples: Sequence[DetDataSample]) -> Dict:
        """:meth:`encode` on a whole video, ``test_cfg.chunk_size`` frames at a time.

        Args:
            video (Tensor): (T, 3, H, W) normalised, padded frames of one video.
            frame_samples (Sequence[DetDataSample]): the T frames' samples.

        Returns:
            dict: as :meth:`encode`, B = T.
        """
        chunk = self.test_cfg.get('chunk_size') or len(video)
        parts = [self.encode(video[s:s + chunk], frame_samples[s:s + chunk])
                 for s in range(0, len(video), chunk)]
        out = dict(parts[0])
        out['memory'] = torch.cat([p['memory'] for p in parts])
        out['valid_ratios'] = torch.cat([p['valid_ratios'] for p in parts])
        if out['f4'] is not None:
            out['f4'] = torch.cat([p['f4'] for p in parts])
        if any(p['memory_mask'] is not None for p in parts):
            # a chunk without padding has no mask: all its tokens are valid
            out['memory_mask'] = torch.cat([
                p['memory_mask'] if p['memory_mask'] is not None else
                p['memory'].new_zeros(p['memory'].shape[:2], dtype=torch.bool) for p in parts])
        return out

    def _decode(self, enc: Dict, num_frames: int) -> Tuple[Dict, Tensor, Tensor]:
        """SeqFormer's decoder, the head's predictions and the mask branch.

        Returns:
            tuple: the head's per-layer outputs (:meth:`VideoQueryHead.forward`), the fused
            stride-8 features ``f8`` (B, C, h, w) and the mask features (B, D, h, w).
        """
        memory = enc['memory']
        num_videos = memory.shape[0] // num_frames
        query_pos, query = self.query_embedding.weight.split(self.embed_dims, dim=-1)
        query_pos = query_pos[None].expand(num_videos, -1, -1)
        query = query[None].expand(num_videos, -1, -1)
        reference = self.reference_points_fc(query_pos).sigmoid()
        inst_states, box_states, references = self.decoder(
            query=query, query_pos=query_pos, value=memory,
            key_padding_mask=enc['memory_mask'], reference_points=reference,
            spatial_shapes=enc['spatial_shapes'],
            level_start_index=enc['level_start_index'], valid_ratios=enc['valid_ratios'],
            reg_branches=self.bbox_head.reg_branches, num_frames=num_frames)
        outs = self.bbox_head(inst_states, box_states, references, num_frames)
        branch = self.bbox_head.mask_features(memory, enc['spatial_shapes'],
                                              enc['level_start_index'],
                                              return_sum=self.release_refiner)
        # the release's refiner reads the mask branch's sum before its last conv
        f8 = branch[2] if self.release_refiner else branch[0]
        return outs, f8, branch[1]

    @staticmethod
    def _img_size(meta: dict, device: torch.device) -> Tensor:
        """(2,) image size (w, h) before padding."""
        img_h, img_w = meta['img_shape'][:2]
        return torch.tensor([img_w, img_h], dtype=torch.float32, device=device)

    def _forward(self, *args, **kwargs):
        """Tensor mode is not defined for a video model."""
        raise NotImplementedError('VideoMaskTransfiner (detectors/vmt.py): use mode="loss" '
                                  'or mode="predict".')

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
        if self.release_refiner:
            raise NotImplementedError(
                'VideoMaskTransfiner.loss (detectors/vmt.py): VMTReleaseRefineHead runs the '
                'released checkpoints (inference); training it through the detector is not '
                'wired (its loss needs the matched queries\' reference points and boxes).')
        num_frames = inputs.shape[1]
        imgs = inputs.flatten(0, 1)
        frames = [video[t] for video in data_samples for t in range(len(video))]
        enc = self.encode(imgs, frames)
        batch_gts = self.bbox_head.preprocess_gt(data_samples)
        if self.train_cfg.get('refine_input', 'pred') == 'given':
            return self._loss_refine_given(enc, imgs, batch_gts, data_samples)
        outs, f8, mask_feats = self._decode(enc, num_frames)
        img_sizes = torch.stack([self._img_size(video[0].metainfo, imgs.device)
                                 for video in data_samples])
        losses, matched = self.bbox_head.loss(outs, mask_feats, batch_gts, img_sizes)
        if self.with_refine:
            # Every frame of a clip is annotated; where a track is absent its target is
            # the empty mask, which the refiner must learn too.
            losses.update(self.refine_head.loss(
                coarse_logits=matched['coarse_logits'], feats=[f8, enc['f4']],
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
        f8, _ = self.bbox_head.mask_features(enc['memory'], enc['spatial_shapes'],
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
        coarse logits from each H/8 cell's foreground fraction, the masks themselves at full
        resolution (``fine_masks``, zero-padded like the images), and instance embeddings
        (video-level and per frame) of the tracks (``refine_head.given_inst_embeds``: pooled
        under the masks, or the base head's ``queries`` matched to them)."""
        pad_h, pad_w = imgs.shape[-2:]
        fine = F.pad(masks.float(), (0, pad_w - masks.shape[-1], 0, pad_h - masks.shape[-2]))
        fractions = F.interpolate(fine, size=tuple(f8.shape[-2:]), mode='area')
        inst_embeds, frame_embeds = self.refine_head.given_inst_embeds(fractions, video_idx,
                                                                       f8, queries)
        return dict(coarse_logits=torch.logit(fractions.clamp(1e-2, 1 - 1e-2)), feats=[f8, f4],
                    images=imgs, inst_embeds=inst_embeds, video_idx=video_idx,
                    frame_embeds=frame_embeds, fine_masks=fine)

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
            coarse masks (SeqFormer's H/4 logits, bilinearly upsampled, > 0 where the
            probability > ``mask_thr``), for coarse-vs-refined evaluation.
        """
        if inputs.dim() != 5 or inputs.shape[0] != 1:
            raise ValueError('VideoMaskTransfiner.predict (detectors/vmt.py): inputs must be '
                             f'(1, T, C, H, W), got shape {tuple(inputs.shape)}.')
        video, track_sample = inputs[0], data_samples[0]
        frames = list(track_sample.video_data_samples)
        metas = [frame.metainfo for frame in frames]
        enc = self.extract_video_feat(video, frames)
        outs, f8, mask_feats = self._decode(enc, len(video))
        pred = self.bbox_head.predict(outs, mask_feats, self._img_size(metas[0], video.device))
        refined = None
        if self.release_refiner and self.test_cfg.get('refine', True):
            refined, _ = self.refine_head.predict(
                **self._release_refine_inputs(outs, pred, f8, enc, video, metas[0]))
        elif self.with_refine and self.test_cfg.get('refine', True):
            refined, _ = self.refine_head.predict(
                coarse_logits=pred['coarse_logits'], feats=[f8, enc['f4']],
                images=video, inst_embeds=pred['inst_embeds'],
                video_idx=video.new_zeros(len(pred['scores']), dtype=torch.long),
                frame_ids=torch.arange(len(video), device=video.device)[None])
        num_preds = len(pred['scores'])
        for t, frame in enumerate(track_sample.video_data_samples):
            meta = metas[t]
            coarse_t = self._postprocess(pred['mask_logits'][:, t], meta, rescale, logits=True)
            frame.pred_track_instances_coarse = self._instances(pred, coarse_t, num_preds)
            final_t = coarse_t if refined is None else self._postprocess(
                refined[:, t], meta, rescale)
            frame.pred_track_instances = self._instances(pred, final_t, num_preds)
        return [track_sample]

    def _release_refine_inputs(self, outs: Dict, pred: Dict, f8: Tensor, enc: Dict,
                               video: Tensor, meta: dict) -> Dict:
        """Inputs of :class:`VMTReleaseRefineHead` for the kept predictions of one video.

        The reference points are those of the last decoder layer (SeqFormer's
        ``inter_references[-2]``, the centres of the coarse masks); points and boxes are
        normalised by the padded input size, as the release sees its (unpadded) input. The
        stride-2 map of a ResNet is its stem's conv1 output (before its norm), computed
        here ``test_cfg.chunk_size`` frames at a time.
        """
        pad_h, pad_w = meta['batch_input_shape']
        img_size = self._img_size(meta, video.device)
        to_padded = img_size / img_size.new_tensor([pad_w, pad_h])
        refs = outs['mask_centers'][-1][0][pred['query_inds']] * to_padded
        f2 = None
        if not self.refine_head.hr_from_f4:
            chunk = self.test_cfg.get('chunk_size') or len(video)
            f2 = torch.cat([self.backbone.conv1(video[s:s + chunk])
                            for s in range(0, len(video), chunk)])
        return dict(coarse_logits=pred['coarse_logits'], feats=[f8, enc['f4'], f2],
                    images=video, inst_embeds=pred['inst_embeds'], ref_points=refs,
                    boxes=pred['bboxes'] * to_padded.repeat(2),
                    video_idx=video.new_zeros(len(pred['scores']), dtype=torch.long))

    def _postprocess(self, probs: Tensor, meta: dict, rescale: bool,
                     logits: bool = False) -> Tensor:
        """(K, h', w') probabilities (or logits) at any stride -> (K, h, w) bool masks of
        one frame. Logits are interpolated as logits, as SeqFormer does."""
        pad_h, pad_w = meta['batch_input_shape']
        img_h, img_w = meta['img_shape'][:2]
        thr = self.test_cfg.get('mask_thr', 0.5)
        if logits:
            thr = torch.logit(torch.tensor(thr)).item()
        probs = probs[:, None].float()
        if probs.shape[-2:] != (pad_h, pad_w):
            probs = F.interpolate(probs, size=(pad_h, pad_w), mode='bilinear',
                                  align_corners=False)
        probs = probs[..., :img_h, :img_w]
        if rescale and tuple(meta['ori_shape'][:2]) != (img_h, img_w):
            probs = F.interpolate(probs, size=tuple(meta['ori_shape'][:2]), mode='bilinear',
                                  align_corners=False)
        return probs[:, 0] > thr

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
        if self.release_refiner:
            raise NotImplementedError(
                'VideoMaskTransfiner.refine_masks (detectors/vmt.py): VMTReleaseRefineHead '
                'needs the base head\'s queries (reference points, boxes); query-free '
                'refinement of given masks needs VMTRefineHead.')
        if coarse_masks.dim() != 4 or coarse_masks.shape[1:] != (frames.shape[0],
                                                                  *frames.shape[-2:]):
            raise ValueError('VideoMaskTransfiner.refine_masks (detectors/vmt.py): '
                             f'coarse_masks must be (K, T, H, W) = (K, {frames.shape[0]}, '
                             f'{frames.shape[-2]}, {frames.shape[-1]}), got '
                             f'{tuple(coarse_masks.shape)}.')
        height, width = frames.shape[-2:]
        video = self.data_preprocessor(dict(inputs=[frames], data_samples=None))['inputs'][0]
        pad_h, pad_w = video.shape[-2:]
        frames = [DetDataSample(metainfo=dict(img_shape=(height, width),
                                              batch_input_shape=(pad_h, pad_w)))
                  for _ in range(len(video))]
        enc = self.extract_video_feat(video, frames)
        queries = None
        if getattr(self.refine_head, 'given_embeddings', 'pooled') == 'query':
            outs, f8, mask_feats = self._decode(enc, len(video))
            queries = self.bbox_head.predict(outs, mask_feats,
                                             self._img_size(frames[0].metainfo, video.device))
        else:
            f8, _ = self.bbox_head.mask_features(enc['memory'], enc['spatial_shapes'],
                                                 enc['level_start_index'])
        coarse_masks = coarse_masks.to(video.device)
        video_idx = video.new_zeros(len(coarse_masks), dtype=torch.long)
        probs, region = self.refine_head.predict(
            **self._given_inputs(coarse_masks, video_idx, f8, enc['f4'], video, queries),
            frame_ids=torch.arange(len(video), device=video.device)[None])
        probs, region = probs[..., :height, :width], region[..., :height, :width].bool()
        return probs > 0.5, self.refine_head.confidence(probs), region
