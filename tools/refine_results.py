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
SHA-256), and the progress file is removed once REFINED.json is written. On resuming, every
record of the progress file is checked against the inputs; a damaged file is refused naming
its line (see :func:`load_progress`), a file left empty by a kill before its first line is a
new run. One run at a time writes REFINED.json: it holds ``REFINED.json.lock`` (see
:mod:`mmvmt.utils.output_lock`) from before any work to the end, and a second run on the
same ``--out`` refuses at once.
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
from contextlib import ExitStack
from dataclasses import asdict
from typing import Dict, List, NoReturn, Optional, Tuple

import torch
from mmengine.config import DictAction

from mmvmt.engine import (CorrectionSettings, CorrectionSettingsError, ResultRefiner,
                          build_refiner, dump_json_atomic, file_sha256)
from mmvmt.structures import YTVISFormatError, YTVISVideo, check_segmentation
from mmvmt.utils import register_all_modules
from mmvmt.utils.output_lock import OutputLockedError, lock_path, output_lock
from mmvmt.utils.output_paths import OutputPathError, annotation_folders, check_output_path


def parse_args(argv=None) -> argparse.Namespace:
    """The options; an option out of its range is one line and exit code 2.

    ``args.settings`` gets the checked :class:`~mmvmt.engine.CorrectionSettings`.
    """
    parser = argparse.ArgumentParser(description="Refine a VIS results file with VMT's refiner")
    parser.add_argument('config', help='config of the VMT model')
    parser.add_argument('checkpoint', help='checkpoint of the VMT model')
    parser.add_argument('results', help='YouTube-VIS results JSON to refine (only read)')
    parser.add_argument('--videos', required=True,
                        help="YouTube-VIS JSON with the results' videos (file_names, sizes)")
    parser.add_argument('--img-root', required=True, help='folder of the frame files')
    parser.add_argument('--out', required=True, help='the refined results JSON (new file)')
    parser.add_argument('--conf-thr', type=float, default=CorrectionSettings.conf_thr,
                        help='a pixel changes only where the confidence exceeds this')
    parser.add_argument('--remove-thr', type=float, default=CorrectionSettings.remove_thr,
                        help='a pixel of a result leaves its mask only where the confidence '
                        'exceeds this (default: --conf-thr)')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='results with a lower score are copied unrefined')
    parser.add_argument('--max-tracks-per-pass', type=int,
                        default=CorrectionSettings.max_tracks_per_pass,
                        help='tracks refined together (memory bound)')
    parser.add_argument('--resume', action='store_true',
                        help='continue an interrupted run from its progress file')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, "key=value" pairs')
    args = parser.parse_args(argv)
    try:
        args.settings = CorrectionSettings(conf_thr=args.conf_thr, remove_thr=args.remove_thr,
                                           max_tracks_per_pass=args.max_tracks_per_pass)
    except CorrectionSettingsError as err:
        usage_error(f'--{str(err).split(" ")[0].replace("_", "-")}: {err}')
    if not math.isfinite(args.score_thr):
        usage_error(f'--score-thr must be a number, got {args.score_thr}')
    return args


def usage_error(message: str) -> NoReturn:
    """An argument error: one line on stderr, exit code 2."""
    print(f'refine_results: error: {message}', file=sys.stderr)
    raise SystemExit(2)


PROGRESS_SUFFIX = '.progress.jsonl'


def run_settings(args: argparse.Namespace) -> dict:
    """What a resumed run must share with the run it continues."""
    return dict(results_sha256=file_sha256(args.results),
                videos_sha256=file_sha256(args.videos),
                checkpoint_sha256=file_sha256(args.checkpoint),
                config=osp.abspath(args.config), cfg_options=args.cfg_options or {},
                conf_thr=args.settings.conf_thr, remove_thr=args.settings.remove_thr,
                score_thr=args.score_thr)


