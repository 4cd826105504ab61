"""Reading and checking YouTube-VIS annotation and result files (2019 / 2021, OVIS, HQ-YTVIS).

Layouts (as released with YouTube-VIS; OVIS and HQ-YTVIS use the same)::

    annotations: {videos:      [{id, height, width, length and / or file_names[T]}],
                  categories:  [{id, name}],
                  annotations: [{id, video_id, category_id, iscrowd, segmentations[T],
                                 areas[T], bboxes[T], height, width}]}
    results:     [{video_id, category_id, score, segmentations[T]}]

A per-frame entry is null where the object is absent. :func:`read_ytvis_annotations` and
:func:`read_ytvis_results` check the structure (types, ids, references, lengths, numbers)
and raise :class:`YTVISFormatError` naming the file, the entry and what was expected. The
masks themselves are checked where they are decoded (:mod:`.segmentation`), one video at a
time, with the same error: the evaluation decodes videos in parallel and never holds a
dataset's masks at once.

Optional fields: ``annotations`` (absent in the ``valid`` / ``test`` files of YouTube-VIS),
``categories`` (a default class list may stand in), ``iscrowd`` (0), ``areas`` and
``bboxes`` (computed from the masks by whoever needs them), an annotation's ``height`` /
``width`` (when present they must be the video's).

Limits, so that no file makes a reader or the metric work out of proportion to its size
(a 237-byte file naming one 32768 x 32768 frame once took 5.3 GB and 33 s per frame): a
frame has at most :data:`MAX_FRAME_SIDE` pixels a side and :data:`MAX_FRAME_PIXELS` in all
(4096 x 4096, 4K video fits; every later step costs at most a fixed multiple of H x W per
present frame); ids fit in 64 bits (numpy holds them); ``file_names`` follow the rule of
:mod:`.frame_names` (relative, inside the image folder, no NUL).
"""
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .format_error import YTVISFormatError, json_kind, short_repr
from .frame_names import check_file_names

MAX_FRAME_SIDE = 2 ** 15
"""Largest frame height or width accepted (pycocotools counts pixels in 32 bits)."""

MAX_FRAME_PIXELS = 2 ** 24
"""Largest frame area H * W accepted (4096 x 4096). It bounds the work per frame, and it
keeps every RLE count within the 6 characters pycocotools parses as written
(:data:`~.rle.MAX_COUNT_DIGITS`, good for frames below 2**29 pixels)."""

_ID_RANGE = (-2 ** 63, 2 ** 63 - 1)  # int64, as the evaluation holds ids in numpy


@dataclass
class YTVISVideo:
    """A checked ``videos`` entry."""
    id: int
    height: int
    width: int
    length: int
    file_names: Optional[List[str]]
    entry: str


@dataclass
class YTVISTrack:
    """A checked ``annotations`` entry: one object through a video.

    ``segmentations`` holds the raw per-frame masks read from ``segm_key`` (checked when
    decoded: pass ``source`` and ``entry`` to :func:`~.segmentation.frames_to_rles`);
    ``areas`` and ``bboxes`` are None when the file has none.
    """
    id: int
    video_id: int
    category_id: int
    iscrowd: bool
    segm_key: str
    segmentations: List[Any]
    areas: Optional[List[Optional[float]]]
    bboxes: Optional[List[Optional[List[float]]]]
    source: str
    entry: str


@dataclass
class YTVISResult:
    """A checked results entry (its RLEs are checked when decoded, as a track's)."""
    video_id: int
    category_id: int
    score: float
    segmentations: List[Optional[dict]]
    source: str
    entry: str


@dataclass
class YTVISAnnotations:
    """A checked annotation file.

    Attributes:
        source (str): The file, for messages.
        videos (dict[int, YTVISVideo]): By id, in file order.
        categories (list[dict]): ``{id, name, ...}`` in file order (``name`` filled with the
            id where missing).
        tracks (list[YTVISTrack]): In file order.
    """
    source: str
    videos: Dict[int, YTVISVideo]
    categories: List[dict]
    tracks: List[YTVISTrack]

    def tracks_by_video(self) -> Dict[int, List[YTVISTrack]]:
        """The tracks grouped by video id, in file order."""
        out: Dict[int, List[YTVISTrack]] = defaultdict(list)
        for track in self.tracks:
            out[track.video_id].append(track)
        return dict(out)


