"""Run-length encoded (RLE) masks as the COCO / YouTube-VIS tools write them.

A mask of shape (H, W) is read in column-major (Fortran) order; ``counts`` alternates the
lengths of runs of 0s and 1s, starting with 0s. The *compressed* form stores the counts as
a string (pycocotools' ``rleToString``): each count is delta coded against the count two
places before it (from the fourth count on) and written as groups of 5-bit digits, the 6th
bit of a character marking "more digits follow" and the 5th bit of the last one the sign;
characters are offset by 48 ('0').

pycocotools' C code trusts its input: a string whose counts do not add up to H * W makes it
read or write past its buffers. Everything here therefore parses and checks the counts
(vectorised with numpy) before pycocotools sees them, and decodes only the bounding box of a
mask (with numpy, faster than pycocotools' decoder on a box), which is what the boundary
band needs.

Shape shorthand: H, W frame height and width; R number of runs.
"""
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import pycocotools.mask as mask_utils

RLE = Dict[str, Any]
"""A compressed RLE: ``{'size': [H, W], 'counts': bytes}``."""


def parse_rle_counts(counts: Union[str, bytes]) -> np.ndarray:
    """Decode the counts of a compressed RLE string.

    Args:
        counts (str | bytes): The ``counts`` field of a compressed RLE.

    Returns:
        np.ndarray: Run lengths of shape (R,), int64, alternating 0s and 1s.

    Raises:
        ValueError: On characters outside the alphabet, a truncated last count, or a
            negative run length.
    """
    if isinstance(counts, str):
        counts = counts.encode('ascii', errors='replace')
    chars = np.frombuffer(counts, dtype=np.uint8).astype(np.int64) - 48
    if chars.size == 0:
        return np.zeros(0, dtype=np.int64)
    if chars.min() < 0 or chars.max() > 63:
        raise ValueError('malformed RLE: a character of "counts" is outside the range '
                         "'0'..'o' of the compressed format")
    more = (chars & 0x20) != 0
    if more[-1]:
        raise ValueError('malformed RLE: "counts" ends in the middle of a number')
    ends = np.flatnonzero(~more)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    num_digits = ends - starts + 1
    if num_digits.max() > 12:
        raise ValueError('malformed RLE: a count in "counts" has more than 12 digits')
    digit = np.arange(chars.size) - np.repeat(starts, num_digits)
    values = np.add.reduceat((chars & 0x1f) << (5 * digit), starts)
    negative = (chars[ends] & 0x10) != 0
    values[negative] |= np.int64(-1) << (5 * num_digits[negative])
    # Delta coding: counts[i] += counts[i - 2] for i >= 3 (as pycocotools' rleFrString).
    values[1::2] = np.cumsum(values[1::2])
    values[2::2] = np.cumsum(values[2::2])
    if values.min() < 0:
        raise ValueError('malformed RLE: "counts" decodes to a negative run length')
    return values


def to_compressed_rle(segm: Any, height: int, width: int) -> Tuple[RLE, np.ndarray]:
    """Check one frame's segmentation and bring it to compressed RLE.

    Args:
        segm: Polygons (list of flat coordinate lists), an uncompressed RLE (``counts`` a
            list of ints) or a compressed RLE (``counts`` a str or bytes).
        height (int): The frame height H the segmentation must have.
        width (int): The frame width W.

    Returns:
        tuple: The compressed RLE (``counts`` as bytes) and its run lengths (R,).

    Raises:
        ValueError: Saying what is wrong with ``segm``.
    """
    if isinstance(segm, list):
        polygons = [_check_polygon(poly, k) for k, poly in enumerate(segm)]
        if not polygons:
            raise ValueError('a polygon segmentation must hold at least one polygon')
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
        return rle, parse_rle_counts(rle['counts'])
    if not isinstance(segm, dict):
        raise ValueError(f'a segmentation must be a list of polygons, an RLE dict or null, '
                         f'not {type(segm).__name__}')
    missing = {'size', 'counts'} - set(segm)
    if missing:
        raise ValueError(f'an RLE needs the keys "size" and "counts"; missing: '
                         f'{sorted(missing)}')
    size = segm['size']
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or [_as_int(v) for v in size] != [height, width]):
        raise ValueError(f'RLE size {size} differs from the video size [{height}, {width}]')
    raw = segm['counts']
    if isinstance(raw, (str, bytes)):
        counts = parse_rle_counts(raw)
        _check_total(counts, height, width)
        rle = {'size': [height, width],
               'counts': raw.encode('ascii') if isinstance(raw, str) else raw}
        return rle, counts
    if isinstance(raw, (list, tuple, np.ndarray)):
        try:
            counts = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError('uncompressed RLE "counts" must be a list of integers') from None
        if counts.ndim != 1 or not np.all(np.isfinite(counts)) or np.any(counts < 0) \
                or np.any(counts != np.round(counts)):
            raise ValueError('uncompressed RLE "counts" must be a flat list of '
                             'non-negative integers')
        counts = counts.astype(np.int64)
        _check_total(counts, height, width)
        rle = mask_utils.frPyObjects({'size': [height, width], 'counts': counts.tolist()},
                                     height, width)
        return rle, counts
    raise ValueError(f'RLE "counts" must be a string or a list of integers, '
                     f'not {type(raw).__name__}')


