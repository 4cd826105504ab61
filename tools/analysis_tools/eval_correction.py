"""How good are corrected annotations? VMT's Table 3 protocol against exact masks.

    python tools/analysis_tools/eval_correction.py EXACT.json COARSE.json [CORRECTED.json ...]
        [--names coarse round1 ...] [--erode 1 2 3] [--out table.json] [--nproc 2]

Every candidate file holds the same tracks (annotation ids, videos, categories) as
EXACT.json with other masks, e.g. a coarse annotation and its corrections. Each candidate
track becomes a result with its GT class and score 1, so the tube AP^B / AP^M measure the
masks alone (GT classes, ids and coarse masks in, refined masks out). Besides AP, the
table gives frame IoU, boundary IoU, thin-part recall and halo
(``mmvmt/evaluation/functional/mask_quality.py``). ``--erode k`` adds a morphological
baseline corrector: the first candidate eroded by k px (3 x 3 square, k times).
Prints a markdown table; ``--out`` writes the numbers as JSON.
"""
import argparse
import json
import os
import sys
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from mmvmt.evaluation.functional import evaluate_tube_ap
from mmvmt.evaluation.functional.mask_quality import MaskQualityMeter
from mmvmt.structures import (YTVISFormatError, encode_mask, load_json, read_ytvis_annotations,
                              segmentation_to_rle)
from mmvmt.utils.output_paths import OutputPathError, annotation_folders, check_output_path

COLUMNS = (('frame_iou', 'frame IoU'), ('boundary_iou', 'boundary IoU'),
           ('thin_recall', 'thin-part recall'), ('halo', 'halo'), ('ap_boundary', 'tube AP^B'),
           ('ap_mask', 'tube AP^M'))


def _decode(segm, height: int, width: int, source: str, where: str) -> np.ndarray:
    return mask_utils.decode(segmentation_to_rle(segm, height, width, source,
                                                 where)).astype(bool)


def decode_tracks(ann: dict, source: str) -> Dict[int, List[Optional[np.ndarray]]]:
    """Annotation id -> per-frame (H, W) bool masks (None where null) of a YouTube-VIS dict.

    Raises:
        YTVISFormatError: If the file breaks the format (checked before decoding).
    """
    checked = read_ytvis_annotations(ann, source, default_classes=())
    tracks = {}
    for track in checked.tracks:
        video = checked.videos[track.video_id]
        tracks[track.id] = [
            None if s is None else _decode(s, video.height, video.width, source,
                                           f'{track.entry} segmentations[{t}]')
            for t, s in enumerate(track.segmentations)]
    return tracks


def eroded(ann: dict, pixels: int, source: str) -> dict:
    """The annotation with every mask eroded by ``pixels`` (3 x 3 square, repeated)."""
    out = dict(ann, annotations=[])
    kernel = np.ones((3, 3), np.uint8)
    tracks = decode_tracks(ann, source)
    for a in ann['annotations']:
        segms = []
        for mask in tracks[a['id']]:
            if mask is None:
                segms.append(None)
                continue
            small = cv2.erode(mask.astype(np.uint8), kernel, iterations=pixels,
                              borderType=cv2.BORDER_CONSTANT, borderValue=1)
            segms.append(encode_mask(small))
        out['annotations'].append(dict(a, segmentations=segms))
    return out


