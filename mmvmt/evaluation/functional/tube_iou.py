"""Tube IoU between the result tracks and the GT tracks of one video, mask and boundary.

A track is a sequence of T per-frame masks, each a compressed RLE (``mmvmt.structures.rle``) or None
where the object is absent (a *null* frame). The tube IoU of a result track D and a GT track
G is sum_t |D_t & G_t| / sum_t |D_t | G_t|: a frame null on one side adds only the other
side's area to the union; a union of 0 gives 0. The boundary version replaces every mask by
its boundary band (``mmvmt.structures.boundary``).

Cost: intersections come from pycocotools' run-length IoU, one call per frame for all
pairs. Boundary bands come from the masks' runs, never from dense masks (work bounded by
the RLEs' length and the frames' width): for a block of frames of one track at once, laid
side by side (``frames_boundary_counts``), and encoded as one RLE, so that the sums over
frames of the bands' intersections and areas are sums over blocks. Each track's band of a
frame is computed once per call, and only for tracks in a pair asked for.

Shape shorthand: D result tracks, G GT tracks, T frames.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_utils

from mmvmt.structures import RLE, frames_boundary_counts, parse_rle_counts

Track = Sequence[Optional[RLE]]
"""Per-frame compressed RLEs of one object, None where it is absent."""

Runs = Sequence[Optional[np.ndarray]]
"""Per-frame run lengths of a track (``parse_rle_counts``), None where it is absent."""

BLOCK_PIXELS = 2 ** 28
"""Most pixels of one strip of boundary bands: pycocotools counts runs in 32 bits."""


def track_areas(tracks: Sequence[Track]) -> np.ndarray:
    """Per-frame mask areas of tracks, 0 on null frames.

    Args:
        tracks (Sequence[Track]): N tracks of T frames.

    Returns:
        np.ndarray: Areas (N, T), int64.
    """
    num_frames = len(tracks[0]) if tracks else 0
    areas = np.zeros((len(tracks), num_frames), dtype=np.int64)
    for n, track in enumerate(tracks):
        present = [t for t, rle in enumerate(track) if rle is not None]
        # pycocotools' area() (2.0.11) fails under numpy 2 on 256 or more RLEs at once (it
        # puts their number in a uint8 array): at most 255 per call.
        for chunk in range(0, len(present), 255):
            frames = present[chunk:chunk + 255]
            areas[n, frames] = mask_utils.area([track[t] for t in frames])
    return areas


def tube_mask_iou(dt_tracks: Sequence[Track], gt_tracks: Sequence[Track]) -> np.ndarray:
    """Tube mask IoU of every (result, GT) pair of a video.

    Args:
        dt_tracks (Sequence[Track]): D result tracks of T frames.
        gt_tracks (Sequence[Track]): G GT tracks of T frames.

    Returns:
        np.ndarray: IoU (D, G), float64.
    """
    inter, dt_area, gt_area = _tube_sums(dt_tracks, gt_tracks)
    return _ratio(inter, dt_area[:, None] + gt_area[None, :] - inter)


def _tube_sums(dt_tracks: Sequence[Track],
               gt_tracks: Sequence[Track]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sum_t |D_t & G_t| (D, G), sum_t |D_t| (D,) and sum_t |G_t| (G,), all int64."""
    num_frames = _num_frames(dt_tracks, gt_tracks)
    dt_areas, gt_areas = track_areas(dt_tracks), track_areas(gt_tracks)
    inter = np.zeros((len(dt_tracks), len(gt_tracks)), dtype=np.int64)
    for t in range(num_frames):
        d_idx = np.flatnonzero([track[t] is not None for track in dt_tracks])
        g_idx = np.flatnonzero([track[t] is not None for track in gt_tracks])
        if d_idx.size == 0 or g_idx.size == 0:
            continue
        ious = np.asarray(mask_utils.iou([dt_tracks[d][t] for d in d_idx],
                                         [gt_tracks[g][t] for g in g_idx],
                                         [0] * g_idx.size), dtype=np.float64)
        # pycocotools returns I / (a + b - I) only; I is an integer and the inversion is
        # exact to far below 0.5 for any frame size, so rounding restores it.
        sums = dt_areas[d_idx, t][:, None] + gt_areas[g_idx, t][None, :]
        inter[np.ix_(d_idx, g_idx)] += np.rint(ious * sums / (1.0 + ious)).astype(np.int64)
    return inter, dt_areas.sum(1), gt_areas.sum(1)


