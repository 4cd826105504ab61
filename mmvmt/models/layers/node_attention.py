"""VMT's Node Attention Layer: self-attention among one instance's quadtree nodes.

Shape shorthand: M instances, L longest node sequence, E hidden dim.

By Quadtree Sequence Grouping (``quadtree.pack_by_group``) all nodes of one instance, over all
its frames and levels, form one sequence, so attention mixes space, scale and time. Sequences
are padded and the padding is masked out of the keys, so instances never attend to each other.
"""
import torch
from torch import Tensor, nn

from .attention import PaddedAttention


def unmask_empty_rows(padding_mask: Tensor) -> Tensor:
    """Let fully padded rows attend to their first (padding) key: softmax over no keys would
    give NaN, which would spread through gradients although those outputs are discarded.

    Args:
        padding_mask (Tensor): (M, L) bool, True at padding.

    Returns:
        Tensor: (M, L) bool.
    """
    empty = padding_mask.all(1)
    if not empty.any():
        return padding_mask
    padding_mask = padding_mask.clone()
    padding_mask[empty, 0] = False
    return padding_mask


class NodeAttentionLayer(nn.Module):
    """Multi-head self-attention over each instance's node sequence, residual, LayerNorm.

    Args:
        embed_dims (int): E.
        num_heads (int): attention heads.
        dropout (float): attention and residual dropout.
    """

    def __init__(self, *, embed_dims: int = 64, num_heads: int = 4, dropout: float = 0.) -> None:
        super().__init__()
        self.attn = PaddedAttention(embed_dims, num_heads, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, nodes: Tensor, padding_mask: Tensor) -> Tensor:
        """Attend within each sequence.

        Args:
            nodes (Tensor): (M, L, E) packed node tokens.
            padding_mask (Tensor): (M, L) bool, True at padding.

        Returns:
            Tensor: (M, L, E); rows at padding carry no meaning.
        """
        if self.training:
            out = self.attn(nodes, nodes, nodes, unmask_empty_rows(padding_mask))
        else:
            # inference: each sequence at its own length, unpadded and unmasked; a whole
            # video's sequences are long and of unequal length, and attention is quadratic
            out = torch.zeros_like(nodes)
            for i, length in enumerate((~padding_mask).sum(1).tolist()):
                if length:
                    seq = nodes[i:i + 1, :length]
                    out[i:i + 1, :length] = self.attn(seq, seq, seq,
                                                      padding_mask[i:i + 1, :length])
        return self.norm(nodes + self.dropout(out))
