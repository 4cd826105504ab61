"""Windows of a map around quadtree nodes: what a node's 3x3 conv stack or its full-resolution
prior sees, gathered only where the nodes are.

Shape shorthand:
    B: maps (frames, or instance-frames), C: channels, h x w: a map's grid, P: windows,
    S: window side.

Coordinates follow ``quadtree.py``: integer rows ``y`` and columns ``x`` of the map's grid.
"""
from typing import Tuple

import torch
from torch import Tensor


def gather_window(maps: Tensor, batch: Tensor, y: Tensor, x: Tensor, start: int,
                  size: int) -> Tuple[Tensor, Tensor]:
    """The ``size`` x ``size`` window of each position whose top-left corner is ``start``
    cells from it (rows ``y + start .. y + start + size - 1``), zero outside the map.

    Args:
        maps (Tensor): (B, C, h, w).
        batch (Tensor): (P,) long, which map.
        y (Tensor): (P,) long rows.
        x (Tensor): (P,) long columns.
        start (int): offset of the window's first row / column (e.g. ``-radius``).
        size (int): window side S.

    Returns:
        tuple[Tensor, Tensor]: windows (P, C, S, S) and inside (P, S, S) bool.
    """
    h, w = maps.shape[-2:]
    offsets = torch.arange(start, start + size, device=maps.device)
    yy = y[:, None, None] + offsets[None, :, None]
    xx = x[:, None, None] + offsets[None, None, :]
    inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
    flat = yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)
    if maps.is_contiguous(memory_format=torch.channels_last) and not maps.is_contiguous():
        # pixels as rows of C channels, a view: one contiguous read per window cell
        rows = maps.permute(0, 2, 3, 1).reshape(-1, maps.shape[1])
        patches = rows[batch[:, None, None] * (h * w) + flat]  # (P, S, S, C)
    else:
        patches = maps.flatten(2)[batch[:, None, None], :, flat]  # (P, S, S, C)
    # zero outside the map; only windows that cross its border need it (few)
    edge = torch.nonzero(~inside.flatten(1).all(1)).squeeze(1)
    if len(edge):
        patches.index_copy_(0, edge, patches[edge] * inside[edge, ..., None])
    return patches.permute(0, 3, 1, 2), inside