def tube_boundary_iou(dt_tracks: Sequence[Track],
                      gt_tracks: Sequence[Track],
                      width: int,
                      pairs: Optional[np.ndarray] = None,
                      dt_runs: Optional[Sequence[Runs]] = None,
                      gt_runs: Optional[Sequence[Runs]] = None) -> np.ndarray:
    """Tube boundary IoU of the (result, GT) pairs of a video.

    Args:
        dt_tracks (Sequence[Track]): D result tracks of T frames.
        gt_tracks (Sequence[Track]): G GT tracks of T frames.
        width (int): Boundary band width d in pixels (``boundary_width``).
        pairs (np.ndarray, optional): Bool (D, G): the pairs to compute. Tracks in no pair
            are never decoded. Defaults to all pairs.
        dt_runs (Sequence[Runs], optional): The run lengths of ``dt_tracks`` (as
            ``check_segmentation`` returns them), to save parsing the RLE strings again.
        gt_runs (Sequence[Runs], optional): The same for ``gt_tracks``.

    Returns:
        np.ndarray: Boundary IoU (D, G), float64; NaN for the pairs not asked for.
    """
    num_frames = _num_frames(dt_tracks, gt_tracks)
    if pairs is None:
        pairs = np.ones((len(dt_tracks), len(gt_tracks)), dtype=bool)
    if dt_runs is None:
        dt_runs = [_parse_track(track) for track in dt_tracks]
    if gt_runs is None:
        gt_runs = [_parse_track(track) for track in gt_tracks]
    # Block by block (memory holds one block's bands); a track in no pair gets no bands
    # (all null): its IoUs are computed as 0, then dropped.
    dt_need, gt_need = pairs.any(1), pairs.any(0)
    inter = np.zeros(pairs.shape, dtype=np.int64)
    dt_area, gt_area = np.zeros(pairs.shape[0], np.int64), np.zeros(pairs.shape[1], np.int64)
    step = _frames_per_block(dt_tracks, gt_tracks)
    for start in range(0, num_frames, step):
        frames = slice(start, start + step)
        dt_bands = [[_block_band(track[frames], runs[frames], width)] if need else [None]
                    for track, runs, need in zip(dt_tracks, dt_runs, dt_need)]
        gt_bands = [[_block_band(track[frames], runs[frames], width)] if need else [None]
                    for track, runs, need in zip(gt_tracks, gt_runs, gt_need)]
        sums = _tube_sums(dt_bands, gt_bands)
        inter += sums[0]
        dt_area += sums[1]
        gt_area += sums[2]
    ious = _ratio(inter, dt_area[:, None] + gt_area[None, :] - inter)
    ious[~pairs] = np.nan
    return ious


def _parse_track(track: Track) -> Runs:
    return [None if rle is None else parse_rle_counts(rle['counts']) for rle in track]


def _frames_per_block(*tracks: Sequence[Track]) -> int:
    """Frames per strip of bands: as many as keep a strip within :data:`BLOCK_PIXELS`."""
    size = next((rle['size'] for group in tracks for track in group for rle in track
                 if rle is not None), None)
    return 1 if size is None else max(1, BLOCK_PIXELS // (size[0] * (size[1] + 1)))


def _block_band(track: Track, runs: Runs, width: int) -> Optional[RLE]:
    """The boundary bands of a block of frames, side by side (``frames_boundary_counts``),
    as one compressed RLE; None where all frames are null. A sum over frames of band areas
    or intersections is the same sum over these strips."""
    size = next((rle['size'] for rle in track if rle is not None), None)
    if size is None:
        return None
    height, frame_width = size
    strip = [height, len(runs) * (frame_width + 1) - 1]
    return mask_utils.frPyObjects(
        dict(size=strip, counts=frames_boundary_counts(runs, height, frame_width, width)),
        *strip)


def _num_frames(dt_tracks: Sequence[Track], gt_tracks: Sequence[Track]) -> int:
    lengths = {len(track) for track in list(dt_tracks) + list(gt_tracks)}
    if len(lengths) > 1:
        raise ValueError(f'all tracks of a video must have the same number of frames, got '
                         f'{sorted(lengths)}')
    return lengths.pop() if lengths else 0


def _ratio(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    out = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter, union, out=out, where=union > 0)
    return out
