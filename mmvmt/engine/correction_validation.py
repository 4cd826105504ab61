"""How good a corrected annotation file is, and when more rounds stop helping.

The paper runs self-correction for four rounds "or fewer when the validation AP^B saturates".
Validation here means the Table 3 protocol on held-out videos that have exact masks: their
coarse annotations go through the same chain of corrections as the training videos (round k
corrects round k-1's validation file), and each round's file is scored against the exact
masks with the Tube-Boundary AP, every track a result with its own class and score 1 (crowd
tracks are ignore regions in the GT and are not results). The rule: stop after round k when
``AP^B(k) - AP^B(k-1) < min_delta``, where ``AP^B(0)`` is the uncorrected file's.
"""
from typing import List

import mmengine

from mmvmt.evaluation.functional import evaluate_tube_ap
from mmvmt.structures import segmentation_to_rle


def annotations_as_results(official: dict, segm_key: str = 'segmentations',
                           source: str = '<json>') -> List[dict]:
    """The non-crowd tracks of an annotation dict as YouTube-VIS results.

    Args:
        official (dict): Official YouTube-VIS-style annotations.
        segm_key (str): The mask key to read. Defaults to ``'segmentations'``.
        source (str): The file, for error messages.

    Returns:
        list[dict]: ``{video_id, category_id, score: 1.0, segmentations}`` per track,
        masks as compressed RLE (null where the track is absent).
    """
    sizes = {v['id']: (v['height'], v['width']) for v in official['videos']}
    results = []
    for ann in official.get('annotations') or []:
        if ann.get('iscrowd', 0):
            continue
        height, width = sizes[ann['video_id']]
        segms = [None if s is None else segmentation_to_rle(
            s, height, width, source, f'annotation {ann["id"]} frame {t}')
            for t, s in enumerate(ann[segm_key])]
        results.append(dict(video_id=ann['video_id'], category_id=ann['category_id'],
                            score=1.0, segmentations=segms))
    return results


def annotation_boundary_ap(ann_file: str, gt_ann_file: str, segm_key: str = 'segmentations',
                           use_refined_segm: bool = True) -> float:
    """Tube-Boundary AP of an annotation file's tracks against exact GT masks.

    Args:
        ann_file (str): The (coarse or corrected) annotation file.
        gt_ann_file (str): The exact annotations of the same videos.
        segm_key (str): The mask key of ``ann_file``. Defaults to ``'segmentations'``.
        use_refined_segm (bool): Read ``segmentations_refined`` of the GT where present
            (HQ-YTVIS). Defaults to True.

    Returns:
        float: AP^B in [0, 1].

    Raises:
        YTVISFormatError: If the GT is malformed or the tracks do not fit it (unknown
            video or category ids, wrong lengths).
        ValueError: If the GT has no track, so AP^B is undefined.
    """
    results = annotations_as_results(mmengine.load(ann_file, file_format='json'), segm_key,
                                     ann_file)
    ap = evaluate_tube_ap(gt_ann_file, results, iou_types=('boundary', ),
                          use_refined_segm=use_refined_segm,
                          results_source=ann_file)['boundary']['stats']['AP']
    if ap < 0:
        raise ValueError(f'{gt_ann_file}: AP^B of {ann_file} is undefined (the GT has no '
                         'track).')
    return ap


def ap_saturated(previous: float, current: float, min_delta: float) -> bool:
    """The paper's stopping rule: the round gained less than ``min_delta`` AP^B."""
    return current - previous < min_delta
