"""Checked YouTube-VIS ground truth and results, grouped into one evaluation task per video.

Layouts (see ``../shared/FACTS.md``)::

    GT:      {videos: [{id, height, width, length | file_names}],
              categories: [{id, name}],
              annotations: [{id, video_id, category_id, iscrowd, areas[T], segmentations[T]}]}
    results: [{video_id, category_id, score, segmentations[T]}]

A per-frame entry is null where the object is absent. This module checks the structure
(keys, types, ids, lengths, scores) and raises :class:`YTVISInputError` naming the file, the
entry and the problem. The content of each mask (RLE size and run lengths, polygons) is
checked where it is decoded, in the per-video evaluation, with the same kind of message.
"""
import json
import math
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np


class YTVISInputError(ValueError):
    """A ground-truth or result entry that breaks the YouTube-VIS format."""


def load_json(path_or_obj: Union[str, Any], what: str) -> Any:
    """Read a JSON file, or pass an already loaded object through.

    Args:
        path_or_obj (str | object): A path, or the loaded content.
        what (str): 'ground truth' or 'results', for the error message.

    Returns:
        The loaded content.
    """
    if not isinstance(path_or_obj, str):
        return path_or_obj
    try:
        with open(path_or_obj) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise YTVISInputError(f'{path_or_obj}: the {what} file is not valid JSON: {e}') \
            from None


def load_ground_truth(gt: Union[str, dict], use_refined_segm: bool = False,
                      source: Optional[str] = None) -> dict:
    """Check a YouTube-VIS ground-truth dict and index it.

    Args:
        gt (str | dict): The file, or its loaded content.
        use_refined_segm (bool): Read ``segmentations_refined`` where an annotation has it
            (as HQ-YTVIS' loaders do). Defaults to False.
        source (str, optional): Name of the file for messages; defaults to ``gt`` when it
            is a path, else 'ground truth'.

    Returns:
        dict: ``videos`` {id: {height, width, length}}, ``categories`` [{id, name}] sorted by
        id, ``annotations`` {video id: [{id, category_id, iscrowd, areas, segmentations,
        origin}]} in file order.

    Raises:
        YTVISInputError: On a structural problem.
    """
    source = source or (gt if isinstance(gt, str) else 'ground truth')
    gt = load_json(gt, 'ground truth')
    if not isinstance(gt, dict):
        raise YTVISInputError(f'{source}: the ground truth must be a JSON object with '
                              f'"videos", "annotations" and "categories"')
    for key in ('videos', 'annotations', 'categories'):
        if not isinstance(gt.get(key), list):
            raise YTVISInputError(f'{source}: the ground truth needs a list "{key}"')

    videos: Dict[int, dict] = {}
    for i, video in enumerate(gt['videos']):
        where = f'{source}: videos[{i}]'
        _require(video, ('id', 'height', 'width'), where)
        vid = _int(video['id'], where, 'id')
        if vid in videos:
            raise YTVISInputError(f'{where}: duplicate video id {vid}')
        height = _int(video['height'], where, 'height', positive=True)
        width = _int(video['width'], where, 'width', positive=True)
        videos[vid] = dict(height=height, width=width, length=_video_length(video, where))

    categories = {}
    for i, cat in enumerate(gt['categories']):
        where = f'{source}: categories[{i}]'
        _require(cat, ('id', ), where)
        cid = _int(cat['id'], where, 'id')
        if cid in categories:
            raise YTVISInputError(f'{where}: duplicate category id {cid}')
        categories[cid] = dict(id=cid, name=str(cat.get('name', cid)))

    annotations: Dict[int, List[dict]] = defaultdict(list)
    seen_ids: Dict[int, int] = {}
    for i, ann in enumerate(gt['annotations']):
        where = f'{source}: annotations[{i}]'
        _require(ann, ('id', 'video_id', 'category_id', 'segmentations', 'areas'), where)
        aid = _int(ann['id'], where, 'id')
        if aid in seen_ids:
            raise YTVISInputError(f'{where}: duplicate annotation id {aid} (also '
                                  f'annotations[{seen_ids[aid]}])')
        seen_ids[aid] = i
        video = _known_video(ann, videos, where)
        cid = _known_category(ann, categories, where)
        key = 'segmentations_refined' if (use_refined_segm
                                          and 'segmentations_refined' in ann) else 'segmentations'
        segms = _frames(ann[key], video['length'], where, key)
        areas = _frames(ann['areas'], video['length'], where, 'areas')
        for t, area in enumerate(areas):
            if area is not None and not _is_number(area, allow_negative=False):
                raise YTVISInputError(f'{where}: areas[{t}] must be a non-negative number or '
                                      f'null, got {area!r}')
        iscrowd = ann.get('iscrowd', 0)
        if not _is_number(iscrowd, allow_negative=False) and not isinstance(iscrowd, bool):
            raise YTVISInputError(f'{where}: iscrowd must be 0 or 1, got {iscrowd!r}')
        annotations[int(ann['video_id'])].append(
            dict(id=aid, category_id=cid, iscrowd=bool(iscrowd),
                 areas=[float(a) if a is not None else None for a in areas],
                 segmentations=segms, origin=f'{where} (id {aid}) {key}'))
    return dict(videos=videos, categories=sorted(categories.values(), key=lambda c: c['id']),
                annotations=dict(annotations))