def load_progress(path: str, settings: dict, plan: Dict[int, List[int]],
                  videos: Dict[int, YTVISVideo], results: List[dict]
                  ) -> Tuple[Optional[Dict[int, dict]], int]:
    """The videos an interrupted run finished, each record checked against the inputs.

    The file is a settings line, then one record per refined video: its ``video_id`` (a
    video this run refines), ``segmentations`` (result index in RESULTS -> refined masks, for
    exactly the results of that video that this run refines; per frame a compressed RLE of
    the video's size, null where the result is null), ``pixels_changed`` and
    ``pixels_refined`` (counts). A last line cut short by the interruption (no newline at
    its end) is ignored: that video is refined again. Anything else that is not so (a line
    that is not JSON, a missing or extra key, an unknown video or result, a second settings
    line or a second record of one video) is refused: its records are never half used.

    Args:
        path (str): The progress file.
        settings (dict): This run's :func:`run_settings`.
        plan (dict): video id -> the indices of the results this run refines.
        videos (dict): The checked videos by id.
        results (list[dict]): The checked results.

    Returns:
        tuple: video id -> record (None if the file holds no whole line: nothing was done)
        and the length in bytes of its whole lines (what a resumed run appends to).

    Raises:
        SystemExit: Naming the file, the line and what was expected, or the settings that
            differ.
    """
    with open(path, 'rb') as f:
        lines = f.read().split(b'\n')
    kept = sum(len(line) + 1 for line in lines[:-1])  # lines[-1]: b'' or a cut-off line
    if len(lines) == 1:
        return None, 0

    def refuse(number: int, expected: str) -> NoReturn:
        raise SystemExit(f'refine_results: {path} line {number}: {expected}; this progress '
                         'file cannot be resumed (delete it to start again)')

    records = []
    for number, line in enumerate(lines[:-1], 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            refuse(number, 'expected one JSON object, the line is not JSON')
        if not isinstance(records[-1], dict):
            refuse(number, f'expected a JSON object, got {type(records[-1]).__name__}')
    if list(records[0]) != ['settings'] or not isinstance(records[0]['settings'], dict):
        refuse(1, 'expected the settings line {"settings": {...}} that a run writes first')
    before = records[0]['settings']
    changed = sorted(k for k in settings if before.get(k) != json.loads(json.dumps(
        settings[k])))
    if changed:
        raise SystemExit(f'refine_results: {path} was written with other {changed}; '
                         'resume with the same inputs and settings, or delete it')
    done: Dict[int, dict] = {}
    lines_of: Dict[int, int] = {}
    keys = ['pixels_changed', 'pixels_refined', 'segmentations', 'video_id']
    for number, record in enumerate(records[1:], 2):
        if 'settings' in record:
            refuse(number, 'a second settings line (two runs wrote this file); expected one '
                   'record per refined video')
        if sorted(record) != keys:
            refuse(number, f'expected a record with the keys {keys}, got {sorted(record)}')
        video_id = record['video_id']
        if type(video_id) is not int or video_id not in plan:
            refuse(number, f'video_id {video_id!r} is not a video whose results this run '
                   f'refines (expected one of {sorted(plan)})')
        if video_id in done:
            refuse(number, f'a second record of video {video_id} (the first on line '
                   f'{lines_of[video_id]})')
        for key in ('pixels_changed', 'pixels_refined'):
            if type(record[key]) is not int or record[key] < 0:
                refuse(number, f'{key} must be a count >= 0, got {record[key]!r}')
        _check_record_masks(record['segmentations'], plan[video_id], videos[video_id],
                            results, lambda expected: refuse(number, expected))
        done[video_id], lines_of[video_id] = record, number
    return done, kept


def _check_record_masks(segmentations, indices: List[int], video: YTVISVideo,
                        results: List[dict], refuse) -> None:
    """A record's ``segmentations``: the refined masks of exactly ``indices``, frame by
    frame as the results (an RLE of the video's size where the result has a mask)."""
    expected = sorted(str(i) for i in indices)
    if not isinstance(segmentations, dict) or sorted(segmentations) != expected:
        got = sorted(segmentations) if isinstance(segmentations, dict) else \
            type(segmentations).__name__
        refuse(f'segmentations must map the results {expected} of video {video.id} to '
               f'their refined masks, got {got}')
    for i, masks in segmentations.items():
        given = results[int(i)]['segmentations']
        if not isinstance(masks, list) or len(masks) != len(given):
            refuse(f'segmentations["{i}"] must be a list of {len(given)} frames')
        for t, (mask, coarse) in enumerate(zip(masks, given)):
            entry = f'segmentations["{i}"][{t}]'
            if (mask is None) != (coarse is None):
                refuse(f'{entry} must be {"null" if coarse is None else "an RLE"}, as '
                       f'frame {t} of result {i}')
            if mask is None:
                continue
            if not isinstance(mask, dict) or not isinstance(mask.get('counts'), str):
                refuse(f'{entry} must be a compressed RLE (counts a string)')
            try:
                check_segmentation(mask, video.height, video.width)
            except YTVISFormatError as err:
                refuse(f'{entry}: {err.expected}')


def _holds_a_line(path: str) -> bool:
    """Whether a progress file holds a whole line (a run got as far as its settings)."""
    with open(path, 'rb') as f:
        return b'\n' in f.read()


def check_paths(args: argparse.Namespace) -> None:
    """Refuse, before any work, missing inputs and an output that is an input, lies in the
    videos file's folder or exists."""
    for name in ('results', 'videos', 'config', 'checkpoint'):
        if not osp.isfile(getattr(args, name)):
            raise SystemExit(f'refine_results: {name} file {getattr(args, name)} not found')
    if not osp.isdir(args.img_root):
        usage_error(f'--img-root {args.img_root} is not a folder')
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


def check_frames(img_root: str, videos: Dict[int, YTVISVideo], plan: Dict[int, List[int]],
                 videos_file: str) -> None:
    """Refuse an ``--img-root`` without the frames of the videos to refine (a wrong folder
    is an argument error), naming the first missing file."""
    for video_id in plan:
        for name in videos[video_id].file_names:
            if not osp.isfile(osp.join(img_root, name)):
                usage_error(f'--img-root {img_root}: no frame {osp.join(img_root, name)} '
                            f'(video {video_id} of {videos_file})')


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
    refiner = ResultRefiner(**asdict(args.settings), score_thr=args.score_thr)
    progress_file = args.out + PROGRESS_SUFFIX
    try:  # all before the model is built
        videos, results = refiner.check_inputs(args.videos, args.results)
        plan = refiner.videos_to_refine(results)
        check_frames(args.img_root, videos, plan, args.videos)
        settings = run_settings(args)
        done, kept = None, 0
        if osp.exists(progress_file):
            if not args.resume and _holds_a_line(progress_file):
                raise SystemExit(f'refine_results: {progress_file} exists (an interrupted '
                                 'run); add --resume to continue it, or delete it')
            done, kept = load_progress(progress_file, settings, plan, videos, results)
        model = build_refiner(args.config, args.checkpoint, args.device, args.cfg_options)
        # An empty file (killed before its settings line) is a new run; a cut-off last
        # line is dropped before the next record is appended.
        with open(progress_file, 'ab') as log:
            log.truncate(kept)
            if done is None:
                log.write(json.dumps(dict(settings=settings)).encode() + b'\n')
                log.flush()

            def save(video_id: int, record: dict) -> None:
                log.write(json.dumps(dict(record, video_id=video_id)).encode() + b'\n')
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
