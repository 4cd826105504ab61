"""Tube IoU between the result tracks and the GT tracks of one video, mask and boundary.

A track is a sequence of T per-frame masks, each a compressed RLE (``mmvmt.structures.rle``) or None
where the object is absent (a *null* frame). The tube IoU of a result track D and a GT track
G is sum_t |D_t & G_t| / sum_t |D_t | G_t|: a frame null on one side adds only the other
side's area to the union; a union of 0 gives 0. The boundary version replaces every mask by
its boundary band (``mmvmt.structures.boundary``).

Cost: mask intersections come from pycocotools' run-length IoU, one call per frame for all
pairs. Boundary bands are computed once per track and frame, on the mask's bounding box only,
and intersected pair by pair over the overlap of two boxes.

Shape shorthand: D result tracks, G GT tracks, T frames.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_utils

from mmvmt.structures import RLE, parse_rle_counts, rle_mask_boundary

Track = Sequence[Optional[RLE]]
"""Per-frame compressed RLEs of one object, None where it is absent."""

Runs = Sequence[Optional[np.ndarray]]
"""Per-frame run lengths of a track (``parse_rle_counts``), None where it is absent."""

_Band = Tuple[np.ndarray, int, int, int, int]
"""A boundary band cropped to its mask's box: (band, x0, y0, x1, y1)."""


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
        if present:
            areas[n, present] = mask_utils.area([track[t] for t in present])
    return areas


def tube_mask_iou(dt_tracks: Sequence[Track], gt_tracks: Sequence[Track]) -> np.ndarray:
    """Tube mask IoU of every (result, GT) pair of a video.

    Args:
        dt_tracks (Sequence[Track]): D result tracks of T frames.
        gt_tracks (Sequence[Track]): G GT tracks of T frames.

    Returns:
        np.ndarray: IoU (D, G), float64.
    """
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
    union = dt_areas.sum(1)[:, None] + gt_areas.sum(1)[None, :] - inter
    return _ratio(inter, union)


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
    dt_bands = [_track_bands(track, runs, width) if need else None
                for track, runs, need in zip(dt_tracks, dt_runs, pairs.any(1))]
    gt_bands = [_track_bands(track, runs, width) if need else None
                for track, runs, need in zip(gt_tracks, gt_runs, pairs.any(0))]
    dt_band_areas = [_band_area(bands) if bands is not None else 0 for bands in dt_bands]
    gt_band_areas = [_band_area(bands) if bands is not None else 0 for bands in gt_bands]
    ious = np.full(pairs.shape, np.nan)
    for d, g in zip(*np.nonzero(pairs)):
        inter = sum(_band_intersection(dt_bands[d][t], gt_bands[g][t])
                    for t in range(num_frames))
        union = dt_band_areas[d] + gt_band_areas[g] - inter
        ious[d, g] = inter / union if union > 0 else 0.0
    return ious


def _parse_track(track: Track) -> Runs:
    return [None if rle is None else parse_rle_counts(rle['counts']) for rle in track]


def _track_bands(track: Track, runs: Runs, width: int) -> List[Optional[_Band]]:
    bands: List[Optional[_Band]] = []
    for rle, counts in zip(track, runs):
        band = None if rle is None else rle_mask_boundary(counts, *rle['size'], width)
        bands.append(None if band is None else (band[0], *band[1]))
    return bands


def _band_area(bands: List[Optional[_Band]]) -> int:
    return sum(int(np.count_nonzero(b[0])) for b in bands if b is not None)


def _band_intersection(a: Optional[_Band], b: Optional[_Band]) -> int:
    if a is None or b is None:
        return 0
    x0, y0 = max(a[1], b[1]), max(a[2], b[2])
    x1, y1 = min(a[3], b[3]), min(a[4], b[4])
    if x0 >= x1 or y0 >= y1:
        return 0
    crop_a = a[0][y0 - a[2]:y1 - a[2], x0 - a[1]:x1 - a[1]]
    crop_b = b[0][y0 - b[2]:y1 - b[2], x0 - b[1]:x1 - b[1]]
    return int(np.count_nonzero(crop_a & crop_b))


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
