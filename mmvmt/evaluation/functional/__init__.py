"""Pure, fast functions of the Tube-Boundary AP: tube IoU, COCO-style matching and
accumulation. The mmengine metric and the offline CLI (tools/analysis_tools/eval_vis.py) are
thin adapters over :func:`evaluate_tube_ap`; the format checks and mask operations they use
live in :mod:`mmvmt.structures`. Nothing here imports torch, mmengine or mmdet."""
from .ap_accumulation import (AREA_LABELS, AREA_RANGES, DEFAULT_MAX_DETS, IOU_THRESHOLDS,
                              RECALL_THRESHOLDS, accumulate, format_summary, per_category_ap,
                              summarize, summary_names)
from .tube_ap import IOU_TYPES, check_settings, evaluate_tube_ap, evaluate_video, video_tasks
from .tube_iou import track_areas, tube_boundary_iou, tube_mask_iou
from .video_matching import match_video

__all__ = [
    'AREA_LABELS', 'AREA_RANGES', 'DEFAULT_MAX_DETS', 'IOU_THRESHOLDS', 'IOU_TYPES',
    'RECALL_THRESHOLDS', 'accumulate', 'check_settings', 'evaluate_tube_ap', 'evaluate_video',
    'format_summary', 'match_video', 'per_category_ap', 'summarize', 'summary_names',
    'track_areas', 'tube_boundary_iou', 'tube_mask_iou', 'video_tasks'
]
