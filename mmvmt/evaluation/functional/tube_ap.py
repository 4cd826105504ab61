"""Tube-Boundary AP (AP^B) and tube mask AP (AP^M) of YouTube-VIS-format GT and results.

The semantics are those of the evaluator released with HQ-YTVIS (docs/metric.md): the
score of a (result, GT) pair is min(tube mask IoU, tube boundary IoU) for non-crowd GT and
the tube mask IoU for crowd GT (AP^B), or the tube mask IoU alone (AP^M); then COCO
matching and accumulation as in the YouTube-VIS API (``video_matching.py``,
``ap_accumulation.py``). The inputs are read and checked by :mod:`mmvmt.structures`.

Work is split by video, so memory holds one video's masks at a time and videos can be
evaluated by several processes. Within a video, only the pairs whose tube mask IoU reaches
the lowest IoU threshold get a boundary IoU: any pair below it is matched at no threshold,
whatever its exact score, so the numbers are unchanged.

Two documented differences from the released code, both where it fails: a result with a null
frame does not crash the boundary mode, and an empty result list gives AP = AR = 0 for the
categories with GT (the released API raises IndexError in ``loadRes``).
"""
import gc
import multiprocessing
import sys
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmvmt.structures import (YTVISAnnotations, YTVISResult, YTVISTrack, boundary_width,
                              frames_to_rles, read_ytvis_annotations, read_ytvis_results)
from .ap_accumulation import (AREA_RANGES, DEFAULT_MAX_DETS, IOU_THRESHOLDS, accumulate,
                              per_category_ap, summarize, summary_names)
from .tube_iou import track_areas, tube_boundary_iou, tube_mask_iou
from .video_matching import match_video

IOU_TYPES = ('boundary', 'segm')


def evaluate_tube_ap(gt: Union[str, dict],
                     results: Union[str, list],
                     *,
                     iou_types: Sequence[str] = IOU_TYPES,
                     boundary_ratio: float = 0.02,
                     max_dets: Sequence[int] = DEFAULT_MAX_DETS,
                     use_refined_segm: bool = True,
                     nproc: int = 1,
                     progress: bool = False,
                     gt_source: Optional[str] = None,
                     results_source: Optional[str] = None) -> Dict[str, dict]:
    """Evaluate YouTube-VIS-format results against ground truth.

    Args:
        gt (str | dict): GT file or its loaded content.
        results (str | list): Results file or its loaded content.
        iou_types (Sequence[str]): Any of 'boundary' (AP^B) and 'segm' (AP^M).
        boundary_ratio (float): Boundary band width as a fraction of the frame diagonal.
        max_dets (Sequence[int]): The three maxDets settings, ascending.
        use_refined_segm (bool): Read GT ``segmentations_refined`` where present, as the
            loaders of the HQ-YTVIS release do. Defaults to True.
        nproc (int): Processes evaluating videos in parallel. Defaults to 1.
        progress (bool): Show a progress bar over videos.
        gt_source (str, optional): Name of the GT for error messages.
        results_source (str, optional): Name of the results for error messages.

    Returns:
        dict: For each IoU type, ``stats`` ({name: value}, the 12 summary numbers, -1 where
        undefined), ``per_category`` ({category name: AP}), ``precision``
        (T, R, K, A, M) and ``recall`` (T, K, A, M).

    Raises:
        YTVISFormatError: On bad input, naming the file, the entry and the problem.
        ValueError: On bad settings (``iou_types``, ``max_dets``, ``boundary_ratio``).
    """
    max_dets = check_settings(iou_types, boundary_ratio, max_dets)
    segm_keys = ('segmentations_refined', 'segmentations') if use_refined_segm \
        else ('segmentations', )
    gt_index = read_ytvis_annotations(gt, gt_source, segm_keys)
    tasks = video_tasks(gt_index, read_ytvis_results(results, gt_index, results_source))
    categories = sorted(gt_index.categories, key=lambda c: c['id'])
    cat_index = {c['id']: k for k, c in enumerate(categories)}
    evaluate_one = partial(evaluate_video, category_index=cat_index, iou_types=tuple(iou_types),
                           boundary_ratio=boundary_ratio, max_det=max_dets[-1])

    matches = {iou_type: {} for iou_type in iou_types}
    for video_matches in _map(evaluate_one, tasks, nproc, progress):
        for iou_type, by_key in video_matches.items():
            for key, match in by_key.items():
                matches[iou_type].setdefault(key, []).append(match)

    names = summary_names(max_dets)
    output = {}
    for iou_type in iou_types:
        precision, recall = accumulate(matches[iou_type], len(categories), max_dets)
        output[iou_type] = dict(
            stats=dict(zip(names, summarize(precision, recall).tolist())),
            per_category={c['name']: ap for c, ap in zip(categories,
                                                         per_category_ap(precision).tolist())},
            precision=precision, recall=recall)
    return output


