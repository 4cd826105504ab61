"""Which cells may become quadtree nodes: the region strategies of :class:`NodeSelector`.

Shape shorthand:
    M: instances, T: frames, h x w: a level's grid, P: cells (``(m, t, y, x)`` rows, see
    ``layers/quadtree.py``).

A region strategy turns a level's incoherence logits (and the coarse mask seen at that
level) into selection scores: a cell is a candidate when its score exceeds the selector's
threshold, and the best of each frame are kept.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ...layers.quadtree import flat_index


def at_cells(dense: Tensor, cells: Optional[Tensor]) -> Tensor:
    """``dense`` (M, T, h, w) read at ``cells`` (P, 4), or all of it when ``cells`` is None."""
    return dense if cells is None else dense.flatten()[flat_index(cells, dense.shape[1:])]


@MODELS.register_module()
class IncoherentRegion(nn.Module):
    """The paper's region: the cells the incoherent detector marks, scored by its
    probability (no gradient flows through the selection)."""

    def forward(self, logits: Tensor, coarse: Tensor, cells: Optional[Tensor] = None) -> Tensor:
        """Selection scores.

        Args:
            logits (Tensor): incoherence logits, (M, T, h, w) when ``cells`` is None, else
                (P,) at the cells.
            coarse (Tensor): (M, T, h, w) the coarse mask logits at the level (unused: the
                detector has seen them).
            cells (Tensor, optional): (P, 4) long cells the logits belong to.

        Returns:
            Tensor: the shape of ``logits``, in [0, 1].
        """
        return logits.detach().sigmoid()


@MODELS.register_module()
class BoundaryBandRegion(nn.Module):
    """Ablation: a band of ``width`` cells around the coarse mask's boundary at every level,
    most uncertain first; the detector is still trained but does not select.

    Args:
        width (int): half-width of the band in cells.
    """

    def __init__(self, *, width: int = 1) -> None:
        super().__init__()
        if width < 1:
            raise ValueError(f'BoundaryBandRegion: width must be >= 1 cell, got {width}')
        self.width = width

    def forward(self, logits: Tensor, coarse: Tensor, cells: Optional[Tensor] = None) -> Tensor:
        """Selection scores (see :class:`IncoherentRegion`; ``logits`` only give the shape).

        Returns:
            Tensor: the shape of ``logits``: :func:`boundary_band_scores` of ``coarse``.
        """
        return at_cells(boundary_band_scores(coarse, self.width), cells)


def boundary_band_scores(coarse_logits: Tensor, width: int) -> Tensor:
    """Cells within ``width`` cells of the coarse mask's boundary, most uncertain first.

    Args:
        coarse_logits (Tensor): (M, T, h, w) coarse logits at one level.
        width (int): half-width of the band in cells.

    Returns:
        Tensor: (M, T, h, w): ``1 + (1 - |2p - 1|)`` in [1, 2] inside the band (above any
        incoherence threshold, ranked by the coarse mask's uncertainty), 0 outside.
    """
    fg = (coarse_logits > 0).float().flatten(0, 1)[:, None]
    size = 2 * width + 1
    band = F.max_pool2d(fg, size, 1, width) != -F.max_pool2d(-fg, size, 1, width)
    probs = coarse_logits.detach().sigmoid()
    return torch.where(band[:, 0].view_as(probs), 2 - (2 * probs - 1).abs(),
                       torch.zeros_like(probs))
