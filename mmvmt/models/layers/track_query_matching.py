"""Match given tracks to a detector's video-level instance queries by tube mask IoU.

Shape shorthand: M given tracks, K queries (predictions of one video), T frames,
h x w the coarse mask grid (H/8).

A given track (self-correction: a coarse annotation) has no query of its own. The base
detector's queries describe the instances it found in the video; the query whose coarse
masks overlap the track best over the whole video (one query per track, Hungarian matching
on the soft tube IoU) stands for it, as the paper's refiner uses "only the incoherent
points and video-level instance queries". A track that no query overlaps enough keeps no
match.
"""
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def soft_tube_iou(tracks: Tensor, queries: Tensor) -> Tensor:
    """Soft IoU over all frames: sum(a * b) / sum(a + b - a * b).

    Args:
        tracks (Tensor): (M, T, h, w) in [0, 1] (e.g. each cell's foreground fraction).
        queries (Tensor): (K, T, h, w) in [0, 1] (e.g. mask probabilities).

    Returns:
        Tensor: (M, K) in [0, 1]; 0 where both are empty.
    """
    inter = torch.einsum('mthw,kthw->mk', tracks, queries)
    union = tracks.flatten(1).sum(1)[:, None] + queries.flatten(1).sum(1)[None] - inter
    return inter / union.clamp(min=1e-6)


def match_tracks_to_queries(tracks: Tensor, queries: Tensor, min_iou: float = 0.1) -> Tensor:
    """One query per track (Hungarian on the soft tube IoU), none below ``min_iou``.

    Args:
        tracks (Tensor): (M, T, h, w) in [0, 1].
        queries (Tensor): (K, T, h, w) in [0, 1].
        min_iou (float): a pair with a lower IoU is no match.

    Returns:
        Tensor: (M,) long, the query of each track, -1 where it has none.
    """
    match = torch.full((len(tracks), ), -1, dtype=torch.long, device=tracks.device)
    if len(tracks) == 0 or len(queries) == 0:
        return match
    iou = soft_tube_iou(tracks.float(), queries.float())
    rows, cols = linear_sum_assignment(-iou.detach().cpu().numpy())
    rows, cols = torch.as_tensor(rows, device=tracks.device), torch.as_tensor(
        cols, device=tracks.device)
    good = iou[rows, cols] >= min_iou
    match[rows[good]] = cols[good]
    return match