def load_json(path_or_obj: Any, source: Optional[str] = None) -> Any:
    """Read a JSON file, or pass an already loaded object through.

    Args:
        path_or_obj (str | object): A path, or the loaded content.
        source (str, optional): Name for messages; defaults to the path.

    Returns:
        dict | list: The loaded content.

    Raises:
        YTVISFormatError: If the file is not valid UTF-8 JSON or holds neither an object nor
            a list (a string read back would be taken for a path).
        OSError: If it cannot be read.
    """
    if not isinstance(path_or_obj, str):
        return path_or_obj
    source = source or path_or_obj
    with open(path_or_obj, 'rb') as f:
        text = f.read()
    try:
        content = json.loads(text)
    except (ValueError, RecursionError) as e:
        # ValueError covers bad JSON, bad UTF-8 and integers too long to convert.
        raise YTVISFormatError(source, None, f'not a valid JSON file: {e}') from None
    if not isinstance(content, (dict, list)):
        raise YTVISFormatError(source, None, 'expected a JSON object or list, got '
                               f'{json_kind(content)}')
    return content


def read_ytvis_annotations(ann: Union[str, dict], source: Optional[str] = None,
                           segm_keys: Sequence[str] = ('segmentations', ),
                           default_classes: Optional[Sequence[str]] = None,
                           allow_outside_root: bool = False) -> YTVISAnnotations:
    """Read and check a YouTube-VIS annotation file.

    Args:
        ann (str | dict): The file, or its loaded content.
        source (str, optional): Name of the file for messages; defaults to ``ann`` when it
            is a path, else ``'annotations'``.
        segm_keys (Sequence[str]): Keys holding an annotation's masks; the first one whose
            value is not null wins (HQ-YTVIS: ``('segmentations_refined',
            'segmentations')``).
        default_classes (Sequence[str], optional): Names of category ids 1..K for a file
            without ``categories``.
        allow_outside_root (bool): Accept ``file_names`` that are absolute or have ``..``
            parts (see :mod:`.frame_names`); for a caller that opts in explicitly, e.g.
            ``YTVISFormatDataset(allow_outside_root=True)``. Defaults to False.

    Returns:
        YTVISAnnotations: The checked content.

    Raises:
        YTVISFormatError: On the first structural problem.
    """
    source, ann = _load(ann, source, 'annotations', dict, 'a JSON object with "videos", '
                        '"categories" and "annotations"')
    videos = _read_videos(_list(ann, 'videos', source, required=True), source,
                          inside_root=not allow_outside_root)
    categories = _list(ann, 'categories', source)
    if not categories:
        if default_classes is None:
            raise YTVISFormatError(source, 'categories', 'missing (or empty) and no default '
                                   'class list given')
        categories = [dict(id=i + 1, name=name) for i, name in enumerate(default_classes)]
    categories = _read_categories(categories, source)
    cat_ids = {c['id'] for c in categories}
    tracks = []
    seen: Dict[int, int] = {}
    for i, entry in enumerate(_list(ann, 'annotations', source)):
        where = f'annotations[{i}]'
        _require(entry, ('id', 'video_id', 'category_id'), source, where)
        track_id = _int(entry['id'], source, where, 'id', *_ID_RANGE)
        where = f'annotations[{i}] (id {track_id})'
        if track_id in seen:
            raise YTVISFormatError(source, where, f'duplicate annotation id (also '
                                   f'annotations[{seen[track_id]}])')
        seen[track_id] = i
        tracks.append(_read_track(entry, track_id, videos, cat_ids, segm_keys, source, where))
    return YTVISAnnotations(source=source, videos=videos, categories=categories,
                            tracks=tracks)


def read_ytvis_results(results: Union[str, list], annotations: YTVISAnnotations,
                       source: Optional[str] = None) -> List[YTVISResult]:
    """Read and check YouTube-VIS results against checked annotations.

    Args:
        results (str | list): The file, or its loaded content.
        annotations (YTVISAnnotations): The ground truth the results refer to.
        source (str, optional): Name of the file for messages; defaults to ``results`` when
            it is a path, else ``'results'``.

    Returns:
        list[YTVISResult]: The entries, in file order.

    Raises:
        YTVISFormatError: On the first structural problem.
    """
    source, results = _load(results, source, 'results', list, 'a JSON list of {video_id, '
                            'category_id, score, segmentations}')
    cat_ids = {c['id'] for c in annotations.categories}
    out = []
    for i, entry in enumerate(results):
        where = f'entry {i}'
        _require(entry, ('video_id', 'category_id', 'score', 'segmentations'), source, where)
        video = _known_video(entry, annotations.videos, source, where)
        category_id = _known_category(entry, cat_ids, source, where)
        score = finite_float(entry['score'])
        if score is None:
            raise YTVISFormatError(source, where, f'score must be a finite number, got '
                                   f'{short_repr(entry["score"])}')
        segms = _per_frame(entry, 'segmentations', video, source, where)
        for t, segm in enumerate(segms):
            if segm is not None and not isinstance(segm, dict):
                raise YTVISFormatError(source, f'{where} segmentations[{t}]', 'must be an '
                                       f'RLE dict or null, got {json_kind(segm)}')
        out.append(YTVISResult(video_id=video.id, category_id=category_id,
                               score=score, segmentations=segms, source=source,
                               entry=f'{where} segmentations'))
    return out


