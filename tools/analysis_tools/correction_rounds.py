"""VMT's Table 3 protocol on held-out videos: coarse masks in, corrected masks out, per round.

    # the rounds of a self-correction run with `validation` (round k corrected round k-1's
    # validation file): one row per round, plus the baseline correctors
    python tools/analysis_tools/correction_rounds.py --exact EXACT.json --coarse COARSE.json \
        --work-dir WORK_DIR [--erode 1 2 3] [--grabcut --img-root FRAMES] \
        [--base-results RESULTS.json] [--out table.json] [--figure rounds.png]
    # one round with a given refiner checkpoint (no self-correction run needed)
    python tools/analysis_tools/correction_rounds.py --exact EXACT.json --coarse COARSE.json \
        --config CONFIG --checkpoint CKPT --img-root FRAMES [--corrected-out OUT.json]

GT classes, track ids and the coarse masks go in; each row's masks are scored against the
exact masks with every track a result of its GT class and score 1 (so AP measures masks
only): tube AP^B, AP^M, frame IoU, boundary IoU, thin-part recall and halo
(``eval_correction.py``). Rows: ``coarse`` (round 0), ``round k`` (the files
``WORK_DIR/self_correction/round_<k>/val/*.json``, or the one-round correction of
``--checkpoint``), the morphological baseline corrector (the coarse masks eroded by 1, 2, 3
px, ``--erode``), the classic one (``--grabcut``: GrabCut seeded from each coarse mask on its
frame, ``mmvmt/engine/grabcut_correction.py``; its settings are in the row's name) and, with
``--base-results``, a base detector's masks: each exact track gets the result (any class) of
its video with the highest tube IoU, one result per track.
``--figure`` draws the masks of one track per round on its frame (coarse, rounds, exact).

Every corrector row (erosion, GrabCut, ``--checkpoint``'s round) also gets ``ms / mask``: the
wall time of making its corrected annotation from the coarse file (decoding, reading frames,
correcting, encoding; for the refiner also building it from the checkpoint) divided by the
number of coarse masks (non-null track-frames). Rows read from files have no time.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys
import time
from typing import Dict, List, Optional

import cv2
import numpy as np
import pycocotools.mask as mask_utils

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from eval_correction import (COLUMNS, decode_tracks, eroded,  # noqa: E402
                             evaluate_candidate, markdown_table)

from mmvmt.engine.grabcut_correction import (GrabCutSettings,  # noqa: E402
                                              grabcut_from_coarse)
from mmvmt.structures import encode_mask, load_json  # noqa: E402
from mmvmt.utils.output_paths import OutputPathError, check_output_path  # noqa: E402


def round_files(work_dir: str) -> Dict[int, str]:
    """Round -> corrected validation file of a self-correction work dir."""
    files = {}
    pattern = osp.join(work_dir, 'self_correction', 'round_*', 'val', '*.json')
    for path in glob.glob(pattern):
        if path.endswith('.provenance.json'):
            continue
        match = re.search(r'round_(\d+)', path)
        files[int(match.group(1))] = path
    return dict(sorted(files.items()))


def tube_iou(a: List[Optional[np.ndarray]], b: List[Optional[np.ndarray]]) -> float:
    """Tube IoU of two per-frame mask lists (None = empty)."""
    inter = union = 0
    for x, y in zip(a, b):
        if x is None and y is None:
            continue
        if x is None or y is None:
            union += int((x if y is None else y).sum())
            continue
        inter += int((x & y).sum())
        union += int((x | y).sum())
    return inter / union if union else 0.0


def results_as_annotations(exact: dict, results: List[dict], source: str) -> dict:
    """A base detector's results as a candidate annotation of the exact file's tracks.

    Each exact track takes the unused result of its video with the highest tube IoU (greedy,
    best pairs first); a track no result overlaps gets empty masks where it is present.
    """
    exact_tracks = decode_tracks(exact, 'exact')
    sizes = {v['id']: (v['height'], v['width'], v['length']) for v in exact['videos']}
    by_video: Dict[int, List[List[Optional[np.ndarray]]]] = {}
    for i, r in enumerate(results):
        if r['video_id'] not in sizes:
            raise ValueError(f'{source}: result {i} has video_id {r["video_id"]}, which the '
                             'exact file does not hold')
        by_video.setdefault(r['video_id'], []).append([
            None if s is None else mask_utils.decode(s).astype(bool)
            for s in r['segmentations']])
    pairs = []
    for a in exact['annotations']:
        for j, masks in enumerate(by_video.get(a['video_id'], [])):
            pairs.append((tube_iou(exact_tracks[a['id']], masks), a['id'], a['video_id'], j))
    chosen, used = {}, set()
    for iou, ann_id, video_id, j in sorted(pairs, key=lambda p: -p[0]):
        if ann_id in chosen or (video_id, j) in used or iou <= 0:
            continue
        chosen[ann_id] = by_video[video_id][j]
        used.add((video_id, j))
    out = dict(exact, annotations=[])
    for a in exact['annotations']:
        height, width, _ = sizes[a['video_id']]
        masks = chosen.get(a['id'])
        segms = []
        for t, ex in enumerate(exact_tracks[a['id']]):
            m = None if masks is None else masks[t]
            if m is None and ex is not None:
                m = np.zeros((height, width), bool)
            segms.append(None if m is None else encode_mask(m))
        out['annotations'].append(dict(a, segmentations=segms))
    return out


def grabcut_corrected(ann: dict, img_root: str, source: str,
                      settings: GrabCutSettings = GrabCutSettings()) -> dict:
    """The annotation with every mask corrected by GrabCut on its frame (frames read from
    ``img_root`` by the videos' ``file_names``)."""
    tracks = decode_tracks(ann, source)
    videos = {v['id']: v for v in ann['videos']}
    frames: Dict[str, np.ndarray] = {}
    out = dict(ann, annotations=[])
    for a in ann['annotations']:
        segms = []
        for t, mask in enumerate(tracks[a['id']]):
            if mask is None:
                segms.append(None)
                continue
            path = osp.join(img_root, videos[a['video_id']]['file_names'][t])
            if path not in frames:
                frames[path] = cv2.imread(path, cv2.IMREAD_COLOR)
                if frames[path] is None:
                    raise OSError(f'{source}: annotation {a["id"]} frame {t}: cannot read the '
                                  f'frame {path}')
            if frames[path].shape[:2] != mask.shape:
                raise ValueError(f'{source}: annotation {a["id"]} frame {t}: the frame {path} '
                                 f'is {frames[path].shape[:2]}, the mask {mask.shape}')
            segms.append(encode_mask(grabcut_from_coarse(frames[path], mask, settings)))
        out['annotations'].append(dict(a, segmentations=segms))
    return out


def num_masks(ann: dict) -> int:
    """Non-null track-frames of a YouTube-VIS annotation dict."""
    return sum(s is not None for a in ann['annotations'] for s in a['segmentations'])


def with_times(table: str, rows: Dict[str, Dict[str, float]]) -> str:
    """``table`` (:func:`markdown_table` of ``rows``) with a ``ms / mask`` column (``-`` where a
    row has no ``ms_per_mask``)."""
    lines = table.split('\n')
    lines[0] += ' ms / mask |'
    lines[1] += '---|'
    for i, row in enumerate(rows.values(), start=2):
        ms = row.get('ms_per_mask')
        lines[i] += ' - |' if ms is None else f' {ms:.1f} |'
    return '\n'.join(lines)


def correct_once(config: str, checkpoint: str, coarse_file: str, img_root: str,
                 out_file: str, conf_thr: Optional[float] = None, device: str = 'cpu',
                 cfg_options: Optional[dict] = None, remove_thr: Optional[float] = None) -> str:
    """Correct ``coarse_file`` once with the refiner of ``checkpoint`` into ``out_file``
    (``conf_thr``: default the config's ``self_correction.conf_thr``, else 0.65, and then
    ``remove_thr`` defaults to the config's ``self_correction.remove_thr``; ``cfg_options``
    override the config's model settings)."""
    from mmengine.config import Config

    from mmvmt.engine import AnnotationCorrector, build_refiner
    from mmvmt.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    sc = cfg.get('self_correction') or {}
    if conf_thr is None:
        conf_thr = sc.get('conf_thr', 0.65)
        remove_thr = sc.get('remove_thr') if remove_thr is None else remove_thr
    corrector = AnnotationCorrector(conf_thr=conf_thr, remove_thr=remove_thr,
                                    frame_pipeline=sc.get('frame_pipeline'),
                                    max_tracks_per_pass=sc.get('max_tracks_per_pass', 8))
    model = build_refiner(config, checkpoint, device, cfg_options)
    corrector.run(model, coarse_file, img_root, out_file,
                  extra_provenance=dict(checkpoint=osp.abspath(checkpoint)))
    return out_file


def draw_rounds(exact_file: str, files: Dict[str, str], out_png: str, img_root: str,
                ann_id: Optional[int] = None, frame: Optional[int] = None) -> None:
    """One row of crops: the frame with each file's mask of one track (contour + tint).

    The track defaults to the exact file's track with the most thin-part pixels (the largest
    difference between its mask and its opening), its frame to the one where that is largest.
    """
    exact = load_json(exact_file)
    tracks = decode_tracks(exact, exact_file)
    if ann_id is None or frame is None:
        best = (-1, None, None)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
        for a in exact['annotations']:
            for t, m in enumerate(tracks[a['id']]):
                if m is None:
                    continue
                thin = int((m & ~cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN,
                                                  kernel).astype(bool)).sum())
                if thin > best[0]:
                    best = (thin, a['id'], t)
        ann_id, frame = best[1], best[2]
    ann = next(a for a in exact['annotations'] if a['id'] == ann_id)
    video = next(v for v in exact['videos'] if v['id'] == ann['video_id'])
    image = cv2.imread(osp.join(img_root, video['file_names'][frame]))
    ys, xs = np.nonzero(tracks[ann_id][frame])
    pad = 12
    y0, y1 = max(0, ys.min() - pad), min(image.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(image.shape[1], xs.max() + pad + 1)
    panels = []
    for name, path in list(files.items()) + [('exact', exact_file)]:
        masks = tracks if path == exact_file else decode_tracks(load_json(path), path)
        m = masks[ann_id][frame]
        panel = image.copy()
        if m is not None:
            tint = panel.copy()
            tint[m] = (0, 200, 255)
            panel = cv2.addWeighted(panel, 0.55, tint, 0.45, 0)
            contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(panel, contours, -1, (0, 0, 255), 1)
        crop = cv2.resize(panel[y0:y1, x0:x1], None, fx=3, fy=3,
                          interpolation=cv2.INTER_NEAREST)
        label = np.full((18, crop.shape[1], 3), 255, np.uint8)
        cv2.putText(label, name, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
        panels.append(np.concatenate([label, crop], 0))
    gap = np.full((panels[0].shape[0], 4, 3), 255, np.uint8)
    row = np.concatenate(sum(([p, gap] for p in panels), [])[:-1], 1)
    os.makedirs(osp.dirname(osp.abspath(out_png)), exist_ok=True)
    cv2.imwrite(out_png, row, [cv2.IMWRITE_PNG_COMPRESSION, 9])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--exact', required=True, help='exact annotations (YouTube-VIS JSON)')
    parser.add_argument('--coarse', required=True, help='coarse annotations of the same tracks')
    parser.add_argument('--work-dir', help='a self-correction work dir with validation files')
    parser.add_argument('--config', help='refiner config (one round with --checkpoint)')
    parser.add_argument('--checkpoint', help='refiner checkpoint (one round)')
    parser.add_argument('--img-root', help='frames of the videos (with --checkpoint, --figure)')
    parser.add_argument('--corrected-out', help='where --checkpoint writes its corrected file '
                        '(must not exist)')
    parser.add_argument('--conf-thr', type=float,
                        help="confidence a change needs (default: the config's "
                        'self_correction.conf_thr, else 0.65)')
    parser.add_argument('--remove-thr', type=float,
                        help='confidence a removal of coarse foreground needs (default: the '
                        "config's self_correction.remove_thr with its conf_thr; with "
                        '--conf-thr: --conf-thr)')
    parser.add_argument('--rounds', type=int, nargs='*',
                        help='rounds of --work-dir to show (default: all)')
    parser.add_argument('--erode', type=int, nargs='*', default=[1, 2, 3],
                        help='baseline: the coarse masks eroded by these many px')
    parser.add_argument('--grabcut', action='store_true',
                        help='baseline: GrabCut seeded from each coarse mask (needs --img-root)')
    parser.add_argument('--base-results', help="a base detector's YouTube-VIS results on the "
                        'videos (baseline corrector)')
    parser.add_argument('--columns', nargs='*', help='measures to print (default: all)')
    parser.add_argument('--out', help='write the numbers to this JSON file')
    parser.add_argument('--figure', help='draw one track per round into this PNG')
    parser.add_argument('--nproc', type=int, default=1, help='processes for the AP')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    inputs = [args.exact, args.coarse, args.config, args.checkpoint, args.base_results]
    # nothing this tool writes may replace one of its inputs
    for option, path in (('--corrected-out', args.corrected_out), ('--out', args.out),
                         ('--figure', args.figure)):
        if path:
            try:
                check_output_path(path, inputs=inputs, option=option)
            except OutputPathError as e:
                print(f'error: {e}', file=sys.stderr)
                return 2
    if args.grabcut and not args.img_root:
        print('error: --grabcut needs --img-root (the frames GrabCut reads)', file=sys.stderr)
        return 2
    files = {'coarse': args.coarse}
    if args.work_dir:
        found = round_files(args.work_dir)
        if not found:
            print(f'error: no corrected validation files under {args.work_dir}/self_correction/'
                  'round_*/val/', file=sys.stderr)
            return 1
        for k, path in found.items():
            if args.rounds is None or k in args.rounds:
                files[f'round {k}'] = path
    if args.checkpoint:
        if not (args.config and args.img_root and args.corrected_out):
            print('error: --checkpoint needs --config, --img-root and --corrected-out',
                  file=sys.stderr)
            return 1
        start = time.perf_counter()
        files['round 1'] = correct_once(args.config, args.checkpoint, args.coarse,
                                        args.img_root, args.corrected_out, args.conf_thr,
                                        remove_thr=args.remove_thr)
        refiner_seconds = time.perf_counter() - start
    exact = load_json(args.exact)
    rows = {}
    try:
        coarse = load_json(args.coarse)
        masks = max(1, num_masks(coarse))
        for name, path in files.items():
            rows[name] = evaluate_candidate(exact, load_json(path), path, args.nproc)
        if args.checkpoint:
            rows['round 1']['ms_per_mask'] = 1e3 * refiner_seconds / masks
        correctors = [(f'coarse eroded {px} px', f'{args.coarse} eroded',
                       lambda px=px: eroded(coarse, px, args.coarse)) for px in args.erode]
        if args.grabcut:
            correctors.append((f'GrabCut from coarse ({GrabCutSettings().describe()})',
                               f'{args.coarse} GrabCut',
                               lambda: grabcut_corrected(coarse, args.img_root, args.coarse)))
        for name, source, correct in correctors:
            start = time.perf_counter()
            corrected = correct()
            seconds = time.perf_counter() - start
            rows[name] = dict(evaluate_candidate(exact, corrected, source, args.nproc),
                              ms_per_mask=1e3 * seconds / masks)
        if args.base_results:
            base = results_as_annotations(exact, load_json(args.base_results),
                                          args.base_results)
            rows['base head masks'] = evaluate_candidate(exact, base, args.base_results,
                                                         args.nproc)
    except (OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    columns = COLUMNS if not args.columns else tuple(c for c in COLUMNS
                                                     if c[0] in args.columns)
    print(with_times(markdown_table(rows, columns), rows))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=2)
    if args.figure:
        if not args.img_root:
            print('error: --figure needs --img-root', file=sys.stderr)
            return 1
        draw_rounds(args.exact, files, args.figure, args.img_root)
    return 0


if __name__ == '__main__':
    sys.exit(main())
