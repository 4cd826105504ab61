"""Colours that belong to a track: the same id gets the same colour in every frame and video."""
from typing import Tuple

import cv2
import numpy as np

# Golden-ratio steps around the hue circle: consecutive ids get far-apart hues.
_GOLDEN = 0.618033988749895


def track_color(track_id: int) -> Tuple[int, int, int]:
    """A bright RGB colour that depends only on the track id.

    Args:
        track_id (int): Any integer (negative ids are allowed).

    Returns:
        tuple[int, int, int]: (R, G, B) in [0, 255].
    """
    hue = int((int(track_id) * _GOLDEN) % 1 * 180)
    hsv = np.uint8([[[hue, 255, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def text_color(background: Tuple[int, int, int]) -> Tuple[int, int, int]:
    """Black or white, whichever reads better on ``background`` (RGB), by its luma."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)