def _load(path_or_obj: Any, source: Optional[str], default_source: str, kind: type,
          layout: str) -> Tuple[str, Any]:
    source = source or (path_or_obj if isinstance(path_or_obj, str) else default_source)
    content = load_json(path_or_obj, source)
    if not isinstance(content, kind):
        raise YTVISFormatError(source, None, f'expected {layout}, got {json_kind(content)}')
    return source, content


def _read_videos(entries: list, source: str, inside_root: bool) -> Dict[int, YTVISVideo]:
    videos: Dict[int, YTVISVideo] = {}
    for i, entry in enumerate(entries):
        where = f'videos[{i}]'
        _require(entry, ('id', 'height', 'width'), source, where)
        video_id = _int(entry['id'], source, where, 'id', *_ID_RANGE)
        where = f'videos[{i}] (id {video_id})'
        if video_id in videos:
            raise YTVISFormatError(source, where, 'duplicate video id')
        height, width = (_int(entry[k], source, where, k, low=1, high=MAX_FRAME_SIDE)
                         for k in ('height', 'width'))
        if height * width > MAX_FRAME_PIXELS:
            raise YTVISFormatError(source, where, f'frames of {height} x {width} = '
                                   f'{height * width} pixels; at most {MAX_FRAME_PIXELS} '
                                   '(4096 x 4096) are accepted')
        names = entry.get('file_names')
        if names is not None:
            if not isinstance(names, list):
                raise YTVISFormatError(source, where, '"file_names" must be a list of frame '
                                       f'paths, got {json_kind(names)}')
            check_file_names(names, source, where, inside_root)
        if entry.get('length') is not None:
            length = _int(entry['length'], source, where, 'length', low=0)
            if names is not None and len(names) != length:
                raise YTVISFormatError(source, where, f'"length" is {length} but '
                                       f'"file_names" has {len(names)} entries')
        elif names is not None:
            length = len(names)
        else:
            raise YTVISFormatError(source, where, 'needs "length" or "file_names"')
        if length == 0:
            raise YTVISFormatError(source, where, 'has no frames; a video needs at least one')
        videos[video_id] = YTVISVideo(id=video_id, height=height, width=width, length=length,
                                      file_names=names, entry=where)
    return videos


def _read_categories(entries: list, source: str) -> List[dict]:
    categories, seen, names = [], set(), {}
    for i, entry in enumerate(entries):
        where = f'categories[{i}]'
        _require(entry, ('id', ), source, where)
        cat_id = _int(entry['id'], source, where, 'id', *_ID_RANGE)
        if cat_id in seen:
            raise YTVISFormatError(source, f'{where} (id {cat_id})', 'duplicate category id')
        name = entry.get('name', str(cat_id))
        if not isinstance(name, str):
            raise YTVISFormatError(source, f'{where} (id {cat_id})', 'name must be a string')
        if name in names:
            # Results, per-category tables and class selection go by name.
            raise YTVISFormatError(source, f'{where} (id {cat_id})', f'duplicate category '
                                   f'name {short_repr(name)} (also {names[name]}); expected '
                                   'one name per category')
        seen.add(cat_id)
        names[name] = f'{where} (id {cat_id})'
        categories.append(dict(entry, id=cat_id, name=name))
    return categories


