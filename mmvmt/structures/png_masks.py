"""YouTube-VIS annotations as per-frame PNG masks of instance ids, and back, losslessly.

Mask editors (CVAT, Label Studio and the like) read and write one image of instance ids per
frame, not a YouTube-VIS file. The folder layout::

    <folder>/masks.json                 the index (below)
    <folder>/<video>/<frame>.png        one 16-bit grayscale PNG per frame of every video

A frame's PNG holds, per pixel, the *label* of the track there: 1, 2, ... numbered per
video in the file's order of its tracks, 0 for background. The PNG's name is the frame's
``file_names`` entry with its extension replaced by ``.png`` (``video_<id>/<t:05d>.png``
for a video given by ``length`` only).

One label per pixel: overlapping masks cannot be stored and are refused, naming the video,
the frame and the tracks (YouTube-VIS allows them; an id image does not).

``masks.json`` holds everything else of the annotation file, so that the way back restores
it::

    {"format": "mmvmt-png-masks", "version": 1, "segm_key": "segmentations",
     "dataset":  {every top-level key of the input but "annotations": videos, categories,
                  info, ...},
     "videos":   [{"video_id", "height", "width", "png_files": [T paths]}],
     "tracks":   [{"label", "video_id", "track_id", "category_id", "category",
                   "present": [T bools], "fields": {other keys of the annotation}}]}

``present`` tells a null frame (the object is absent) from a present frame whose mask is
empty, which a PNG cannot; on the way back a frame is present where ``present`` says so or
where its label has pixels (someone painted the object in). ``areas`` and ``bboxes`` are
recomputed from the masks (the masks may have been edited). Masks come back as compressed
RLE: a file whose masks are compressed RLE as pycocotools writes them comes back identical.

Shape shorthand: H, W frame height and width.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Union

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from .format_error import YTVISFormatError, json_kind, short_repr
from .frame_names import check_file_names
from .rle import encode_mask, track_areas_and_boxes
from .segmentation import frames_to_rles
from .ytvis import load_json, read_ytvis_annotations

INDEX_FILE = 'masks.json'
"""The index file's name inside a mask folder."""

FORMAT = 'mmvmt-png-masks'
VERSION = 1
MAX_LABEL = 2 ** 16 - 1
"""Most tracks a video may have (16-bit PNG)."""


def png_name(file_name: Optional[str], video_id: int, t: int) -> str:
    """The PNG path (relative to the folder) of frame ``t`` of a video."""
    if file_name is None:
        return f'video_{video_id}/{t:05d}.png'
    return osp.splitext(file_name)[0] + '.png'


