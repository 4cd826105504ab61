"""VMT's temporal refinement transformer over packed quadtree node sequences.

Shape shorthand: M instances, L longest node sequence, K most instances in one video,
E hidden dim, C_q instance embedding channels.
"""
from mmcv.cnn.bricks.transformer import FFN
from torch import Tensor, nn

from .instance_guidance import InstanceGuidanceLayer
from .node_attention import NodeAttentionLayer


class RefinementLayer(nn.Module):
    """Node Attention Layer -> Instance Guidance Layer -> FFN (each residual + LayerNorm).

    Args:
        embed_dims (int): E.
        inst_channels (int): C_q.
        num_heads (int): attention heads.
        ffn_channels (int): hidden channels of the FFN.
        dropout (float): dropout everywhere.
    """

    def __init__(self, *, embed_dims: int = 64, inst_channels: int = 256, num_heads: int = 4,
                 ffn_channels: int = 256, dropout: float = 0.) -> None:
        super().__init__()
        self.node_attn = NodeAttentionLayer(embed_dims=embed_dims, num_heads=num_heads,
                                            dropout=dropout)
        self.inst_guide = InstanceGuidanceLayer(embed_dims=embed_dims, inst_channels=inst_channels,
                                                num_heads=num_heads, dropout=dropout)
        self.ffn = FFN(embed_dims=embed_dims, feedforward_channels=ffn_channels, ffn_drop=dropout)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, nodes: Tensor, padding_mask: Tensor, inst_keys: Tensor,
                key_padding_mask: Tensor) -> Tensor:
        """See :meth:`RefinementTransformer.forward`."""
        nodes = self.node_attn(nodes, padding_mask)
        nodes = self.inst_guide(nodes, inst_keys, key_padding_mask)
        return self.norm(self.ffn(nodes))


class RefinementTransformer(nn.Module):
    """A stack of :class:`RefinementLayer` (the paper: 3 layers, hidden 64, 4 heads).

    Args:
        num_layers (int): number of layers.
        embed_dims (int): E.
        inst_channels (int): C_q.
        num_heads (int): attention heads.
        ffn_channels (int): hidden channels of each FFN.
        dropout (float): dropout everywhere.
    """

    def __init__(self, *, num_layers: int = 3, embed_dims: int = 64, inst_channels: int = 256,
                 num_heads: int = 4, ffn_channels: int = 256, dropout: float = 0.) -> None:
        super().__init__()
        self.layers = nn.ModuleList([
            RefinementLayer(embed_dims=embed_dims, inst_channels=inst_channels,
                            num_heads=num_heads, ffn_channels=ffn_channels, dropout=dropout)
            for _ in range(num_layers)])

    def forward(self, nodes: Tensor, padding_mask: Tensor, inst_keys: Tensor,
                key_padding_mask: Tensor) -> Tensor:
        """Refine node tokens.

        Args:
            nodes (Tensor): (M, L, E) node tokens, one sequence per instance.
            padding_mask (Tensor): (M, L) bool, True at padding.
            inst_keys (Tensor): (M, K, C_q) instance embeddings of each instance's video.
            key_padding_mask (Tensor): (M, K) bool, True at padding.

        Returns:
            Tensor: (M, L, E).
        """
        for layer in self.layers:
            nodes = layer(nodes, padding_mask, inst_keys, key_padding_mask)
        return nodes
