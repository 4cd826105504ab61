"""Quadtree bookkeeping of VMT's incoherent nodes, as pure tensor functions.

Shape shorthand:
    M: instances, T: frames per video, P: nodes (of any instance and frame),
    G: groups (instances), L: longest group, C: channels, h, w: a level's grid size.

Coordinate conventions (used by every file of ``mmvmt.models.layers``):
    * Level ``l`` = 0, 1, 2 is a grid of ``(h8 * 2**l, w8 * 2**l)`` cells, i.e. H/8, H/4, H/2 of
      the padded image; level 3 is the pixel grid of the finest sub-labels.
    * A node is a row ``(m, t, y, x)`` of a long tensor: instance, frame, row, column of a cell
      of its level's grid (integers, row before column as in tensor indexing).
    * The children of ``(y, x)`` are ``(2y + dy, 2x + dx)`` one level finer, and child
      ``k = 2 * dy + dx`` for ``dy, dx`` in {0, 1}; the parent of ``(y, x)`` is
      ``(y // 2, x // 2)``.
    * Where continuous coordinates are needed they are normalised to [0, 1] over the image,
      x before y, and cell ``(y, x)`` of an ``h x w`` grid has its centre at
      ``((x + 0.5) / w, (y + 0.5) / h)``: the ``align_corners=False`` convention of
      ``mmcv.ops.point_sample`` and ``F.interpolate``.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: offsets (dy, dx) of the four children, in child order k = 2 * dy + dx.
CHILD_OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))


def flat_index(nodes: Tensor, size: Tuple[int, int, int]) -> Tensor:
    """Index of each node in a flattened ``(M, T, h, w)`` tensor.

    Args:
        nodes (Tensor): (P, 4) long, rows ``(m, t, y, x)``.
        size (tuple[int]): ``(T, h, w)`` of the dense tensor.

    Returns:
        Tensor: (P,) long.
    """
    num_frames, h, w = size
    m, t, y, x = nodes.unbind(1)
    return ((m * num_frames + t) * h + y) * w + x


def rank_in_group(groups: Tensor) -> Tensor:
    """Position of each element among the elements of its group, in their original order.

    Args:
        groups (Tensor): (P,) long group ids.

    Returns:
        Tensor: (P,) long; the elements of one group get 0, 1, 2, ... in order.
    """
    if groups.numel() == 0:
        return groups.clone()
    order = torch.sort(groups, stable=True).indices
    sorted_groups = groups[order]
    position = torch.arange(groups.numel(), device=groups.device)
    is_first = torch.ones_like(sorted_groups, dtype=torch.bool)
    is_first[1:] = sorted_groups[1:] != sorted_groups[:-1]
    # running index of the first element of the current group
    first = torch.cummax(torch.where(is_first, position, torch.zeros_like(position)), 0).values
    rank = torch.empty_like(groups)
    rank[order] = position - first
    return rank


def topk_per_group(scores: Tensor, groups: Tensor, k: int, thr: float) -> Tensor:
    """Indices of the elements with ``score > thr``, at most the ``k`` best of each group.

    Args:
        scores (Tensor): (P,) float.
        groups (Tensor): (P,) long group ids.
        k (int): cap per group.
        thr (float): scores must exceed it.

    Returns:
        Tensor: (K,) long indices into ``scores``, ascending (the input order is kept).
    """
    candidates = torch.nonzero(scores > thr).squeeze(1)
    by_score = torch.sort(scores[candidates], descending=True, stable=True).indices
    candidates = candidates[by_score]
    keep = candidates[rank_in_group(groups[candidates]) < k]
    return torch.sort(keep).values


def dense_to_nodes(scores: Tensor, thr: float, k: int) -> Tensor:
    """Roots: cells of a dense score volume with ``score > thr``, the ``k`` best of each frame.

    Caps are per (instance, frame) and cells are ranked by score within their frame, so no
    frame takes another's budget, however long the clip.

    Args:
        scores (Tensor): (M, T, h, w).
        thr (float): score threshold.
        k (int): cap of roots per instance and frame.

    Returns:
        Tensor: (P, 4) long nodes ``(m, t, y, x)`` in raster order.
    """
    num_inst, num_frames, h, w = scores.shape
    groups = torch.arange(num_inst * num_frames, device=scores.device).repeat_interleave(h * w)
    keep = topk_per_group(scores.reshape(-1), groups, k, thr)
    frame = keep // (h * w)
    return torch.stack([frame // num_frames, frame % num_frames, keep // w % h, keep % w], 1)


def expand_children(nodes: Tensor) -> Tuple[Tensor, Tensor]:
    """The four children of each node, one level finer.

    Args:
        nodes (Tensor): (P, 4) long ``(m, t, y, x)``.

    Returns:
        tuple[Tensor, Tensor]: children (4P, 4) long, where rows ``4p .. 4p + 3`` are the
        children ``k = 0 .. 3`` of node ``p``; parent (4P,) long, the index ``p``.
    """
    offsets = nodes.new_tensor(CHILD_OFFSETS)  # (4, 2)
    children = nodes[:, None].repeat(1, 4, 1)
    children[..., 2:] = nodes[:, None, 2:] * 2 + offsets
    parent = torch.arange(nodes.shape[0], device=nodes.device).repeat_interleave(4)
    return children.reshape(-1, 4), parent


def pack_by_group(values: Tensor, groups: Tensor, num_groups: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Quadtree Sequence Grouping: one padded sequence per group (instance).

    Args:
        values (Tensor): (P, C).
        groups (Tensor): (P,) long group of each row.
        num_groups (int): G.

    Returns:
        tuple[Tensor, Tensor, Tensor]: packed (G, L, C) with zeros as padding;
        padding_mask (G, L) bool, True at padding; rank (P,) long, so that
        ``packed[groups, rank]`` gives ``values`` back. ``L >= 1`` even if P == 0.
    """
    rank = rank_in_group(groups)
    counts = torch.bincount(groups, minlength=num_groups)
    length = max(int(counts.max()) if counts.numel() else 0, 1)
    packed = values.new_zeros(num_groups, length, values.shape[1])
    packed[groups, rank] = values
    padding_mask = torch.arange(length, device=values.device)[None] >= counts[:, None]
    return packed, padding_mask, rank


def incoherent_cells(masks: Tensor, cell: int) -> Tensor:
    """Cells whose ``cell x cell`` pixel block is mixed: the mask loses information there when
    downsampled to the cell grid and upsampled back (Mask Transfiner's incoherence).

    Args:
        masks (Tensor): (N, H, W) bool, H and W divisible by ``cell``.
        cell (int): block size in pixels.

    Returns:
        Tensor: (N, H / cell, W / cell) bool.
    """
    x = masks[:, None].float()
    any_fg = F.max_pool2d(x, cell)
    all_fg = -F.max_pool2d(-x, cell)
    return (any_fg != all_fg)[:, 0]


def fg_fraction(masks: Tensor, cell: int) -> Tensor:
    """Fraction of foreground pixels in each ``cell x cell`` block.

    Args:
        masks (Tensor): (N, H, W) bool, H and W divisible by ``cell``.
        cell (int): block size in pixels.

    Returns:
        Tensor: (N, H / cell, W / cell) float in [0, 1].
    """
    return F.avg_pool2d(masks[:, None].float(), cell)[:, 0]
