"""VMT's node encoder: what a quadtree node knows before the refinement transformer.

Shape shorthand:
    P: nodes, B: frames (or instance-frames) of a dense map, C: channels, E: hidden dim.

A node's token = projection of [its level's fine-grained feature, its coarse mask probability]
+ a sine encoding of its position (x, y, t) + a learned level embedding. Coordinates follow
``quadtree.py``: ``sample_points`` takes [0, 1]-normalised (x, y), align_corners=False.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sample_points(maps: Tensor, batch: Tensor, xy: Tensor) -> Tensor:
    """Bilinear values of ``maps[batch[p]]`` at ``xy[p]``, border-clamped.

    ``mmcv.ops.point_sample`` needs the same number of points for every map; nodes are ragged
    (each picks its own frame), so this samples with a per-point map index instead. At the
    cell centres of an upsampled grid it equals ``F.interpolate(mode='bilinear',
    align_corners=False)``.

    The four corners of each point are summed with their weights by ``F.embedding_bag``
    over the map's pixels as rows of C channels. Pass ``maps`` in ``torch.channels_last``
    memory format, as the refinement head does, and those rows are a view: otherwise the
    whole map is copied once per call.

    Args:
        maps (Tensor): (B, C, h, w).
        batch (Tensor): (P,) long, which map each point reads.
        xy (Tensor): (P, 2) normalised coordinates in [0, 1], x first.

    Returns:
        Tensor: (P, C).
    """
    num_maps, channels, h, w = maps.shape
    if batch.numel() == 0:
        return maps.new_zeros(0, channels)
    px = (xy[:, 0] * w - 0.5).clamp(0, w - 1)
    py = (xy[:, 1] * h - 0.5).clamp(0, h - 1)
    x0, y0 = px.floor().long(), py.floor().long()
    x1, y1 = (x0 + 1).clamp(max=w - 1), (y0 + 1).clamp(max=h - 1)
    wx, wy = px - x0, py - y0
    rows = maps.permute(0, 2, 3, 1).reshape(num_maps * h * w, channels)
    first = batch * h
    index = torch.stack([(first + y0) * w + x0, (first + y0) * w + x1,
                         (first + y1) * w + x0, (first + y1) * w + x1], 1)
    weights = torch.stack([(1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy], 1)
    return F.embedding_bag(index, rows, per_sample_weights=weights.to(rows.dtype), mode='sum')


def sine_encoding(coords: Tensor, num_feats: int, temperature: float = 10000.) -> Tensor:
    """DETR's sine encoding of each coordinate, concatenated.

    Args:
        coords (Tensor): (P, D) float coordinates (any units).
        num_feats (int): features per coordinate (even).
        temperature (float): longest wavelength.

    Returns:
        Tensor: (P, D * num_feats).
    """
    dim_t = torch.arange(num_feats, dtype=coords.dtype, device=coords.device)
    dim_t = temperature ** (2 * (dim_t // 2) / num_feats)
    pos = coords[..., None] / dim_t
    pos = torch.stack([pos[..., 0::2].sin(), pos[..., 1::2].cos()], -1)
    return pos.flatten(1)


class NodeEncoder(nn.Module):
    """Token of each node from its features, coarse mask value, position and level.

    Args:
        level_channels (list[int]): feature channels at each level (e.g. f8, f4 and
            f4 + RGB embedding at H/2).
        hidden_dim (int): token size E.
        num_pos_feats (int): sine features per coordinate.
    """

    def __init__(self, *, level_channels: Sequence[int] = (256, 256, 272), hidden_dim: int = 64,
                 num_pos_feats: int = 32) -> None:
        super().__init__()
        self.num_pos_feats = num_pos_feats
        self.feat_projs = nn.ModuleList([nn.Linear(c + 1, hidden_dim) for c in level_channels])
        self.level_embed = nn.Embedding(len(level_channels), hidden_dim)
        self.pos_proj = nn.Linear(3 * num_pos_feats, hidden_dim)
        self.norm = nn.LayerNorm(hidden_dim)

    def forward(self, feats: Tensor, coarse_logits: Tensor, pos: Tensor, level: int) -> Tensor:
        """Encode the nodes of one level.

        Args:
            feats (Tensor): (P, C_level) fine-grained features at the nodes.
            coarse_logits (Tensor): (P,) coarse mask logits at the nodes.
            pos (Tensor): (P, 3) (x, y, t): cell centre in cells of the finest level, frame.
            level (int): quadtree level of these nodes.

        Returns:
            Tensor: (P, E).
        """
        x = self.feat_projs[level](torch.cat([feats, coarse_logits.sigmoid()[:, None]], 1))
        x = x + self.pos_proj(sine_encoding(pos, self.num_pos_feats)) + self.level_embed.weight[level]
        return self.norm(x)
