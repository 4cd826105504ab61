"""The boundary band of a mask, as Boundary IoU and the HQ-YTVIS evaluator define it.

The released definition: d = max(1, round(ratio * sqrt(H^2 + W^2))); pad the mask with one
pixel of zeros on every side, erode it d times with a 3x3 kernel of ones (OpenCV treats
pixels beyond the padded image as neutral), crop the padding off; boundary = mask - eroded.

Here the same band comes from ONE erosion with a (2d + 1) x (2d + 1) square whose outside is
zero: d 3x3 erosions reach exactly the pixels within Chebyshev distance d, and the zero
padding makes every pixel within d of the image border erode, which is what a zero border
does. The tests check the equivalence against the released recipe, borders included.

:func:`mask_boundary` erodes a dense mask with OpenCV. :func:`rle_boundary_counts` and
:func:`frames_boundary_counts` (many frames in one go) give the band of RLE masks as an RLE,
with work bounded by the RLEs' length and the frames' width, never by H x W (a full
4096 x 4096 frame is a 10-byte RLE): a mask whose bounding box is small for its number of
runs is eroded densely on the box (OpenCV, fast per pixel), any other from its runs alone.
The run-based erosion uses that the square erosion is separable:

1. along a column, each run of 1s shrinks by d at both ends (the rows beyond the image are
   0), and disappears when it has no more than 2d pixels: the *vertical* erosion V;
2. across columns, column c of the erosion E is the intersection of the columns
   c - d .. c + d of V, and is empty when that window leaves the image.

Step 2 works on *column groups*, maximal ranges of columns that need not be told apart: a
column holding the end of a run, a range of columns that a run covers from top to bottom,
a range of empty columns. A group [a, b) lies in the window of the columns [a - d, b + d),
so the columns split into *segments* between these points in which every column's window
meets the same groups; a row belongs to E in a segment when every group met holds it in
V. This is one sort of (segment, row) events, their number the number of runs times the
groups a window meets (at most 2d + 1). Since E lies inside the mask, the band
(mask - E) is the exclusive or of the two: its runs change at the run ends of both.

Shape shorthand: H, W frame height and width; R number of runs of 1s.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .rle import crop_runs, fill_runs, ones_runs


def boundary_width(height: int, width: int, ratio: float = 0.02) -> int:
    """Width d in pixels of the boundary band of an (H, W) frame.

    Args:
        height (int): H.
        width (int): W.
        ratio (float): Band width as a fraction of the image diagonal. Defaults to 0.02.

    Returns:
        int: d = max(1, round(ratio * sqrt(H^2 + W^2))), rounding half to even as the
        released code does.
    """
    return max(1, int(round(ratio * np.sqrt(height ** 2 + width ** 2))))


def mask_boundary(mask: np.ndarray, width: int) -> np.ndarray:
    """Boundary band of a binary mask: the mask minus its erosion by ``width`` pixels.

    Args:
        mask (np.ndarray): Binary mask (H, W), bool or uint8 0/1. May be the crop of a
            larger frame as long as the crop holds every foreground pixel.
        width (int): Band width d >= 1 (see :func:`boundary_width`).

    Returns:
        np.ndarray: Bool band (H, W): foreground pixels within Chebyshev distance ``width``
        of a background pixel or of the image border.
    """
    mask = np.ascontiguousarray(mask, dtype=np.uint8)
    kernel = np.ones((2 * width + 1, 2 * width + 1), dtype=np.uint8)
    eroded = cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return mask > eroded


def rle_boundary_counts(counts: np.ndarray, height: int, frame_width: int,
                        width: int) -> np.ndarray:
    """Boundary band of an RLE mask, as run lengths, computed from the mask's runs.

    Args:
        counts (np.ndarray): Run lengths of a mask of shape (H, W) (``parse_rle_counts``),
            summing to H * W; zero-length runs are allowed anywhere.
        height (int): H.
        frame_width (int): W.
        width (int): Band width d >= 1 (see :func:`boundary_width`).

    Returns:
        np.ndarray: Run lengths (int64) of the band in the same column-major RLE layout
        (starting with 0s, summing to H * W): the band equals
        ``mask_boundary(mask, width)``.
    """
    return frames_boundary_counts([counts], height, frame_width, width)


def frames_boundary_counts(frames: Sequence[Optional[np.ndarray]], height: int,
                           frame_width: int, width: int) -> np.ndarray:
    """Boundary bands of T frames at once: the band of the *strip* that holds the frames
    side by side, one empty column between two frames.

    The empty column makes the band of each frame that of the frame alone (the columns
    within d of a frame's side erode, as at the image border), and the strip is one image to
    compute, so the work per frame is a few array elements, not a few array operations.

    Args:
        frames (Sequence[np.ndarray | None]): T run lengths of masks of shape (H, W)
            (``parse_rle_counts``), None for an empty frame.
        height (int): H.
        frame_width (int): W.
        width (int): Band width d >= 1.

    Returns:
        np.ndarray: Run lengths (int64) of the band of the strip, an (H, T * (W + 1) - 1)
        mask in column-major RLE layout: columns [t * (W + 1), t * (W + 1) + W) hold frame
        t's band ``mask_boundary(mask_t, width)``, the columns between them are empty.
    """
    if not frames:
        return np.zeros(0, dtype=np.int64)
    edges: List[np.ndarray] = []
    batch: List[int] = []  # frames for the run-based erosion, done together
    events = 0
    for t, counts in enumerate(frames):
        if counts is None:
            continue
        num_runs = counts.size // 2
        if _box_is_cheaper(counts, num_runs, height, width):
            offset = t * (frame_width + 1) * height
            edges.append(_box_band_edges(counts, height, frame_width, width) + offset)
            continue
        batch.append(t)
        events += 2 * (num_runs + 1) * (2 * width + 1)
        if events > MAX_EVENTS:
            edges.append(_strip_band_edges(frames, batch, height, frame_width, width))
            batch, events = [], 0
    if batch:
        edges.append(_strip_band_edges(frames, batch, height, frame_width, width))
    return _counts_from_edges(edges, height * (len(frames) * (frame_width + 1) - 1))


#: Most events (2 per run and segment) the run-based erosion sorts at once (memory).
MAX_EVENTS = 2 ** 22
#: Measured costs (2-core machine, OpenCV 5, numpy 2.4) that choose the erosion of a mask:
#: densely on its bounding box, about (1 + (2d + 1) / 40) ns a pixel (OpenCV's separable
#: erosion of the box, filling and scanning it), or from its runs, about 85 ns an event for
#: at most 2 * runs * (2d + 1) events. The band is the same either way; the cheaper choice
#: bounds the work by the RLE's length (and the frames' width).
NS_PER_EVENT = 85.0
BOX_NS_PER_PIXEL = 1.0
BOX_NS_PER_PIXEL_AND_KERNEL_ROW = 1 / 40


def _box_is_cheaper(counts: np.ndarray, num_runs: int, height: int, width: int) -> bool:
    if num_runs == 0:
        return False
    first = counts[0]
    end = counts.sum() - (counts[-1] if counts.size % 2 else 0)
    box_pixels = ((end - 1) // height - first // height + 1) * height
    kernel = 2 * width + 1
    box_ns = box_pixels * (BOX_NS_PER_PIXEL + BOX_NS_PER_PIXEL_AND_KERNEL_ROW * kernel)
    return box_ns < NS_PER_EVENT * 2 * num_runs * kernel


def _strip_band_edges(frames: Sequence[Optional[np.ndarray]], batch: List[int], height: int,
                      frame_width: int, width: int) -> np.ndarray:
    """Band edges of the frames ``batch`` (ascending indices), by the run-based erosion of
    the strip of frames ``batch[0] .. batch[-1]`` (the others left empty)."""
    empty, gap = np.array([height * frame_width]), height
    # Each frame's counts end with a run of 0s (a zero-length one added where needed) that
    # runs on over the empty column; a zero-length run of 1s leads to the next frame's 0s.
    after_zeros, after_ones = np.array([0, gap, 0]), np.array([gap, 0])
    chosen = set(batch)
    parts: List[np.ndarray] = []
    for t in range(batch[0], batch[-1] + 1):
        counts = frames[t] if t in chosen else empty
        parts += [counts, after_ones if counts.size % 2 == 0 else after_zeros]
    strip_width = (batch[-1] - batch[0] + 1) * (frame_width + 1) - 1
    offset = batch[0] * (frame_width + 1) * height
    return _band_edges(np.concatenate(parts[:-1]), height, strip_width, width) + offset


def _box_band_edges(counts: np.ndarray, height: int, frame_width: int,
                    width: int) -> np.ndarray:
    """Where the band's runs start and end (column-major pixel indices, ascending), by a
    dense erosion of the mask's bounding box: with the outside counted as zero, the band of
    a crop that holds the whole mask is the crop of the band."""
    runs = crop_runs(counts, height, frame_width)
    if runs is None:
        return np.zeros(0, dtype=np.int64)
    starts, ends, (x0, y0, x1, y1) = runs
    crop_h, crop_w = y1 - y0, x1 - x0
    # Column-major runs fill crop.T (one row per image column); the square erosion does not
    # mind the transposition.
    mask_t = fill_runs(starts, ends, crop_h * crop_w).reshape(crop_w, crop_h)
    padded = np.zeros((crop_w, crop_h + 2), dtype=np.int8)  # a 0 before and after a column
    padded[:, 1:-1] = mask_boundary(mask_t, width)
    flat = padded.ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    column, row = np.divmod(change, crop_h + 2)
    return (x0 + column) * height + y0 + row - 1


def _band_edges(counts: np.ndarray, height: int, frame_width: int,
                width: int) -> np.ndarray:
    """Where the band's runs start and end, by the run-based erosion (ascending)."""
    starts, ends = _runs_of_ones(counts)
    eroded_starts, eroded_ends = _eroded_runs(starts, ends, height, frame_width, width)
    # Exclusive or: sorted, the run ends of both are where the band's runs change (a
    # repeated end, if any, is a zero-length run, which is the same). Each of the four is
    # made of a few ascending stretches, which the stable sort (timsort) merges.
    edges = np.concatenate([starts, ends, eroded_starts, eroded_ends])
    edges.sort(kind='stable')
    return edges


def _counts_from_edges(edges: List[np.ndarray], size: int) -> np.ndarray:
    """Run lengths of a mask of ``size`` pixels whose value flips at each of ``edges``.

    An index given twice flips twice, so it is dropped: pycocotools' run-length IoU may stop
    early on a zero-length run inside the counts (the two cursors meet a 0 together).
    """
    edges = np.concatenate([np.zeros(0, np.int64), *edges])
    edges.sort(kind='stable')
    repeated = edges[1:] == edges[:-1]
    if repeated.any():
        first = np.flatnonzero(np.concatenate([[True], ~repeated]))
        repeats = np.diff(np.append(first, edges.size))
        edges = edges[first[repeats % 2 == 1]]
    counts = np.diff(np.concatenate([[0], edges, [size]]))
    return counts[:-1] if counts.size > 1 and counts[-1] == 0 else counts


def _runs_of_ones(counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Maximal runs of 1s [start, end) as column-major pixel indices, ascending (R,) each.

    Runs that touch (a zero-length run of 0s between them) are joined: a column's runs must
    be maximal for the vertical erosion to be right.
    """
    starts, ends = ones_runs(counts)
    opens = np.ones(starts.size, dtype=bool)  # a run not touching the one before
    opens[1:] = starts[1:] > ends[:-1]
    closes = np.roll(opens, -1)
    return starts[opens], ends[closes]


def _eroded_runs(starts: np.ndarray, ends: np.ndarray, height: int, frame_width: int,
                 width: int) -> Tuple[np.ndarray, np.ndarray]:
    """Runs [start, end) of the erosion by the (2d + 1) square with a zero outside (see the
    module's docstring), as column-major pixel indices (in no particular order)."""
    none = np.zeros(0, dtype=np.int64)
    if height <= 2 * width or frame_width <= 2 * width or starts.size == 0:
        return none, none
    first_col, top = np.divmod(starts, height)
    last_col, bottom = np.divmod(ends - 1, height)
    bottom += 1
    # Pieces of runs inside one column: whole runs, and the head and tail of runs that go
    # on into later columns; the columns in between are full from top to bottom.
    across = first_col < last_col
    col = np.concatenate([first_col[~across], first_col[across], last_col[across]])
    top = np.concatenate([top[~across], top[across], np.zeros(across.sum(), np.int64)])
    bottom = np.concatenate([bottom[~across], np.full(across.sum(), height),
                             bottom[across]])
    full_from, full_to = first_col[across] + 1, last_col[across]
    full = full_to > full_from
    full_from, full_to = full_from[full], full_to[full]
    # Step 1, vertical erosion.
    kept = bottom - top > 2 * width
    col, top, bottom = col[kept], top[kept] + width, bottom[kept] - width
    # Column groups: columns with pieces, full ranges, and the empty ranges between them.
    group_bounds = np.unique(np.concatenate([[0, frame_width], col, col + 1, full_from,
                                             full_to]))
    group_from, group_to = group_bounds[:-1], group_bounds[1:]
    group = np.concatenate([np.searchsorted(group_from, col),
                            np.searchsorted(group_from, full_from)])
    top = np.concatenate([top, np.full(full_from.size, width)])
    bottom = np.concatenate([bottom, np.full(full_from.size, height - width)])
    # Segments: the columns c in [d, W - d) (outside, the window leaves the image) whose
    # windows meet the same groups; group g meets the segments [seg_from[g], seg_to[g]).
    seg_bounds = np.unique(np.clip(np.concatenate(
        [group_from - width, group_to + width]), width, frame_width - width))
    num_segs = seg_bounds.size - 1
    seg_from = np.searchsorted(seg_bounds, np.clip(group_from - width, width, None))
    seg_to = np.searchsorted(seg_bounds, np.clip(group_to + width, None,
                                                 frame_width - width))
    met = np.cumsum(np.bincount(seg_from, minlength=num_segs + 1)
                    - np.bincount(seg_to, minlength=num_segs + 1))[:num_segs]
    # One +1 / -1 event per piece and segment its group meets, keyed by (segment, row).
    piece, seg = _ranges(seg_from[group], seg_to[group] - seg_from[group])
    # Sorted as 2 * key + 1 for a start, 2 * key for an end: ends before starts at a row.
    key = seg * (height + 1)
    events = np.concatenate([2 * (key + top[piece]) + 1, 2 * (key + bottom[piece])])
    events.sort()
    # Events of a segment sum to 0, so the running sum after the last event at a key is
    # the number of groups holding the rows from that key to the next; E holds the rows
    # held by every group the segment meets.
    held = np.cumsum(2 * (events & 1) - 1)
    keys = events >> 1
    last = np.flatnonzero(keys[1:] != keys[:-1])
    seg, row = np.divmod(keys, height + 1)
    inside = last[held[last] == met[seg[last]]]
    seg, top, bottom = seg[inside], row[inside], row[inside + 1]
    # Each stretch, in every column of its segment.
    stretch, column = _ranges(seg_bounds[seg], seg_bounds[seg + 1] - seg_bounds[seg])
    return column * height + top[stretch], column * height + bottom[stretch]


def _ranges(first: np.ndarray, length: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The integers first[i] .. first[i] + length[i] - 1 for every i, one after the other,
    and the i of each (both (sum(length),))."""
    owner = np.repeat(np.arange(first.size), length)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(length) - length, length)
    return owner, first[owner] + offset