def check_settings(iou_types: Sequence[str], boundary_ratio: float,
                   max_dets: Sequence[int]) -> List[int]:
    """Check the evaluation settings (before any work, e.g. in a metric's ``__init__``).

    Args:
        iou_types (Sequence[str]): A non-empty subset of :data:`IOU_TYPES`.
        boundary_ratio (float): In (0, 1).
        max_dets (Sequence[int]): Three ascending positive integers.

    Returns:
        list[int]: ``max_dets`` as ints.

    Raises:
        ValueError: Naming the bad setting.
    """
    unknown = set(iou_types) - set(IOU_TYPES)
    if unknown or not iou_types:
        raise ValueError(f'iou_types must be a non-empty subset of {IOU_TYPES}, got '
                         f'{list(iou_types)}')
    if not (isinstance(boundary_ratio, (int, float)) and 0 < boundary_ratio < 1):
        raise ValueError(f'boundary_ratio must be in (0, 1), got {boundary_ratio!r}')
    integral = all(isinstance(m, (int, np.integer)) and not isinstance(m, bool)
                   for m in max_dets)
    if not (len(max_dets) == 3 and integral and min(max_dets) >= 1
            and list(max_dets) == sorted(max_dets)):
        raise ValueError(f'max_dets must be three ascending positive integers, got '
                         f'{list(max_dets)}')
    return [int(m) for m in max_dets]


def video_tasks(gt: YTVISAnnotations, results: List[YTVISResult]) -> List[dict]:
    """One evaluation task per GT video, in ascending video id (the API's order).

    Args:
        gt (YTVISAnnotations): The checked ground truth.
        results (list[YTVISResult]): The checked results.

    Returns:
        list[dict]: ``video_id``, ``height``, ``width``, ``gt`` (its tracks) and ``results``
        (its result entries).
    """
    gt_by_video = gt.tracks_by_video()
    res_by_video: Dict[int, List[YTVISResult]] = {}
    for res in results:
        res_by_video.setdefault(res.video_id, []).append(res)
    return [dict(video_id=vid, height=gt.videos[vid].height, width=gt.videos[vid].width,
                 gt=gt_by_video.get(vid, []), results=res_by_video.get(vid, []))
            for vid in sorted(gt.videos)]


