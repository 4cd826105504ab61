"""Multi-dilation fusion of the VMT release's refiner (before its dynamic decoder)."""
from typing import Sequence

from mmcv.cnn import ConvModule
from torch import Tensor, nn


class MultiDilationFusion(nn.Module):
    """Parallel branches (a dilated 3x3 conv, then two 1x1 convs, ReLU after each) whose
    outputs are summed: the release's ``conv_norm_relus_fuse_all_{1..4}``.

    Args:
        in_channels (int): input channels.
        hidden_channels (int): channels inside each branch.
        out_channels (int): output channels (the dynamic decoder's input).
        dilations (Sequence[int]): one branch per dilation, in the release's order.
    """

    def __init__(self, *, in_channels: int, hidden_channels: int = 32, out_channels: int = 11,
                 dilations: Sequence[int] = (3, 5, 7, 1)) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(
                ConvModule(in_channels, hidden_channels, 3, padding=d, dilation=d),
                ConvModule(hidden_channels, hidden_channels, 1),
                ConvModule(hidden_channels, out_channels, 1)) for d in dilations)

    def forward(self, x: Tensor) -> Tensor:
        """Fuse.

        Args:
            x (Tensor): (M, in_channels, h, w).

        Returns:
            Tensor: (M, out_channels, h, w), non-negative.
        """
        out = self.branches[0](x)
        for branch in self.branches[1:]:
            out = out + branch(x)
        return out
