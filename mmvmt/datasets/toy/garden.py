"""The garden style: held-out synthetic videos for validating generalization (never trained on).

It differs from the toy style (:mod:`.generator`) in everything a refiner could learn by
heart instead of boundaries:

* objects: spiders, dragonflies and snails (:mod:`.garden_shapes`), 1-3 per video;
* frames: 176 x 240 (not a multiple of 32), JPEG quality 80, stronger sensor noise;
* looks: backgrounds of leaf veins, checks, gravel or smooth gradients; objects filled with
  a plain colour, bands or speckle; brightness is free (the toy style keeps objects and
  background in two brightness bands), only a mean contrast of 35 grey levels is kept;
* camera: pans, zooms and rolls (one similarity transform per frame, applied to the
  background and to the objects' poses);
* occlusion: grass blades in front of everything cut the objects' visible masks;
* coarse annotations: polygons (tolerance 1-4 px) grown by a halo of 1-6 px on 60% of the
  tracks and shrunk by 1-2 px on 15% (:func:`~.coarse.coarse_polygons`).

Layout (as the toy data, one split)::

    <out>/val/JPEGImages/garden_<id>/00000.jpg ...
    <out>/annotations/val_hq.json  val_coarse.json

Everything random comes from ``numpy.random.default_rng([seed, GARDEN_STREAM, video])``.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np

from .garden_shapes import GARDEN_CATEGORIES, GARDEN_EXTENTS, draw_garden_mask
from .shapes import Pose
from .textures import smooth_noise
from .validation_writer import write_validation_videos

GARDEN_HEIGHT, GARDEN_WIDTH = 176, 240
GARDEN_NUM_VIDEOS, GARDEN_NUM_FRAMES = 12, 8
GARDEN_STREAM = 101  # keeps the garden's random streams apart from the toy splits'
_JPEG_QUALITY = 80
_NOISE_SIGMA = 4.0
_MARGIN = 48  # the world is this much larger than the frame on every side
_MIN_CONTRAST = 35.0


@dataclass
class _GardenTrack:
    category_id: int
    start: np.ndarray  # (2,) world position at frame 0
    velocity: np.ndarray  # (2,) world px per frame
    angle: float
    turn: float
    scale: float
    phase: float
    gait: float
    fill: np.ndarray  # (H, W, 3) float32 object texture in image coordinates
    tolerance: float
    halo: int  # > 0 grows, < 0 shrinks the coarse polygons

    def world_pose(self, t: int) -> Pose:
        cx, cy = self.start + t * self.velocity
        return Pose(float(cx), float(cy), self.angle + t * self.turn, self.scale,
                    self.phase + t * self.gait)


@dataclass
class _Camera:
    """World -> image similarity per frame: zoom and roll about the frame centre, pan."""
    pan: np.ndarray  # (2,) px per frame
    zoom: float  # relative zoom per frame
    roll: float  # rad per frame

    def matrix(self, t: int) -> np.ndarray:
        """(2, 3) affine: image = s R (world - centre - margin) + centre + pan."""
        scale, angle = (1 + self.zoom) ** t, self.roll * t
        rot = scale * np.array([[np.cos(angle), -np.sin(angle)],
                                [np.sin(angle), np.cos(angle)]])
        centre = np.array((GARDEN_WIDTH / 2, GARDEN_HEIGHT / 2))
        origin = centre + _MARGIN
        return np.concatenate([rot, (centre - rot @ origin - t * self.pan)[:, None]], 1)

    def pose(self, t: int, world: Pose) -> Pose:
        m = self.matrix(t)
        cx, cy = m[:, :2] @ (world.cx, world.cy) + m[:, 2]
        return Pose(float(cx), float(cy), world.angle + self.roll * t,
                    world.scale * (1 + self.zoom) ** t, world.phase)


def _colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(20, 235, 3)


def _grey(colour: np.ndarray) -> float:
    return float(np.dot(colour, (0.114, 0.587, 0.299)))  # BGR


def garden_texture(rng: np.random.Generator, height: int, width: int,
                   base: np.ndarray) -> np.ndarray:
    """One of four background families around a base colour, (H, W, 3) float32 BGR."""
    kind = int(rng.integers(4))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == 0:  # leaf veins: dark lines branching over a smooth gradient
        pattern = 0.4 * smooth_noise(rng, height, width, 2)
        veins = np.zeros((height, width), np.float32)
        for _ in range(max(6, height * width // 4000)):
            x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
            angle = rng.uniform(0, np.pi)
            length = rng.uniform(20, 80)
            x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
            cv2.line(veins, (int(x0), int(y0)), (int(x1), int(y1)), 1.0, int(rng.integers(1, 3)))
        pattern -= 0.8 * veins
    elif kind == 1:  # checks, rotated
        theta, period = rng.uniform(0, np.pi), rng.uniform(8, 20)
        u = xx * np.cos(theta) + yy * np.sin(theta)
        v = -xx * np.sin(theta) + yy * np.cos(theta)
        pattern = 0.6 * np.sign(np.sin(2 * np.pi * u / period) * np.sin(2 * np.pi * v / period))
        pattern = cv2.GaussianBlur(pattern.astype(np.float32), (0, 0), 0.8)
    elif kind == 2:  # gravel: many small stones of various greys
        pattern = np.zeros((height, width), np.float32)
        for _ in range(height * width // 60):
            centre = (int(rng.integers(width)), int(rng.integers(height)))
            axes = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
            cv2.ellipse(pattern, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                        float(rng.uniform(-1, 1)), -1)
    else:  # a smooth two-colour gradient with fine noise
        pattern = 0.8 * smooth_noise(rng, height, width, 3)
        pattern += 0.2 * rng.uniform(-1, 1, (height, width)).astype(np.float32)
    tint = rng.uniform(-1, 1, 3)
    image = base + 40.0 * pattern[..., None] * (1 + 0.3 * tint)
    return np.clip(image, 0, 255).astype(np.float32)


def _object_fill(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    """A plain, banded or speckled fill whose mean grey differs from the background's."""
    for _ in range(50):
        colour = _colour(rng)
        if abs(_grey(colour) - _grey(background)) >= _MIN_CONTRAST:
            break
    kind = int(rng.integers(3))
    yy, xx = np.mgrid[0:GARDEN_HEIGHT, 0:GARDEN_WIDTH].astype(np.float32)
    if kind == 0:
        pattern = np.zeros_like(xx)
    elif kind == 1:
        theta = rng.uniform(0, np.pi)
        pattern = 0.5 * np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) /
                               rng.uniform(4, 10))
    else:
        pattern = rng.uniform(-0.6, 0.6, xx.shape).astype(np.float32)
    return np.clip(colour + 25.0 * pattern[..., None], 0, 255).astype(np.float32)


