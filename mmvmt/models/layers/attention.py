"""Multi-head attention over padded sequences through ``F.scaled_dot_product_attention``.

Shape shorthand: B sequences, Lq queries, Lk keys, E width, C_kv key/value channels.

``nn.MultiheadAttention`` takes torch's native fast path under ``no_grad`` in eval mode, which
materialises the (B, heads, Lq, Lk) attention matrix; with thousands of quadtree nodes per
instance that dominates inference time and memory. Calling SDPA directly keeps CPU's flash
kernel (memory linear in the sequence length) in training and inference alike.
"""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn


class PaddedAttention(nn.Module):
    """Multi-head attention whose keys may be padded.

    Args:
        embed_dims (int): E, width of queries and outputs.
        num_heads (int): heads; E must be divisible by it.
        kv_channels (int, optional): C_kv, channels of keys and values; E when None.
        dropout (float): attention dropout in training.
    """

    def __init__(self, embed_dims: int, num_heads: int, kv_channels: Optional[int] = None,
                 dropout: float = 0.) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'PaddedAttention: embed_dims {embed_dims} '
                             f'is not divisible by num_heads {num_heads}')
        kv_channels = kv_channels or embed_dims
        self.num_heads = num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(embed_dims, embed_dims)
        self.k_proj = nn.Linear(kv_channels, embed_dims)
        self.v_proj = nn.Linear(kv_channels, embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor) -> Tensor:
        """Attend.

        Args:
            query (Tensor): (B, Lq, E).
            key (Tensor): (B, Lk, C_kv).
            value (Tensor): (B, Lk, C_kv).
            key_padding_mask (Tensor): (B, Lk) bool, True at padding; no row may be all True.

        Returns:
            Tensor: (B, Lq, E).
        """
        def heads(x: Tensor) -> Tensor:  # (B, L, E) -> (B, heads, L, E / heads)
            return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

        # no mask when nothing is padded: the CPU kernel is faster without one
        mask = ~key_padding_mask[:, None, None, :] if key_padding_mask.any() else None
        out = F.scaled_dot_product_attention(
            heads(self.q_proj(query)), heads(self.k_proj(key)), heads(self.v_proj(value)),
            attn_mask=mask, dropout_p=self.dropout if self.training else 0.)
        return self.out_proj(out.transpose(1, 2).flatten(2))