def ytvis_to_png_masks(ann: Union[str, dict], out_dir: str, source: Optional[str] = None,
                       segm_key: str = 'segmentations') -> dict:
    """Write a YouTube-VIS annotation file as per-frame PNGs of instance ids.

    Args:
        ann (str | dict): The annotation file, or its loaded content.
        out_dir (str): The folder to write; must be missing or empty.
        source (str, optional): Name of the file for messages; defaults to ``ann`` when it
            is a path.
        segm_key (str): The annotations' mask key. Defaults to ``'segmentations'``.

    Returns:
        dict: The index written to ``<out_dir>/masks.json``.

    Raises:
        YTVISFormatError: If the file breaks the format, two tracks overlap in a frame, a
            video has more than :data:`MAX_LABEL` tracks or two frames share a PNG name.
        FileExistsError: If ``out_dir`` holds anything.
    """
    source = source or (ann if isinstance(ann, str) else 'annotations')
    official = load_json(ann, source)
    checked = read_ytvis_annotations(official, source, segm_keys=(segm_key, ))
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(f'{out_dir} is not empty; PNG masks are written into a new '
                              'or empty folder only')
    names = {c['id']: c['name'] for c in checked.categories}
    by_video = checked.tracks_by_video()
    index_videos, index_tracks, frames = [], [], {}
    taken: Dict[str, str] = {}
    raw_anns = {a['id']: a for a in official.get('annotations') or []}
    for video in checked.videos.values():
        tracks = by_video.get(video.id, [])
        if len(tracks) > MAX_LABEL:
            raise YTVISFormatError(source, video.entry, f'has {len(tracks)} tracks; a 16-bit '
                                   f'PNG holds at most {MAX_LABEL}')
        pngs = [png_name(None if video.file_names is None else video.file_names[t], video.id,
                         t) for t in range(video.length)]
        for t, name in enumerate(pngs):
            if name in taken:
                raise YTVISFormatError(source, f'{video.entry} frame {t}', f'its PNG {name} '
                                       f'is also the PNG of {taken[name]}; frames need '
                                       'distinct names up to the extension')
            taken[name] = f'{video.entry} frame {t}'
        labels = np.zeros((video.length, video.height, video.width), np.uint16)
        owner = np.zeros(labels.shape, np.int64)  # track id per labelled pixel, for messages
        for label, track in enumerate(tracks, 1):
            rles, _ = frames_to_rles(track.segmentations, video.height, video.width, source,
                                     track.entry)
            for t, rle in enumerate(rles):
                if rle is None:
                    continue
                mask = mask_utils.decode(rle).astype(bool)
                clash = mask & (labels[t] != 0)
                if clash.any():
                    others = sorted({int(i) for i in owner[t][clash]})
                    raise YTVISFormatError(source, f'{video.entry} frame {t}', f'tracks '
                                           f'{others} and {track.id} overlap in '
                                           f'{int(clash.sum())} pixels; a PNG of instance ids '
                                           'holds one track per pixel')
                labels[t][mask] = label
                owner[t][mask] = track.id
            raw = raw_anns[track.id]
            index_tracks.append(dict(
                label=label, video_id=video.id, track_id=track.id,
                category_id=track.category_id, category=names[track.category_id],
                present=[r is not None for r in rles],
                fields={k: v for k, v in raw.items()
                        if k not in ('id', 'video_id', 'category_id', segm_key, 'areas',
                                     'bboxes')}))
        for name, frame in zip(pngs, labels):
            frames[name] = frame
        index_videos.append(dict(video_id=video.id, height=video.height, width=video.width,
                                 png_files=pngs))
    index = dict(format=FORMAT, version=VERSION, segm_key=segm_key,
                 dataset={k: v for k, v in official.items() if k != 'annotations'},
                 videos=index_videos, tracks=index_tracks)
    for name, frame in frames.items():
        path = osp.join(out_dir, name)
        os.makedirs(osp.dirname(path), exist_ok=True)
        if not cv2.imwrite(path, frame):
            raise OSError(f'could not write {path}')
    with open(osp.join(out_dir, INDEX_FILE), 'x') as f:
        json.dump(index, f)
    return index


def png_masks_to_ytvis(folder: str) -> dict:
    """Read a folder written by :func:`ytvis_to_png_masks` (maybe edited) back to YouTube-VIS.

    Args:
        folder (str): The folder holding ``masks.json`` and the PNGs.

    Returns:
        dict: The annotation file: the index's ``dataset`` keys and ``annotations`` in the
        index's track order, masks as compressed RLE with ``areas`` and ``bboxes``.

    Raises:
        YTVISFormatError: Naming ``masks.json`` and the entry for a bad index, or the PNG
            for one that is missing, unreadable, of the wrong size or kind, or holds a label
            the index does not list for its video.
    """
    index_file = osp.join(folder, INDEX_FILE)
    if not osp.isfile(index_file):
        raise YTVISFormatError(index_file, None, 'missing; a PNG mask folder needs the index '
                               'written by ytvis_to_png_masks')
    index = load_json(index_file)
    _check_index(index, index_file)
    tracks_by_video: Dict[int, List[dict]] = {}
    for track in index['tracks']:
        tracks_by_video.setdefault(track['video_id'], []).append(track)
    rles_by_track: Dict[int, list] = {}
    for v, video in enumerate(index['videos']):
        where = f'videos[{v}] (video_id {video["video_id"]})'
        tracks = tracks_by_video.get(video['video_id'], [])
        known = {t['label'] for t in tracks}
        per_track = {t['track_id']: [] for t in tracks}
        for t, name in enumerate(video['png_files']):
            labels = read_label_png(osp.join(folder, name), video['height'], video['width'],
                                    f'{index_file} {where} png_files[{t}]')
            unknown = sorted(set(np.unique(labels).tolist()) - known - {0})
            if unknown:
                raise YTVISFormatError(osp.join(folder, name), None, f'holds label(s) '
                                       f'{unknown[:10]} that {INDEX_FILE} does not list for '
                                       f'video {video["video_id"]} (its labels: '
                                       f'{sorted(known)}; 0 is background)')
            for track in tracks:
                mask = labels == track['label']
                present = track['present'][t] or mask.any()
                per_track[track['track_id']].append(encode_mask(mask) if present else None)
        rles_by_track.update(per_track)
    segm_key = index['segm_key']
    annotations = []
    for track in index['tracks']:
        rles = rles_by_track[track['track_id']]
        annotations.append(dict(id=track['track_id'], video_id=track['video_id'],
                                category_id=track['category_id'], **track['fields'],
                                **{segm_key: rles}, **track_areas_and_boxes(rles)))
    out = dict(index['dataset'], annotations=annotations)
    read_ytvis_annotations(out, f'{index_file} (as YouTube-VIS)', segm_keys=(segm_key, ))
    return out


