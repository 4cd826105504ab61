"""The refine head's training targets: which cells of each level are incoherent.

Shape shorthand:
    M: instances, T: frames, H x W: the padded images (``8 h8 x 8 w8``), h_l x w_l: the grid
    of level l (0: H/8, 1: H/4, 2: H/2).
"""
from typing import List, Optional, Tuple

import torch.nn.functional as F
from torch import Tensor

from ...layers.quadtree import NUM_LEVELS, fg_fraction, incoherent_cells, upsample_chain


def incoherence_targets(gt: Tensor, coarse_logits: Optional[Tensor] = None,
                        regions: Optional[Tensor] = None) -> Tuple[List[Tensor], List[Tensor]]:
    """The GT foreground fraction and incoherence of every cell of levels 0-2.

    A cell is incoherent where the GT mask loses information under downsampling to the
    level and upsampling back (Mask Transfiner), and also, when given, where the coarse
    mask upsampled to the level disagrees with the GT majority, or where it touches an
    extra region to refine.

    Args:
        gt (Tensor): (M, T, H, W) bool GT masks.
        coarse_logits (Tensor, optional): (M, T, h8, w8) coarse logits whose errors count.
        regions (Tensor, optional): (M, T, H, W) bool extra pixels to refine (e.g. the
            pipeline's ``refine_regions``).

    Returns:
        tuple[list[Tensor], list[Tensor]]: per level, fractions (M, T, h_l, w_l) float in
        [0, 1] and targets (M, T, h_l, w_l) bool.
    """
    flat_gt = gt.flatten(0, 1)
    cells = [8 >> level for level in range(NUM_LEVELS)]  # pixels per cell side
    fractions = [fg_fraction(flat_gt, c).unflatten(0, gt.shape[:2]) for c in cells]
    targets = [incoherent_cells(flat_gt, c).unflatten(0, gt.shape[:2]) for c in cells]
    if coarse_logits is not None:
        coarse_up = upsample_chain(coarse_logits.detach(), NUM_LEVELS - 1)
        targets = [t | ((u > 0) != (f > 0.5)) for t, u, f in zip(targets, coarse_up, fractions)]
    if regions is not None:
        flat_regions = regions.flatten(0, 1)[:, None].float()
        targets = [t | (F.max_pool2d(flat_regions, c)[:, 0] > 0).unflatten(0, gt.shape[:2])
                   for t, c in zip(targets, cells)]
    return fractions, targets
