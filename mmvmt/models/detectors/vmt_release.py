"""The VMT as publicly released: SeqFormer -> the released refiner (inference only)."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet.structures import TrackSampleList
from mmdet.utils import ConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmvmt.registry import MODELS
from ..data import EncodedFrames, MaskFeatures
from .seqformer_detector import SeqFormerDetector


@MODELS.register_module()
class VMTRelease(SeqFormerDetector):
    """The public VMT release (github.com/SysCV/vmt): :class:`SeqFormerDetector` and the
    released refiner (:class:`~mmvmt.models.heads.VMTReleaseRefineHead`), to run the
    released checkpoints as released (``docs/design/release_refiner.md``).

    The released refiner reads the backbone's raw stride-4 output (no ``refine_neck``),
    the mask branch's sum before its last conv (``MaskFeatures.f8_sum``), the kept
    predictions' reference points and boxes, and for a ResNet the stem's ``conv1`` output
    before its norm (the stride-2 map). Only inference is released: :meth:`loss` refuses.

    Args:
        refine_head (dict): Config of ``VMTReleaseRefineHead``.
        refine_neck (None): Must be None (there is none); accepted so that the release
            configs inherit the paper's (``refine_neck=None``).
        test_cfg (dict, optional): As :class:`SeqFormerDetector`, and ``refine`` (run the
            refiner, default True).
        **kwargs: The arguments of :class:`SeqFormerDetector`.
    """

    def __init__(self, *, refine_head: ConfigType, refine_neck: None = None,
                 **kwargs) -> None:
        if refine_neck is not None:
            raise ValueError('VMTRelease: refine_neck must be None: the released refiner '
                             'reads the backbone\'s raw stride-4 output.')
        super().__init__(**kwargs)
        self.refine_head = MODELS.build(refine_head)

    def split_stride4(self, feats: Sequence[Tensor]) -> Tuple[Optional[Tensor],
                                                              Sequence[Tensor]]:
        """The backbone's raw first output (the release's f4); the others to the neck."""
        return feats[0], feats[1:]

    def loss(self, inputs: Tensor, data_samples: TrackSampleList, **kwargs) -> Dict:
        """Not released: the release ships no training code for its refiner."""
        raise NotImplementedError(
            'VMTRelease.loss: the released refiner runs the released checkpoints '
            '(inference); training it is not wired (its loss needs the matched queries\' '
            'reference points and boxes). Train VideoMaskTransfiner instead.')

    def refine_predictions(self, pred: InstanceData, enc: EncodedFrames, feats: MaskFeatures,
                           video: Tensor, meta: dict) -> Optional[Tensor]:
        """The released refiner on the kept predictions of one video: (K, T, H, W)
        probabilities, or None with ``test_cfg.refine=False``.

        The reference points are those of the last decoder layer (SeqFormer's
        ``inter_references[-2]``, the centres of the coarse masks); points and boxes are
        normalised by the padded input size, as the release sees its (unpadded) input. The
        stride-2 map of a ResNet is its stem's conv1 output (before its norm), computed
        here ``test_cfg.chunk_size`` frames at a time.
        """
        if not self.test_cfg.get('refine', True):
            return None
        pad_h, pad_w = meta['batch_input_shape']
        img_size = self.img_size(meta, video.device)
        to_padded = img_size / img_size.new_tensor([pad_w, pad_h])
        f2 = None
        if not self.refine_head.hr_from_f4:
            chunk = self.test_cfg.get('chunk_size') or len(video)
            f2 = torch.cat([self.backbone.conv1(video[s:s + chunk])
                            for s in range(0, len(video), chunk)])
        refined, _ = self.refine_head.predict(
            coarse_logits=pred.coarse_logits, feats=[feats.f8_sum, enc.f4, f2], images=video,
            inst_embeds=pred.inst_embeds, ref_points=pred.mask_centers * to_padded,
            boxes=pred.bboxes * to_padded.repeat(2),
            video_idx=video.new_zeros(len(pred), dtype=torch.long))
        return refined
