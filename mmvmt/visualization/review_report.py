"""A static report to review a correction track by track: what changed, where, how much.

For a coarse YouTube-VIS file and its correction (same videos and tracks, see
:func:`mmvmt.structures.check_same_tracks`), :func:`write_review_report` writes::

    <out>/index.html                 the page (:mod:`.review_page`), opens from disk
    <out>/data.js                    the tracks, sorted by how much the correction changed
    <out>/thumbs/<video id>/<track id>_<frame>.jpg
                                     one thumbnail per changed frame (written once)

Per track: pixels added and removed (summed over frames), the tube boundary IoU between
the coarse and the corrected masks (:func:`~mmvmt.evaluation.functional.tube_boundary_iou`,
band width of the video's diagonal as the metric has it), and the refiner's confidence
where the provenance gives one per track (a ``tracks`` list of ``{id, confidence}``; the
corrector's own provenance records the threshold every changed pixel passed, shown in the
page's header). Frames where the masks are equal get no thumbnail: there is nothing to
decide on them.

This module imports :mod:`mmvmt.engine` (hashes, provenance names), which imports the
visualizer: import it by its full name, ``mmvmt.visualization.review_report``.

Shape shorthand: H, W frame height and width; h the thumbnail height.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils
from mmengine.utils import ProgressBar

from mmvmt.engine.annotation_corrector import provenance_path
from mmvmt.engine.atomic_json import file_sha256
from mmvmt.evaluation.functional import tube_boundary_iou
from mmvmt.structures import boundary_width, check_same_tracks, frames_to_rles, load_json
from .drawing import draw_boundary, fill_mask
from .review_page import PAGE

COARSE_COLOR = (255, 160, 0)
CORRECTED_COLOR = (0, 200, 0)
REMOVED_COLOR = (230, 30, 60)
ADDED_COLOR = (0, 170, 255)


def review_thumbnail(image: np.ndarray, coarse: np.ndarray, corrected: np.ndarray,
                     height: int = 96) -> np.ndarray:
    """Coarse and corrected mask of one frame side by side, cropped around the object.

    Left: the coarse outline, the pixels the correction removed filled; right: the
    corrected outline, the pixels it added filled (colours of the module's constants).

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB frame.
        coarse (np.ndarray): (H, W) bool coarse mask.
        corrected (np.ndarray): (H, W) bool corrected mask; one of the two is not empty.
        height (int): Thumbnail height h. Defaults to 96.

    Returns:
        np.ndarray: (h, 2 w + 2, 3) uint8 RGB, w the crop's width at that height (at most
        3 h; the crop is squeezed beyond).
    """
    ys, xs = np.nonzero(coarse | corrected)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    margin = max(4, (max(y1 - y0, x1 - x0) + 3) // 4)
    y0, x0 = max(0, y0 - margin), max(0, x0 - margin)
    y1, x1 = min(image.shape[0], y1 + margin), min(image.shape[1], x1 + margin)
    width = int(min(3 * height, max(1, round((x1 - x0) * height / (y1 - y0)))))

    def fit(a: np.ndarray, interpolation: int) -> np.ndarray:
        return cv2.resize(np.ascontiguousarray(a[y0:y1, x0:x1]), (width, height),
                          interpolation=interpolation)

    crop = fit(image, cv2.INTER_AREA)
    # Masks resized as uint8 by nearest neighbour: they stay binary.
    c, f = (fit(m.astype(np.uint8), cv2.INTER_NEAREST).astype(bool) for m in (coarse,
                                                                                 corrected))
    left = draw_boundary(fill_mask(crop, c & ~f, REMOVED_COLOR, 0.7), c, COARSE_COLOR)
    right = draw_boundary(fill_mask(crop, f & ~c, ADDED_COLOR, 0.7), f, CORRECTED_COLOR)
    gap = np.full((height, 2, 3), 255, np.uint8)
    return np.concatenate([left, gap, right], axis=1)


def write_review_report(coarse_file: str, corrected_file: str, img_root: str, out_dir: str,
                        *, provenance_file: Optional[str] = None,
                        segm_key: str = 'segmentations', thumb_height: int = 96,
                        page_size: int = 50, progress: bool = True) -> dict:
    """Write the review report of a correction (module docstring).

    Args:
        coarse_file (str): The annotations before the correction; only read.
        corrected_file (str): The corrected annotations; only read.
        img_root (str): The folder the videos' ``file_names`` are relative to.
        out_dir (str): The report folder; must not hold a report (``index.html``).
        provenance_file (str, optional): The correction's provenance; defaults to the one
            beside ``corrected_file`` when it exists.
        segm_key (str): The mask key of both files. Defaults to ``'segmentations'``.
        thumb_height (int): Thumbnail height in pixels. Defaults to 96.
        page_size (int): Tracks per page. Defaults to 50.
        progress (bool): Show a progress bar over the tracks. Defaults to True.

    Returns:
        dict: ``tracks``, ``changed_tracks``, ``thumbnails`` (counts) and ``index`` (the
        page's path).

    Raises:
        YTVISFormatError: If a file breaks the format or the files have other tracks.
        FileNotFoundError: If a frame cannot be read.
        ValueError: If a frame's size is not its video's, or a video has no
            ``file_names``.
        FileExistsError: If ``out_dir`` holds a report.
    """
    if osp.exists(osp.join(out_dir, 'index.html')):
        raise FileExistsError(f'{out_dir} holds a report (index.html); write a new one into '
                              'another folder')
    coarse, corrected = load_json(coarse_file), load_json(corrected_file)
    before, after = check_same_tracks(coarse, corrected, coarse_file, corrected_file,
                                      segm_key)
    after = {t.id: t for t in after.tracks}
    if provenance_file is None and osp.isfile(provenance_path(corrected_file)):
        provenance_file = provenance_path(corrected_file)
    provenance = load_json(provenance_file) if provenance_file else {}
    confidence = {t['id']: t['confidence'] for t in provenance.get('tracks') or []
                  if isinstance(t, dict) and 'id' in t and 'confidence' in t}
    names = {c['id']: c['name'] for c in before.categories}
    videos = {v.id: _video_name(v.file_names, v.id) for v in before.videos.values()}
    rows, num_thumbs = [], 0
    bar = ProgressBar(len(before.tracks)) if progress else None
    for video_id, tracks in before.tracks_by_video().items():
        video = before.videos[video_id]
        if video.file_names is None:
            raise ValueError(f'{coarse_file}: {video.entry}: has no "file_names"; the report '
                             'needs the frames')
        frames = _FrameCache(img_root, video.file_names, video.height, video.width)
        for track in tracks:
            row, thumbs = _track_row(track, after[track.id], frames, video.height,
                                     video.width)
            row.update(video=videos[video_id], category=names[track.category_id],
                       confidence=confidence.get(track.id))
            folder = osp.join(out_dir, 'thumbs', str(video_id))
            os.makedirs(folder, exist_ok=True)
            for t, thumb in thumbs:
                cv2.imwrite(osp.join(folder, f'{track.id}_{t}.jpg'),
                            cv2.cvtColor(thumb, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, 85])
            num_thumbs += len(thumbs)
            rows.append(row)
            if bar is not None:
                bar.update()
    rows.sort(key=lambda r: (-(r['added'] + r['removed']), r['boundary_iou'], r['id']))
    for rank, row in enumerate(rows):
        row['rank'] = rank
    changed = sum(r['added'] + r['removed'] > 0 for r in rows)
    data = dict(
        page_size=page_size, coarse_sha256=file_sha256(coarse_file),
        corrected_sha256=file_sha256(corrected_file),
        meta=_meta(coarse_file, corrected_file, provenance_file, provenance, len(rows),
                   changed),
        videos=sorted(videos.items()), categories=sorted({r['category'] for r in rows}),
        tracks=rows)
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'data.js'), 'w') as f:
        # "</" would end the script element were the data ever inlined; escaping is free.
        f.write('window.REVIEW = ' + json.dumps(data).replace('</', '<\\/') + ';\n')
    index = osp.join(out_dir, 'index.html')
    with open(index, 'x') as f:
        f.write(_page())
    return dict(tracks=len(rows), changed_tracks=changed, thumbnails=num_thumbs, index=index)


def _page() -> str:
    """The page with its legend in the thumbnails' colours."""
    page = PAGE
    for token, color in (('@COARSE@', COARSE_COLOR), ('@CORRECTED@', CORRECTED_COLOR),
                         ('@REMOVED@', REMOVED_COLOR), ('@ADDED@', ADDED_COLOR)):
        page = page.replace(token, str(color))
    return page


def _track_row(coarse, corrected, frames: '_FrameCache', height: int,
               width: int) -> Tuple[dict, List[Tuple[int, np.ndarray]]]:
    """One track's row of ``data.js`` and the thumbnails of its changed frames."""
    c_rles, c_runs = frames_to_rles(coarse.segmentations, height, width, coarse.source,
                                    coarse.entry)
    f_rles, f_runs = frames_to_rles(corrected.segmentations, height, width,
                                    corrected.source, corrected.entry)
    present = [t for t, r in enumerate(c_rles) if r is not None]
    row = dict(id=coarse.id, video_id=coarse.video_id, added=0, removed=0, frames=[])
    thumbs = []
    if present:
        c_masks = mask_utils.decode([c_rles[t] for t in present]).astype(bool)
        f_masks = mask_utils.decode([f_rles[t] for t in present]).astype(bool)
        added = (f_masks & ~c_masks).sum((0, 1))
        removed = (c_masks & ~f_masks).sum((0, 1))
        for i, t in enumerate(present):
            if added[i] or removed[i]:
                row['frames'].append([t, int(added[i]), int(removed[i])])
                thumbs.append((t, review_thumbnail(frames[t], c_masks[..., i],
                                                   f_masks[..., i])))
        row['added'], row['removed'] = int(added.sum()), int(removed.sum())
    row['boundary_iou'] = float(tube_boundary_iou(
        [c_rles], [f_rles], boundary_width(height, width), dt_runs=[c_runs],
        gt_runs=[f_runs])[0, 0])
    return row, thumbs


class _FrameCache:
    """A video's frames as (H, W, 3) RGB, each read once when first asked for."""

    def __init__(self, img_root: str, file_names: List[str], height: int, width: int):
        self.paths = [osp.join(img_root, n) for n in file_names]
        self.size = (height, width)
        self.frames: Dict[int, np.ndarray] = {}

    def __getitem__(self, t: int) -> np.ndarray:
        if t not in self.frames:
            image = cv2.imread(self.paths[t], cv2.IMREAD_COLOR)
            if image is None:
                raise FileNotFoundError(f'{self.paths[t]}: missing or not an image (frame {t} '
                                        'of its video)')
            if image.shape[:2] != self.size:
                raise ValueError(f'{self.paths[t]}: is {image.shape[0]} x {image.shape[1]}; '
                                 f'its video is {self.size[0]} x {self.size[1]}')
            self.frames[t] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return self.frames[t]


def _video_name(file_names: Optional[List[str]], video_id: int) -> str:
    folder = osp.dirname(file_names[0]) if file_names else ''
    return f'{folder} ({video_id})' if folder else f'video {video_id}'


def _meta(coarse_file: str, corrected_file: str, provenance_file: Optional[str],
          provenance: dict, num_tracks: int, changed: int) -> str:
    text = (f'coarse: {coarse_file}; corrected: {corrected_file}; {changed} of {num_tracks} '
            'tracks changed')
    if provenance_file:
        text += f'; provenance: {provenance_file}'
    if provenance.get('conf_thr') is not None:
        remove = provenance.get('remove_thr')
        text += (f'; every changed pixel had refiner confidence > {provenance["conf_thr"]}' +
                 (f' (> {remove} to remove)' if remove is not None else ''))
    return text
