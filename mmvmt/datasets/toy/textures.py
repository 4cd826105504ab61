"""Textured backgrounds and object fills for the toy videos.

Brightness is kept in two bands that never meet: in a video with a dark background the
objects are bright and the other way round, with at least 40 grey levels between the bands
after texturing. That keeps 1-px legs visible after JPEG compression, while hue and
texture (not brightness) are what tell overlapping objects apart.

The variety style (:func:`free_textured_image`) drops the bands: any mean grey level, any
texture amplitude, so that a refiner trained on it cannot tell objects by brightness alone.
"""
from typing import Optional, Tuple

import cv2
import numpy as np

# Band centres (grey levels) of textured regions, and the texture amplitude inside a band.
_DARK = (55.0, 85.0)
_LIGHT = (170.0, 200.0)
_AMPLITUDE = 22.0


def smooth_noise(rng: np.random.Generator, height: int, width: int,
                 cells: int) -> np.ndarray:
    """Low-frequency noise: a random grid of about ``cells`` per side, upsampled bicubically.

    Returns:
        np.ndarray: (height, width) float32 in [-1, 1].
    """
    grid = rng.uniform(-1, 1, (max(2, cells * height // width), max(2, cells))).astype(np.float32)
    noise = cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    return noise / max(1e-6, float(np.abs(noise).max()))


def _pattern(rng: np.random.Generator, height: int, width: int,
             kind: Optional[int] = None) -> np.ndarray:
    """One of three textures (``kind`` 0 noise, 1 stripes, 2 blobs; default: drawn) as
    (height, width) float32 in [-1, 1]."""
    kind = rng.integers(3) if kind is None else kind
    if kind == 0:
        pattern = 0.7 * smooth_noise(rng, height, width, int(rng.integers(4, 12)))
        pattern += 0.3 * rng.uniform(-1, 1, (height, width)).astype(np.float32)
    elif kind == 1:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        theta = rng.uniform(0, np.pi)
        period = rng.uniform(5, 16)
        along = xx * np.cos(theta) + yy * np.sin(theta)
        pattern = np.sin(2 * np.pi * along / period + 2 * smooth_noise(rng, height, width, 3))
    else:
        pattern = np.full((height, width), -1, np.float32)
        for _ in range(int(rng.integers(6, 16)) * max(1, height * width // 10000)):
            centre = (int(rng.integers(width)), int(rng.integers(height)))
            cv2.circle(pattern, centre, int(rng.integers(3, 12)), float(rng.uniform(0, 1)), -1)
        pattern = cv2.GaussianBlur(pattern, (0, 0), 1.5)
    return np.clip(pattern, -1, 1).astype(np.float32)


def _colour(rng: np.random.Generator, band: Tuple[float, float]) -> np.ndarray:
    """A random colour (3,) whose mean grey level lies in ``band``."""
    chroma = rng.uniform(-1, 1, 3)
    chroma -= chroma.mean()
    return rng.uniform(*band) + 28.0 * chroma / max(1e-6, float(np.abs(chroma).max()))


def textured_image(rng: np.random.Generator, height: int, width: int,
                   bright: bool) -> np.ndarray:
    """A textured colour image whose grey levels stay in the bright or the dark band.

    Args:
        rng: Random generator.
        height, width: Image size.
        bright: Which brightness band to use.

    Returns:
        np.ndarray: (height, width, 3) float32 image in BGR order, values in [0, 255].
    """
    base = _colour(rng, _LIGHT if bright else _DARK)
    second = _colour(rng, _LIGHT if bright else _DARK)
    pattern = _pattern(rng, height, width)
    mix = (0.5 + 0.5 * smooth_noise(rng, height, width, 3))[..., None]
    image = base * (1 - mix) + second * mix + _AMPLITUDE * pattern[..., None]
    return np.clip(image, 0, 255).astype(np.float32)


def free_textured_image(rng: np.random.Generator, height: int, width: int, grey: float,
                        amplitude: float) -> np.ndarray:
    """A textured colour image around any mean grey level (the variety style).

    Args:
        rng: Random generator.
        height, width: Image size.
        grey: Mean grey level of the two mixed colours, in [0, 255].
        amplitude: Texture amplitude in grey levels (0: the two colours only).

    Returns:
        np.ndarray: (height, width, 3) float32 image in BGR order, values in [0, 255].
    """
    colours = []
    for _ in range(2):
        chroma = rng.uniform(-1, 1, 3)
        chroma -= chroma.mean()
        colours.append(grey + rng.uniform(-10, 10) +
                       rng.uniform(0, 40) * chroma / max(1e-6, float(np.abs(chroma).max())))
    pattern = _pattern(rng, height, width)
    mix = (0.5 + 0.5 * smooth_noise(rng, height, width, 3))[..., None]
    image = colours[0] * (1 - mix) + colours[1] * mix + amplitude * pattern[..., None]
    return np.clip(image, 0, 255).astype(np.float32)
