"""COCO / YouTube-VIS accumulation of per-video matches into precision, recall and the 12
summary numbers (``accumulate`` and ``summarize`` of the API, numerically the same).

For each (category, area range, maxDets) the matches of all videos are concatenated in video
order, re-sorted by score (stable), and turned into a precision/recall curve per IoU
threshold; precision is made monotone and read at 101 recall points (0 past the last
recall reached). A (category, area range) without non-ignored GT stays -1 and is left out of
the means; a summary number with nothing defined is -1.

One deviation from the API: its first summary number (AP) reads ``maxDets == 100`` literally
and becomes -1 when 100 is not among ``max_dets``; here it reads the largest ``max_dets``
like AP50 and AP75 do. With the default (1, 10, 100) both agree.

Shape shorthand: T IoU thresholds, R recall points, K categories, A area ranges,
M maxDets settings.
"""
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

IOU_THRESHOLDS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1,
                                endpoint=True)
AREA_RANGES = ((0 ** 2, 1e5 ** 2), (0 ** 2, 128 ** 2), (128 ** 2, 256 ** 2),
               (256 ** 2, 1e5 ** 2))
AREA_LABELS = ('all', 'small', 'medium', 'large')
DEFAULT_MAX_DETS = (1, 10, 100)


def accumulate(matches: Mapping[Tuple[int, int], Sequence[Dict[str, np.ndarray]]],
               num_categories: int,
               max_dets: Sequence[int] = DEFAULT_MAX_DETS,
               iou_thrs: np.ndarray = IOU_THRESHOLDS,
               rec_thrs: np.ndarray = RECALL_THRESHOLDS,
               num_areas: int = len(AREA_RANGES)) -> Tuple[np.ndarray, np.ndarray]:
    """Precision and recall from the matches of every video.

    Args:
        matches (Mapping): ``(category index, area index)`` -> the outputs of
            ``match_video`` of every video that has GT or results of that category, in
            video order (ascending video id, as the API).
        num_categories (int): K.
        max_dets (Sequence[int]): The M maxDets settings.
        iou_thrs (np.ndarray): IoU thresholds (T,).
        rec_thrs (np.ndarray): Recall points (R,).
        num_areas (int): A.

    Returns:
        tuple: precision (T, R, K, A, M) and recall (T, K, A, M), -1 where undefined.
    """
    num_thrs, num_rec = len(iou_thrs), len(rec_thrs)
    precision = -np.ones((num_thrs, num_rec, num_categories, num_areas, len(max_dets)))
    recall = -np.ones((num_thrs, num_categories, num_areas, len(max_dets)))
    for (k, a), per_video in matches.items():
        if not per_video:
            continue
        num_pos = sum(int(np.count_nonzero(~e['gt_ignore'])) for e in per_video)
        if num_pos == 0:
            continue
        for m, max_det in enumerate(max_dets):
            scores = np.concatenate([e['dt_scores'][:max_det] for e in per_video])
            order = np.argsort(-scores, kind='mergesort')
            matched = np.concatenate([e['dt_matched'][:, :max_det] for e in per_video],
                                     axis=1)[:, order]
            ignored = np.concatenate([e['dt_ignore'][:, :max_det] for e in per_video],
                                     axis=1)[:, order]
            tp_sum = np.cumsum(matched & ~ignored, axis=1).astype(np.float64)
            fp_sum = np.cumsum(~matched & ~ignored, axis=1).astype(np.float64)
            num_dt = tp_sum.shape[1]
            rc = tp_sum / num_pos
            pr = tp_sum / (fp_sum + tp_sum + np.spacing(1))
            recall[:, k, a, m] = rc[:, -1] if num_dt else 0
            pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
            for t in range(num_thrs):
                idx = np.searchsorted(rc[t], rec_thrs, side='left')
                reached = idx < num_dt
                q = np.zeros(num_rec)
                q[reached] = pr[t, idx[reached]]
                precision[t, :, k, a, m] = q
    return precision, recall


def summary_names(max_dets: Sequence[int] = DEFAULT_MAX_DETS) -> List[str]:
    """Names of the 12 summary numbers, e.g. AP, AP50, ..., AR1, AR10, AR100, ..., ARl."""
    return (['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl']
            + [f'AR{m}' for m in max_dets] + ['ARs', 'ARm', 'ARl'])


def summarize(precision: np.ndarray, recall: np.ndarray,
              iou_thrs: np.ndarray = IOU_THRESHOLDS) -> np.ndarray:
    """The 12 summary numbers of the API, in its order.

    Args:
        precision (np.ndarray): (T, R, K, A, M) from :func:`accumulate`, M = 3.
        recall (np.ndarray): (T, K, A, M).
        iou_thrs (np.ndarray): The T thresholds (must contain 0.5 and 0.75 exactly as the
            API's ``linspace`` does for AP50 / AP75 to be defined).

    Returns:
        np.ndarray: (12,) AP, AP50, AP75, APs, APm, APl, AR@m0, AR@m1, AR@m2, ARs, ARm,
        ARl; -1 where nothing is defined.
    """
    last = precision.shape[-1] - 1
    t50, t75 = np.where(iou_thrs == .5)[0], np.where(iou_thrs == .75)[0]
    stats = [_mean(precision[..., 0, last]), _mean(precision[t50][..., 0, last]),
             _mean(precision[t75][..., 0, last])]
    stats += [_mean(precision[..., a, last]) for a in (1, 2, 3)]
    stats += [_mean(recall[..., 0, m]) for m in range(recall.shape[-1])]
    stats += [_mean(recall[..., a, last]) for a in (1, 2, 3)]
    return np.asarray(stats)


def per_category_ap(precision: np.ndarray) -> np.ndarray:
    """AP (IoU 0.50:0.95, area all, largest maxDets) of each category.

    Args:
        precision (np.ndarray): (T, R, K, A, M).

    Returns:
        np.ndarray: (K,), -1 for a category without GT.
    """
    return np.asarray([_mean(precision[:, :, k, 0, -1]) for k in range(precision.shape[2])])


def format_summary(stats: Sequence[float], max_dets: Sequence[int] = DEFAULT_MAX_DETS,
                   iou_thrs: np.ndarray = IOU_THRESHOLDS) -> str:
    """The 12 lines the YouTube-VIS / COCO API prints for a summary.

    Args:
        stats (Sequence[float]): The 12 numbers of :func:`summarize`.
        max_dets (Sequence[int]): The maxDets settings they were computed with.
        iou_thrs (np.ndarray): The IoU thresholds.

    Returns:
        str: The lines, joined by newlines.
    """
    line = ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
    all_ious = f'{iou_thrs[0]:0.2f}:{iou_thrs[-1]:0.2f}'
    top = max_dets[-1]
    rows = [(1, all_ious, 'all', top), (1, '0.50', 'all', top), (1, '0.75', 'all', top),
            (1, all_ious, 'small', top), (1, all_ious, 'medium', top),
            (1, all_ious, 'large', top)]
    rows += [(0, all_ious, 'all', m) for m in max_dets]
    rows += [(0, all_ious, 'small', top), (0, all_ious, 'medium', top),
             (0, all_ious, 'large', top)]
    return '\n'.join(
        line.format('Average Precision' if ap else 'Average Recall', '(AP)' if ap else '(AR)',
                    iou, area, m, value)
        for (ap, iou, area, m), value in zip(rows, stats))


def _mean(values: np.ndarray) -> float:
    defined = values[values > -1]
    return float(np.mean(defined)) if defined.size else -1.0
