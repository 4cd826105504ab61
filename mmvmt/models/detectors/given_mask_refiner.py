"""The class-agnostic refiner of given masks (self-correction, refine_results)."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample, TrackSampleList
from mmdet.utils import ConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmvmt.registry import MODELS
from ..data import EncodedFrames, RefinedMasks
from ..layers.mask_logits import fraction_logits
from .seqformer_detector import SeqFormerDetector


@MODELS.register_module()
class GivenMaskRefiner(SeqFormerDetector):
    """VMT's refinement head on its own, class-agnostic, on given masks of known tracks:
    what the self-correction loop trains and uses, and ``tools/refine_results.py``.

    The modules (and so the checkpoint keys) are those of :class:`VideoMaskTransfiner`:
    backbone, neck, encoder, SeqFormer's decoder and head, ``refine_neck`` and
    ``refine_head`` (:class:`~mmvmt.models.heads.VMTRefineHead`). Given masks (K, T, H, W)
    become the refiner's inputs here (:meth:`given_inputs`): coarse logits from each H/8
    cell's foreground fraction (:func:`~mmvmt.models.layers.fraction_logits`), the masks
    themselves at full resolution (``fine_masks``), and an
    instance embedding per track (``refine_head.given_inst_embeds``: the stride-8 features
    pooled under the mask, or with ``refine_head.given_embeddings='query'`` the base head's
    query matched to the track; only then does the decoder run).

    :meth:`loss` trains the refiner alone on the GT tracks' ``coarse_masks`` from the data
    pipeline (e.g. ``MaskDegradation``), against their ``masks``; the base head is not
    trained (``find_unused_parameters`` for distributed training). :meth:`refine_masks` is
    the entry point of the engine.

    Args:
        refine_neck (dict): Stride-4 feature projection for the refiner (a ChannelMapper
            over the backbone's first output).
        refine_head (dict): Config of the refinement head (``VMTRefineHead``).
        **kwargs: The arguments of :class:`SeqFormerDetector`.
    """

    def __init__(self, *, refine_neck: ConfigType, refine_head: ConfigType, **kwargs) -> None:
        super().__init__(**kwargs)
        self.refine_neck = MODELS.build(refine_neck)
        self.refine_head = MODELS.build(refine_head)

    def split_stride4(self, feats: Sequence[Tensor]) -> Tuple[Optional[Tensor],
                                                              Sequence[Tensor]]:
        """The backbone's first output through ``refine_neck``; the others to the neck."""
        return self.refine_neck(feats[:1])[0], feats[1:]

    def given_inputs(self, masks: Tensor, video_idx: Tensor, enc: EncodedFrames,
                     imgs: Tensor, queries: Optional[InstanceData] = None) -> Dict[str, object]:
        """The refinement head's inputs for given masks of known tracks.

        Args:
            masks (Tensor): (K, T, h, w) bool (or [0, 1]) masks, h, w <= the padded H, W.
            video_idx (Tensor): (K,) long, the video of each track.
            enc (EncodedFrames): The encoder's output of the V * T frames.
            imgs (Tensor): (V * T, 3, H, W) normalised, padded frames.
            queries (InstanceData, optional): The base head's predictions of the video
                (:meth:`VideoQueryHead.predict`), for ``given_embeddings='query'``.

        Returns:
            dict: the keyword arguments of ``VMTRefineHead`` (``coarse_logits``,
            ``feats``, ``images``, ``inst_embeds``, ``video_idx``, ``frame_embeds``,
            ``fine_masks``).
        """
        f8 = self.bbox_head.mask_features(enc).f8
        pad_h, pad_w = imgs.shape[-2:]
        fine = F.pad(masks.float(), (0, pad_w - masks.shape[-1], 0, pad_h - masks.shape[-2]))
        fractions = F.interpolate(fine, size=tuple(f8.shape[-2:]), mode='area')
        inst_embeds, frame_embeds = self.refine_head.given_inst_embeds(fractions, video_idx,
                                                                       f8, queries)
        return dict(coarse_logits=fraction_logits(fractions), feats=[f8, enc.f4], images=imgs,
                    inst_embeds=inst_embeds, video_idx=video_idx, frame_embeds=frame_embeds,
                    fine_masks=fine)

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples: TrackSampleList, **kwargs) -> Dict:
        """The refinement head's losses on the GT tracks' given coarse masks.

        Args:
            inputs (Tensor): (N, T, C, H, W) normalised, padded clips.
            data_samples (list[TrackDataSample]): N clips; frame t's ``gt_instances`` holds
                ``instances_ids``, ``masks``, ``coarse_masks`` and optionally
                ``refine_regions`` (extra pixels to refine, see ``VMTRefineHead.loss``).

        Returns:
            dict[str, Tensor]: The refinement head's loss components.
        """
        self._check_clips(inputs, 'GivenMaskRefiner.loss')
        if self.refine_head.given_embeddings != 'pooled':
            raise ValueError("GivenMaskRefiner.loss: the refiner learns with embeddings "
                             "pooled under the given masks (its base head is not trained); "
                             "refine_head.given_embeddings='query' needs a trained base head "
                             '(train VideoMaskTransfiner end to end).')
        imgs = inputs.flatten(0, 1)
        batch_gts = self.bbox_head.preprocess_gt(data_samples)
        if not all('coarse_masks' in gt for gt in batch_gts):
            raise KeyError('GivenMaskRefiner.loss: needs gt_instances.coarse_masks in every '
                           'frame (see PackVMTInputs and the mask degradation transform).')
        enc = self.encode(imgs, [video[t] for video in data_samples for t in range(len(video))])
        video_idx = torch.cat([torch.full((len(gt),), v, dtype=torch.long, device=imgs.device)
                               for v, gt in enumerate(batch_gts)])
        regions = torch.cat([gt.refine_regions for gt in batch_gts]) \
            if all('refine_regions' in gt for gt in batch_gts) else None
        return self.refine_head.loss(
            **self.given_inputs(torch.cat([gt.coarse_masks for gt in batch_gts]), video_idx,
                                enc, imgs),
            frame_ids=self.frame_ids(data_samples, imgs.device),
            gt_masks=torch.cat([gt.masks for gt in batch_gts]), regions=regions)

    # ------------------------------------------------------------------ inference
    def predict(self, inputs: Tensor, data_samples: TrackSampleList,
                rescale: bool = True) -> TrackSampleList:
        """Not defined: the refiner has no classes to predict; :meth:`refine_masks`
        refines given masks."""
        raise NotImplementedError(
            'GivenMaskRefiner.predict: a class-agnostic refiner refines given masks '
            '(refine_masks: self-correction, tools/refine_results.py); to segment videos, '
            'test a VideoMaskTransfiner config.')

    @torch.no_grad()
    def refine_masks(self, frames: Tensor, coarse_masks: Tensor) -> RefinedMasks:
        """Class-agnostic refinement of given masks of known tracks of one video.

        The backbone and encoder run ``test_cfg.chunk_size`` frames at a time; the
        refinement groups the quadtrees of all frames.

        Args:
            frames (Tensor): (T, 3, H, W) frames as the data pipeline gives them (before
                the data preprocessor: unnormalised, channel order of the pipeline).
            coarse_masks (Tensor): (K, T, H, W) bool coarse masks of K tracks.

        Returns:
            RefinedMasks: ``probs`` and ``region``, (K, T, H, W) each.
        """
        if coarse_masks.dim() != 4 or coarse_masks.shape[1:] != (frames.shape[0],
                                                                  *frames.shape[-2:]):
            raise ValueError('GivenMaskRefiner.refine_masks: coarse_masks must be (K, T, H, '
                             f'W) = (K, {frames.shape[0]}, {frames.shape[-2]}, '
                             f'{frames.shape[-1]}), got {tuple(coarse_masks.shape)}.')
        height, width = frames.shape[-2:]
        video = self.data_preprocessor(dict(inputs=[frames], data_samples=None))['inputs'][0]
        frame_samples = self._frame_samples(len(video), (height, width), video.shape[-2:])
        enc = self.encode_video(video, frame_samples)
        queries = None
        if self.refine_head.given_embeddings == 'query':
            queries = self.bbox_head.predict(
                self.decode(enc, len(video)), self.bbox_head.mask_features(enc).mask_feats,
                self.img_size(frame_samples[0].metainfo, video.device))
        coarse_masks = coarse_masks.to(video.device)
        probs, region = self.refine_head.predict(
            **self.given_inputs(coarse_masks, video.new_zeros(len(coarse_masks),
                                                              dtype=torch.long),
                                enc, video, queries),
            frame_ids=torch.arange(len(video), device=video.device)[None])
        return RefinedMasks(probs=probs[..., :height, :width],
                            region=region[..., :height, :width].bool())

    @staticmethod
    def _frame_samples(num_frames: int, img_shape: Tuple[int, int],
                       pad_shape: Sequence[int]) -> List[DetDataSample]:
        """Frame samples with the metainfo the encoder reads."""
        return [DetDataSample(metainfo=dict(img_shape=tuple(img_shape),
                                            batch_input_shape=tuple(pad_shape)))
                for _ in range(num_frames)]
