"""The part every VMT model shares: SeqFormer (the base detector) on mmdet's Deformable DETR.

Shape shorthand: V videos, T frames per video, B = V * T frames, K kept predictions,
H x W the padded input, h x w its stride-8 grid.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors import DeformableDETR
from mmdet.models.layers import DeformableDetrTransformerEncoder, SinePositionalEncoding
from mmdet.structures import DetDataSample, TrackSampleList
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..data import EncodedFrames, MaskFeatures, QueryPredictions
from ..layers.seqformer_decoder import SeqFormerTransformerDecoder


class SeqFormerDetector(DeformableDETR):
    """SeqFormer (Wu et al., ECCV 2022) written as mmdet's Deformable DETR with box
    refinement, the base of :class:`VideoMaskTransfiner`, :class:`VMTRelease` and
    :class:`GivenMaskRefiner`, which add a refiner each.

    Each frame goes through the backbone, the neck and mmdet's deformable encoder (mmdet's
    ``pre_transformer`` / ``forward_encoder``); SeqFormer's decoder
    (:class:`~mmvmt.models.layers.SeqFormerTransformerDecoder`) decodes video-level
    instance queries over all frames' memory; the ``bbox_head``
    (:class:`~mmvmt.models.heads.VideoQueryHead`) predicts classes, per-frame boxes and
    coarse masks. Parameter names follow mmdet's Deformable DETR, so its COCO checkpoints
    load with ``load_from``; ``tools/model_converters/seqformer2mmvmt.py`` converts
    SeqFormer's. On a whole video the backbone and encoder run ``test_cfg.chunk_size``
    frames at a time; the decoder then runs once over all frames' memory, so the instance
    queries (and the track ids, the query ranks) are the same for the whole video.

    Args:
        backbone (dict): Backbone config (mmdet ResNet / Swin); a subclass with a refiner
            takes its first output (stride 4), :meth:`split_stride4`.
        neck (dict): Neck config (ChannelMapper) giving the encoder's ``num_feature_levels``
            levels from stride 8 on.
        encoder (dict): Config of mmdet's ``DeformableDetrTransformerEncoder``.
        decoder (dict): Config of :class:`SeqFormerTransformerDecoder`.
        bbox_head (dict): Config of the video head (``VideoQueryHead``).
        positional_encoding (dict): Config of ``SinePositionalEncoding``.
        num_queries (int): Number of video-level instance queries. Defaults to 300.
        num_feature_levels (int): Encoder levels. Defaults to 4.
        train_cfg (dict, optional): Passed to the ``bbox_head`` (``assigner``).
        test_cfg (dict, optional): ``chunk_size`` (frames per backbone/encoder pass; None:
            the whole video), ``max_per_video`` (kept predictions), ``mask_thr`` (threshold
            on mask probabilities, default 0.5).
        data_preprocessor (dict, optional): Config of ``TrackDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, *, backbone: ConfigType, neck: ConfigType, encoder: ConfigType,
                 decoder: ConfigType, bbox_head: ConfigType, positional_encoding: ConfigType,
                 num_queries: int = 300, num_feature_levels: int = 4,
                 train_cfg: OptConfigType = None, test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, encoder=encoder, decoder=decoder,
                         bbox_head=dict(bbox_head), positional_encoding=positional_encoding,
                         num_queries=num_queries, with_box_refine=True, as_two_stage=False,
                         num_feature_levels=num_feature_levels, train_cfg=train_cfg or {},
                         test_cfg=test_cfg or {}, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
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

    def _forward(self, *args, **kwargs):
        """Tensor mode is not defined for a video model."""
        raise NotImplementedError(f'{type(self).__name__}: use mode="loss" or '
                                  'mode="predict".')

    # ------------------------------------------------------------------ features
    def split_stride4(self, feats: Sequence[Tensor]) -> Tuple[Optional[Tensor],
                                                              Sequence[Tensor]]:
        """The refiner's stride-4 map and the backbone outputs for the neck. SeqFormer
        alone has no refiner: (None, all outputs)."""
        return None, feats

    def encode(self, imgs: Tensor, frame_samples: Sequence[DetDataSample]) -> EncodedFrames:
        """Backbone, necks and mmdet's Deformable DETR encoder on a batch of frames.

        Args:
            imgs (Tensor): (B, 3, H, W) normalised, padded frames.
            frame_samples (Sequence[DetDataSample]): B frames with ``img_shape`` and
                ``batch_input_shape`` in their metainfo.
        """
        f4, feats = self.split_stride4(self.backbone(imgs))
        return self.encode_levels(self.neck(feats), frame_samples, f4)

    def encode_levels(self, levels: Sequence[Tensor], frame_samples: Sequence[DetDataSample],
                      f4: Optional[Tensor] = None) -> EncodedFrames:
        """mmdet's Deformable DETR input preparation and encoder on the neck's
        ``num_feature_levels`` maps (B, C, h_l, w_l); ``f4`` is passed through."""
        if len(levels) != self.num_feature_levels:
            raise ValueError(f'{type(self).__name__}: the neck gave {len(levels)} levels, '
                             f'expected num_feature_levels = {self.num_feature_levels}.')
        encoder_inputs, decoder_inputs = self.pre_transformer(tuple(levels),
                                                              list(frame_samples))
        memory = self.forward_encoder(**encoder_inputs)['memory']
        return EncodedFrames(memory=memory, f4=f4, **decoder_inputs)

    def encode_video(self, video: Tensor,
                     frame_samples: Sequence[DetDataSample]) -> EncodedFrames:
        """:meth:`encode` on the (T, 3, H, W) frames of one video, ``test_cfg.chunk_size``
        frames at a time."""
        chunk = self.test_cfg.get('chunk_size') or len(video)
        return EncodedFrames.cat([self.encode(video[s:s + chunk], frame_samples[s:s + chunk])
                                  for s in range(0, len(video), chunk)])

    def decode(self, enc: EncodedFrames, num_frames: int) -> List[QueryPredictions]:
        """SeqFormer's decoder and the head's predictions of every decoder layer."""
        num_videos = enc.memory.shape[0] // num_frames
        query_pos, query = self.query_embedding.weight.split(self.embed_dims, dim=-1)
        query_pos = query_pos[None].expand(num_videos, -1, -1)
        query = query[None].expand(num_videos, -1, -1)
        reference = self.reference_points_fc(query_pos).sigmoid()
        inst_states, box_states, references = self.decoder(
            query=query, query_pos=query_pos, value=enc.memory,
            key_padding_mask=enc.memory_mask, reference_points=reference,
            spatial_shapes=enc.spatial_shapes, level_start_index=enc.level_start_index,
            valid_ratios=enc.valid_ratios, reg_branches=self.bbox_head.reg_branches,
            num_frames=num_frames)
        return self.bbox_head(inst_states, box_states, references, num_frames)

    @staticmethod
    def img_size(meta: dict, device: torch.device) -> Tensor:
        """(2,) image size (w, h) before padding."""
        img_h, img_w = meta['img_shape'][:2]
        return torch.tensor([img_w, img_h], dtype=torch.float32, device=device)

    @staticmethod
    def frame_ids(data_samples: TrackSampleList, device: torch.device) -> Tensor:
        """(V, T) long: each clip frame's index in its video (``frame_id`` of its metainfo;
        the refiner's temporal position)."""
        return torch.tensor([[video[t].metainfo.get('frame_id', t) for t in range(len(video))]
                             for video in data_samples], dtype=torch.long, device=device)

    @staticmethod
    def _check_clips(inputs: Tensor, where: str) -> None:
        if inputs.dim() != 5:
            raise ValueError(f'{where}: inputs must be (N, T, C, H, W), got shape '
                             f'{tuple(inputs.shape)}.')

    # ------------------------------------------------------------------ training
    def loss_base(self, inputs: Tensor, data_samples: TrackSampleList):
        """The base head's losses on a batch of clips (N, T, C, H, W), and what a refiner
        reads: ``(losses, matched InstanceData, EncodedFrames, MaskFeatures)`` (see
        :meth:`VideoQueryHead.loss_and_match`)."""
        self._check_clips(inputs, f'{type(self).__name__}.loss')
        imgs = inputs.flatten(0, 1)
        enc = self.encode(imgs, [video[t] for video in data_samples for t in range(len(video))])
        layers = self.decode(enc, inputs.shape[1])
        feats = self.bbox_head.mask_features(enc)
        img_sizes = torch.stack([self.img_size(video[0].metainfo, imgs.device)
                                 for video in data_samples])
        losses, matched = self.bbox_head.loss_and_match(
            layers, feats.mask_feats, self.bbox_head.preprocess_gt(data_samples), img_sizes)
        return losses, matched, enc, feats

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
            bool and ``bboxes`` (K, 4): the refined masks (:meth:`refine_predictions`),
            else the coarse ones; ``pred_track_instances_coarse`` holds the same instances
            with the base head's coarse masks (SeqFormer's H/4 logits, bilinearly
            upsampled, > 0 where the probability > ``mask_thr``), for coarse-vs-refined
            evaluation.
        """
        if inputs.dim() != 5 or inputs.shape[0] != 1:
            raise ValueError(f'{type(self).__name__}.predict: inputs must be (1, T, C, H, W), '
                             f'got shape {tuple(inputs.shape)}.')
        video, track_sample = inputs[0], data_samples[0]
        frames = list(track_sample.video_data_samples)
        metas = [frame.metainfo for frame in frames]
        enc = self.encode_video(video, frames)
        layers = self.decode(enc, len(video))
        feats = self.bbox_head.mask_features(enc)
        pred = self.bbox_head.predict(layers, feats.mask_feats,
                                      self.img_size(metas[0], video.device))
        refined = self.refine_predictions(pred, enc, feats, video, metas[0])
        for t, frame in enumerate(frames):
            coarse_t = self._postprocess(pred.mask_logits[:, t], metas[t], rescale, logits=True)
            frame.pred_track_instances_coarse = self._instances(pred, coarse_t)
            final_t = coarse_t if refined is None else self._postprocess(
                refined[:, t], metas[t], rescale)
            frame.pred_track_instances = self._instances(pred, final_t)
        return [track_sample]

    def refine_predictions(self, pred: InstanceData, enc: EncodedFrames, feats: MaskFeatures,
                           video: Tensor, meta: dict) -> Optional[Tensor]:
        """(K, T, H', W') refined probabilities of the kept predictions ``pred``
        (:meth:`VideoQueryHead.predict`) of one video (T, 3, H, W), or None: SeqFormer
        alone keeps the coarse masks."""
        return None

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
    def _instances(pred: InstanceData, masks: Tensor) -> InstanceData:
        """One frame's ``pred_track_instances``; the track id is the prediction's rank."""
        return InstanceData(instances_id=torch.arange(len(pred), device=masks.device),
                            scores=pred.scores, labels=pred.labels, masks=masks,
                            bboxes=mask2bbox(masks))