def evaluate_candidate(exact: dict, candidate: dict, source: str = '<candidate>',
                       nproc: int = 1) -> Dict[str, float]:
    """Measures of one candidate annotation against the exact one.

    Args:
        exact (dict): The exact annotation (YouTube-VIS format).
        candidate (dict): Same tracks (ids, videos) with other masks.
        source (str): The candidate's name, for errors.
        nproc (int): Processes for the AP.

    Returns:
        dict[str, float]: ``frame_iou``, ``boundary_iou``, ``thin_recall``, ``halo``,
        ``ap_boundary``, ``ap_mask``.

    Raises:
        YTVISFormatError: If a file breaks the format or the candidate's tracks are not
            the exact annotation's.
    """
    exact_tracks = decode_tracks(exact, 'exact')
    cand_tracks = decode_tracks(candidate, source)
    cand_by_id = {a['id']: a for a in candidate['annotations']}
    if set(cand_by_id) != set(exact_tracks):
        raise YTVISFormatError(
            source, 'annotations', 'expected the annotation ids of the exact file (missing '
            f'{sorted(set(exact_tracks) - set(cand_by_id))[:5]}, extra '
            f'{sorted(set(cand_by_id) - set(exact_tracks))[:5]})')
    meter = MaskQualityMeter()
    results = []
    for a in exact['annotations']:
        c = cand_by_id[a['id']]
        if c['video_id'] != a['video_id'] or len(c['segmentations']) != len(a['segmentations']):
            raise YTVISFormatError(source, f'annotation {a["id"]}', 'expected the video and '
                                   'length it has in the exact file')
        for cand, ex in zip(cand_tracks[a['id']], exact_tracks[a['id']]):
            if cand is None and ex is None:
                continue
            shape = (ex if cand is None else cand).shape
            meter.update(np.zeros(shape, bool) if cand is None else cand,
                         np.zeros(shape, bool) if ex is None else ex)
        # Results hold RLEs (annotations may hold polygons).
        results.append(dict(video_id=a['video_id'], category_id=a['category_id'], score=1.0,
                            segmentations=[None if m is None else encode_mask(m)
                                           for m in cand_tracks[a['id']]]))
    ap = evaluate_tube_ap(exact, results, nproc=nproc, use_refined_segm=False,
                          gt_source='exact', results_source=source)
    return dict(meter.summary(), ap_boundary=ap['boundary']['stats']['AP'],
                ap_mask=ap['segm']['stats']['AP'])


def markdown_table(rows: Dict[str, Dict[str, float]], columns=COLUMNS) -> str:
    """The measures of each candidate as a markdown table (``columns``: (key, title) pairs)."""
    lines = ['| | ' + ' | '.join(title for _, title in columns) + ' |',
             '|---|' + '---|' * len(columns)]
    for name, row in rows.items():
        lines.append(f'| {name} | ' + ' | '.join(f'{row[key]:.3f}' for key, _ in columns) + ' |')
    return '\n'.join(lines)


def evaluate_files(exact_file: str, candidate_files: Sequence[str],
                   names: Optional[Sequence[str]] = None, erode: Sequence[int] = (),
                   nproc: int = 1) -> Dict[str, Dict[str, float]]:
    """Measures of every candidate file (and of the erosion baselines of the first one)."""
    names = list(names or [os.path.splitext(os.path.basename(f))[0] for f in candidate_files])
    if len(names) != len(candidate_files):
        raise ValueError(f'{len(names)} names for {len(candidate_files)} candidate files')
    exact = load_json(exact_file)
    rows = {}
    for name, path in zip(names, candidate_files):
        candidate = load_json(path)
        rows[name] = evaluate_candidate(exact, candidate, path, nproc)
        if name == names[0]:
            for pixels in erode:
                rows[f'{name} eroded {pixels} px'] = evaluate_candidate(
                    exact, eroded(candidate, pixels, path), f'{path} eroded', nproc)
    return rows


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Corrected annotations vs exact masks')
    parser.add_argument('exact', help='exact annotation JSON (YouTube-VIS format)')
    parser.add_argument('candidates', nargs='+', help='annotation JSONs with the same tracks')
    parser.add_argument('--names', nargs='+', help='row names (default: file names)')
    parser.add_argument('--erode', type=int, nargs='*', default=[],
                        help='add the first candidate eroded by these many px')
    parser.add_argument('--out', help='write the numbers to this JSON file')
    parser.add_argument('--nproc', type=int, default=1, help='processes for the AP')
    args = parser.parse_args(argv)
    if args.out:  # before any work: never onto an input, never into EXACT's folder
        try:
            check_output_path(args.out, inputs=[args.exact, *args.candidates],
                              protected_dirs=annotation_folders([args.exact]), option='--out')
        except OutputPathError as e:
            parser.error(str(e))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        rows = evaluate_files(args.exact, args.candidates, args.names, args.erode, args.nproc)
    except (OSError, ValueError) as e:  # YTVISFormatError is a ValueError
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(markdown_table(rows))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