def read_label_png(path: str, height: int, width: int, listed_in: str) -> np.ndarray:
    """Read one PNG of instance ids.

    Args:
        path (str): The PNG.
        height (int): H it must have.
        width (int): W it must have.
        listed_in (str): Where the index names it, for the message of a missing file.

    Returns:
        np.ndarray: (H, W) integer labels.

    Raises:
        YTVISFormatError: If it is missing, unreadable, not single-channel 8 / 16-bit, or
            not H x W.
    """
    if not osp.isfile(path):
        raise YTVISFormatError(path, None, f'missing (listed in {listed_in})')
    labels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if labels is None:
        raise YTVISFormatError(path, None, 'not a readable image; expected a PNG of instance '
                               'ids')
    if labels.ndim != 2 or labels.dtype not in (np.uint8, np.uint16):
        raise YTVISFormatError(path, None, f'expected a single-channel 8- or 16-bit PNG of '
                               f'instance ids, got shape {labels.shape} of {labels.dtype}')
    if labels.shape != (height, width):
        raise YTVISFormatError(path, None, f'is {labels.shape[0]} x {labels.shape[1]} '
                               f'(H x W); its video is {height} x {width}')
    return labels


def _check_index(index: Any, source: str) -> None:
    """Check the structure of ``masks.json`` (module docstring), naming the entry."""
    if not isinstance(index, dict) or index.get('format') != FORMAT:
        raise YTVISFormatError(source, None, f'expected an object with "format": "{FORMAT}"')
    if index.get('version') != VERSION:
        raise YTVISFormatError(source, 'version', f'expected {VERSION}, got '
                               f'{short_repr(index.get("version"))}')
    for key, kind in (('segm_key', str), ('dataset', dict), ('videos', list),
                      ('tracks', list)):
        if not isinstance(index.get(key), kind):
            raise YTVISFormatError(source, key, f'must be a {kind.__name__}, got '
                                   f'{json_kind(index.get(key))}')
    lengths = {}
    for v, video in enumerate(index['videos']):
        where = f'videos[{v}]'
        _keys(video, ('video_id', 'height', 'width', 'png_files'), source, where)
        if not isinstance(video['png_files'], list):
            raise YTVISFormatError(source, where, '"png_files" must be a list')
        check_file_names(video['png_files'], source, where)
        lengths[video['video_id']] = len(video['png_files'])
    seen = set()
    for i, track in enumerate(index['tracks']):
        where = f'tracks[{i}]'
        _keys(track, ('label', 'video_id', 'track_id', 'category_id', 'present', 'fields'),
              source, where)
        key = (track['video_id'], track['label'])
        if track['video_id'] not in lengths:
            raise YTVISFormatError(source, where, f'unknown video_id '
                                   f'{short_repr(track["video_id"])}')
        if key in seen or not isinstance(track['label'], int) or \
                not 1 <= track['label'] <= MAX_LABEL:
            raise YTVISFormatError(source, where, f'label must be an integer in [1, '
                                   f'{MAX_LABEL}], one per track of a video, got '
                                   f'{short_repr(track["label"])}')
        seen.add(key)
        present = track['present']
        if not (isinstance(present, list) and len(present) == lengths[track['video_id']]
                and all(isinstance(p, bool) for p in present)):
            raise YTVISFormatError(source, where, f'"present" must be a list of '
                                   f'{lengths[track["video_id"]]} booleans (one per frame)')
        if not isinstance(track['fields'], dict):
            raise YTVISFormatError(source, where, '"fields" must be an object')


def _keys(entry: Any, keys: tuple, source: str, where: str) -> None:
    if not isinstance(entry, dict):
        raise YTVISFormatError(source, where, f'expected an object, got {json_kind(entry)}')
    missing = [k for k in keys if k not in entry]
    if missing:
        raise YTVISFormatError(source, where, f'missing key(s) {missing}')
