"""Instance embeddings of *given* masks (self-correction, ``refine_results``): tracks that
have no query of the base detector.

Shape shorthand:
    M: given tracks, T: frames, K: the base head's queries of the video, C: f8 channels,
    C_q: instance embedding channels, h8 x w8: the H/8 grid.

:class:`PooledEmbeddings` averages the H/8 features under each mask (what a refiner trained
on given masks, :class:`~mmvmt.models.detectors.GivenMaskRefiner`, learns with);
:class:`QueryEmbeddings` takes the base detector's query whose coarse masks overlap the
track best (for a model whose base head is trained,
:class:`~mmvmt.models.detectors.VideoMaskTransfiner`), pooled where none does. Both project the pooled
features with the head's ``mask_pool_proj``, which the head owns (its checkpoints hold it).
"""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ...layers.track_query_matching import match_tracks_to_queries


@MODELS.register_module()
class PooledEmbeddings(nn.Module):
    """The H/8 features averaged *under* each mask, nothing outside it.

    The mask at H/8 is binary: the cells it covers at least half. A feature of a cell the
    mask only grazes describes mostly the background, so such cells are left out unless the
    track has fewer than ``min_cells`` covered cells (a small or thin object): then every
    cell it touches counts, weighted by its coverage. The video-level embedding applies the
    rule over all frames, a frame's over that frame; a frame where the mask is empty gets
    the video-level one.

    Args:
        min_cells (float): the least number of covered cells of a track (or frame) pooled
            over its interior only.
    """

    #: whether :meth:`forward` needs the base head's queries of the video
    needs_queries = False

    def __init__(self, *, min_cells: float = 4.) -> None:
        super().__init__()
        self.min_cells = min_cells

    def pool(self, masks: Tensor, video_idx: Tensor, f8: Tensor) -> Tuple[Tensor, Tensor]:
        """Pooled features (not projected).

        Args:
            masks (Tensor): (M, T, h8, w8) fraction of each cell that the mask covers.
            video_idx (Tensor): (M,) long, the video of each track.
            f8 (Tensor): (V*T, C, h8, w8).

        Returns:
            tuple[Tensor, Tensor]: video-level (M, C) over all frames, per-frame (M, T, C).
        """
        num_inst, num_frames = masks.shape[:2]
        interior = (masks >= 0.5).to(masks.dtype)
        videos = f8.unflatten(0, (-1, num_frames))  # (V, T, C, h8, w8)

        def pooled_sums(weights: Tensor) -> Tuple[Tensor, Tensor]:
            sums = weights.new_zeros(num_inst, num_frames, f8.shape[1])
            for v in torch.unique(video_idx).tolist():  # a few videos; no (M, T, C, h, w)
                sel = video_idx == v
                sums[sel] = torch.einsum('tchw,mthw->mtc', videos[v], weights[sel])
            return sums, weights.sum((-2, -1))[..., None]  # (M, T, C), (M, T, 1)

        (in_sums, in_area), (all_sums, all_area) = pooled_sums(interior), pooled_sums(masks)
        small = in_area.sum(1) < self.min_cells  # (M, 1)
        sums = torch.where(small, all_sums.sum(1), in_sums.sum(1))
        video = sums / torch.where(small, all_area.sum(1), in_area.sum(1)).clamp(min=1e-6)
        small_t = in_area < self.min_cells  # (M, T, 1)
        area_t = torch.where(small_t, all_area, in_area)
        frame = torch.where(small_t, all_sums, in_sums) / area_t.clamp(min=1e-6)
        frame = torch.where(area_t > 0, frame, video[:, None])
        return video, frame

    def forward(self, masks: Tensor, video_idx: Tensor, f8: Tensor, project: nn.Module,
                queries: Optional[Dict[str, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        """Instance embeddings of given masks.

        Args:
            masks, video_idx, f8: see :meth:`pool`.
            project (nn.Module): C -> C_q, the head's ``mask_pool_proj``.
            queries (dict, optional): unused here (see :class:`QueryEmbeddings`).

        Returns:
            tuple[Tensor, Tensor]: video-level (M, C_q) and per-frame (M, T, C_q).
        """
        video, frame = self.pool(masks, video_idx, f8)
        return project(video), project(frame)


@MODELS.register_module()
class QueryEmbeddings(PooledEmbeddings):
    """The base detector's video-level query matched to each track (Hungarian on the soft
    tube IoU of its coarse masks, :func:`~mmvmt.models.layers.match_tracks_to_queries`);
    the pooled embedding where no query reaches ``min_iou``. Per-frame embeddings are
    always pooled.

    Args:
        min_cells (float): see :class:`PooledEmbeddings`.
        min_iou (float): the least soft tube IoU of a match.
    """

    needs_queries = True

    def __init__(self, *, min_cells: float = 4., min_iou: float = 0.1) -> None:
        super().__init__(min_cells=min_cells)
        self.min_iou = min_iou

    def forward(self, masks: Tensor, video_idx: Tensor, f8: Tensor, project: nn.Module,
                queries: Optional[Dict[str, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        """See :meth:`PooledEmbeddings.forward`.

        Args:
            queries (dict): the base head's predictions of one video (V = 1):
                ``inst_embeds`` (K, C_q), ``coarse_logits`` (K, T, h8, w8) and optionally
                ``query_inds`` (K,) (a query listed twice, once per class, is matched once).
        """
        video, frame = super().forward(masks, video_idx, f8, project)
        if queries is None:
            raise ValueError("VMTRefineHead: given_embeddings='query' needs the base head's "
                             'queries (inst_embeds, coarse_logits) of the video')
        if len(video_idx) and int(video_idx.max()) > 0:
            raise ValueError("VMTRefineHead: given_embeddings='query' matches the tracks of "
                             'one video at a time')
        embeds, logits = queries['inst_embeds'], queries['coarse_logits']
        if 'query_inds' in queries:
            inds = queries['query_inds'].tolist()
            first = [i for i, q in enumerate(inds) if q not in inds[:i]]
            embeds, logits = embeds[first], logits[first]
        match = match_tracks_to_queries(masks, logits.sigmoid(), self.min_iou)
        matched = match >= 0
        video = torch.where(matched[:, None], embeds[match.clamp(min=0)].to(video), video) \
            if len(embeds) else video
        return video, frame
