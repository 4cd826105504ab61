"""SeqFormer's mask branch: a small FPN over the encoder memory giving stride-8 mask features.

Shape shorthand: B frames, C embedding dims, D = C // 32 mask-feature channels; level l of
the encoder memory has stride 8 * 2**l.

The encoder levels of strides 8, 16 and 32 are fused top-down (nearest upsampling, sum) with
a 3x3 conv + ReLU after each step, then two 3x3 convs + ReLU reduce C -> C / 4 -> C / 32.
Parameter for parameter SeqFormer's ``MaskHeadSmallConv`` without FPN adapters
(``lay3``, ``lay4``, ``dcn`` are ``fuse_convs``; ``lay1``, ``lay2`` are ``reduce_convs``).
"""
from typing import List, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor, nn


class SeqFormerMaskBranch(nn.Module):
    """Top-down fusion of three encoder levels into stride-8 mask features.

    Args:
        embed_dims (int): C, channels of the encoder memory.
        mask_dims (int, optional): D, channels of the mask features. Defaults to C // 32.
        num_levels (int): encoder levels fused, finest first. Defaults to 3.
    """

    def __init__(self, *, embed_dims: int = 256, mask_dims: int = None,
                 num_levels: int = 3) -> None:
        super().__init__()
        mask_dims = mask_dims or embed_dims // 32
        self.embed_dims = embed_dims
        self.mask_dims = mask_dims
        self.num_levels = num_levels
        self.fuse_convs = nn.ModuleList(
            [nn.Conv2d(embed_dims, embed_dims, 3, padding=1) for _ in range(num_levels)])
        self.reduce_convs = nn.ModuleList([
            nn.Conv2d(embed_dims, embed_dims // 4, 3, padding=1),
            nn.Conv2d(embed_dims // 4, mask_dims, 3, padding=1)
        ])

    def init_weights(self) -> None:
        """SeqFormer's initialisation: kaiming-uniform (a=1) weights, zero biases."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.constant_(m.bias, 0)

    def forward(self, levels: Sequence[Tensor], return_sum: bool = False) -> Tuple[Tensor, ...]:
        """Fuse the levels.

        Args:
            levels (Sequence[Tensor]): ``num_levels`` maps (B, C, h_l, w_l), finest
                (stride 8) first.

        Returns:
            tuple[Tensor, Tensor]: ``fused`` (B, C, h_0, w_0), the fused stride-8 features
            (what the refinement head reads at H/8), and ``mask_feats`` (B, D, h_0, w_0);
            with ``return_sum`` also the top-down sum before the last fuse conv (B, C, h_0,
            w_0) (SeqFormer's ``fused_x_c``, what the VMT release's refiner reads).
        """
        levels = list(levels)[:self.num_levels]
        x = summed = None
        for conv, level in zip(self.fuse_convs, reversed(levels)):
            x = summed = level if x is None else level + F.interpolate(
                x, size=level.shape[-2:], mode='nearest')
            x = F.relu(conv(x))
        fused = x
        for conv in self.reduce_convs:
            x = F.relu(conv(x))
        return (fused, x, summed) if return_sum else (fused, x)

    @staticmethod
    def split_levels(memory: Tensor, spatial_shapes: Tensor,
                     level_start_index: Tensor, num_levels: int) -> List[Tensor]:
        """The first ``num_levels`` levels of a flattened memory (B, L, C) as maps."""
        out = []
        for lvl in range(num_levels):
            h, w = (int(s) for s in spatial_shapes[lvl])
            start = int(level_start_index[lvl])
            out.append(memory[:, start:start + h * w].transpose(1, 2).unflatten(-1, (h, w)))
        return out
