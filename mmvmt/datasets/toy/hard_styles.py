"""Two harder held-out validation styles of the toy animals (never trained on, issue 20).

* ``realscale``: 720 x 1280 frames, 24-36 per video, 1-2 animals each covering 5-40% of
  the frame at frame 0 (:func:`scale_for_coverage`), moving slowly as large objects do in a
  video; coarse annotations as YouTube-VIS has them at that size: polygons simplified with a
  tolerance of 2-8 px, grown by a halo of 2-8 px on 60% of the tracks and shrunk by 1-3 px
  on 15%. Thin parts stay 1-2 px wide (whatever the scale, :mod:`.shapes`), so at this size
  they are long antennae and legs the polygons drop.
* ``camouflage``: 240 x 320 frames, 12 per video, 1-3 animals whose colour is the
  background's base colour moved by at most ``CAMOUFLAGE_MAX_OFFSET`` grey levels per
  channel and whose texture is of the background's kind and amplitude
  (:func:`camouflage_textures`), so colour alone hardly separates them; each object moves
  at least ``CAMOUFLAGE_MIN_RELATIVE_SPEED`` px per frame relative to the panning background,
  so motion does. Coarse annotations as the garden style's (tolerance 1-4 px, halo 1-6 px on
  60% of the tracks, shrinking by 1-2 px on 15%).

Layout (as the garden style, one split)::

    <out>/val/JPEGImages/<style>_<id>/00000.jpg ...
    <out>/annotations/val_hq.json  val_coarse.json

Everything random comes from ``numpy.random.default_rng([seed, stream, video])`` with a
stream of each style's own, so a seed gives byte-identical files and a video does not
depend on the number of others.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from .generator import _TEXTURE_SIZE, _Track, draw_frames
from .shapes import CATEGORIES, Pose, draw_mask
from .textures import _pattern, textured_image
from .validation_writer import write_validation_videos

REALSCALE_HEIGHT, REALSCALE_WIDTH = 720, 1280
REALSCALE_FRAMES = (24, 36)
REALSCALE_COVERAGE = (0.05, 0.40)
CAMOUFLAGE_HEIGHT, CAMOUFLAGE_WIDTH = 240, 320
CAMOUFLAGE_FRAMES = 12
CAMOUFLAGE_MAX_OFFSET = 30.0
CAMOUFLAGE_MIN_RELATIVE_SPEED = 2.0
STYLES = ('realscale', 'camouflage')
DEFAULT_NUM_VIDEOS = dict(realscale=4, camouflage=12)
_STREAMS = dict(realscale=201, camouflage=301)  # apart from the toy splits' and the garden's
_PAN_MARGIN = 48
_JPEG_QUALITY = 90


def scale_for_coverage(category_id: int, pose: Pose, coverage: float, height: int,
                       width: int) -> float:
    """The scale at which the animal drawn at ``pose`` covers ``coverage`` of the frame.

    Bisection on the scale (the covered area grows with it); the result covers the target
    within a hundredth of its area.

    Args:
        category_id: Toy category (1 lizard, 2 beetle, 3 bird).
        pose: Where it is; its ``scale`` is ignored.
        coverage: Target share of the frame's pixels, in (0, 1).
        height, width: Frame size.

    Returns:
        float: The scale.
    """
    target = coverage * height * width
    low, high = 0.0, float(max(height, width))
    for _ in range(40):
        mid = 0.5 * (low + high)
        area = int(draw_mask(category_id, Pose(pose.cx, pose.cy, pose.angle, mid, pose.phase),
                             height, width).sum())
        if abs(area - target) <= 0.01 * target:
            return mid
        low, high = (mid, high) if area < target else (low, mid)
    return 0.5 * (low + high)


def _coarse_annotator(rng: np.random.Generator, tolerance: Tuple[float, float],
                      grow: Tuple[int, int], shrink: Tuple[int, int]) -> Tuple[float, int]:
    """Polygon tolerance and halo of one track: grown on 60%, shrunk on 15% of the tracks."""
    u = rng.random()
    halo = int(rng.integers(grow[0], grow[1] + 1)) if u < 0.6 else (
        -int(rng.integers(shrink[0], shrink[1] + 1)) if u < 0.75 else 0)
    return float(rng.uniform(*tolerance)), halo


def _realscale_video(rng: np.random.Generator) -> Tuple[List[np.ndarray], np.ndarray,
                                                        List[_Track]]:
    h, w, m = REALSCALE_HEIGHT, REALSCALE_WIDTH, _PAN_MARGIN
    num_frames = int(rng.integers(REALSCALE_FRAMES[0], REALSCALE_FRAMES[1] + 1))
    bright = bool(rng.random() < 0.5)
    background = textured_image(rng, h + 2 * m, w + 2 * m, not bright)
    tracks = []
    for _ in range(int(rng.integers(1, 3))):
        category_id = int(rng.integers(1, len(CATEGORIES) + 1))
        start = rng.uniform((0.35 * w, 0.35 * h), (0.65 * w, 0.65 * h))
        direction = rng.uniform(0, 2 * np.pi)
        velocity = rng.uniform(1, 6) * np.array((np.cos(direction), np.sin(direction)))
        angle = float(direction + rng.uniform(-0.4, 0.4))
        phase = float(rng.uniform(0, 2 * np.pi))
        scale = scale_for_coverage(category_id, Pose(start[0], start[1], angle, 1.0, phase),
                                   float(rng.uniform(*REALSCALE_COVERAGE)), h, w)
        tolerance, halo = _coarse_annotator(rng, (2, 8), (2, 8), (1, 3))
        tracks.append(_Track(category_id=category_id, start=start, velocity=velocity,
                             angle=angle, turn=float(rng.uniform(-0.02, 0.02)), scale=scale,
                             phase=phase, gait=float(rng.uniform(0.2, 0.5)),
                             texture=textured_image(rng, _TEXTURE_SIZE, _TEXTURE_SIZE, bright),
                             tolerance=tolerance, halo=halo))
    depth = [int(i) for i in rng.permutation(len(tracks))]
    offset = rng.uniform(0.3 * m, 1.7 * m, 2)
    pan = rng.uniform(-1.2, 1.2, 2)
    frames, visible = draw_frames(rng, tracks, depth, background, (h, w), offset, pan,
                                  num_frames, 2.5)
    return frames, visible, tracks


def camouflage_textures(rng: np.random.Generator, base: np.ndarray, amplitude: float,
                        height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
    """A background and an object texture that colour alone hardly separates.

    Both are ``colour + amplitude * pattern`` with a pattern of the same kind (noise, stripes
    or blobs, :mod:`.textures`); the object's colour is ``base`` moved by at most
    ``CAMOUFLAGE_MAX_OFFSET`` per channel.

    Args:
        rng: Random generator.
        base: (3,) BGR base colour of the background.
        amplitude: Texture amplitude (grey levels) of both.
        height, width: Size of the background.

    Returns:
        tuple: (height, width, 3) background and (``_TEXTURE_SIZE``, ``_TEXTURE_SIZE``, 3)
        object texture, float32 BGR in [0, 255].
    """
    kind = int(rng.integers(3))
    background = base + amplitude * _pattern(rng, height, width, kind)[..., None]
    colour = base + rng.uniform(-CAMOUFLAGE_MAX_OFFSET, CAMOUFLAGE_MAX_OFFSET, 3)
    texture = colour + amplitude * _pattern(rng, _TEXTURE_SIZE, _TEXTURE_SIZE, kind)[..., None]
    return (np.clip(background, 0, 255).astype(np.float32),
            np.clip(texture, 0, 255).astype(np.float32))


def _camouflage_video(rng: np.random.Generator) -> Tuple[List[np.ndarray], np.ndarray,
                                                         List[_Track]]:
    h, w, m = CAMOUFLAGE_HEIGHT, CAMOUFLAGE_WIDTH, _PAN_MARGIN
    base = rng.uniform(60, 195, 3)
    amplitude = float(rng.uniform(8, 25))
    offset = rng.uniform(0.3 * m, 1.7 * m, 2)
    pan = rng.uniform(-2, 2, 2)
    tracks, background = [], None
    for _ in range(int(rng.integers(1, 4))):
        world, texture = camouflage_textures(rng, base, amplitude, h + 2 * m, w + 2 * m)
        background = world if background is None else background
        category_id = int(rng.integers(1, len(CATEGORIES) + 1))
        start = rng.uniform((0.2 * w, 0.2 * h), (0.8 * w, 0.8 * h))
        direction = rng.uniform(0, 2 * np.pi)
        velocity = rng.uniform(2, 5) * np.array((np.cos(direction), np.sin(direction)))
        # The background moves by -pan px per frame in the image: keep the object moving
        # against it (what tells it apart when colour does not).
        if np.linalg.norm(velocity + pan) < CAMOUFLAGE_MIN_RELATIVE_SPEED:
            velocity = -velocity
        tolerance, halo = _coarse_annotator(rng, (1, 4), (1, 6), (1, 2))
        tracks.append(_Track(category_id=category_id, start=start, velocity=velocity,
                             angle=float(direction + rng.uniform(-0.4, 0.4)),
                             turn=float(rng.uniform(-0.1, 0.1)),
                             scale=float(rng.uniform(1.5, 2.5)),
                             phase=float(rng.uniform(0, 2 * np.pi)),
                             gait=float(rng.uniform(0.6, 1.3)), texture=texture,
                             tolerance=tolerance, halo=halo))
    depth = [int(i) for i in rng.permutation(len(tracks))]
    frames, visible = draw_frames(rng, tracks, depth, background, (h, w), offset, pan,
                                  CAMOUFLAGE_FRAMES, 3.0)
    return frames, visible, tracks


_VIDEOS: Dict[str, Callable[[np.random.Generator], Tuple[List[np.ndarray], np.ndarray,
                                                         List[_Track]]]] = dict(
    realscale=_realscale_video, camouflage=_camouflage_video)


def make_hard_vis(out_dir: Union[str, Path], style: str, *, seed: int = 0,
                  num_videos: Optional[int] = None, overwrite: bool = False,
                  verbose: bool = True) -> Dict[str, int]:
    """Generate the validation videos of a harder style (``val`` split only).

    Args:
        out_dir: Target folder; must be missing or empty unless ``overwrite``.
        style: ``'realscale'`` or ``'camouflage'`` (module docstring).
        seed: Everything random follows from it; the same seed gives identical files.
        num_videos: Videos (default ``DEFAULT_NUM_VIDEOS[style]``: 4 realscale, 12
            camouflage).
        overwrite: Replace an existing dataset of the toy generators in ``out_dir``.
        verbose: Print a summary.

    Returns:
        dict: ``videos``, ``frames``, ``instances``.

    Raises:
        ValueError: An unknown style or a bad ``num_videos``.
        FileExistsError: As :func:`~.generator.make_toy_vis`.
    """
    if style not in STYLES:
        raise ValueError(f'unknown style {style!r}; expected one of {STYLES}')
    num_videos = DEFAULT_NUM_VIDEOS[style] if num_videos is None else num_videos
    if int(num_videos) != num_videos or num_videos < 0:
        raise ValueError(f'num_videos must be a non-negative integer, got {num_videos!r}')
    videos = (_VIDEOS[style](np.random.default_rng([seed, _STREAMS[style], index]))
              for index in range(int(num_videos)))
    return write_validation_videos(out_dir, videos, style=style, seed=seed,
                                   categories=CATEGORIES, jpeg_quality=_JPEG_QUALITY,
                                   overwrite=overwrite, verbose=verbose)
