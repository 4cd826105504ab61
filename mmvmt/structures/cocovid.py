"""The official YouTube-VIS JSON (2019 / 2021, OVIS, HQ-YTVIS) turned into CocoVID, in memory.

mmdet 3.x's video datasets read CocoVID files (one ``images`` entry per frame, one
``annotations`` entry per object and frame), which mmdet makes with an offline converter that
it does not install. :func:`ytvis_to_cocovid` does that conversion on the loaded official JSON,
so users point a dataset at the file they downloaded, and checks every entry and mask on the
way (:mod:`.ytvis`, :mod:`.segmentation`): a wrong entry otherwise surfaces as a shape error
deep inside a training step.

The CocoVID dict returned here has the fields of mmdet's ``youtubevis2coco.py`` output
(``videos``, ``images``, ``annotations`` with ``instance_id``, ``categories``), with two
differences: ``instance_id`` is the official annotation (track) id, kept as is, and a
frame's ``bbox`` / ``area`` are computed from its mask when the file gives none or when the
mask comes from another key than ``segmentations`` (whose boxes the file's ``bboxes`` /
``areas`` are).
"""
from typing import Dict, List, Optional, Sequence

import pycocotools.mask as mask_utils

from .format_error import YTVISFormatError
from .segmentation import segmentation_to_rle
from .ytvis import read_ytvis_annotations


def ytvis_to_cocovid(official: dict, source: str = '<json>',
                     segm_keys: Sequence[str] = ('segmentations', ),
                     default_classes: Optional[Sequence[str]] = None,
                     allow_outside_root: bool = False) -> Dict[str, List[dict]]:
    """Convert an official YouTube-VIS-style annotation dict to CocoVID, checking it.

    Args:
        official (dict): The loaded JSON. ``annotations`` may be missing or null (the
            ``valid`` / ``test`` files of YouTube-VIS); every video needs ``file_names``.
        source (str): Name of the file, used in error messages.
        segm_keys (Sequence[str]): Annotation keys to read masks from, the first present
            wins (HQ-YTVIS passes ``('segmentations_refined', 'segmentations')``).
        default_classes (Sequence[str], optional): Class names with ids 1..K, used when the
            file has no ``categories``.
        allow_outside_root (bool): Accept ``file_names`` leading outside the image folder
            (see :func:`~.ytvis.read_ytvis_annotations`). Defaults to False.

    Returns:
        dict: ``categories``, ``videos`` ({id, name, width, height, length}), ``images``
        ({id, video_id, frame_id, file_name, height, width}, ids 1..F in video order) and
        ``annotations`` ({id, video_id, image_id, category_id, instance_id, bbox (x, y, w, h),
        area, segmentation (compressed RLE, str counts), iscrowd}); the last one empty when
        the file has no annotations.

    Raises:
        YTVISFormatError: On any entry or mask that breaks the format.
    """
    if not isinstance(official, dict):  # a str would be taken for a path
        raise YTVISFormatError(source, None, 'expected a JSON object with "videos", '
                               f'"categories" and "annotations", got {type(official).__name__}')
    checked = read_ytvis_annotations(official, source, segm_keys, default_classes,
                                     allow_outside_root)
    out = dict(categories=checked.categories, videos=[], images=[], annotations=[])
    frame_image_ids = {}
    for video in checked.videos.values():
        if video.file_names is None:
            raise YTVISFormatError(source, video.entry, 'has no "file_names"; a dataset needs '
                                   'the frame files')
        out['videos'].append(dict(id=video.id, name=video.file_names[0].split('/')[0],
                                  width=video.width, height=video.height,
                                  length=video.length))
        ids = []
        for frame_id, file_name in enumerate(video.file_names):
            image_id = len(out['images']) + 1
            out['images'].append(dict(id=image_id, video_id=video.id, frame_id=frame_id,
                                      file_name=file_name, height=video.height,
                                      width=video.width))
            ids.append(image_id)
        frame_image_ids[video.id] = ids

    for track in checked.tracks:
        video = checked.videos[track.video_id]
        # The file's bboxes / areas describe its coarse "segmentations"; a mask read from
        # another key (HQ-YTVIS's "segmentations_refined") gets them from its own RLE.
        from_file = track.segm_key == 'segmentations'
        bboxes = (from_file and track.bboxes) or [None] * video.length
        areas = (from_file and track.areas) or [None] * video.length
        for frame_id, segm in enumerate(track.segmentations):
            if segm is None:
                continue
            rle = segmentation_to_rle(segm, video.height, video.width, source,
                                      f'{track.entry}[{frame_id}]')
            bbox = bboxes[frame_id]
            area = areas[frame_id]
            out['annotations'].append(dict(
                id=len(out['annotations']) + 1, video_id=video.id,
                image_id=frame_image_ids[video.id][frame_id],
                category_id=track.category_id, instance_id=track.id,
                bbox=bbox if bbox is not None else mask_utils.toBbox(rle).tolist(),
                area=area if area is not None else float(mask_utils.area(rle)),
                segmentation=rle, iscrowd=int(track.iscrowd)))
    return out
