"""Which cells become quadtree nodes: scores, the threshold, the caps, forced cells.

Shape shorthand:
    M: instances, T: frames, h_l x w_l: the grid of level l (0: H/8, 1: H/4, 2: H/2),
    P: cells (``(m, t, y, x)`` rows, see ``layers/quadtree.py``).

Caps are per instance *and frame* and cells are ranked within their frame, so a whole video
grouped at once gives every frame the budget a frame of a training clip has.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmdet.utils import ConfigType
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ...layers.quadtree import NUM_LEVELS, dense_to_nodes, topk_per_group
from .node_region import at_cells

_FORCED = 3.  # selection score of forced cells: above probabilities and boundary scores


@MODELS.register_module()
class NodeSelector(nn.Module):
    """Selects the roots (H/8) and the children kept at H/4 and H/2.

    A cell is a candidate when its region score (``region``: the detector's incoherence,
    or an ablation's band) exceeds ``thr``; forced cells (training: GT-incoherent) come
    before every other, in random order; cells of invalid frames never qualify. The best
    candidates of each (instance, frame) are kept, up to the level's cap.

    Args:
        max_nodes_per_frame (Sequence[int]): caps per instance, frame and level (H/8, H/4,
            H/2) in training.
        test_max_nodes_per_frame (Sequence[int], optional): the caps in eval mode; None:
            the training caps.
        thr (float): the least region score of a node.
        region (dict): config of the region strategy
            (:class:`~mmvmt.models.heads.refine.IncoherentRegion`,
            :class:`~mmvmt.models.heads.refine.BoundaryBandRegion`).
    """

    def __init__(self, *, max_nodes_per_frame: Sequence[int] = (32, 64, 128),
                 test_max_nodes_per_frame: Optional[Sequence[int]] = None, thr: float = 0.5,
                 region: ConfigType = dict(type='IncoherentRegion')) -> None:
        super().__init__()
        for name, caps in [('max_nodes_per_frame', max_nodes_per_frame),
                           ('test_max_nodes_per_frame', test_max_nodes_per_frame)]:
            if caps is not None and len(caps) != NUM_LEVELS:
                raise ValueError(f'NodeSelector: {name} needs {NUM_LEVELS} caps '
                                 f'(H/8, H/4, H/2), got {caps}')
        self.max_nodes_per_frame = tuple(int(c) for c in max_nodes_per_frame)
        self.test_max_nodes_per_frame = self.max_nodes_per_frame if \
            test_max_nodes_per_frame is None else tuple(int(c) for c in test_max_nodes_per_frame)
        self.thr = thr
        self.region = MODELS.build(region)

    @property
    def caps(self) -> Tuple[int, ...]:
        """Nodes per instance, frame and level now: the training caps, or in eval mode
        ``test_max_nodes_per_frame``."""
        return self.max_nodes_per_frame if self.training else self.test_max_nodes_per_frame

    def select_roots(self, logits: Tensor, coarse: Tensor, force: Optional[Tensor] = None,
              valid: Optional[Tensor] = None) -> Tensor:
        """Level 0: the roots of a dense volume.

        Args:
            logits (Tensor): (M, T, h_0, w_0) incoherence logits.
            coarse (Tensor): (M, T, h_0, w_0) coarse mask logits.
            force (Tensor, optional): (M, T, h_0, w_0) bool cells taken first.
            valid (Tensor, optional): (M, T) bool frames allowed to hold nodes.

        Returns:
            Tensor: (P_0, 4) long roots in raster order.
        """
        scores = self.scores(logits, coarse, force, valid)
        return dense_to_nodes(scores, self.thr, self.caps[0])

    def keep_children(self, cells: Tensor, logits: Tensor, coarse: Tensor, level: int,
                 force: Optional[Tensor] = None, valid: Optional[Tensor] = None) -> Tensor:
        """Levels 1, 2: which of the candidate children are kept.

        Args:
            cells (Tensor): (P, 4) long candidates (the children of the level above).
            logits (Tensor): (P,) their incoherence logits.
            coarse (Tensor): (M, T, h_l, w_l) coarse mask logits at the level.
            level (int): 1 or 2.
            force (Tensor, optional): (M, T, h_l, w_l) bool cells taken first.
            valid (Tensor, optional): (M, T) bool.

        Returns:
            Tensor: (K,) long indices into ``cells``, ascending.
        """
        scores = self.scores(logits, coarse, force, valid, cells)
        groups = cells[:, 0] * coarse.shape[1] + cells[:, 1]
        return topk_per_group(scores, groups, self.caps[level], self.thr)

    def scores(self, logits: Tensor, coarse: Tensor, force: Optional[Tensor] = None,
               valid: Optional[Tensor] = None, cells: Optional[Tensor] = None) -> Tensor:
        """The scores that rank cells: the region's, above both where forced (in random
        order), -1 on invalid frames.

        Args:
            logits, coarse, force, valid: see :meth:`select_roots` (dense) and
                :meth:`keep_children`.
            cells (Tensor, optional): (P, 4) long; then ``logits`` and the result are (P,)
                at these cells, else dense (M, T, h, w).

        Returns:
            Tensor: the shape of ``logits``.
        """
        scores = self.region(logits, coarse, cells)
        if force is not None:
            forced = at_cells(force, cells)
            # random order among forced cells: when they exceed a frame's cap, the ones
            # taken are a fair sample of the frame, not its top rows
            scores = torch.where(forced, _FORCED + torch.rand_like(scores), scores)
        if valid is not None:
            ok = valid[:, :, None, None].expand_as(coarse) if cells is None else \
                valid[cells[:, 0], cells[:, 1]]
            scores = torch.where(ok, scores, -torch.ones_like(scores))
        return scores

