"""Pure, fast functions of the Tube-Boundary AP: boundary bands, tube IoU, COCO-style matching
and accumulation, and the YouTube-VIS input checks. The mmengine metric and the offline CLI
(tools/analysis_tools/eval_vis.py) are thin adapters over :func:`evaluate_tube_ap`."""
from .ap_accumulation import (AREA_LABELS, AREA_RANGES, DEFAULT_MAX_DETS, IOU_THRESHOLDS,
                              RECALL_THRESHOLDS, accumulate, format_summary, per_category_ap,
                              summarize, summary_names)
from .boundary import boundary_width, mask_boundary, rle_mask_boundary
from .rle import crop_runs, decode_rle_crop, fill_runs, parse_rle_counts, to_compressed_rle
from .tube_ap import IOU_TYPES, evaluate_tube_ap, evaluate_video
from .tube_iou import track_areas, tube_boundary_iou, tube_mask_iou
from .video_matching import match_video
from .video_tracks import encode_masks, frames_to_tracks, track_results
from .ytvis_inputs import YTVISInputError, load_ground_truth, load_results, video_tasks

__all__ = [
    'AREA_LABELS', 'AREA_RANGES', 'DEFAULT_MAX_DETS', 'IOU_THRESHOLDS', 'RECALL_THRESHOLDS',
    'IOU_TYPES', 'YTVISInputError', 'accumulate', 'encode_masks', 'frames_to_tracks',
    'track_results', 'boundary_width', 'crop_runs', 'decode_rle_crop', 'fill_runs',
    'evaluate_tube_ap', 'evaluate_video', 'format_summary', 'load_ground_truth',
    'load_results', 'mask_boundary', 'match_video', 'parse_rle_counts', 'per_category_ap',
    'rle_mask_boundary', 'summarize', 'summary_names', 'to_compressed_rle', 'track_areas', 'tube_boundary_iou',
    'tube_mask_iou', 'video_tasks'
]
