"""The embedded toy dataset: small YouTube-VIS 2019-format videos with thin-part objects.

Every video holds 1-3 textured animals (lizard, beetle, bird) that move, turn, move their
legs / tails / wings, occlude each other (a fixed depth order per video) and may enter or
leave the image, over a textured, slowly panning background. Each split gets two
annotation files over the same videos and annotation ids:

* ``{split}_hq.json``: the exact visible masks as compressed RLE;
* ``{split}_coarse.json``: YouTube-VIS-like coarse polygons (see :mod:`.coarse`).

``variety=True`` draws the same animals and motions in a style meant for training a refiner
that must generalize (the garden style, :mod:`.garden`, stays for validation only): any
brightness for background and objects (no brightness bands) at a random contrast of 12-90
grey levels, texture amplitudes of 4-40, object scales 0.8-2.2, sensor noise 1-6 grey levels,
JPEG quality 70-95, and coarse annotations with halos of 1-6 px on 60% of the tracks and
1-2 px shrinking on 15% (:class:`VarietyLook`).

Layout (docs/dataset_prepare.md, "The toy dataset")::

    <out>/{train,val,test}/JPEGImages/<video name>/00000.jpg ...
    <out>/annotations/{split}_hq.json  {split}_coarse.json

Everything random is drawn from ``numpy.random.default_rng([seed, split, video])``, so a
seed gives byte-identical files and one video does not depend on the number of others.
"""
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np

from mmvmt.structures import encode_mask, segmentation_to_rle, track_areas_and_boxes
from .coarse import coarse_polygons
from .shapes import CATEGORIES, EXTENTS, Pose, draw_mask
from .textures import free_textured_image, textured_image

SPLITS = ('train', 'val', 'test')
# 48 training videos: with 16 the tiny demo model overfits them (toy val tube IoU of its
# coarse masks falls from 0.39 to 0.30 between 900 and 1800 iterations; 0.44 with 48).
DEFAULT_NUM_VIDEOS = {'train': 48, 'val': 4, 'test': 4}
DEFAULT_NUM_FRAMES = 10
FRAME_HEIGHT, FRAME_WIDTH = 128, 192
JPEG_QUALITY = 95

_TEXTURE_SIZE = 96  # object textures are drawn in the object's frame, then warped with it
_PAN_MARGIN = 12  # the background is this much larger on every side, for the camera pan
_NOISE_SIGMA = 2.5  # per-frame sensor noise, grey levels
_CROSSING_PROB = 0.25  # chance that an object enters or leaves the image during the video
_HALO_PROB = 0.5  # chance that an object's coarse annotation has a boundary halo
# Entries the generator writes: ``overwrite`` only ever deletes a folder holding nothing else.
_OWN_ENTRIES = frozenset(SPLITS) | {'annotations'}


@dataclass
class VarietyLook:
    """How one video of the variety style looks (drawn by :meth:`sample`)."""
    background_grey: float
    background_amplitude: float
    noise_sigma: float
    jpeg_quality: int

    @staticmethod
    def sample(rng: np.random.Generator) -> 'VarietyLook':
        return VarietyLook(background_grey=float(rng.uniform(30, 225)),
                           background_amplitude=float(rng.uniform(4, 40)),
                           noise_sigma=float(rng.uniform(1, 6)),
                           jpeg_quality=int(rng.integers(70, 96)))

    def object_texture(self, rng: np.random.Generator) -> np.ndarray:
        """An object texture whose grey level differs from the background's by 12-90."""
        contrast = float(rng.uniform(12, 90))
        grey = self.background_grey + contrast * (1 if rng.random() < 0.5 else -1)
        if not 15 <= grey <= 240:
            grey = self.background_grey - (grey - self.background_grey)
        return free_textured_image(rng, _TEXTURE_SIZE, _TEXTURE_SIZE, float(np.clip(grey, 0, 255)),
                                   float(rng.uniform(4, 40)))

    @staticmethod
    def coarse_halo(rng: np.random.Generator) -> int:
        u = rng.random()
        return int(rng.integers(1, 7)) if u < 0.6 else (-int(rng.integers(1, 3)) if u < 0.75
                                                        else 0)


