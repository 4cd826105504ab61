"""The dynamic (instance-conditioned) 1x1 convolutions of the VMT release's refiner.

Shape shorthand:
    M: instances, C_in: input channels of the first conv, c: hidden channels,
    P: generated parameters per instance, h x w: the map the convs run on.

Conventions of the release (kept so its checkpoints run as released):

* Parameter layout: the generated vector holds *all layers' weights first, then all
  biases* (``w_0 | w_1 | w_2 | b_0 | b_1 | b_2``); weight ``l`` is (C_out, C_in) row-major.
  (SeqFormer / CondInst's layout; mmvmt's paper head interleaves weight and bias per layer.)
* Relative coordinates are in input *pixels*, not normalised: the instance's reference
  point (x, y) minus the centre of each cell, ``(j * stride + stride // 2, i * stride +
  stride // 2)``.
"""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def dynamic_layer_dims(in_channels: int, channels: int, num_layers: int) -> List[Tuple[int, int]]:
    """(C_in, C_out) of each conv of a stack ``in -> c -> ... -> c -> 1``."""
    dims = [in_channels] + [channels] * (num_layers - 1) + [1]
    return list(zip(dims[:-1], dims[1:]))


def release_param_count(in_channels: int, channels: int, num_layers: int) -> int:
    """P: weights + biases of the stack (the width of the controller's output)."""
    return sum(cin * cout + cout for cin, cout in dynamic_layer_dims(in_channels, channels,
                                                                     num_layers))


def split_release_params(params: Tensor, in_channels: int, channels: int,
                         num_layers: int) -> List[Tuple[Tensor, Tensor]]:
    """Cut generated parameters in the release's layout into per-layer (weight, bias).

    Args:
        params (Tensor): (M, P).
        in_channels (int): C_in.
        channels (int): c.
        num_layers (int): number of convs.

    Returns:
        list[tuple[Tensor, Tensor]]: weight (M, C_out, C_in) and bias (M, C_out) per layer.
    """
    dims = dynamic_layer_dims(in_channels, channels, num_layers)
    if params.shape[-1] != release_param_count(in_channels, channels, num_layers):
        raise ValueError(f'split_release_params: got {params.shape[-1]} parameters per '
                         f'instance, the stack {dims} needs '
                         f'{release_param_count(in_channels, channels, num_layers)}')
    sizes = [cin * cout for cin, cout in dims] + [cout for _, cout in dims]
    parts = params.split(sizes, dim=-1)
    return [(parts[i].unflatten(-1, dims[i][::-1]), parts[num_layers + i])
            for i in range(num_layers)]


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
    layers = split_release_params(params, in_channels, channels, num_layers)
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
