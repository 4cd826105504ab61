"""Dynamic (instance-conditioned) 1x1 convolutions, as CondInst / SeqFormer's mask head.

Shape shorthand::

    M  instances      T  frames      D  input channels of the first conv
    P  generated parameters per instance      h, w  size of the feature map

An instance embedding generates (through a controller MLP) the weights and biases of a small
stack of 1x1 convs ``D -> c -> ... -> c -> 1`` with ReLU between them. The parameter vector
is laid out as SeqFormer and CondInst lay it out, so their controllers load unchanged: first
the weights of every layer (each ``(out, in)`` row-major), then the biases of every layer.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def dynamic_conv_dims(in_channels: int, channels: int, num_layers: int) -> List[int]:
    """Channel widths of a dynamic conv stack ``in -> channels ... -> 1``."""
    return [in_channels] + [channels] * (num_layers - 1) + [1]


def dynamic_conv_param_count(dims: Sequence[int]) -> int:
    """Number of weights + biases of 1x1 convs between consecutive ``dims``."""
    return sum(cin * cout + cout for cin, cout in zip(dims[:-1], dims[1:]))


def split_dynamic_params(params: Tensor, dims: Sequence[int]) -> List[Tuple[Tensor, Tensor]]:
    """Cut generated parameters into per-layer (weight, bias), weights first.

    Args:
        params (Tensor): (..., P) generated parameters.
        dims (Sequence[int]): channel widths, ``dims[0]`` in, ``dims[-1]`` out.

    Returns:
        list[tuple[Tensor, Tensor]]: weight (..., C_out, C_in) and bias (..., C_out) per
        layer.
    """
    pairs = list(zip(dims[:-1], dims[1:]))
    if params.shape[-1] != dynamic_conv_param_count(dims):
        raise ValueError(f'split_dynamic_params (layers/dynamic_conv.py): {params.shape[-1]} '
                         f'parameters, expected {dynamic_conv_param_count(dims)} for convs '
                         f'{list(dims)}.')
    sizes = [cin * cout for cin, cout in pairs] + [cout for _, cout in pairs]
    chunks = params.split(sizes, dim=-1)
    num = len(pairs)
    return [(chunks[i].unflatten(-1, (cout, cin)), chunks[num + i])
            for i, (cin, cout) in enumerate(pairs)]


def feature_locations(h: int, w: int, stride: int, device: torch.device) -> Tensor:
    """Image-pixel positions (x, y) of the cells of a stride-``stride`` map: ``j * s + s // 2``.

    Returns:
        Tensor: (2, h * w) float.
    """
    xs = torch.arange(w, device=device, dtype=torch.float32) * stride + stride // 2
    ys = torch.arange(h, device=device, dtype=torch.float32) * stride + stride // 2
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([grid_x.flatten(), grid_y.flatten()])


def dynamic_mask_logits(params: Tensor, centers: Tensor, mask_feats: Tensor, dims: Sequence[int],
                        stride: int) -> Tensor:
    """Instance-conditioned 1x1 convs over [relative coordinates, mask features].

    The relative coordinates are in image pixels, ``centre - location`` (SeqFormer's
    ``rel_coord``): the first two input channels of the first conv.

    Args:
        params (Tensor): (M, P) generated parameters of M instances of one video.
        centers (Tensor): (M, T, 2) per-frame instance centres (x, y) in image pixels.
        mask_feats (Tensor): (T, D - 2, h, w) mask features of that video.
        dims (Sequence[int]): channel widths of the stack, ``dims[0] = D``.
        stride (int): stride of the mask features in image pixels.

    Returns:
        Tensor: (M, T, h, w) mask logits.
    """
    num_frames, _, h, w = mask_feats.shape
    layers = split_dynamic_params(params, dims)
    rel = centers[..., None] - feature_locations(h, w, stride, mask_feats.device)  # M T 2 hw
    feats = mask_feats.flatten(2)  # (T, D - 2, hw)
    weight, bias = layers[0]
    # The first conv is split into its coordinate part and its feature part (shared input,
    # so no (M, T, D, hw) copy is made).
    x = (torch.einsum('moc,mtcp->mtop', weight[..., :2], rel) +
         torch.einsum('mod,tdp->mtop', weight[..., 2:], feats) + bias[:, None, :, None])
    for weight, bias in layers[1:]:
        x = torch.einsum('moc,mtcp->mtop', weight, F.relu(x)) + bias[:, None, :, None]
    return x.squeeze(2).unflatten(-1, (h, w))
