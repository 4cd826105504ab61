"""Run-length encoded (RLE) masks as the COCO / YouTube-VIS tools write them.

A mask of shape (H, W) is read in column-major (Fortran) order; ``counts`` alternates the
lengths of runs of 0s and 1s, starting with 0s. The *compressed* form stores the counts as
a string (pycocotools' ``rleToString``): each count is delta coded against the count two
places before it (from the fourth count on) and written as groups of 5-bit digits, the 6th
bit of a character marking "more digits follow" and the 5th bit of the last one the sign;
characters are offset by 48 ('0').

pycocotools' C code trusts its input: a string whose counts do not add up to H * W makes it
read or write past its buffers. The format checks (``segmentation.py``) therefore parse the
counts here (vectorised with numpy) before pycocotools sees them, and the counts parsed here
must be the counts pycocotools reads (the mask that is checked is the mask that is scored).
Its parser (``rleFrString`` in ``maskApi.c``) shifts each 5-bit digit in 32-bit ``int``
arithmetic: the 7th digit (shift 30) and the sign of a 7-digit count overflow, and from the
8th digit on the shift runs past 32 bits (on x86 it wraps to ``shift % 32``). A count of at
most :data:`MAX_COUNT_DIGITS` = 6 digits it reads exactly, so longer counts are refused:
6 signed 5-bit digits hold any delta in [-2**29, 2**29), which covers every count of a frame
of fewer than 2**29 pixels (the readers accept at most ``MAX_FRAME_PIXELS`` = 2**24), and
pycocotools' own encoder (``rleToString``) never writes more digits than a count needs.

This module also decodes only the bounding box of a mask (with numpy, faster than
pycocotools' decoder on a box), which is what the boundary band needs, and is the one place
that encodes masks.

Shape shorthand: H, W frame height and width; R number of runs.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pycocotools.mask as mask_utils

RLE = Dict[str, Any]
"""A compressed RLE: ``{'size': [H, W], 'counts': str}`` (pycocotools reads str or bytes)."""

MAX_COUNT_DIGITS = 6
"""Most characters of one count that pycocotools' C parser reads as they are meant."""


def encode_mask(mask: np.ndarray) -> RLE:
    """Encode one binary mask as a compressed RLE with ``str`` counts (JSON-ready).

    Args:
        mask (np.ndarray): Binary mask (H, W), bool or 0/1 of any integer type.

    Returns:
        RLE: ``{'size': [H, W], 'counts': str}``.
    """
    return to_json_rle(mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8)))


def encode_masks(masks: np.ndarray) -> List[RLE]:
    """Encode K binary masks at once (one pycocotools call).

    Args:
        masks (np.ndarray): Binary masks (K, H, W).

    Returns:
        list[RLE]: K compressed RLEs with ``str`` counts.
    """
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(np.asarray(masks, dtype=np.uint8)
                                               .transpose(1, 2, 0)))
    return [to_json_rle(rle) for rle in rles]


def encode_frames(masks: np.ndarray, present: np.ndarray) -> List[Optional[RLE]]:
    """Encode one track's per-frame masks, None where the track is absent.

    Args:
        masks (np.ndarray): Binary masks (T, H, W).
        present (np.ndarray): (T,) bool, False where the frame is null.

    Returns:
        list: T compressed RLEs with ``str`` counts, or None.
    """
    present = np.asarray(present, dtype=bool)
    rles = iter(encode_masks(np.asarray(masks)[present]))
    return [next(rles) if p else None for p in present]


def to_json_rle(rle: Dict[str, Any]) -> RLE:
    """A compressed RLE as JSON holds it: ``size`` two ints, ``counts`` a str.

    Args:
        rle (dict): A compressed RLE, ``counts`` as str or bytes (as pycocotools returns).

    Returns:
        RLE: A new dict.
    """
    counts = rle['counts']
    return dict(size=[int(s) for s in rle['size']],
                counts=counts.decode('ascii') if isinstance(counts, bytes) else counts)


def track_areas_and_boxes(rles: Sequence[Optional[Dict[str, Any]]]) -> Dict[str, list]:
    """A track's per-frame ``areas`` and ``bboxes`` as YouTube-VIS files hold them.

    Args:
        rles (Sequence[dict | None]): T compressed RLEs, None where the object is absent.

    Returns:
        dict: ``areas`` (T ints or None) and ``bboxes`` (T ``[x, y, w, h]`` float lists or
        None), ready to be merged into an annotation.
    """
    return dict(
        areas=[None if r is None else int(mask_utils.area(r)) for r in rles],
        bboxes=[None if r is None else [float(v) for v in mask_utils.toBbox(r)] for r in rles])


def parse_rle_counts(counts: Union[str, bytes]) -> np.ndarray:
    """Decode the counts of a compressed RLE string.

    Args:
        counts (str | bytes): The ``counts`` field of a compressed RLE.

    Returns:
        np.ndarray: Run lengths of shape (R,), int64, alternating 0s and 1s.

    Raises:
        ValueError: On characters outside the alphabet (or non-ASCII, or NUL, where the C
            parser stops), a truncated last count, a count of more than
            :data:`MAX_COUNT_DIGITS` characters (read differently by pycocotools), or a
            negative run length.
    """
    if isinstance(counts, str):
        # pycocotools encodes a str as UTF-8: a non-ASCII character is several bytes there.
        try:
            counts = counts.encode('ascii')
        except UnicodeEncodeError:
            raise ValueError('malformed RLE: "counts" holds a non-ASCII character') from None
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
    if num_digits.max() > MAX_COUNT_DIGITS:
        k = int(np.argmax(num_digits > MAX_COUNT_DIGITS))
        raise ValueError(f'malformed RLE: count {k} of "counts" takes {num_digits[k]} '
                         f'characters; at most {MAX_COUNT_DIGITS} are read by pycocotools as '
                         'written (its parser overflows 32 bits beyond), and no frame needs '
                         'more')
    digit = np.arange(chars.size) - np.repeat(starts, num_digits)
    values = np.add.reduceat((chars & 0x1f) << (5 * digit), starts)
    negative = (chars[ends] & 0x10) != 0
    values[negative] |= np.int64(-1) << (5 * num_digits[negative])
    # |value| < 2**30 here, so the sums below cannot overflow int64.
    # Delta coding: counts[i] += counts[i - 2] for i >= 3 (as pycocotools' rleFrString).
    values[1::2] = np.cumsum(values[1::2])
    values[2::2] = np.cumsum(values[2::2])
    if values.min() < 0:
        raise ValueError('malformed RLE: "counts" decodes to a negative run length')
    return values


def ones_runs(counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The non-empty runs of 1s of an RLE mask as column-major pixel indices.

    Args:
        counts (np.ndarray): Run lengths (R,), alternating 0s and 1s, 0s first.

    Returns:
        tuple: ``(starts, ends)``, (R1,) each: the runs [start, end), ascending and disjoint
        (runs that touch through a zero-length run of 0s stay separate).
    """
    bounds = np.cumsum(counts)
    num_ones = counts.size // 2
    starts = bounds[0:2 * num_ones:2]
    ends = bounds[1:2 * num_ones + 1:2]
    nonempty = ends > starts
    return starts[nonempty], ends[nonempty]


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
    starts, ends = ones_runs(counts)
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
