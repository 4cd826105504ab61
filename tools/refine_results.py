"""Refine the masks of any VIS model's results file with VMT's class-agnostic refiner.

    python tools/refine_results.py CONFIG CHECKPOINT --videos VIDEOS.json --img-root DIR \
        RESULTS.json --out REFINED.json [--conf-thr 0.65] [--remove-thr 0.9] [--score-thr 0]
        [--device cpu]

RESULTS.json is a YouTube-VIS results file (``video_id``, ``category_id``, ``score``,
``segmentations``) of any model, e.g. mmdet's Mask2Former-VIS (``tools/test.py CONFIG CKPT
--out results.json``). VIDEOS.json holds its videos (the dataset's annotation file: ``id``,
``height``, ``width``, ``file_names`` relative to ``--img-root``). CONFIG and CHECKPOINT are
a VMT model (its refiner is used, class-agnostic). REFINED.json gets every entry of
RESULTS.json in its order, with the same scores, categories, videos and null frames; a mask
changes only inside the region the refiner refined and where its confidence exceeds
``--conf-thr``. The inputs are only read; REFINED.json must be a new file.

Each refined video is appended to ``REFINED.json.progress.jsonl`` as it is done; an
interrupted run continues with ``--resume`` (same inputs, checkpoint and settings, checked by
SHA-256), and the progress file is removed once REFINED.json is written. One run at a time
writes REFINED.json: it holds ``REFINED.json.lock`` (see :mod:`mmvmt.utils.output_lock`) from
before any work to the end, and a second run on the same ``--out`` refuses at once.
"""
import argparse
import json
import os
import os.path as osp
from contextlib import ExitStack
from typing import Dict

import torch
from mmengine.config import DictAction

from mmvmt.engine import ResultRefiner, build_refiner, dump_json_atomic, file_sha256
from mmvmt.structures import YTVISFormatError
from mmvmt.utils import register_all_modules
from mmvmt.utils.output_lock import OutputLockedError, lock_path, output_lock
from mmvmt.utils.output_paths import OutputPathError, annotation_folders, check_output_path


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
    parser.add_argument('--remove-thr', type=float, default=None,
                        help='a pixel of a result leaves its mask only where the confidence '
                        'exceeds this (default: --conf-thr)')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='results with a lower score are copied unrefined')
    parser.add_argument('--max-tracks-per-pass', type=int, default=8,
                        help='tracks refined together (memory bound)')
    parser.add_argument('--resume', action='store_true',
                        help='continue an interrupted run from its progress file')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, "key=value" pairs')
    return parser.parse_args(argv)


PROGRESS_SUFFIX = '.progress.jsonl'


def run_settings(args: argparse.Namespace) -> dict:
    """What a resumed run must share with the run it continues."""
    return dict(results_sha256=file_sha256(args.results),
                videos_sha256=file_sha256(args.videos),
                checkpoint_sha256=file_sha256(args.checkpoint),
                config=osp.abspath(args.config), cfg_options=args.cfg_options or {},
                conf_thr=args.conf_thr, remove_thr=args.remove_thr, score_thr=args.score_thr)


def load_progress(path: str, settings: dict) -> Dict[int, dict]:
    """The videos an interrupted run finished: video id -> record.

    A last line cut short by the interruption is ignored (that video is refined again).

    Raises:
        SystemExit: If the run used other inputs or settings.
    """
    with open(path) as f:
        lines = f.read().splitlines()
    records = []
    for number, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number != len(lines) - 1:
                raise SystemExit(f'refine_results: {path} line {number + 1} is not JSON; '
                                 'delete the file to start again')
    if not records or records[0].get('settings') is None:
        raise SystemExit(f'refine_results: {path} has no settings line; delete it to start '
                         'again')
    before = records[0]['settings']
    changed = sorted(k for k in settings if before.get(k) != json.loads(json.dumps(
        settings[k])))
    if changed:
        raise SystemExit(f'refine_results: {path} was written with other {changed}; '
                         'resume with the same inputs and settings, or delete it')
    return {int(r['video_id']): r for r in records[1:]}


def check_paths(args: argparse.Namespace) -> None:
    """Refuse, before any work, missing inputs and an output that is an input, lies in the
    videos file's folder or exists."""
    for name in ('results', 'videos', 'config', 'checkpoint'):
        if not osp.isfile(getattr(args, name)):
            raise SystemExit(f'refine_results: {name} file {getattr(args, name)} not found')
    if not osp.isdir(args.img_root):
        raise SystemExit(f'refine_results: --img-root {args.img_root} is not a folder')
    inputs = [args.results, args.videos, args.config, args.checkpoint]
    try:
        for path in (args.out, args.out + PROGRESS_SUFFIX, lock_path(args.out)):
            check_output_path(path, inputs=inputs, protected_dirs=annotation_folders(
                [args.videos]), option='--out')
    except OutputPathError as err:
        raise SystemExit(f'refine_results: {err}')
    check_new(args.out)


def check_new(out: str) -> None:
    """Refuse an existing output: it is never overwritten."""
    if osp.exists(out):
        raise SystemExit(f'refine_results: {out} exists; choose a new --out')


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_paths(args)
    with ExitStack() as held:
        try:
            held.enter_context(output_lock(args.out))
        except OutputLockedError as err:
            raise SystemExit(f'refine_results: {err}')
        return refine(args)


def refine(args: argparse.Namespace) -> dict:
    """The run of :func:`main`, with the output's lock held."""
    check_new(args.out)  # a run that held the lock before us may have finished it
    register_all_modules(init_default_scope=False)
    refiner = ResultRefiner(args.conf_thr, max_tracks_per_pass=args.max_tracks_per_pass,
                            score_thr=args.score_thr, remove_thr=args.remove_thr)
    progress_file = args.out + PROGRESS_SUFFIX
    settings = run_settings(args)
    done: Dict[int, dict] = {}
    new_run = not osp.exists(progress_file)
    if not new_run:
        if not args.resume:
            raise SystemExit(f'refine_results: {progress_file} exists (an interrupted run); '
                             'add --resume to continue it, or delete it')
        done = load_progress(progress_file, settings)
    try:
        refiner.check_inputs(args.videos, args.results)  # fail before the model is built
        model = build_refiner(args.config, args.checkpoint, args.device, args.cfg_options)
        with open(progress_file, 'a') as log:
            if new_run:
                log.write(json.dumps(dict(settings=settings)) + '\n')

            def save(video_id: int, record: dict) -> None:
                log.write(json.dumps(dict(record, video_id=video_id)) + '\n')
                log.flush()

            refined, stats = refiner.refine_results(model, args.videos, args.img_root,
                                                    args.results, done=done, on_video=save)
    except YTVISFormatError as err:
        raise SystemExit(f'refine_results: {err}')
    dump_json_atomic(refined, args.out)
    os.remove(progress_file)
    print(f'\nrefined {stats["refined_results"]} of {stats["results"]} results in '
          f'{stats["videos"]} videos: {stats["pixels_changed"]} pixels changed inside '
          f'{stats["pixels_refined"]} refined pixels -> {args.out}')
    return stats


if __name__ == '__main__':
    main()
