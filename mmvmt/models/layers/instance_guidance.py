"""VMT's Instance Guidance Layer: nodes query the video-level instance embeddings.

Shape shorthand: M instances, L longest node sequence, K most instances in one video,
E hidden dim, C_q instance embedding channels.

Keys and values of instance ``m``'s nodes are the embeddings of all instances of the same
video (its own among them), so a node can tell its object from the others around it.
"""
from torch import Tensor, nn

from .attention import PaddedAttention


class InstanceGuidanceLayer(nn.Module):
    """Cross-attention from node tokens to instance embeddings, residual, LayerNorm.

    Args:
        embed_dims (int): E.
        inst_channels (int): C_q.
        num_heads (int): attention heads.
        dropout (float): attention and residual dropout.
    """

    def __init__(self, *, embed_dims: int = 64, inst_channels: int = 256, num_heads: int = 4,
                 dropout: float = 0.) -> None:
        super().__init__()
        self.attn = PaddedAttention(embed_dims, num_heads, kv_channels=inst_channels,
                                    dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, nodes: Tensor, inst_keys: Tensor, key_padding_mask: Tensor) -> Tensor:
        """Guide each instance's nodes by the instance embeddings of its video.

        Args:
            nodes (Tensor): (M, L, E) packed node tokens.
            inst_keys (Tensor): (M, K, C_q) instance embeddings of each instance's video.
            key_padding_mask (Tensor): (M, K) bool, True at padding; never a full row.

        Returns:
            Tensor: (M, L, E).
        """
        out = self.attn(nodes, inst_keys, inst_keys, key_padding_mask)
        return self.norm(nodes + self.dropout(out))
