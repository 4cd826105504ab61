"""The annotation formats, in one place: YouTube-VIS files (read, check, convert to CocoVID,
per-frame predictions to result tracks), masks (RLE encoding and decoding, boundary bands,
per-frame PNGs of instance ids), a reviewer's decisions on a correction and BDD100K MOTS
labels.

Everything in mmvmt that reads or writes these formats imports them from here, and this
package imports nothing of mmvmt's and nothing heavy (numpy, OpenCV, pycocotools): the
offline evaluation starts fast. Bad input raises :class:`YTVISFormatError` naming the file,
the entry and what was expected.
"""
from .bdd100k_mots import BDD100K_MOTS_CLASSES, bdd100k_mots_config, load_bdd100k_mots_frames
from .boundary import (boundary_width, frames_boundary_counts, mask_boundary,
                       rle_boundary_counts)
from .cocovid import ytvis_to_cocovid
from .format_error import YTVISFormatError
from .frame_names import check_file_names, file_name_problem
from .png_masks import png_masks_to_ytvis, read_label_png, ytvis_to_png_masks
from .result_tracks import frames_to_tracks, track_results
from .review_decisions import (TrackDecision, check_same_tracks, merge_reviewed,
                               read_decisions, track_lengths)
from .rle import (MAX_COUNT_DIGITS, RLE, crop_runs, decode_rle_crop, encode_frames,
                  encode_mask, encode_masks, fill_runs, parse_rle_counts, to_json_rle,
                  track_areas_and_boxes)
from .segmentation import (check_segmentation, frames_to_masks, frames_to_rles,
                           segmentation_to_rle)
from .ytvis import (MAX_FRAME_PIXELS, MAX_FRAME_SIDE, YTVISAnnotations, YTVISResult,
                    YTVISTrack, YTVISVideo, finite_float, is_number, load_json,
                    read_ytvis_annotations, read_ytvis_results)

__all__ = [
    'BDD100K_MOTS_CLASSES', 'MAX_COUNT_DIGITS', 'MAX_FRAME_PIXELS', 'MAX_FRAME_SIDE', 'RLE',
    'TrackDecision', 'YTVISAnnotations', 'YTVISFormatError', 'YTVISResult', 'YTVISTrack',
    'YTVISVideo', 'bdd100k_mots_config', 'boundary_width', 'check_file_names',
    'check_same_tracks', 'check_segmentation', 'crop_runs', 'decode_rle_crop', 'encode_frames',
    'encode_mask', 'encode_masks', 'file_name_problem', 'fill_runs', 'finite_float',
    'frames_boundary_counts', 'frames_to_masks', 'frames_to_rles', 'frames_to_tracks',
    'is_number', 'load_bdd100k_mots_frames', 'load_json', 'mask_boundary', 'merge_reviewed',
    'parse_rle_counts', 'png_masks_to_ytvis', 'read_decisions', 'read_label_png',
    'read_ytvis_annotations', 'read_ytvis_results', 'rle_boundary_counts',
    'segmentation_to_rle', 'to_json_rle', 'track_areas_and_boxes', 'track_lengths',
    'track_results', 'ytvis_to_cocovid', 'ytvis_to_png_masks'
]