def _read_track(entry: dict, track_id: int, videos: Dict[int, YTVISVideo], cat_ids: set,
                segm_keys: Sequence[str], source: str, where: str) -> YTVISTrack:
    video = _known_video(entry, videos, source, where)
    category_id = _known_category(entry, cat_ids, source, where)
    for key, size in (('height', video.height), ('width', video.width)):
        if key in entry and finite_float(entry[key]) != size:
            raise YTVISFormatError(source, where, f'{key} {short_repr(entry[key])} differs from '
                                   f'the {key} {size} of video {video.id}')
    iscrowd = entry.get('iscrowd', 0)
    if iscrowd not in (0, 1) or not isinstance(iscrowd, (int, float)):
        raise YTVISFormatError(source, where, f'iscrowd must be 0 or 1, got '
                               f'{short_repr(iscrowd)}')
    segm_key = next((k for k in segm_keys if entry.get(k) is not None), None)
    if segm_key is None:
        raise YTVISFormatError(source, where, f'has none of the mask keys {list(segm_keys)}')
    segms = _per_frame(entry, segm_key, video, source, where)
    for t, segm in enumerate(segms):
        if segm is not None and not isinstance(segm, (list, dict)):
            raise YTVISFormatError(source, f'{where} {segm_key}[{t}]', 'must be polygons, an '
                                   f'RLE dict or null, got {json_kind(segm)}')
    areas = bboxes = None
    if entry.get('areas') is not None:
        areas = _per_frame(entry, 'areas', video, source, where)
        for t, area in enumerate(areas):
            value = finite_float(area)
            if area is not None and (value is None or value < 0):
                raise YTVISFormatError(source, f'{where} areas[{t}]', 'must be a finite, '
                                       f'non-negative number or null, got {short_repr(area)}')
        areas = [finite_float(a) for a in areas]
    if entry.get('bboxes') is not None:
        bboxes = _per_frame(entry, 'bboxes', video, source, where)
        for t, box in enumerate(bboxes):
            if box is not None and not (isinstance(box, list) and len(box) == 4 and all(
                    finite_float(v) is not None for v in box)):
                raise YTVISFormatError(source, f'{where} bboxes[{t}]', 'must be [x, y, w, h] '
                                       f'(four finite numbers) or null, got {short_repr(box)}')
        bboxes = [None if b is None else [float(v) for v in b] for b in bboxes]
    return YTVISTrack(id=track_id, video_id=video.id,
                      category_id=category_id, iscrowd=bool(iscrowd), segm_key=segm_key,
                      segmentations=segms, areas=areas, bboxes=bboxes, source=source,
                      entry=f'{where} {segm_key}')


def _list(obj: dict, key: str, source: str, required: bool = False) -> list:
    value = obj.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise YTVISFormatError(source, key, f'must be a list, got {json_kind(value)}')
    return value


def _require(entry: Any, keys: Sequence[str], source: str, where: str) -> None:
    if not isinstance(entry, dict):
        raise YTVISFormatError(source, where, f'expected a JSON object, got {json_kind(entry)}')
    missing = [k for k in keys if k not in entry]
    if missing:
        raise YTVISFormatError(source, where, f'missing required key(s) {missing}')


def is_number(value: Any) -> bool:
    """Whether a JSON value is a number (``true`` / ``false`` are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite_float(value: Any) -> Optional[float]:
    """A JSON number as a finite float; None for anything else (NaN, inf, 1e400, "1")."""
    if not is_number(value):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def _int(value: Any, source: str, where: str, key: str, low: Optional[int] = None,
         high: Optional[int] = None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not (isinstance(value, int) and not isinstance(value, bool)):
        raise YTVISFormatError(source, where, f'{key} must be an integer, got '
                               f'{short_repr(value)}')
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f'>= {low}' if high is None else f'in [{low}, {high}]'
        raise YTVISFormatError(source, where, f'{key} must be {bounds}, got {short_repr(value)}')
    return value


def _known_video(entry: dict, videos: Dict[int, YTVISVideo], source: str,
                 where: str) -> YTVISVideo:
    video_id = entry['video_id']
    if not is_number(video_id) or video_id not in videos:
        raise YTVISFormatError(source, where, f'unknown video_id {short_repr(video_id)} (not '
                               'among the videos of the annotations)')
    return videos[video_id]


def _known_category(entry: dict, cat_ids: set, source: str, where: str) -> int:
    cat_id = entry['category_id']
    if not is_number(cat_id) or cat_id not in cat_ids:
        raise YTVISFormatError(source, where, f'unknown category_id {short_repr(cat_id)}; the '
                               f'annotations define {sorted(cat_ids)}')
    return int(cat_id)


def _per_frame(entry: dict, key: str, video: YTVISVideo, source: str, where: str) -> list:
    values = entry[key]
    if not isinstance(values, list):
        raise YTVISFormatError(source, where, f'"{key}" must be a list with one entry per '
                               f'frame, got {json_kind(values)}')
    if len(values) != video.length:
        raise YTVISFormatError(source, where, f'"{key}" has {len(values)} entries but video '
                               f'{video.id} has {video.length} frames')
    return values


