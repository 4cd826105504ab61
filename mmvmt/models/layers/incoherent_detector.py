"""VMT's query-driven 3D incoherent-point detector (dynamic convolution).

Shape shorthand:
    M: instances, T: frames, P: nodes,
    C: input channels, D: hidden channels, R = 2 * num_convs + 1: receptive field side.

Each instance embedding generates (through one linear layer, as CondInst's controller) the
weights of ``num_convs`` 3x3 conv layers with ReLU and of a 1x1 binary classifier. At H/8 they
run densely over the whole T x H/8 x W/8 volume as one grouped convolution (one group per
instance). At H/4 and H/2 the *same* instance-specific weights are evaluated only at candidate
children: one (R + 1)-sided input window around a parent's 2 x 2 children is gathered
(:func:`~mmvmt.models.layers.node_windows.gather_window`) and the
conv stack, without padding, gives the four children's logits
(:meth:`IncoherentDetector.forward_windows`), so the cost is proportional to the number of
nodes. Intermediate activations outside the image are zeroed, which makes the result equal to
the dense convolution (zero padding) at those positions. Node coordinates follow
``quadtree.py``.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

DynamicParams = List[Tuple[Tensor, Tensor]]


class IncoherentDetector(nn.Module):
    """Instance-conditioned incoherence classifier shared by all quadtree levels.

    Its input at a cell is ``embed_channels`` projected frame features of that cell's level
    (see :meth:`level_inputs`) plus the instance's coarse mask logit upsampled to the level.

    Args:
        inst_channels (int): channels of an instance embedding.
        in_channels (int): channels of the backbone features at H/8 and H/4.
        rgb_channels (int): channels of the RGB embedding at H/2.
        embed_channels (int): channels of the projected frame features.
        feat_channels (int): channels D of the dynamic conv layers.
        num_convs (int): number of dynamic 3x3 conv layers.
    """

    def __init__(self, *, inst_channels: int = 256, in_channels: int = 256,
                 rgb_channels: int = 16, embed_channels: int = 8, feat_channels: int = 8,
                 num_convs: int = 3) -> None:
        super().__init__()
        # H/8 from f8, H/4 from f4, H/2 from f4 (upsampled) plus the RGB embedding
        self.input_projs = nn.ModuleList(
            [nn.Conv2d(in_channels, embed_channels, 1) for _ in range(3)])
        self.rgb_proj = nn.Conv2d(rgb_channels, embed_channels, 1)
        self.num_convs = num_convs
        in_channels = embed_channels + 1
        # (out, in, kernel) of each dynamic layer, classifier last
        self.layer_shapes = [(feat_channels, in_channels if i == 0 else feat_channels, 3)
                             for i in range(num_convs)] + [(1, feat_channels, 1)]
        num_params = sum(o * i * k * k + o for o, i, k in self.layer_shapes)
        self.controller = nn.Linear(inst_channels, num_params)

    def level_inputs(self, f8: Tensor, f4: Tensor, rgb: Tensor,
                     sizes: Sequence[Tuple[int, int]]) -> List[Tensor]:
        """Projected per-frame features of the three levels (small channel count, so dense).

        Args:
            f8 (Tensor): (B, C, h8, w8) features at H/8.
            f4 (Tensor): (B, C, h4', w4') features at H/4.
            rgb (Tensor): (B, C_rgb, h2', w2') RGB embedding at H/2.
            sizes (list[tuple[int, int]]): grid (h, w) of levels 0, 1, 2.

        Returns:
            list[Tensor]: (B, E, h_l, w_l) per level.
        """
        def resize(x: Tensor, size: Tuple[int, int]) -> Tensor:
            if tuple(x.shape[-2:]) == tuple(size):
                return x
            # a 1x1 conv commutes with bilinear resizing, so project first: fewer channels
            return F.interpolate(x, size=size, mode='bilinear', align_corners=False)

        return [resize(self.input_projs[0](f8), sizes[0]),
                resize(self.input_projs[1](f4), sizes[1]),
                resize(self.input_projs[2](f4), sizes[2]) + resize(self.rgb_proj(rgb), sizes[2])]

    @property
    def radius(self) -> int:
        """How far (in cells) a node's logit looks: one cell per 3x3 layer."""
        return self.num_convs

    def generate_params(self, inst_embeds: Tensor) -> DynamicParams:
        """Per-instance weights of the conv stack.

        Args:
            inst_embeds (Tensor): (M, C_q).

        Returns:
            list[tuple[Tensor, Tensor]]: per layer, weight (M, out, in, k, k) and bias (M, out).
            Weights are divided by sqrt(fan_in) so activations keep their scale at init.
        """
        flat = self.controller(inst_embeds)
        params, start = [], 0
        for out_c, in_c, k in self.layer_shapes:
            num_w = out_c * in_c * k * k
            weight = flat[:, start:start + num_w].reshape(-1, out_c, in_c, k, k)
            bias = flat[:, start + num_w:start + num_w + out_c]
            params.append((weight / (in_c * k * k) ** 0.5, bias))
            start += num_w + out_c
        return params

    def forward_dense(self, params: DynamicParams, x: Tensor) -> Tensor:
        """Incoherence logits over a whole volume, one conv group per instance.

        Args:
            params (list): output of :meth:`generate_params` for M instances.
            x (Tensor): (M, T, C, h, w) each instance's input volume.

        Returns:
            Tensor: (M, T, h, w) logits.
        """
        num_inst, num_frames, _, h, w = x.shape
        if num_inst == 0:  # conv2d refuses zero groups
            return x.new_zeros(0, num_frames, h, w)
        out = x.transpose(0, 1).reshape(num_frames, -1, h, w)
        for i, (weight, bias) in enumerate(params):
            out = F.conv2d(out, weight.flatten(0, 1), bias.flatten(), padding=weight.shape[-1] // 2,
                           groups=num_inst)
            if i < len(params) - 1:
                out = out.relu()
        return out.reshape(num_frames, num_inst, h, w).transpose(0, 1)

    def forward_windows(self, params: DynamicParams, windows: Tensor, inside: Tensor,
                        inst: Tensor) -> Tensor:
        """Incoherence logits at the centre ``S - 2 * radius`` square of each window.

        A (2r + 2)-sided window around a parent node's 2 x 2 children gives the four
        children's logits from one gather (their receptive fields overlap in all but one
        row or column), a (2r + 1)-sided one a single node's. The windows that share a
        weight set run as one plain ``F.conv2d`` per layer, so the cost is the convolution
        itself, not a copy of the weights per node.

        Args:
            params (list): output of :meth:`generate_params` for N weight sets.
            windows (Tensor): (P, C, S, S) inputs, S > 2 * radius.
            inside (Tensor): (P, S, S) bool, which window cells lie inside the image.
            inst (Tensor): (P,) long in [0, N), the weight set of each window.

        Returns:
            Tensor: (P, S - 2r, S - 2r) logits, equal to :meth:`forward_dense` there.
        """
        side = windows.shape[-1] - 2 * self.radius
        out = windows.new_empty(windows.shape[0], side, side)
        if windows.shape[0] == 0:
            return out
        order = torch.argsort(inst, stable=True)
        sets, counts = torch.unique_consecutive(inst[order], return_counts=True)
        for weight_set, sel in zip(sets.tolist(), order.split(counts.tolist())):
            out[sel] = self._conv_stack([(w[weight_set], b[weight_set]) for w, b in params],
                                        windows[sel], inside[sel])
        return out

    @staticmethod
    def _conv_stack(params: List[Tuple[Tensor, Tensor]], x: Tensor, inside: Tensor) -> Tensor:
        """One weight set's layers on (P, C, S, S) windows, without padding (each 3x3 layer
        trims a cell per side); activations outside the image are zeroed, as the dense
        convolution's zero padding sees them. Returns (P, S - 2r, S - 2r)."""
        for i, (weight, bias) in enumerate(params):
            x = F.conv2d(x, weight, bias)
            if i < len(params) - 1:
                crop = (inside.shape[-1] - x.shape[-1]) // 2
                x = x.relu() * inside[:, None, crop:inside.shape[-1] - crop,
                                      crop:inside.shape[-1] - crop]
        return x[:, 0]
