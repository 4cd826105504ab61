"""Drawing primitives of the track visualizer: pure functions on RGB uint8 images.

Shape shorthand: H x W the frame, N instances. Images are (H, W, 3) uint8 RGB; masks are
(H, W) bool; colours are (R, G, B) tuples. Every function returns a new image and leaves its
input untouched. OpenCV draws everything (no matplotlib figure), so a video's frames are
drawn at a few milliseconds each.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np

from .palette import text_color

Color = Tuple[int, int, int]
FONT = cv2.FONT_HERSHEY_SIMPLEX


def fill_mask(image: np.ndarray, mask: np.ndarray, color: Color, alpha: float) -> np.ndarray:
    """Blend ``color`` into the pixels of ``mask``: ``(1 - alpha) * image + alpha * color``.

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        mask (np.ndarray): (H, W) bool.
        color (tuple): RGB.
        alpha (float): Opacity of the colour in [0, 1].

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    out = image.copy()
    mask = mask.astype(bool)
    blended = out[mask].astype(np.float32) * (1 - alpha) + np.float32(color) * alpha
    out[mask] = np.round(blended).astype(np.uint8)
    return out


def mask_contours(mask: np.ndarray) -> list:
    """The outer and hole contours of a mask (OpenCV point arrays, (x, y) order)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST,
                                   cv2.CHAIN_APPROX_NONE)
    return list(contours)


def draw_boundary(image: np.ndarray, mask: np.ndarray, color: Color,
                  thickness: int = 1) -> np.ndarray:
    """Draw the mask's outline (outer contours and holes) opaque in ``color``.

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        mask (np.ndarray): (H, W) bool.
        color (tuple): RGB.
        thickness (int): Line width in pixels.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    out = np.ascontiguousarray(image.copy())
    cv2.drawContours(out, mask_contours(mask), -1, tuple(int(c) for c in color), thickness)
    return out


def draw_dashed_boundary(image: np.ndarray, mask: np.ndarray, color: Color,
                         dash: int = 3) -> np.ndarray:
    """Draw the mask's outline one pixel wide, ``dash`` pixels on, ``dash`` off.

    Used for a second mask over the same object (e.g. the coarse mask under the refined
    one), so that the two outlines stay apart where they differ and readable where they
    coincide.

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        mask (np.ndarray): (H, W) bool.
        color (tuple): RGB.
        dash (int): Length of the dashes and gaps in contour points.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    out = image.copy()
    for contour in mask_contours(mask):
        points = contour[:, 0]
        on = points[(np.arange(len(points)) // dash) % 2 == 0]
        out[on[:, 1], on[:, 0]] = color
    return out


def hatch(image: np.ndarray, region: np.ndarray, color: Color, step: int = 4) -> np.ndarray:
    """Draw diagonal hatching (every ``step``-th anti-diagonal) over ``region``.

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        region (np.ndarray): (H, W) bool.
        color (tuple): RGB.
        step (int): Spacing of the hatch lines in pixels.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    height, width = region.shape
    lines = (np.add.outer(np.arange(height), np.arange(width)) % step) == 0
    out = image.copy()
    out[region.astype(bool) & lines] = color
    return out


def font_scale(height: int, width: int) -> float:
    """A label font scale that reads on small frames and does not flood large ones."""
    return float(np.clip(min(height, width) / 400, 0.3, 1.0))


def draw_label(image: np.ndarray, text: str, anchor: Tuple[int, int], color: Color,
               scale: float) -> np.ndarray:
    """Write ``text`` on a box filled with ``color``, its top-left corner at ``anchor``.

    The box is moved inside the image when the anchor is near a border.

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        text (str): One line of text.
        anchor (tuple[int, int]): (x, y) of the box's top-left corner.
        color (tuple): RGB of the box; the text is black or white to contrast with it.
        scale (float): OpenCV font scale.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    out = np.ascontiguousarray(image.copy())
    (text_w, text_h), baseline = cv2.getTextSize(text, FONT, scale, 1)
    pad = 2
    box_w, box_h = text_w + 2 * pad, text_h + baseline + 2 * pad
    height, width = out.shape[:2]
    x = int(np.clip(anchor[0], 0, max(0, width - box_w)))
    y = int(np.clip(anchor[1], 0, max(0, height - box_h)))
    cv2.rectangle(out, (x, y), (x + box_w - 1, y + box_h - 1), tuple(int(c) for c in color),
                  thickness=-1)
    cv2.putText(out, text, (x + pad, y + pad + text_h), FONT, scale, text_color(color), 1,
                cv2.LINE_AA)
    return out


def add_legend(image: np.ndarray, entries: Sequence[Tuple[Color, str]],
               scale: float) -> np.ndarray:
    """Append a legend panel on the right: a colour swatch and a text per entry.

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        entries (Sequence[tuple]): (colour, text) pairs, top to bottom; rows that do not fit
            the height are summarised in a last "+k more" row.
        scale (float): OpenCV font scale.

    Returns:
        np.ndarray: (H, W + panel width, 3) uint8; the image itself when there are no
        entries.
    """
    if not entries:
        return image
    height = image.shape[0]
    sizes = [cv2.getTextSize(text, FONT, scale, 1) for _, text in entries]
    row_h = max(h + b for (_, h), b in sizes) + 4
    swatch = row_h - 4
    panel_w = swatch + 8 + max(w for (w, _), _ in sizes) + 4
    panel = np.full((height, panel_w, 3), 32, np.uint8)
    rows = max(1, height // row_h)
    shown = list(entries) if len(entries) <= rows else list(entries[:rows - 1])
    for i, (color, text) in enumerate(shown):
        top = i * row_h + 2
        cv2.rectangle(panel, (2, top), (2 + swatch, top + swatch), tuple(int(c) for c in color),
                      thickness=-1)
        cv2.putText(panel, text, (swatch + 8, top + swatch), FONT, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    if len(shown) < len(entries):
        cv2.putText(panel, f'+{len(entries) - len(shown)} more', (2, len(shown) * row_h + 2 +
                                                                   swatch),
                    FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([image, panel], axis=1)
