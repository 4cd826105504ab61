"""One frame's segmentation in a YouTube-VIS file, checked and brought to compressed RLE.

A segmentation is one of three kinds (the COCO / YouTube-VIS conventions):

* polygons ``[[x1, y1, x2, y2, ...], ...]`` in pixel coordinates;
* an uncompressed RLE ``{'size': [H, W], 'counts': [int, ...]}``;
* a compressed RLE ``{'size': [H, W], 'counts': str}``.

pycocotools trusts all three: RLE counts that do not add up to H * W make it read or write
past its buffers, and a polygon with huge coordinates overflows its integer arithmetic
(a segmentation fault) or makes it allocate memory in proportion to the outline's length
(the process is killed). So everything is checked here before pycocotools sees it:

* RLE: the size is the frame's, the counts are non-negative integers adding up to H * W,
  at most H * W + 1 of them, and a compressed count is one that pycocotools' parser reads
  as written (:func:`~.rle.parse_rle_counts`): the run lengths checked are the ones decoded;
* polygons: numbers only, an even count, every point within the frame extended by one frame
  size on each side (annotation tools place points a little outside the image), and no more
  vertices or outline length than a contour through every pixel of the frame could have.

Polygons of fewer than 3 points enclose no pixel and are left out, as mmdet's
``LoadAnnotations`` does; a frame left with none is an empty mask.
"""
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_utils

from .format_error import YTVISFormatError, short_repr
from .rle import RLE, encode_mask, parse_rle_counts, to_json_rle
from .ytvis import is_number


def segmentation_to_rle(segm: Any, height: int, width: int, source: str = '<json>',
                        entry: str = 'segmentation') -> RLE:
    """Check one frame's segmentation and bring it to compressed RLE.

    Args:
        segm (list | dict): Polygons, an uncompressed or a compressed RLE.
        height (int): The frame height H the segmentation must have.
        width (int): The frame width W.
        source (str): The file, for error messages.
        entry (str): The entry, for error messages.

    Returns:
        RLE: ``{'size': [H, W], 'counts': str}``.

    Raises:
        YTVISFormatError: Saying what is wrong with ``segm``.
    """
    return check_segmentation(segm, height, width, source, entry)[0]


def check_segmentation(segm: Any, height: int, width: int, source: str = '<json>',
                       entry: str = 'segmentation') -> Tuple[RLE, np.ndarray]:
    """:func:`segmentation_to_rle`, also returning the run lengths it parsed.

    Args:
        segm (list | dict): Polygons, an uncompressed or a compressed RLE.
        height (int): H.
        width (int): W.
        source (str): The file, for error messages.
        entry (str): The entry, for error messages.

    Returns:
        tuple: The compressed RLE (``counts`` a str) and its run lengths (R,) int64.

    Raises:
        YTVISFormatError: Saying what is wrong with ``segm``.
    """
    try:
        if isinstance(segm, list):
            rle = _polygons_to_rle(segm, height, width)
            return rle, parse_rle_counts(rle['counts'])
        if not isinstance(segm, dict):
            raise ValueError(f'a segmentation must be a list of polygons, an RLE dict or '
                             f'null, not {type(segm).__name__}')
        return _check_rle(segm, height, width)
    except (ValueError, OverflowError) as e:
        raise YTVISFormatError(source, entry, str(e)) from None


def frames_to_rles(segms: Sequence[Any], height: int, width: int, source: str,
                   entry: str) -> Tuple[List[Optional[RLE]], List[Optional[np.ndarray]]]:
    """Check the per-frame segmentations of one track (None where the object is absent).

    Args:
        segms (Sequence): T segmentations or None.
        height (int): H.
        width (int): W.
        source (str): The file, for error messages.
        entry (str): The track's entry and key, e.g. ``'annotations[3] (id 9)
            segmentations'``; the frame index is appended.

    Returns:
        tuple: T compressed RLEs and T run-length arrays, None on null frames.

    Raises:
        YTVISFormatError: Naming the frame of the first bad segmentation.
    """
    rles: List[Optional[RLE]] = []
    runs: List[Optional[np.ndarray]] = []
    for t, segm in enumerate(segms):
        rle, counts = (None, None) if segm is None else check_segmentation(
            segm, height, width, source, f'{entry}[{t}]')
        rles.append(rle)
        runs.append(counts)
    return rles, runs