def crop_runs(counts: np.ndarray, height: int, width: int
              ) -> Optional[Tuple[np.ndarray, np.ndarray, Tuple[int, int, int, int]]]:
    """The runs of 1s of an RLE mask, clipped to the mask's bounding box.

    Args:
        counts (np.ndarray): Run lengths (R,) of a mask of shape (H, W).
        height (int): H.
        width (int): W.

    Returns:
        tuple | None: ``(starts, ends, (x0, y0, x1, y1))``: the runs [start, end) as
        column-major indices into the box crop of shape (y1 - y0, x1 - x0), ascending and
        disjoint; None for an empty mask.
    """
    bounds = np.cumsum(counts)
    num_ones = counts.size // 2
    starts = bounds[0:2 * num_ones:2]
    ends = bounds[1:2 * num_ones + 1:2]
    nonempty = ends > starts
    starts, ends = starts[nonempty], ends[nonempty]
    if starts.size == 0:
        return None
    col_start, row_start = np.divmod(starts, height)
    col_end, row_end = np.divmod(ends - 1, height)
    x0, x1 = int(col_start[0]), int(col_end[-1]) + 1
    if np.any(col_start != col_end):
        y0, y1 = 0, height
    else:
        y0, y1 = int(row_start.min()), int(row_end.max()) + 1
    crop_h = y1 - y0

    def to_crop(flat: np.ndarray) -> np.ndarray:
        # Column-major index in the frame -> column-major index in the crop. Monotone, so a
        # run stays one run; rows outside [y0, y1) collapse onto the crop's edges.
        col, row = np.divmod(flat, height)
        return (col - x0) * crop_h + np.clip(row - y0, 0, crop_h)

    return to_crop(starts), to_crop(ends), (x0, y0, x1, y1)


def fill_runs(starts: np.ndarray, ends: np.ndarray, size: int) -> np.ndarray:
    """A flat 0/1 array of ``size`` with 1s on the ascending, disjoint runs [start, end).

    Args:
        starts (np.ndarray): Run starts (N,).
        ends (np.ndarray): Run ends (N,).
        size (int): Length of the output.

    Returns:
        np.ndarray: uint8 (size,).
    """
    edges = np.empty(2 * starts.size + 2, dtype=np.int64)
    edges[0] = 0
    edges[1:-1:2] = starts
    edges[2:-1:2] = ends
    edges[-1] = size
    values = (np.arange(edges.size - 1) & 1).astype(np.uint8)
    return np.repeat(values, np.diff(edges))


def decode_rle_crop(counts: np.ndarray, height: int,
                    width: int) -> Optional[Tuple[np.ndarray, Tuple[int, int, int, int]]]:
    """Decode only the bounding box of an RLE mask, in time proportional to the box.

    Args:
        counts (np.ndarray): Run lengths (R,) of a mask of shape (H, W).
        height (int): H.
        width (int): W.

    Returns:
        tuple | None: ``(crop, (x0, y0, x1, y1))`` with ``crop`` the uint8 mask inside the
        box, shape (y1 - y0, x1 - x0), equal to ``mask[y0:y1, x0:x1]`` and Fortran-ordered
        (so ``crop.T`` is C-contiguous); None for an empty mask.
    """
    runs = crop_runs(counts, height, width)
    if runs is None:
        return None
    starts, ends, (x0, y0, x1, y1) = runs
    crop_t = fill_runs(starts, ends, (y1 - y0) * (x1 - x0)).reshape(x1 - x0, y1 - y0)
    return crop_t.T, (x0, y0, x1, y1)


def _check_polygon(poly: Any, index: int) -> list:
    if not isinstance(poly, (list, tuple)):
        raise ValueError(f'polygon {index} must be a list of coordinates')
    try:
        coords = np.asarray(poly, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'polygon {index} holds non-numeric coordinates') from None
    if coords.ndim != 1 or coords.size < 6 or coords.size % 2:
        raise ValueError(f'polygon {index} must be a flat list of at least 3 (x, y) pairs, '
                         f'got {coords.size} numbers')
    if not np.all(np.isfinite(coords)):
        raise ValueError(f'polygon {index} holds NaN or infinite coordinates')
    return coords.tolist()


def _check_total(counts: np.ndarray, height: int, width: int) -> None:
    total = int(counts.sum())
    if total != height * width:
        raise ValueError(f'malformed RLE: the run lengths add up to {total} pixels, the '
                         f'video size [{height}, {width}] has {height * width}')


def _as_int(value: Any) -> Optional[int]:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return None
