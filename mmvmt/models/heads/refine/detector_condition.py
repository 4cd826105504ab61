"""What generates the incoherent detector's dynamic weights: the conditioning strategies.

Shape shorthand:
    M: instances, T: frames per video, C_q: instance embedding channels, N: weight sets,
    E: detector input channels, h x w: the H/8 grid, P: cells or windows.

The paper conditions the detector on the video-level instance embedding (one weight set per
instance, :class:`VideoCondition`); the ablations condition it on each frame's embedding
(:class:`FrameCondition`, one set per instance and frame) or on nothing
(:class:`FixedCondition`: one learnt embedding, a plain FCN over the features and the
coarse mask).
"""
from typing import Optional

import torch
from torch import Tensor, nn

from mmvmt.registry import MODELS


@MODELS.register_module()
class VideoCondition(nn.Module):
    """The paper: the video-level instance embedding generates each instance's weights.

    Args:
        inst_channels (int): C_q. Only :class:`FixedCondition` needs it (its learnt
            embedding); every condition takes it, so that the head builds any of them alike.
    """

    def __init__(self, *, inst_channels: int) -> None:
        super().__init__()
        self.inst_channels = inst_channels

    def forward(self, inst_embeds: Tensor, frame_embeds: Optional[Tensor] = None) -> Tensor:
        """The embeddings of the weight sets.

        Args:
            inst_embeds (Tensor): (M, C_q) video-level instance embeddings.
            frame_embeds (Tensor, optional): (M, T, C_q) per-frame embeddings.

        Returns:
            Tensor: (N, C_q), here N = M.
        """
        return inst_embeds

    def weight_sets(self, inst: Tensor, frame: Tensor, num_frames: int) -> Tensor:
        """The weight set that scores each cell.

        Args:
            inst (Tensor): (P,) long instance of each cell.
            frame (Tensor): (P,) long frame of each cell.
            num_frames (int): T.

        Returns:
            Tensor: (P,) long in [0, N).
        """
        return inst

    def group_volume(self, volume: Tensor) -> Tensor:
        """The dense H/8 input grouped as the detector's ``forward_dense`` runs it: one group
        (first dim) per weight set.

        Args:
            volume (Tensor): (M, T, E, h, w) each instance's input volume.

        Returns:
            Tensor: (N, T', E, h, w), here the volume itself.
        """
        return volume


@MODELS.register_module()
class FrameCondition(VideoCondition):
    """Ablation: each frame's own instance embedding generates the weights of that frame
    (``frame_embeds`` are required)."""

    def forward(self, inst_embeds: Tensor, frame_embeds: Optional[Tensor] = None) -> Tensor:
        """See :meth:`VideoCondition.forward`; N = M * T, instance-major."""
        if frame_embeds is None:
            raise ValueError('FrameCondition (refine head detector_condition): the head needs '
                             'frame_embeds (M, T, C_q), the per-frame instance embeddings')
        return frame_embeds.flatten(0, 1)

    def weight_sets(self, inst: Tensor, frame: Tensor, num_frames: int) -> Tensor:
        """See :meth:`VideoCondition.weight_sets`: ``inst * T + frame``."""
        return inst * num_frames + frame

    def group_volume(self, volume: Tensor) -> Tensor:
        """See :meth:`VideoCondition.group_volume`: (M * T, 1, E, h, w)."""
        return volume.flatten(0, 1)[:, None]


@MODELS.register_module()
class FixedCondition(VideoCondition):
    """Ablation: one learnt embedding generates the same weights for every instance.

    Args:
        inst_channels (int): C_q of the learnt embedding.
    """

    def __init__(self, *, inst_channels: int) -> None:
        super().__init__(inst_channels=inst_channels)
        self.embed = nn.Parameter(torch.randn(1, inst_channels))

    def forward(self, inst_embeds: Tensor, frame_embeds: Optional[Tensor] = None) -> Tensor:
        """See :meth:`VideoCondition.forward`: the learnt embedding, (M, C_q)."""
        return self.embed.expand(len(inst_embeds), -1)