def frames_to_masks(segms: Sequence[Any], height: int, width: int, source: str,
                    entry: str) -> Tuple[np.ndarray, np.ndarray]:
    """Check and decode the per-frame segmentations of one track (None where absent).

    Args:
        segms (Sequence): T segmentations or None.
        height (int): H.
        width (int): W.
        source (str): The file, for error messages.
        entry (str): The track's entry and key (see :func:`frames_to_rles`).

    Returns:
        tuple: ``masks`` (T, H, W) bool, all False on null frames, and ``present`` (T,)
        bool, False on null frames (an empty mask that is not null is present).

    Raises:
        YTVISFormatError: Naming the frame of the first bad segmentation.
    """
    rles, _ = frames_to_rles(segms, height, width, source, entry)
    masks = np.zeros((len(rles), height, width), dtype=bool)
    present = np.array([rle is not None for rle in rles], dtype=bool)
    if present.any():
        masks[present] = mask_utils.decode([rle for rle in rles if rle is not None]
                                           ).transpose(2, 0, 1).astype(bool)
    return masks, present


def _polygons_to_rle(polygons: list, height: int, width: int) -> RLE:
    kept = []
    num_vertices, outline = 0, 0.0
    for k, poly in enumerate(polygons):
        if not isinstance(poly, list) or not all(is_number(v) for v in poly):
            raise ValueError(f'polygon {k} must be a flat list of numbers [x1, y1, x2, y2, '
                             '...]')
        if len(poly) % 2:
            raise ValueError(f'polygon {k} has an odd number ({len(poly)}) of coordinates; '
                             'expected (x, y) pairs')
        if len(poly) < 6:
            continue
        xy = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(xy).all():
            raise ValueError(f'polygon {k} holds NaN or infinite coordinates')
        low, high = -np.array([width, height]), 2 * np.array([width, height])
        if (xy < low).any() or (xy > high).any():
            raise ValueError(f'polygon {k} has a point outside [-W, 2W] x [-H, 2H] for the '
                             f'frame size W x H = {width} x {height}: expected coordinates '
                             'in pixels of the frame')
        num_vertices += len(xy)
        # The L-infinity length of the closed outline: what pycocotools' rasteriser walks.
        outline += float(np.abs(xy - np.roll(xy, 1, axis=0)).max(1).sum())
        kept.append(xy.ravel().tolist())
    # A contour through every pixel of the frame has at most ~2 H W unit steps; the margin
    # lets a few outlines run around the whole allowed area.
    limit = 2 * height * width + 8 * (height + width)
    if num_vertices > limit or outline > limit:
        raise ValueError(f'the polygons have {num_vertices} vertices and an outline of '
                         f'{outline:.0f} px; a {width} x {height} frame needs at most {limit}')
    if not kept:
        return encode_mask(np.zeros((height, width), dtype=np.uint8))
    return to_json_rle(mask_utils.merge(mask_utils.frPyObjects(kept, height, width)))


def _check_rle(segm: dict, height: int, width: int) -> Tuple[RLE, np.ndarray]:
    missing = [k for k in ('size', 'counts') if k not in segm]
    if missing:
        raise ValueError(f'an RLE needs the keys "size" and "counts"; missing: {missing}')
    size = segm['size']
    if not (isinstance(size, list) and len(size) == 2 and all(is_number(v) for v in size)
            and [float(v) for v in size] == [height, width]):
        raise ValueError(f'RLE size {short_repr(size)} differs from the video size '
                         f'[{height}, {width}]')
    raw = segm['counts']
    if isinstance(raw, (str, bytes)):
        counts = parse_rle_counts(raw)
        _check_total(counts, height, width)
        text = raw.decode('ascii') if isinstance(raw, bytes) else raw
        return dict(size=[height, width], counts=text), counts
    if not isinstance(raw, list) or not all(is_number(v) for v in raw):
        raise ValueError('RLE "counts" must be a string (compressed) or a list of integers '
                         f'(uncompressed), not {short_repr(raw)}')
    values = np.asarray(raw, dtype=np.float64)
    if not (np.all(values >= 0) and np.all(values <= height * width)
            and np.all(values == np.floor(values))):
        raise ValueError('uncompressed RLE "counts" must be non-negative integers, each at '
                         f'most the {height * width} pixels of the frame')
    counts = values.astype(np.int64)
    _check_total(counts, height, width)
    rle = mask_utils.frPyObjects(dict(size=[height, width], counts=counts.tolist()), height,
                                 width)
    return to_json_rle(rle), counts


def _check_total(counts: np.ndarray, height: int, width: int) -> None:
    # A mask of H * W pixels has at most H * W + 1 runs (the first may be empty); more is
    # work out of proportion to the frame for every run-based step after this one.
    if counts.size > height * width + 1:
        raise ValueError(f'malformed RLE: {counts.size} runs; a frame of {height} x {width} '
                         f'pixels has at most {height * width + 1}')
    if counts.size and counts.max() > height * width:
        raise ValueError(f'malformed RLE: a run of {counts.max()} pixels is longer than the '
                         f'video size [{height}, {width}]')
    total = int(counts.sum())
    if total != height * width:
        raise ValueError(f'malformed RLE: the run lengths add up to {total} pixels, the '
                         f'video size [{height}, {width}] has {height * width}')
