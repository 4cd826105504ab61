"""The dynamic (instance-conditioned) 1x1 convolutions of the VMT release's refiner.

Shape shorthand:
    M: instances, C_in: input channels of the first conv, c: hidden channels,
    P: generated parameters per instance, h x w: the map the convs run on.

Conventions of the release (kept so its checkpoints run as released):

* Parameter layout: the generated vector holds *all layers' weights first, then all
  biases* (``w_0 | w_1 | w_2 | b_0 | b_1 | b_2``); weight ``l`` is (C_out, C_in) row-major.
  (SeqFormer / CondInst's layout, ``split_dynamic_params`` of ``dynamic_conv.py``; the
  paper head's incoherent detector, a 3x3 stack of mmvmt's own, interleaves weight and bias
  per layer: ``IncoherentDetector.generate_params``.)
* Relative coordinates are in input *pixels*, not normalised: the instance's reference
  point (x, y) minus the centre of each cell, ``(j * stride + stride // 2, i * stride +
  stride // 2)``.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

from .dynamic_conv import dynamic_conv_dims, dynamic_conv_param_count, split_dynamic_params


def release_param_count(in_channels: int, channels: int, num_layers: int) -> int:
    """P: weights + biases of the stack ``in -> c -> ... -> c -> 1`` (the width of the
    controller's output)."""
    return dynamic_conv_param_count(dynamic_conv_dims(in_channels, channels, num_layers))


def dynamic_convs(params: Tensor, inputs: Tensor, channels: int, num_layers: int) -> Tensor:
    """Run each instance's own 1x1 convs (ReLU between them) over its own input map.

    Args:
        params (Tensor): (M, P) parameters in the release's layout.
        inputs (Tensor): (M, C_in, h, w).
        channels (int): c.
        num_layers (int): number of convs.

    Returns:
        Tensor: (M, h, w) logits.
    """
    num_inst, in_channels, h, w = inputs.shape
    x = inputs.flatten(2)
    # SeqFormer's layout, shared with the base head (layers/dynamic_conv.py)
    layers = split_dynamic_params(params, dynamic_conv_dims(in_channels, channels, num_layers))
    for i, (weight, bias) in enumerate(layers):
        x = torch.einsum('moc,mcp->mop', weight, x) + bias[..., None]
        if i < num_layers - 1:
            x = F.relu(x)
    return x.view(num_inst, h, w)


def pixel_relative_coords(points: Tensor, h: int, w: int, stride: int) -> Tensor:
    """Reference points minus the pixel centres of a stride-``stride`` grid.

    Args:
        points (Tensor): (M, 2) reference points (x, y) in input pixels.
        h (int): grid height.
        w (int): grid width.
        stride (int): input pixels per cell.

    Returns:
        Tensor: (M, 2, h, w), channel 0 the x difference, channel 1 the y difference.
    """
    xs = torch.arange(w, device=points.device, dtype=points.dtype) * stride + stride // 2
    ys = torch.arange(h, device=points.device, dtype=points.dtype) * stride + stride // 2
    dx = points[:, 0, None, None] - xs[None, None, :].expand(1, h, w)
    dy = points[:, 1, None, None] - ys[None, :, None].expand(1, h, w)
    return torch.stack([dx, dy], 1)
