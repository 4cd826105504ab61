"""Tube IoU between the result tracks and the GT tracks of one video, mask and boundary.

A track is a sequence of T per-frame masks, each a compressed RLE (``mmvmt.structures.rle``) or None
where the object is absent (a *null* frame). The tube IoU of a result track D and a GT track
G is sum_t |D_t & G_t| / sum_t |D_t | G_t|: a frame null on one side adds only the other
side's area to the union; a union of 0 gives 0. The boundary version replaces every mask by
its boundary band (``mmvmt.structures.boundary``).

Cost: intersections come from pycocotools' run-length IoU, one call per frame for all
pairs. A boundary band is computed once per track and frame, from the mask's runs
(``rle_boundary_counts``: no dense mask, work bounded by the RLE's length and the frame's
width), and encoded as an RLE itself, so the boundary IoU is the tube IoU of the bands.

Shape shorthand: D result tracks, G GT tracks, T frames.
"""
from typing import List, Optional, Sequence

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
    # A track in no pair gets no bands (all null): its IoUs are computed as 0, then dropped.
    blocks = range(0, num_frames, _frames_per_block(dt_tracks, gt_tracks))
    absent = [None] * len(blocks)
    dt_bands = [_track_bands(track, runs, width, blocks) if need else absent
                for track, runs, need in zip(dt_tracks, dt_runs, pairs.any(1))]
    gt_bands = [_track_bands(track, runs, width, blocks) if need else absent
                for track, runs, need in zip(gt_tracks, gt_runs, pairs.any(0))]
    ious = tube_mask_iou(dt_bands, gt_bands)
    ious[~pairs] = np.nan
    return ious


def _parse_track(track: Track) -> Runs:
    return [None if rle is None else parse_rle_counts(rle['counts']) for rle in track]


def _frames_per_block(*tracks: Sequence[Track]) -> int:
    """Frames per strip of bands: as many as keep a strip within :data:`BLOCK_PIXELS`."""
    size = next((rle['size'] for group in tracks for track in group for rle in track
                 if rle is not None), None)
    return 1 if size is None else max(1, BLOCK_PIXELS // (size[0] * (size[1] + 1)))


def _track_bands(track: Track, runs: Runs, width: int, blocks: range) -> Track:
    """The boundary bands of a track, one compressed RLE per block of frames: the band of
    the frames side by side (``frames_boundary_counts``). A sum over frames of band areas
    or intersections is the same sum over these strips."""
    size = next((rle['size'] for rle in track if rle is not None), None)
    if size is None:
        return [None] * len(blocks)
    height, frame_width = size
    strips = []
    for start in blocks:
        frames = runs[start:start + blocks.step]
        strips.append(dict(size=[height, len(frames) * (frame_width + 1) - 1],
                           counts=frames_boundary_counts(frames, height, frame_width, width)))
    return mask_utils.frPyObjects(strips, *strips[0]['size'])


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
