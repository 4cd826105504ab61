"""Video Mask Transfiner (the paper): SeqFormer -> the paper's refinement head."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet.structures import TrackSampleList
from mmdet.utils import OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmvmt.registry import MODELS
from ..data import EncodedFrames, MaskFeatures
from .seqformer_detector import SeqFormerDetector


@MODELS.register_module()
class VideoMaskTransfiner(SeqFormerDetector):
    """Video Mask Transfiner (Ke et al., ECCV 2022) for video instance segmentation.

    :class:`SeqFormerDetector` (the base detector) and the paper's refinement head
    (:class:`~mmvmt.models.heads.VMTRefineHead`), trained end to end: the refiner refines
    the coarse masks of the queries matched to GT tracks in training, of the kept
    predictions at test time, in their incoherent regions up to H x W. It reads the
    stride-8 features of SeqFormer's mask branch and stride-4 features from the backbone's
    first output through ``refine_neck``. At test time the refinement groups the quadtrees
    of *all* frames of the video into one sequence per instance (Quadtree Sequence Grouping
    over the whole video, the paper's best setting), its node caps being per frame.

    Args:
        refine_neck (dict, optional): Stride-4 feature projection for the refiner (a
            ChannelMapper over the backbone's first output).
        refine_head (dict, optional): Config of the refinement head (``VMTRefineHead``).
            ``refine_neck`` and ``refine_head`` go together; without them the model is
            SeqFormer alone (``configs/seqformer/``) and the backbone gives strides 8-32.
        test_cfg (dict, optional): As :class:`SeqFormerDetector`, and ``refine`` (run the
            refiner at test time, default True; False scores the base detector alone).
        **kwargs: The arguments of :class:`SeqFormerDetector`.
    """

    def __init__(self, *, refine_neck: OptConfigType = None,
                 refine_head: OptConfigType = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if (refine_neck is None) != (refine_head is None):
            raise ValueError('VideoMaskTransfiner: refine_head and refine_neck go together '
                             '(the refiner reads the stride-4 features refine_neck gives).')
        self.refine_neck = MODELS.build(refine_neck) if refine_neck is not None else None
        self.refine_head = MODELS.build(refine_head) if refine_head is not None else None

    @property
    def with_refine(self) -> bool:
        """bool: Whether the model has a refinement head."""
        return self.refine_head is not None

    def split_stride4(self, feats: Sequence[Tensor]) -> Tuple[Optional[Tensor],
                                                              Sequence[Tensor]]:
        """The backbone's first output through ``refine_neck``; the others to the neck."""
        if not self.with_refine:
            return None, feats
        return self.refine_neck(feats[:1])[0], feats[1:]

    def loss(self, inputs: Tensor, data_samples: TrackSampleList, **kwargs) -> Dict:
        """Losses of the base head and of the refinement head on a batch of clips.

        Args:
            inputs (Tensor): Input clips of shape (N, T, C, H, W), normalised and padded.
            data_samples (list[TrackDataSample]): N clips; frame t's ``gt_instances`` holds
                ``labels``, ``instances_ids``, ``masks`` (and optionally ``bboxes``).

        Returns:
            dict[str, Tensor]: Loss components.
        """
        losses, matched, enc, feats = self.loss_base(inputs, data_samples)
        if self.with_refine:
            # Every frame of a clip is annotated; where a track is absent its target is
            # the empty mask, which the refiner must learn too.
            losses.update(self.refine_head.loss(
                **self.refine_inputs(matched, matched.video_idx, enc, feats,
                                      inputs.flatten(0, 1)),
                frame_ids=self.frame_ids(data_samples, inputs.device),
                gt_masks=matched.gt_masks))
        return losses

    def refine_predictions(self, pred: InstanceData, enc: EncodedFrames, feats: MaskFeatures,
                           video: Tensor, meta: dict) -> Optional[Tensor]:
        """The refined probabilities (K, T, H, W) of the kept predictions (one video), or
        None without a refiner or with ``test_cfg.refine=False``."""
        if not self.with_refine or not self.test_cfg.get('refine', True):
            return None
        refined, _ = self.refine_head.predict(
            **self.refine_inputs(pred, video.new_zeros(len(pred), dtype=torch.long), enc,
                                  feats, video),
            frame_ids=torch.arange(len(video), device=video.device)[None])
        return refined

    @staticmethod
    def refine_inputs(queries: InstanceData, video_idx: Tensor, enc: EncodedFrames,
                       feats: MaskFeatures, imgs: Tensor) -> Dict[str, object]:
        """The refinement head's inputs (the keyword arguments of ``VMTRefineHead``) for
        M queries with ``coarse_logits`` and ``inst_embeds``, of the videos ``video_idx``
        (M,)."""
        return dict(coarse_logits=queries.coarse_logits, feats=[feats.f8, enc.f4],
                    images=imgs, inst_embeds=queries.inst_embeds,
                    video_idx=video_idx)
