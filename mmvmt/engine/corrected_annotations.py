"""A corrected copy of an official YouTube-VIS-style annotation dict.

Everything of the input is kept: top-level keys (``info``, ``licenses``, ``videos``,
``categories``, anything else), the order of annotations, their ids, categories, crowd flags
and any field the correction does not touch. Only three per-frame lists of the corrected
annotations change: the masks (``segm_key``) become compressed RLE (``counts`` as str),
and ``areas`` / ``bboxes`` (x, y, w, h) are recomputed from them. Null frames (the object is
absent) stay null in all three. The input dict is not modified.
"""
from typing import Dict, List, Optional

from mmvmt.structures import to_json_rle, track_areas_and_boxes


def corrected_annotations(official: dict, rles_by_ann: Dict[int, List[Optional[dict]]],
                          segm_key: str = 'segmentations', source: str = '<json>') -> dict:
    """Copy ``official`` with the masks of the annotations in ``rles_by_ann`` replaced.

    Args:
        official (dict): The loaded input JSON (official YouTube-VIS layout).
        rles_by_ann (dict[int, list]): Annotation (track) id -> one compressed RLE per frame,
            None where the input frame is null. Annotations not listed are copied as is.
        segm_key (str): The annotations' mask key. Defaults to ``'segmentations'``.
        source (str): The input file, for error messages.

    Returns:
        dict: The corrected annotation dict, sharing untouched sub-objects with the input.

    Raises:
        ValueError: If an id is unknown, or a corrected track's null frames differ from the
            input's.
    """
    annotations = official.get('annotations') or []
    unknown = set(rles_by_ann) - {ann['id'] for ann in annotations}
    if unknown:
        raise ValueError(f'{source}: corrected masks given for annotation ids '
                         f'{sorted(unknown)} that the file does not have.')
    out_anns = []
    for ann in annotations:
        rles = rles_by_ann.get(ann['id'])
        if rles is None:
            out_anns.append(ann)
            continue
        segms = ann[segm_key]
        nulls_in = [s is None for s in segms]
        nulls_out = [r is None for r in rles]
        if nulls_in != nulls_out:
            raise ValueError(f'{source}: annotation {ann["id"]}: corrected masks must be null '
                             f'exactly where the input is null ({nulls_in}), got {nulls_out}.')
        segm_out = [None if r is None else to_json_rle(r) for r in rles]
        out_anns.append({**ann, segm_key: segm_out, **track_areas_and_boxes(rles)})
    out = dict(official)
    if 'annotations' in official:
        out['annotations'] = out_anns
    return out
