"""VMT's dynamic pixel decoder: an instance-conditioned classifier of the quadtree's nodes.

Shape shorthand:
    M: instances, P_l: nodes at level l, E: hidden dim, C_q: instance channels.

The labels it predicts are written into the coarse mask by
:func:`~mmvmt.models.layers.quadtree.paste_node_logits`.
"""
from typing import List, Sequence

import torch
from mmdet.models.layers import MLP
from torch import Tensor, nn


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
