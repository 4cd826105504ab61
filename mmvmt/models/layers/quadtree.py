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
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: quadtree levels of nodes: H/8, H/4, H/2 (level 3, the finest nodes' sub-labels, has none)
NUM_LEVELS = 3
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


def frame_runs(inst: Tensor, num_inst: int, num_frames: int, budget: int) -> Tensor:
    """Into how many runs of consecutive frames each group's sequence is split: the fewest
    that bring its node count per run within ``budget`` (at most one run per frame). Run r
    of R holds the frames t with ``t * R // T == r``.

    Args:
        inst (Tensor): (P,) long, the group (instance) of each node.
        num_inst (int): G.
        num_frames (int): T.
        budget (int): the most nodes a run should hold on average.

    Returns:
        Tensor: (G,) long, in [1, T].
    """
    counts = torch.bincount(inst, minlength=num_inst)
    runs = torch.div(counts + budget - 1, budget, rounding_mode='floor')
    return runs.clamp(1, num_frames)


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


def _upsample_bilinear(x: Tensor) -> Tensor:
    """(M, T, h, w) -> (M, T, 2h, 2w), bilinear, align_corners=False."""
    up = F.interpolate(x.flatten(0, 1)[:, None], scale_factor=2., mode='bilinear',
                       align_corners=False)
    return up.view(*x.shape[:2], *up.shape[-2:])


def upsample_chain(coarse: Tensor, num_steps: int) -> List[Tensor]:
    """The coarse mask upsampled x2 (bilinear) ``num_steps`` times.

    Args:
        coarse (Tensor): (M, T, h, w) logits.
        num_steps (int): number of x2 steps.

    Returns:
        list[Tensor]: ``num_steps + 1`` tensors (M, T, h * 2**l, w * 2**l), ``coarse`` first.
    """
    chain = [coarse]
    for _ in range(num_steps):
        chain.append(_upsample_bilinear(chain[-1]))
    return chain


def _bilinear_x2_at(src: Tensor, cells: Tensor) -> Tensor:
    """``_upsample_bilinear(src)`` at some cells of the x2 grid only.

    With ``align_corners=False`` a cell ``(y, x)`` of the x2 grid reads its parent
    ``(y // 2, x // 2)`` with weight 3/4 per axis and the parent's neighbour on its own side
    (above for even ``y``, below for odd; clamped at the border) with 1/4.

    Args:
        src (Tensor): (M, T, h, w).
        cells (Tensor): (N, 4) long cells ``(m, t, y, x)`` of the (M, T, 2h, 2w) grid.

    Returns:
        Tensor: (N,).
    """
    num_frames, h, w = src.shape[1:]
    m, t, y, x = cells.unbind(1)
    py, px = y // 2, x // 2
    ny = (py + 2 * (y % 2) - 1).clamp(0, h - 1)
    nx = (px + 2 * (x % 2) - 1).clamp(0, w - 1)
    base = (m * num_frames + t) * h
    flat = src.reshape(-1)

    def at(yy: Tensor, xx: Tensor) -> Tensor:
        return flat[(base + yy) * w + xx]

    return (0.75 * (0.75 * at(py, px) + 0.25 * at(py, nx)) +
            0.25 * (0.75 * at(ny, px) + 0.25 * at(ny, nx)))


def _expand_to(nodes: Tensor, num_steps: int) -> Tensor:
    """The cells ``num_steps`` levels finer that the nodes cover: (P * 4**num_steps, 4)."""
    for _ in range(num_steps):
        nodes = expand_children(nodes)[0]
    return nodes


def paste_node_logits(coarse_up: Sequence[Tensor], nodes: Sequence[Tensor],
                      logits: Sequence[Tensor], overwrite: bool = False) -> Tuple[Tensor, Tensor]:
    """Write node logits into the coarse mask, upsampling the result level by level.

    At each level the refined map is upsampled (bilinear) from the level above inside the
    region covered by nodes so far and copied from the upsampled coarse mask outside it, then
    the level's node logits are written; the finest nodes write their four sub-labels one level
    finer. So pixels outside every node's cell keep the upsampled coarse prediction exactly.

    Every node lies in the cell of a root (an H/8 node), so the region covered so far is the
    roots' cells at every level: only there is anything upsampled, and the cost follows the
    number of nodes, not the size of the video (a dense reference is in the tests).

    Args:
        coarse_up (list[Tensor]): output of :func:`upsample_chain`, levels 0 .. 3, left
            unchanged unless ``overwrite``.
        nodes (list[Tensor]): (P_l, 4) long nodes of levels 0, 1, 2.
        logits (list[Tensor]): (P_0,), (P_1,) and (P_2, 4) node logits, sub-labels in child
            order. Each finest node also writes the mean of its sub-logits at its own cell.
        overwrite (bool): write into ``coarse_up``'s levels 1-3 (contiguous; level 0 is
            copied, it is usually the caller's coarse logits) instead of copies of them: the
            caller gives them up, and saves a copy of the full-resolution volume.

    Returns:
        tuple[Tensor, Tensor]: refined logits (M, T, h_3, w_3) and ``label_cell``
        (M, T, h_3, w_3) uint8: the side, in pixels of level 3, of the cell whose one
        prediction labels the pixel: 1 under a finest node (its own sub-label), 2 ** (3 - l)
        under a node of level l < 2 none of whose children was refined (one value, bilinearly
        blended with its neighbours, over the whole cell), 0 outside every node.
    """
    # the finest nodes write the mean of their sub-logits at their own level, which the
    # bilinear upsampling of neighbouring refined cells reads, and their sub-labels one finer
    writes = list(zip(nodes[:-1], logits[:-1])) + [
        (nodes[-1], logits[-1].mean(1)), (expand_children(nodes[-1])[0], logits[-1].reshape(-1))]
    covered = nodes[0]
    refined = None
    for level, (level_nodes, level_logits) in enumerate(writes):
        below = refined
        refined = coarse_up[level]
        if level == 0 or not overwrite or not refined.is_contiguous():
            refined = refined.clone(memory_format=torch.contiguous_format)
        flat = refined.view(-1)
        if level > 0:
            covered = expand_children(covered)[0]
            flat[flat_index(covered, refined.shape[1:])] = _bilinear_x2_at(below, covered)
        flat[flat_index(level_nodes, refined.shape[1:])] = level_logits.to(refined.dtype)

    finest = len(writes) - 1
    # the pixels of each level's nodes; the roots' are the region the last upsampling
    # covered and the finest nodes' are their sub-labels' cells, both already expanded
    pixels = [covered] + [_expand_to(level_nodes, finest - level)
                          for level, level_nodes in enumerate(nodes[1:-1], 1)] + [writes[-1][0]]
    label_cell = torch.zeros_like(refined, dtype=torch.uint8)
    flat_cell = label_cell.view(-1)
    for level, level_pixels in enumerate(pixels):  # finer levels overwrite coarser ones
        side = 1 if level == len(nodes) - 1 else 2 ** (finest - level)
        flat_cell[flat_index(level_pixels, refined.shape[1:])] = side
    return refined, label_cell