@dataclass
class _Track:
    """One object of a video: its motion, its look and how the coarse annotator treats it."""
    category_id: int
    start: np.ndarray  # (2,) body centre at frame 0, px
    velocity: np.ndarray  # (2,) px per frame
    angle: float  # heading at frame 0, rad
    turn: float  # rad per frame
    scale: float
    phase: float  # gait phase at frame 0, rad
    gait: float  # gait phase per frame, rad
    texture: np.ndarray  # (_TEXTURE_SIZE, _TEXTURE_SIZE, 3) float32
    tolerance: float  # approxPolyDP tolerance of the coarse polygons, px
    halo: int  # dilation of the coarse polygons, px

    def pose(self, t: int) -> Pose:
        cx, cy = self.start + t * self.velocity
        return Pose(float(cx), float(cy), self.angle + t * self.turn, self.scale,
                    self.phase + t * self.gait)


def _crossing_path(rng: np.random.Generator, num_frames: int,
                   radius: float) -> Tuple[np.ndarray, np.ndarray]:
    """Start and velocity of a body centre that enters the image or (reversed) leaves it.

    The object is wholly outside (its centre ``radius`` px beyond a border) for the first
    ``t_in >= 1`` frames of an entering path, or the last ones of a leaving path.
    """
    t_in = int(rng.integers(max(1, num_frames // 2), max(1, num_frames - 2) + 1))
    inward = np.array(((1, 0), (-1, 0), (0, 1), (0, -1))[rng.integers(4)], np.float64)
    along = np.array((-inward[1], inward[0]))
    size = np.array((FRAME_WIDTH, FRAME_HEIGHT), np.float64)
    # Where the centre is at t_in: half a radius inside the border, away from the corners.
    border = np.where(inward < 0, size, 0.0)
    spot = np.where(inward == 0, rng.uniform(0.25, 0.75) * size, border) + 0.5 * radius * inward
    speed = 1.5 * radius / t_in
    velocity = speed * (inward + rng.uniform(-0.3, 0.3) * along)
    start = spot - t_in * velocity
    if rng.random() < 0.5:
        start, velocity = start + (num_frames - 1) * velocity, -velocity
    return start, velocity


def _make_tracks(rng: np.random.Generator, num_frames: int, bright: bool,
                 force_crossing: bool,
                 look: Optional[VarietyLook] = None) -> Tuple[List[_Track], List[int]]:
    """The objects of one video and their depth order (track indices, back to front);
    ``look`` (variety style) replaces the brightness bands, scales and halos."""
    tracks: List[_Track] = []
    size = np.array((FRAME_WIDTH, FRAME_HEIGHT), np.float64)
    for k in range(int(rng.integers(1, 4))):
        category_id = int(rng.integers(1, len(CATEGORIES) + 1))
        scale = float(rng.uniform(1.2, 1.7) if look is None else rng.uniform(0.8, 2.2))
        crossing = num_frames > 1 and (
            (force_crossing and k == 0) or rng.random() < _CROSSING_PROB)
        if crossing:
            radius = EXTENTS[category_id] * scale + 3
            start, velocity = _crossing_path(rng, num_frames, radius)
        else:
            start = rng.uniform((0.15, 0.2), (0.85, 0.8)) * size
            direction = rng.uniform(0, 2 * np.pi)
            velocity = rng.uniform(1, 5) * np.array((np.cos(direction), np.sin(direction)))
            if tracks and rng.random() < 0.5:
                # Head for where the first object is mid-video, so that they overlap.
                meet = tracks[0].start + tracks[0].velocity * (num_frames - 1) / 2
                velocity = (meet - start) / max(1.0, (num_frames - 1) / 2)
                velocity *= min(1.0, 8.0 / max(1e-6, float(np.linalg.norm(velocity))))
        # Animals walk (or fly) roughly head first.
        heading = float(np.arctan2(velocity[1], velocity[0]) + rng.uniform(-0.4, 0.4))
        if look is None:
            texture = textured_image(rng, _TEXTURE_SIZE, _TEXTURE_SIZE, bright)
            tolerance = float(rng.uniform(1.5, 3))
            halo = int(rng.integers(2, 5)) if rng.random() < _HALO_PROB else 0
        else:
            texture = look.object_texture(rng)
            tolerance = float(rng.uniform(1, 4))
            halo = look.coarse_halo(rng)
        tracks.append(_Track(
            category_id=category_id, start=start, velocity=velocity,
            angle=heading, turn=float(rng.uniform(-0.1, 0.1)),
            scale=scale, phase=float(rng.uniform(0, 2 * np.pi)),
            gait=float(rng.uniform(0.6, 1.3)), texture=texture, tolerance=tolerance,
            halo=halo))
    return tracks, [int(i) for i in rng.permutation(len(tracks))]


def _render_video(rng: np.random.Generator, tracks: List[_Track], depth: List[int],
                  num_frames: int, bright: bool,
                  look: Optional[VarietyLook] = None) -> Tuple[List[np.ndarray], np.ndarray]:
    """Draw the frames and the exact visible masks.

    Returns:
        tuple: frames, a list of T (H, W, 3) uint8 BGR images, and the visible masks
        (N, T, H, W) bool of the tracks (a mask excludes what objects in front cover).
    """
    h, w, m = FRAME_HEIGHT, FRAME_WIDTH, _PAN_MARGIN
    if look is None:
        background = textured_image(rng, h + 2 * m, w + 2 * m, not bright)
    else:
        background = free_textured_image(rng, h + 2 * m, w + 2 * m, look.background_grey,
                                         look.background_amplitude)
    noise_sigma = _NOISE_SIGMA if look is None else look.noise_sigma
    offset = rng.uniform(0.3 * m, 1.7 * m, 2)
    pan = rng.uniform(-1.2, 1.2, 2)
    return draw_frames(rng, tracks, depth, background, (h, w), offset, pan, num_frames,
                       noise_sigma)


def draw_frames(rng: np.random.Generator, tracks: List[_Track], depth: List[int],
                background: np.ndarray, size: Tuple[int, int], offset: np.ndarray,
                pan: np.ndarray, num_frames: int,
                noise_sigma: float) -> Tuple[List[np.ndarray], np.ndarray]:
    """Frames and exact visible masks of textured animals over a panning background.

    Args:
        rng: Random generator (sensor noise).
        tracks: The objects; their textures are warped with their poses.
        depth: Track indices, back to front.
        background: (H + 2 m, W + 2 m, 3) float32 world, larger than the frame by a pan
            margin m on every side; frame t is its window at ``offset + t * pan`` (rounded,
            clipped to the world), so the background moves by ``-pan`` px per frame.
        size: (H, W) of the frames.
        offset: (2,) x, y of frame 0's window in the world.
        pan: (2,) x, y px per frame.
        num_frames: T.
        noise_sigma: Per-frame Gaussian sensor noise, grey levels.

    Returns:
        tuple: frames, a list of T (H, W, 3) uint8 BGR images, and the visible masks
        (N, T, H, W) bool of the tracks (a mask excludes what objects in front cover).
    """
    h, w = size
    limit = np.array((background.shape[1] - w, background.shape[0] - h))
    frames = []
    visible = np.zeros((len(tracks), num_frames, h, w), bool)
    for t in range(num_frames):
        x0, y0 = np.clip(np.round(offset + t * pan), 0, limit).astype(int)
        image = background[y0:y0 + h, x0:x0 + w].copy()
        covered = np.zeros((h, w), bool)
        for i in reversed(depth):  # front to back
            full = draw_mask(tracks[i].category_id, tracks[i].pose(t), h, w)
            visible[i, t] = full & ~covered
            covered |= full
        for i in depth:  # back to front, each over what is behind it
            pose = tracks[i].pose(t)
            cos, sin = np.cos(pose.angle) * pose.scale, np.sin(pose.angle) * pose.scale
            half = _TEXTURE_SIZE / 2
            warp = np.array([[cos, -sin, pose.cx - half * (cos - sin)],
                             [sin, cos, pose.cy - half * (sin + cos)]])
            fill = cv2.warpAffine(tracks[i].texture, warp, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT)
            image[visible[i, t]] = fill[visible[i, t]]
        image += rng.normal(0, noise_sigma, image.shape).astype(np.float32)
        frames.append(np.clip(np.round(image), 0, 255).astype(np.uint8))
    return frames, visible


def _annotate_track(visible: np.ndarray, tolerance: float, halo: int) -> Tuple[dict, dict]:
    """The hq and the coarse annotation fields of one track from its (T, H, W) masks, the
    coarse annotator's polygon tolerance and halo (see :func:`.coarse.coarse_polygons`)."""
    h, w = visible.shape[1:]
    hq_rles, coarse_rles, polygons = [], [], []
    for mask in visible:
        if not mask.any():
            hq_rles.append(None)
            coarse_rles.append(None)
            polygons.append(None)
            continue
        hq_rles.append(encode_mask(mask))
        polys = coarse_polygons(mask, tolerance=tolerance, halo=halo)
        polygons.append(polys)
        coarse_rles.append(segmentation_to_rle(polys, h, w))
    hq = dict(segmentations=hq_rles, **track_areas_and_boxes(hq_rles))
    coarse = dict(segmentations=polygons, **track_areas_and_boxes(coarse_rles))
    return hq, coarse


def _check_target(out: Path, overwrite: bool) -> None:
    """Refuse a non-empty ``out`` unless ``overwrite``, and then only our own dataset."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f'{out} exists and is not a folder; choose another --out')
    entries = set(os.listdir(out)) if out.is_dir() else set()
    if not entries:
        return
    if not overwrite:
        raise FileExistsError(
            f'{out} is not empty; pass overwrite=True (--force on the command line) to '
            'replace it with a new toy dataset')
    foreign = sorted(entries - _OWN_ENTRIES)
    if foreign:
        raise FileExistsError(
            f'{out} holds {foreign}, which the toy generator did not write; refusing to '
            f'delete it even with overwrite=True (expected only {sorted(_OWN_ENTRIES)})')


def _install(staging: Path, out: Path) -> None:
    """Move the finished ``staging`` folder to ``out``, replacing whatever was checked there."""
    if out.exists():
        old = out.with_name(f'.{out.name}.old-{os.getpid()}')
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old)
    else:
        os.replace(staging, out)


def _write_json(path: Path, content: dict) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(content, f, separators=(',', ':'))


def _write_split(root: Path, split: str, split_index: int, num_videos: int, num_frames: int,
                 seed: int, first_video_id: int, variety: bool = False) -> Dict[str, int]:
    """Render one split's videos under ``root`` and write its two annotation files."""
    videos, hq_anns, coarse_anns = [], [], []
    null_frames = 0
    for index in range(num_videos):
        rng = np.random.default_rng([seed, split_index, index])
        bright = bool(rng.random() < 0.5)
        look = VarietyLook.sample(rng) if variety else None
        tracks, depth = _make_tracks(rng, num_frames, bright, force_crossing=index == 0,
                                     look=look)
        frames, visible = _render_video(rng, tracks, depth, num_frames, bright, look)
        quality = JPEG_QUALITY if look is None else look.jpeg_quality
        video_id = first_video_id + index
        name = f'toy_{video_id:04d}'
        folder = root / split / 'JPEGImages' / name
        folder.mkdir(parents=True)
        for t, frame in enumerate(frames):
            cv2.imwrite(str(folder / f'{t:05d}.jpg'), frame,
                        [cv2.IMWRITE_JPEG_QUALITY, quality])
        videos.append(dict(id=video_id, width=FRAME_WIDTH, height=FRAME_HEIGHT,
                           length=num_frames,
                           file_names=[f'{name}/{t:05d}.jpg' for t in range(num_frames)]))
        for i in range(len(tracks)):
            if not visible[i].any():
                continue
            hq, coarse = _annotate_track(visible[i], tracks[i].tolerance, tracks[i].halo)
            common = dict(id=len(hq_anns) + 1, video_id=video_id,
                          category_id=tracks[i].category_id, iscrowd=0,
                          height=FRAME_HEIGHT, width=FRAME_WIDTH)
            hq_anns.append(dict(common, **hq))
            coarse_anns.append(dict(common, **coarse))
            null_frames += hq['areas'].count(None)
    for kind, anns in (('hq', hq_anns), ('coarse', coarse_anns)):
        info = dict(description=f'mmvmt toy video instance segmentation, {split} split, '
                    f'{kind} masks', version='1.0', seed=seed)
        _write_json(root / 'annotations' / f'{split}_{kind}.json',
                    dict(info=info, licenses=[], videos=videos, annotations=anns,
                         categories=[dict(c) for c in CATEGORIES]))
    return dict(videos=num_videos, frames=num_videos * num_frames, instances=len(hq_anns),
                null_frames=null_frames)


def make_toy_vis(out_dir: Union[str, Path] = 'data/toy_vis', *, seed: int = 0,
                 num_videos: Optional[Dict[str, int]] = None,
                 num_frames: int = DEFAULT_NUM_FRAMES, overwrite: bool = False,
                 verbose: bool = True, variety: bool = False) -> Dict[str, Dict[str, int]]:
    """Generate the toy video instance segmentation dataset.

    The dataset is built in a hidden sibling folder of ``out_dir`` and moved into place only
    when complete, so an interrupted run leaves no half dataset behind.

    Args:
        out_dir: Target folder; must be missing or empty unless ``overwrite``.
        seed: Everything random follows from it; the same seed gives identical files.
        num_videos: Videos per split, e.g. ``{'train': 2, 'val': 1, 'test': 1}``; splits
            left out get their default (train 48, val 4, test 4).
        num_frames: Frames per video.
        overwrite: Replace an existing toy dataset in ``out_dir``. Even then a folder that
            holds anything but ``train/ val/ test/ annotations/`` is refused.
        verbose: Print a summary.
        variety: Draw the variety style (module docstring) instead of the toy style.

    Returns:
        dict: per split, the numbers of ``videos``, ``frames``, ``instances`` (tracks) and
        ``null_frames`` (frames in which an instance is absent).

    Raises:
        FileExistsError: ``out_dir`` is not empty and ``overwrite`` is False, or it holds
            files that are not a toy dataset.
        ValueError: Bad ``num_videos`` or ``num_frames``.
    """
    sizes = dict(DEFAULT_NUM_VIDEOS)
    unknown = sorted(set(num_videos or {}) - set(SPLITS))
    if unknown:
        raise ValueError(f'num_videos has unknown splits {unknown}; expected some of {SPLITS}')
    sizes.update(num_videos or {})
    if any(int(n) != n or n < 0 for n in sizes.values()):
        raise ValueError(f'num_videos must be non-negative integers, got {sizes}')
    if int(num_frames) != num_frames or num_frames < 1:
        raise ValueError(f'num_frames must be a positive integer, got {num_frames!r}')
    out = Path(out_dir).resolve()  # follows a symlinked data folder to where the data goes
    _check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f'.{out.name}.partial-{os.getpid()}')
    shutil.rmtree(staging, ignore_errors=True)
    try:
        (staging / 'annotations').mkdir(parents=True)
        summary, first_video_id = {}, 1
        for split_index, split in enumerate(SPLITS):
            summary[split] = _write_split(staging, split, split_index, int(sizes[split]),
                                          int(num_frames), seed, first_video_id, variety)
            first_video_id += int(sizes[split])
        _install(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if verbose:
        print(f'Toy VIS dataset ({"variety" if variety else "toy"} style, seed {seed}) '
              f'written to {out}:')
        for split, s in summary.items():
            print(f'  {split:5s}: {s["videos"]} videos, {s["frames"]} frames, '
                  f'{s["instances"]} instances ({s["null_frames"]} null instance-frames)')
    return summary