def evaluate_video(task: dict, category_index: Dict[int, int], iou_types: Tuple[str, ...],
                   boundary_ratio: float, max_det: int) -> Dict[str, Dict[tuple, dict]]:
    """Match the results of one video to its GT, per category and area range.

    Args:
        task (dict): One entry of :func:`video_tasks`.
        category_index (dict): Category id -> index k in the sorted categories.
        iou_types (tuple[str]): 'boundary' and / or 'segm'.
        boundary_ratio (float): Boundary band width as a fraction of the frame diagonal.
        max_det (int): The largest maxDets.

    Returns:
        dict: IoU type -> {(k, area index): output of ``match_video``} for the categories
        with GT or results in this video.

    Raises:
        YTVISFormatError: On a malformed mask, naming its entry and frame.
    """
    height, width = task['height'], task['width']
    gt_tracks, gt_runs = _to_rles(task['gt'], height, width)
    dt_tracks, dt_runs = _to_rles(task['results'], height, width)
    # GT: the file's areas (as the YouTube-VIS API), the masks' where the file has none.
    gt_mask_areas = track_areas(gt_tracks).tolist()
    gt_avg = np.asarray([_avg_area(ann.areas if ann.areas is not None else gt_mask_areas[i])
                         for i, ann in enumerate(task['gt'])])
    dt_avg = np.asarray([_avg_area(areas) for areas in track_areas(dt_tracks).tolist()])
    gt_cat = np.asarray([ann.category_id for ann in task['gt']], dtype=np.int64)
    dt_cat = np.asarray([res.category_id for res in task['results']], dtype=np.int64)
    dt_score = np.asarray([res.score for res in task['results']], dtype=np.float64)
    crowd = np.asarray([ann.iscrowd for ann in task['gt']], dtype=bool)
    band = boundary_width(height, width, boundary_ratio)
    floor = min(float(IOU_THRESHOLDS.min()), 1 - 1e-10)

    out: Dict[str, Dict[tuple, dict]] = {iou_type: {} for iou_type in iou_types}
    for cid in sorted(set(gt_cat.tolist()) | set(dt_cat.tolist())):
        g = np.flatnonzero(gt_cat == cid)
        d = np.flatnonzero(dt_cat == cid)
        d = d[np.argsort(-dt_score[d], kind='mergesort')[:max_det]]
        gts = [gt_tracks[i] for i in g]
        dts = [dt_tracks[i] for i in d]
        mask_iou = tube_mask_iou(dts, gts)
        for iou_type in iou_types:
            ious = mask_iou
            if iou_type == 'boundary':
                pairs = (mask_iou >= floor) & ~crowd[g][None, :]
                bnd_iou = tube_boundary_iou(dts, gts, band, pairs, [dt_runs[i] for i in d],
                                            [gt_runs[i] for i in g])
                ious = np.where(pairs, np.fmin(mask_iou, bnd_iou), mask_iou)
            for a, area_range in enumerate(AREA_RANGES):
                out[iou_type][(category_index[cid], a)] = match_video(
                    ious, dt_score[d], dt_avg[d], crowd[g], gt_avg[g], IOU_THRESHOLDS,
                    area_range, max_det)
    return out


def _to_rles(entries: List[Union[YTVISTrack, YTVISResult]], height: int,
             width: int) -> Tuple[list, list]:
    """Checked compressed RLEs and run lengths of each entry's frames (None where null)."""
    converted = [frames_to_rles(e.segmentations, height, width, e.source, e.entry)
                 for e in entries]
    return [rles for rles, _ in converted], [runs for _, runs in converted]


def _avg_area(areas: Sequence[Optional[float]]) -> float:
    # As the YouTube-VIS API: the mean of the per-frame areas that are neither null nor 0.
    present = [a for a in areas if a]
    return float(np.mean(present)) if present else 0.0


def _map(func, tasks: List[dict], nproc: int, progress: bool):
    bar = None
    if progress:
        # Imported here: the offline tool starts faster without mmengine. The stream is given
        # at call time; ProgressBar's default is the sys.stdout of its first import.
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(tasks), file=sys.stdout)
    if nproc <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield func(task)
            if bar:
                bar.update()
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context('fork' if 'fork' in methods else None)
    chunksize = max(1, len(tasks) // (nproc * 8))
    # Forked workers share the parent's heap copy-on-write; freezing the objects that exist
    # keeps the workers' garbage collector from touching (and so copying) all of them.
    # One OpenCV thread per worker is set in the parent before the fork: calling
    # cv2.setNumThreads in a forked child whose parent had used OpenCV's thread pool hangs.
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    gc.freeze()
    try:
        pool = context.Pool(min(nproc, len(tasks)))
    finally:
        gc.unfreeze()
        cv2.setNumThreads(cv_threads)
    with pool:
        for out in pool.imap(func, tasks, chunksize=chunksize):
            yield out
            if bar:
                bar.update()