def load_results(results: Union[str, list], gt: dict,
                 source: Optional[str] = None) -> Dict[int, List[dict]]:
    """Check YouTube-VIS results against indexed ground truth and group them by video.

    Args:
        results (str | list): The file, or its loaded content.
        gt (dict): Output of :func:`load_ground_truth`.
        source (str, optional): Name of the file for messages.

    Returns:
        dict: {video id: [{category_id, score, segmentations, origin}]} in file order.

    Raises:
        YTVISInputError: On a structural problem.
    """
    source = source or (results if isinstance(results, str) else 'results')
    results = load_json(results, 'results')
    if not isinstance(results, list):
        raise YTVISInputError(f'{source}: the results must be a JSON list of '
                              f'{{video_id, category_id, score, segmentations}}')
    categories = {c['id']: c for c in gt['categories']}
    per_video: Dict[int, List[dict]] = defaultdict(list)
    for i, res in enumerate(results):
        where = f'{source}: entry {i}'
        _require(res, ('video_id', 'category_id', 'score', 'segmentations'), where)
        video = _known_video(res, gt['videos'], where)
        cid = _known_category(res, categories, where)
        score = res['score']
        if not _is_number(score) or not math.isfinite(float(score)):
            raise YTVISInputError(f'{where}: score must be a finite number, got {score!r}')
        segms = _frames(res['segmentations'], video['length'], where, 'segmentations')
        for t, segm in enumerate(segms):
            if segm is not None and not isinstance(segm, dict):
                raise YTVISInputError(f'{where}: segmentations[{t}] must be an RLE dict or '
                                      f'null, got {type(segm).__name__}')
        per_video[int(res['video_id'])].append(
            dict(category_id=cid, score=float(score), segmentations=segms,
                 origin=f'{where} segmentations'))
    return dict(per_video)


def video_tasks(gt: dict, results: Dict[int, List[dict]]) -> List[dict]:
    """One evaluation task per GT video, in ascending video id (the API's order).

    Args:
        gt (dict): Output of :func:`load_ground_truth`.
        results (dict): Output of :func:`load_results`.

    Returns:
        list[dict]: ``video_id``, ``height``, ``width``, ``length``, ``gt`` and
        ``results`` (the entries of that video).
    """
    return [dict(video_id=vid, **gt['videos'][vid], gt=gt['annotations'].get(vid, []),
                 results=results.get(vid, [])) for vid in sorted(gt['videos'])]


def _require(entry: Any, keys: Sequence[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise YTVISInputError(f'{where}: expected a JSON object, got {type(entry).__name__}')
    missing = [k for k in keys if k not in entry]
    if missing:
        raise YTVISInputError(f'{where}: missing required key(s) {missing}')


def _is_number(value: Any, allow_negative: bool = True) -> bool:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return False
    return allow_negative or float(value) >= 0


def _int(value: Any, where: str, key: str, positive: bool = False) -> int:
    if not _is_number(value) or not math.isfinite(float(value)) \
            or float(value) != int(value):
        raise YTVISInputError(f'{where}: {key} must be an integer, got {value!r}')
    if positive and int(value) <= 0:
        raise YTVISInputError(f'{where}: {key} must be positive, got {value!r}')
    return int(value)


def _video_length(video: dict, where: str) -> int:
    names = video.get('file_names')
    if names is not None and not isinstance(names, list):
        raise YTVISInputError(f'{where}: file_names must be a list')
    if 'length' in video:
        length = _int(video['length'], where, 'length', positive=True)
        if names is not None and len(names) != length:
            raise YTVISInputError(f'{where}: length {length} differs from the '
                                  f'{len(names)} file_names')
        return length
    if names is None:
        raise YTVISInputError(f"{where}: missing required key(s) ['length' or 'file_names']")
    return len(names)


def _known_video(entry: dict, videos: Dict[int, dict], where: str) -> dict:
    vid = entry['video_id']
    if not _is_number(vid) or vid not in videos:
        raise YTVISInputError(f'{where}: unknown video_id {vid!r} (not in the ground truth '
                              f'videos)')
    return videos[vid]


def _known_category(entry: dict, categories: Dict[int, dict], where: str) -> int:
    cid = entry['category_id']
    if not _is_number(cid) or cid not in categories:
        raise YTVISInputError(f'{where}: unknown category_id {cid!r} (the ground truth has '
                              f'{sorted(categories)})')
    return int(cid)


def _frames(values: Any, length: int, where: str, key: str) -> list:
    if not isinstance(values, list):
        raise YTVISInputError(f'{where}: {key} must be a list with one entry per frame')
    if len(values) != length:
        raise YTVISInputError(f'{where}: {key} has {len(values)} entries, the video has '
                              f'{length} frames')
    return values