def _make_tracks(rng: np.random.Generator, num_frames: int,
                 background: np.ndarray) -> List[_GardenTrack]:
    tracks = []
    for _ in range(int(rng.integers(1, 4))):
        category_id = int(rng.integers(1, len(GARDEN_CATEGORIES) + 1))
        start = rng.uniform((_MARGIN + 30, _MARGIN + 30),
                            (_MARGIN + GARDEN_WIDTH - 30, _MARGIN + GARDEN_HEIGHT - 30))
        direction = rng.uniform(0, 2 * np.pi)
        velocity = rng.uniform(0.5, 4) * np.array((np.cos(direction), np.sin(direction)))
        u = rng.random()
        halo = int(rng.integers(1, 7)) if u < 0.6 else (-int(rng.integers(1, 3))
                                                        if u < 0.75 else 0)
        tracks.append(_GardenTrack(
            category_id=category_id, start=start, velocity=velocity,
            angle=float(direction + rng.uniform(-0.5, 0.5)), turn=float(rng.uniform(-0.15, 0.15)),
            scale=float(rng.uniform(1.0, 1.5)), phase=float(rng.uniform(0, 2 * np.pi)),
            gait=float(rng.uniform(0.5, 1.5)), fill=_object_fill(rng, background),
            tolerance=float(rng.uniform(1, 4)), halo=halo))
    return tracks


