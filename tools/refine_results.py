"""Refine the masks of any VIS model's results file with VMT's class-agnostic refiner.

    python tools/refine_results.py CONFIG CHECKPOINT --videos VIDEOS.json --img-root DIR \
        RESULTS.json --out REFINED.json [--conf-thr 0.65] [--score-thr 0] [--device cpu]

RESULTS.json is a YouTube-VIS results file (``video_id``, ``category_id``, ``score``,
``segmentations``) of any model, e.g. mmdet's Mask2Former-VIS (``tools/test.py CONFIG CKPT
--out results.json``). VIDEOS.json holds its videos (the dataset's annotation file: ``id``,
``height``, ``width``, ``file_names`` relative to ``--img-root``). CONFIG and CHECKPOINT are
a VMT model (its refiner is used, class-agnostic). REFINED.json gets every entry of
RESULTS.json in its order, with the same scores, categories, videos and null frames; a mask
changes only inside the region the refiner refined and where its confidence exceeds
``--conf-thr``. The inputs are only read; REFINED.json must be a new file.
"""
import argparse
import os.path as osp

import torch
from mmengine.config import DictAction

from mmvmt.engine import ResultRefiner, build_refiner, dump_json_atomic
from mmvmt.evaluation.functional import YTVISInputError
from mmvmt.utils import register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Refine a VIS results file with VMT's refiner")
    parser.add_argument('config', help='config of the VMT model')
    parser.add_argument('checkpoint', help='checkpoint of the VMT model')
    parser.add_argument('results', help='YouTube-VIS results JSON to refine (only read)')
    parser.add_argument('--videos', required=True,
                        help="YouTube-VIS JSON with the results' videos (file_names, sizes)")
    parser.add_argument('--img-root', required=True, help='folder of the frame files')
    parser.add_argument('--out', required=True, help='the refined results JSON (new file)')
    parser.add_argument('--conf-thr', type=float, default=0.65,
                        help='a pixel changes only where the confidence exceeds this')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='results with a lower score are copied unrefined')
    parser.add_argument('--max-tracks-per-pass', type=int, default=8,
                        help='tracks refined together (memory bound)')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, "key=value" pairs')
    return parser.parse_args(argv)


def check_paths(args: argparse.Namespace) -> None:
    """Refuse an output that is an input or exists, before any work."""
    out = osp.realpath(args.out)
    for name in ('results', 'videos', 'config', 'checkpoint'):
        if osp.realpath(getattr(args, name)) == out:
            raise SystemExit(f'refine_results: --out {args.out} is the {name} input; inputs '
                             'are never overwritten')
    if osp.exists(args.out):
        raise SystemExit(f'refine_results: {args.out} exists; choose a new --out')
    for name in ('results', 'videos', 'config', 'checkpoint'):
        if not osp.isfile(getattr(args, name)):
            raise SystemExit(f'refine_results: {name} file {getattr(args, name)} not found')
    if not osp.isdir(args.img_root):
        raise SystemExit(f'refine_results: --img-root {args.img_root} is not a folder')


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_paths(args)
    register_all_modules(init_default_scope=False)
    refiner = ResultRefiner(args.conf_thr, max_tracks_per_pass=args.max_tracks_per_pass,
                            score_thr=args.score_thr)
    try:
        refiner.check_inputs(args.videos, args.results)  # fail before the model is built
        model = build_refiner(args.config, args.checkpoint, args.device, args.cfg_options)
        refined, stats = refiner.refine_results(model, args.videos, args.img_root,
                                                args.results)
    except YTVISInputError as err:
        raise SystemExit(f'refine_results: {err}')
    dump_json_atomic(refined, args.out)
    print(f'\nrefined {stats["refined_results"]} of {stats["results"]} results in '
          f'{stats["videos"]} videos: {stats["pixels_changed"]} pixels changed inside '
          f'{stats["pixels_refined"]} refined pixels -> {args.out}')
    return stats


if __name__ == '__main__':
    main()
