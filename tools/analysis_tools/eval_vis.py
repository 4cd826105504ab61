"""Offline Tube-Boundary AP (AP^B) and tube mask AP (AP^M) of YouTube-VIS-format files.

    python tools/analysis_tools/eval_vis.py GT.json RESULTS.json [--out metrics.json]
        [--per-category] [--boundary-ratio 0.02] [--max-dets 1 10 100] [--nproc 2]
        [--coarse-segm] [--mask-only]

Prints both tables as the YouTube-VIS API does and, with ``--out``, writes
``{"boundary": {"AP": .., ..., "ARl": ..}, "segm": {...}}`` (values in [0, 1], -1 where
undefined). Semantics: those of the evaluator released with HQ-YTVIS (docs/metric.md).
Bad options and an ``--out`` that is an input or cannot be written are refused before any
work; a bad entry stops the run with a message naming the file, the entry and the problem.
Only the format checks and the pure metric functions are imported (numpy, OpenCV,
pycocotools), so the tool starts in a fraction of a second.
"""
import argparse
import json
import math
import os
import sys
import time

from mmvmt.evaluation.functional import DEFAULT_MAX_DETS, evaluate_tube_ap, format_summary
from mmvmt.structures import YTVISFormatError
from mmvmt.utils.output_paths import OutputPathError, annotation_folders, check_output_path

TITLES = {'boundary': 'Tube-Boundary AP (AP^B)', 'segm': 'Tube mask AP (AP^M)'}


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f'expected a number in (0, 1), got {text!r}')
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f'expected a positive integer, got {text!r}')
    return value


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Tube-Boundary AP of YouTube-VIS results')
    parser.add_argument('gt', help='ground-truth JSON (YouTube-VIS format)')
    parser.add_argument('results', help='results JSON: [{video_id, category_id, score, '
                        'segmentations}]')
    parser.add_argument('--out', help='write the summary numbers to this JSON file (never '
                        'one of the inputs)')
    parser.add_argument('--per-category', action='store_true',
                        help='also print the AP of every category')
    parser.add_argument('--boundary-ratio', type=_fraction, default=0.02,
                        help='boundary band width as a fraction of the frame diagonal, in '
                        '(0, 1) (default 0.02)')
    parser.add_argument('--max-dets', type=_positive_int, nargs=3,
                        default=list(DEFAULT_MAX_DETS), metavar='N',
                        help='the three maxDets settings, ascending (default 1 10 100)')
    parser.add_argument('--nproc', type=_positive_int, default=os.cpu_count() or 1,
                        help='processes evaluating videos (default: all cores)')
    parser.add_argument('--coarse-segm', action='store_true',
                        help='score against the GT "segmentations" even where '
                        '"segmentations_refined" is present (read by default, as the HQ-YTVIS '
                        'release does)')
    parser.add_argument('--mask-only', action='store_true', help='compute AP^M only')
    args = parser.parse_args(argv)
    if args.max_dets != sorted(args.max_dets):
        parser.error(f'argument --max-dets: expected ascending numbers, got {args.max_dets}')
    if args.out:
        try:
            check_output_path(args.out, inputs=[args.gt, args.results],
                              protected_dirs=annotation_folders([args.gt]), option='--out')
        except OutputPathError as e:
            parser.error(str(e))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    iou_types = ('segm', ) if args.mask_only else ('boundary', 'segm')
    start = time.perf_counter()
    try:
        out = evaluate_tube_ap(args.gt, args.results, iou_types=iou_types,
                               boundary_ratio=args.boundary_ratio, max_dets=args.max_dets,
                               use_refined_segm=not args.coarse_segm, nproc=args.nproc,
                               progress=True)
    except (YTVISFormatError, OSError) as e:
        print(f'\nerror: {e}', file=sys.stderr)
        return 1
    print(f'\nevaluated in {time.perf_counter() - start:.2f} s')
    for iou_type in iou_types:
        print(f'\n{TITLES[iou_type]}')
        print(format_summary(list(out[iou_type]['stats'].values()), args.max_dets))
    if args.per_category:
        names = list(out[iou_types[0]]['per_category'])
        width = max([len('category')] + [len(n) for n in names])
        print('\n' + f'{"category":<{width}}' + ''.join(f'{t:>10}' for t in iou_types))
        for name in names:
            print(f'{name:<{width}}' + ''.join(
                f'{out[t]["per_category"][name]:>10.3f}' for t in iou_types))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump({t: out[t]['stats'] for t in iou_types}, f, indent=2)
        print(f'\nwrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
