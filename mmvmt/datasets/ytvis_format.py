"""The official YouTube-VIS JSON (2019 / 2021, OVIS, HQ-YTVIS) turned into CocoVID, in memory.

mmdet 3.x's video datasets read CocoVID files (one ``images`` entry per frame, one
``annotations`` entry per object and frame), which mmdet makes with an offline converter that
it does not install. :func:`ytvis_to_cocovid` does that conversion on the loaded official JSON,
so users point a dataset at the file they downloaded. It also checks the file, because a
wrong entry otherwise surfaces as a shape error deep inside a training step.

The official layout (see ``../shared/FACTS.md``)::

    videos:      {id, width, height, length, file_names[T]}
    annotations: {id, video_id, category_id, iscrowd, areas[T], bboxes[T], segmentations[T]}
                 one entry per object track; per-frame entries are null where the object is
                 absent; a segmentation is a polygon list, an uncompressed or compressed RLE.
    categories:  {id, name, supercategory}

The CocoVID dict returned here has the fields of mmdet's ``youtubevis2coco.py`` output
(``videos``, ``images``, ``annotations`` with ``instance_id``, ``categories``), with two
differences: ``instance_id`` is the official annotation (track) id, kept as is, and a
frame's ``bbox`` / ``area`` are computed from its mask when the file gives none or when the
mask comes from another key than ``segmentations`` (whose boxes the file's ``bboxes`` /
``areas`` are).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import pycocotools.mask as mask_utils

from mmvmt.evaluation.functional.rle import to_compressed_rle


class YTVISFormatError(ValueError):
    """An official YouTube-VIS-style annotation file that breaks the format."""


def _err(source: str, entry: str, problem: str) -> YTVISFormatError:
    return YTVISFormatError(f'{source}: {entry}: {problem}')


def segmentation_to_rle(segm, height: int, width: int, source: str = '<json>',
                        entry: str = 'segmentation') -> dict:
    """Turn one frame's segmentation into a compressed RLE, checking its size.

    Args:
        segm (list | dict): Polygons ``[[x1, y1, x2, y2, ...], ...]``, an uncompressed RLE
            ``{'size': [h, w], 'counts': [int, ...]}`` or a compressed RLE
            ``{'size': [h, w], 'counts': str | bytes}``.
        height (int): Frame height H the mask must have.
        width (int): Frame width W the mask must have.
        source (str): The file, for error messages.
        entry (str): The entry, for error messages.

    Returns:
        dict: Compressed RLE with ``size == [H, W]`` and ``counts`` as ``str``.

    Raises:
        YTVISFormatError: If :func:`mmvmt.evaluation.functional.to_compressed_rle` rejects
            it: the RLE's size is not (H, W), its counts (compressed or not) do not cover
            H * W pixels or are malformed, a polygon is not numeric, or the segmentation is
            of none of the three kinds.
    """
    if isinstance(segm, list):
        # As mmdet's LoadAnnotations: polygons of fewer than 3 points (or an odd number of
        # coordinates) are dropped; a frame with none left is an empty mask.
        segm = [p for p in segm
                if not (isinstance(p, (list, tuple)) and (len(p) < 6 or len(p) % 2))]
        if not segm:
            rle = mask_utils.encode(np.zeros((height, width), dtype=np.uint8, order='F'))
            return dict(size=[height, width], counts=rle['counts'].decode('ascii'))
    try:
        rle, _ = to_compressed_rle(segm, height, width)
    except ValueError as e:
        raise _err(source, entry, str(e)) from None
    counts = rle['counts']
    return dict(size=[height, width],
                counts=counts.decode('ascii') if isinstance(counts, bytes) else counts)


def _check_unique(items: Sequence[dict], what: str, source: str) -> None:
    seen = set()
    for i, item in enumerate(items):
        if 'id' not in item:
            raise _err(source, f'{what}[{i}]', 'has no "id"')
        if item['id'] in seen:
            raise _err(source, f'{what}[{i}] (id {item["id"]})', f'duplicate {what} id')
        seen.add(item['id'])


def ytvis_to_cocovid(official: dict, source: str = '<json>',
                     segm_keys: Sequence[str] = ('segmentations', ),
                     default_classes: Optional[Sequence[str]] = None) -> Dict[str, List[dict]]:
    """Convert an official YouTube-VIS-style annotation dict to CocoVID, checking it.

    Args:
        official (dict): The loaded JSON. ``annotations`` may be missing or null (the
            ``valid`` / ``test`` files of YouTube-VIS).
        source (str): Name of the file, used in error messages.
        segm_keys (Sequence[str]): Annotation keys to read masks from, the first present
            wins (HQ-YTVIS passes ``('segmentations_refined', 'segmentations')``).
        default_classes (Sequence[str], optional): Class names with ids 1..K, used when the
            file has no ``categories``.

    Returns:
        dict: ``categories``, ``videos`` ({id, name, width, height, length}), ``images``
        ({id, video_id, frame_id, file_name, height, width}, ids 1..F in video order) and
        ``annotations`` ({id, video_id, image_id, category_id, instance_id, bbox (x, y, w, h),
        area, segmentation (compressed RLE), iscrowd}); the last one empty when the file
        has no annotations.

    Raises:
        YTVISFormatError: On duplicate ids, an unknown video or category id, per-frame lists
            whose length differs from the video's, masks of the wrong size.
    """
    videos = official.get('videos')
    if not isinstance(videos, list):
        raise _err(source, 'videos', 'missing or not a list')
    categories = official.get('categories')
    if not categories:
        if default_classes is None:
            raise _err(source, 'categories', 'missing and no default class list given')
        categories = [dict(id=i + 1, name=n) for i, n in enumerate(default_classes)]
    _check_unique(categories, 'categories', source)
    _check_unique(videos, 'videos', source)
    annotations = official.get('annotations') or []
    _check_unique(annotations, 'annotations', source)
    cat_ids = {c['id'] for c in categories}

    out = dict(categories=[dict(c) for c in categories], videos=[], images=[],
               annotations=[])
    video_by_id = {}
    frame_image_ids = {}
    for v_idx, video in enumerate(videos):
        entry = f'videos[{v_idx}] (id {video["id"]})'
        for key in ('width', 'height', 'file_names'):
            if key not in video:
                raise _err(source, entry, f'has no "{key}"')
        file_names = video['file_names']
        if 'length' in video and video['length'] != len(file_names):
            raise _err(source, entry, f'"length" is {video["length"]} but "file_names" has '
                       f'{len(file_names)} entries')
        name = file_names[0].split('/')[0] if file_names else str(video['id'])
        out['videos'].append(dict(id=video['id'], name=name, width=video['width'],
                                  height=video['height'], length=len(file_names)))
        video_by_id[video['id']] = video
        ids = []
        for frame_id, file_name in enumerate(file_names):
            image_id = len(out['images']) + 1
            out['images'].append(dict(id=image_id, video_id=video['id'], frame_id=frame_id,
                                      file_name=file_name, height=video['height'],
                                      width=video['width']))
            ids.append(image_id)
        frame_image_ids[video['id']] = ids

    for a_idx, ann in enumerate(annotations):
        entry = f'annotations[{a_idx}] (id {ann["id"]})'
        video = video_by_id.get(ann.get('video_id'))
        if video is None:
            raise _err(source, entry, f'unknown video_id {ann.get("video_id")}')
        if ann.get('category_id') not in cat_ids:
            raise _err(source, entry, f'unknown category_id {ann.get("category_id")}; the '
                       f'file defines {sorted(cat_ids)}')
        h, w, length = video['height'], video['width'], len(video['file_names'])
        if (ann.get('height', h), ann.get('width', w)) != (h, w):
            raise _err(source, entry, f'height/width {ann.get("height")}x{ann.get("width")} '
                       f'differ from video {video["id"]} ({h}x{w})')
        segm_key = next((k for k in segm_keys if ann.get(k) is not None), None)
        if segm_key is None:
            raise _err(source, entry, f'has none of the mask keys {list(segm_keys)}')
        per_frame = {k: ann.get(k) for k in (segm_key, 'bboxes', 'areas')}
        for key, values in per_frame.items():
            if values is not None and len(values) != length:
                raise _err(source, entry, f'"{key}" has {len(values)} entries but video '
                           f'{video["id"]} has {length} frames')
        # The file's bboxes / areas describe its coarse "segmentations"; a mask read from
        # another key (HQ-YTVIS's "segmentations_refined") gets them from its own RLE.
        from_file = segm_key == 'segmentations'
        bboxes = (from_file and per_frame['bboxes']) or [None] * length
        areas = (from_file and per_frame['areas']) or [None] * length
        for frame_id, segm in enumerate(per_frame[segm_key]):
            if segm is None:
                continue
            rle = segmentation_to_rle(segm, h, w, source, f'{entry} {segm_key}[{frame_id}]')
            bbox = bboxes[frame_id]
            bbox = list(bbox) if bbox is not None else mask_utils.toBbox(rle).tolist()
            area = areas[frame_id]
            area = area if area is not None else float(mask_utils.area(rle))
            out['annotations'].append(dict(
                id=len(out['annotations']) + 1, video_id=video['id'],
                image_id=frame_image_ids[video['id']][frame_id],
                category_id=ann['category_id'], instance_id=ann['id'], bbox=bbox,
                area=area, segmentation=rle, iscrowd=int(ann.get('iscrowd', 0))))
    return out