def _grass(rng: np.random.Generator) -> np.ndarray:
    """(H + 2 margin, W + 2 margin) uint8 mask of 0-2 grass blades in world coordinates."""
    world = np.zeros((GARDEN_HEIGHT + 2 * _MARGIN, GARDEN_WIDTH + 2 * _MARGIN), np.uint8)
    for _ in range(int(rng.integers(0, 3))):
        x = rng.uniform(_MARGIN, _MARGIN + GARDEN_WIDTH)
        bend = rng.uniform(-40, 40)
        s = np.linspace(0, 1, 12)
        ys = world.shape[0] - s * rng.uniform(0.5, 0.9) * world.shape[0]
        pts = np.stack([x + bend * s ** 2, ys], 1).round().astype(np.int32)
        cv2.polylines(world, [pts.reshape(-1, 1, 2)], False, 1, int(rng.integers(3, 6)))
    return world


def _render(rng: np.random.Generator, tracks: List[_GardenTrack], camera: _Camera,
            world: np.ndarray, grass: np.ndarray, grass_colour: np.ndarray,
            num_frames: int) -> Tuple[List[np.ndarray], np.ndarray]:
    """Frames (T of (H, W, 3) uint8) and visible masks (N, T, H, W) bool."""
    h, w = GARDEN_HEIGHT, GARDEN_WIDTH
    visible = np.zeros((len(tracks), num_frames, h, w), bool)
    frames = []
    for t in range(num_frames):
        m = camera.matrix(t)
        image = cv2.warpAffine(world, m, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT)
        blades = cv2.warpAffine(grass, m, (w, h), flags=cv2.INTER_NEAREST).astype(bool)
        covered = blades.copy()
        for i in reversed(range(len(tracks))):  # the last track is in front
            full = draw_garden_mask(tracks[i].category_id,
                                    camera.pose(t, tracks[i].world_pose(t)), h, w)
            visible[i, t] = full & ~covered
            covered |= full
        for i in range(len(tracks)):
            image[visible[i, t]] = tracks[i].fill[visible[i, t]]
        image[blades] = grass_colour
        image += rng.normal(0, _NOISE_SIGMA, image.shape).astype(np.float32)
        frames.append(np.clip(np.round(image), 0, 255).astype(np.uint8))
    return frames, visible


def make_garden_vis(out_dir: Union[str, Path] = 'data/toy_vis_garden', *, seed: int = 0,
                    num_videos: int = GARDEN_NUM_VIDEOS, num_frames: int = GARDEN_NUM_FRAMES,
                    overwrite: bool = False, verbose: bool = True) -> Dict[str, int]:
    """Generate the garden-style validation set (``val`` split only).

    Args:
        out_dir: Target folder; must be missing or empty unless ``overwrite``.
        seed: Everything random follows from it.
        num_videos: Videos.
        num_frames: Frames per video.
        overwrite: Replace an existing dataset of this generator in ``out_dir``.
        verbose: Print a summary.

    Returns:
        dict: ``videos``, ``frames``, ``instances``.
    """
    if int(num_videos) != num_videos or num_videos < 0 or int(num_frames) != num_frames \
            or num_frames < 1:
        raise ValueError(f'num_videos must be >= 0 and num_frames >= 1, got {num_videos}, '
                         f'{num_frames}')
    return write_validation_videos(
        out_dir, (_draw_video(np.random.default_rng([seed, GARDEN_STREAM, index]),
                              int(num_frames)) for index in range(int(num_videos))),
        style='garden', seed=seed, categories=GARDEN_CATEGORIES, jpeg_quality=_JPEG_QUALITY,
        overwrite=overwrite, verbose=verbose)


def _draw_video(rng: np.random.Generator,
                num_frames: int) -> Tuple[List[np.ndarray], np.ndarray, List[_GardenTrack]]:
    """One garden video: its frames, (N, T, H, W) visible masks and tracks."""
    base = _colour(rng)
    world = garden_texture(rng, GARDEN_HEIGHT + 2 * _MARGIN, GARDEN_WIDTH + 2 * _MARGIN, base)
    tracks = _make_tracks(rng, num_frames, base)
    camera = _Camera(pan=rng.uniform(-2.5, 2.5, 2), zoom=float(rng.uniform(-0.02, 0.02)),
                     roll=float(rng.uniform(-0.02, 0.02)))
    frames, visible = _render(rng, tracks, camera, world, _grass(rng),
                              rng.uniform(20, 235, 3), num_frames)
    return frames, visible, tracks
