"""VMT's dynamic pixel decoder: node labels written into the coarse mask level by level.

Shape shorthand:
    M: instances, T: frames, P_l: nodes at level l, E: hidden dim, C_q: instance channels,
    h_l, w_l: grid of level l (level 3 = pixels of the finest sub-labels).

Coordinates follow ``quadtree.py``.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.layers import MLP
from torch import Tensor, nn

from .quadtree import expand_children, flat_index


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


class DynamicPixelDecoder(nn.Module):
    """Instance-conditioned node classifier: each instance embedding generates (SAM-style
    hypernetwork) a linear classifier per level, applied to that instance's node tokens.

    Args:
        inst_channels (int): C_q.
        hidden_dim (int): E.
        num_levels (int): quadtree levels; the last predicts ``num_sublabels`` per node.
        num_sublabels (int): labels of a finest node (its 2 x 2 children).
    """

    def __init__(self, *, inst_channels: int = 256, hidden_dim: int = 64, num_levels: int = 3,
                 num_sublabels: int = 4) -> None:
        super().__init__()
        self.num_outputs = [1] * (num_levels - 1) + [num_sublabels]
        self.node_mlps = nn.ModuleList(
            [MLP(hidden_dim, hidden_dim, hidden_dim, 2) for _ in range(num_levels)])
        self.hyper = MLP(inst_channels, hidden_dim, sum(self.num_outputs) * (hidden_dim + 1), 2)
        self.hidden_dim = hidden_dim

    def forward(self, node_feats: Sequence[Tensor], inst: Sequence[Tensor],
                inst_embeds: Tensor) -> List[Tensor]:
        """Predict node logits.

        Args:
            node_feats (list[Tensor]): (P_l, E) refined tokens per level.
            inst (list[Tensor]): (P_l,) long instance of each node.
            inst_embeds (Tensor): (M, C_q).

        Returns:
            list[Tensor]: (P_l, n_l) logits, n_l = 1 for all levels but the last (squeezed to
            (P_l,)) and ``num_sublabels`` for the last.
        """
        # (M, sum(n_l), E + 1): a weight vector and a bias per output
        weights = self.hyper(inst_embeds).view(len(inst_embeds), sum(self.num_outputs),
                                               self.hidden_dim + 1)
        out, start = [], 0
        for level, (feats, idx) in enumerate(zip(node_feats, inst)):
            n = self.num_outputs[level]
            w = weights[:, start:start + n]  # (M, n, E + 1)
            # every node against every instance's classifier, (P, M * n), then its own:
            # cheaper than a copy of the (n, E + 1) weights for each node
            every = self.node_mlps[level](feats) @ w[..., :-1].flatten(0, 1).t()
            rows = torch.arange(len(idx), device=idx.device)
            logits = every.view(len(idx), len(w), n)[rows, idx] + w[idx, :, -1]
            out.append(logits[:, 0] if level < len(node_feats) - 1 else logits)
            start += n
        return out
