"""Greedy matching of the results of one (video, category) to its GT, as COCO / YouTube-VIS.

This is ``evaluateImg`` of the COCO API (``evaluateVid`` in the YouTube-VIS fork) for one
area range, with the same order of decisions:

* GT tracks that are crowd or whose ``avg_area`` lies outside the range are *ignored*; GT is
  put in the stable order non-ignored first.
* Results are sorted by score (stable: ties keep their input order) and cut to ``max_det``.
* For each IoU threshold, results in that order take the GT of highest IoU >= the threshold
  (on equal IoU the later GT); a non-ignored GT is preferred to an ignored one; a GT is taken
  once unless it is a crowd.
* A result matched to an ignored GT is ignored, and so is an unmatched result whose
  ``avg_area`` lies outside the range.

One deviation: the COCO API marks matches by storing GT ids, so a match to a GT whose id is
0 reads as "unmatched"; here matches are booleans and a GT id has no role.

Shape shorthand: D results, G GT tracks, T IoU thresholds.
"""
from typing import Dict, Tuple

import numpy as np


def match_video(ious: np.ndarray,
                dt_scores: np.ndarray,
                dt_areas: np.ndarray,
                gt_iscrowd: np.ndarray,
                gt_areas: np.ndarray,
                iou_thrs: np.ndarray,
                area_range: Tuple[float, float],
                max_det: int) -> Dict[str, np.ndarray]:
    """Match the results of one (video, category) to its GT within one area range.

    Args:
        ious (np.ndarray): IoU (D, G) of results (input order) and GT (input order).
        dt_scores (np.ndarray): Result scores (D,).
        dt_areas (np.ndarray): Result ``avg_area`` (D,).
        gt_iscrowd (np.ndarray): Bool (G,), crowd GT.
        gt_areas (np.ndarray): GT ``avg_area`` (G,).
        iou_thrs (np.ndarray): IoU thresholds (T,).
        area_range (tuple): Inclusive ``(low, high)`` bounds of ``avg_area``.
        max_det (int): At most this many results, by score.

    Returns:
        dict: ``dt_scores`` (D',) sorted descending with D' = min(D, max_det);
        ``dt_matched`` and ``dt_ignore`` bool (T, D'); ``gt_ignore`` bool (G,).
    """
    low, high = area_range
    gt_ignore = np.asarray(gt_iscrowd, dtype=bool) | (gt_areas < low) | (gt_areas > high)
    gt_order = np.argsort(gt_ignore, kind='mergesort')
    dt_order = np.argsort(-np.asarray(dt_scores, dtype=np.float64), kind='mergesort')[:max_det]
    ious = np.asarray(ious, dtype=np.float64)[dt_order][:, gt_order]
    gt_ig = gt_ignore[gt_order]
    crowd = np.asarray(gt_iscrowd, dtype=bool)[gt_order]

    num_thrs, num_dt, num_gt = len(iou_thrs), len(dt_order), len(gt_order)
    dt_matched = np.zeros((num_thrs, num_dt), dtype=bool)
    dt_ig = np.zeros((num_thrs, num_dt), dtype=bool)
    if num_gt:
        gt_taken = np.zeros((num_thrs, num_gt), dtype=bool)
        floor = np.minimum(np.asarray(iou_thrs, dtype=np.float64), 1 - 1e-10)[:, None]
        rows = np.arange(num_thrs)
        for d in range(num_dt):
            eligible = (~gt_taken | crowd) & (ious[d] >= floor)
            best = np.full(num_thrs, -1)
            # Non-ignored GT first; ignored GT only where no non-ignored GT qualifies.
            for group in (~gt_ig, gt_ig):
                cand = eligible & group & (best < 0)[:, None]
                values = np.where(cand, ious[d], -np.inf)
                last_max = num_gt - 1 - np.argmax(values[:, ::-1], axis=1)
                found = cand.any(1)
                best[found] = last_max[found]
            hit = best >= 0
            dt_matched[hit, d] = True
            dt_ig[hit, d] = gt_ig[best[hit]]
            gt_taken[rows[hit], best[hit]] = True
    dt_out = (dt_areas[dt_order] < low) | (dt_areas[dt_order] > high)
    dt_ig |= ~dt_matched & dt_out[None, :]
    return dict(dt_scores=np.asarray(dt_scores, dtype=np.float64)[dt_order],
                dt_matched=dt_matched, dt_ignore=dt_ig, gt_ignore=gt_ignore)

