"""Benchmark of the Tube-Boundary AP evaluator against a plain implementation.

Generates (or takes) YouTube-VIS ground truth and results of many 36-frame 720p videos -- by
default the load of the HQ-YTVIS issue: 40 videos, 105 GT tracks, 197 results -- then, each in
a fresh process so that memory is measured cleanly:

* ``eval_vis``: the offline tool ``tools/analysis_tools/eval_vis.py`` as a user runs it, timed
  as a whole process (start-up, imports, reading the JSON, evaluation, printing);
* ``fast``:  mmvmt's evaluator (``evaluate_tube_ap``) from the JSON files, ``--nproc`` processes;
* ``plain``: the plain evaluator the tests check mmvmt against
  (``tests/test_evaluation/plain_tube_ap.py``: per pair and frame, decode both masks, erode
  both, intersect; COCO loops), which works like the evaluator released with HQ-YTVIS;

and prints seconds (the whole process's wall time; the evaluation's wall time, total and per
video; CPU seconds of the process and its workers -- the evaluation's, for ``eval_vis`` the
whole process's -- which stay meaningful on a machine shared with other jobs), peak resident memory of the main process and of the largest worker, the
speed ratios, the seconds per MB of input, and whether all 24 summary numbers agree.

Example::

    python tools/analysis_tools/benchmark_metric.py                  # generate and run
    python tools/analysis_tools/benchmark_metric.py --out-dir work_dirs/bench --skip-plain
    python tools/analysis_tools/benchmark_metric.py --gt GT.json --results RES.json
"""
import argparse
import json
import os
import os.path as osp
import re
import resource
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from mmvmt.structures import encode_mask
from mmvmt.utils.output_paths import OutputPathError, check_output_path

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PLAIN = osp.join(REPO, 'tests', 'test_evaluation')
EVAL_VIS = osp.join(REPO, 'tools', 'analysis_tools', 'eval_vis.py')
GENERATED = ('gt.json', 'results.json')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark the Tube-Boundary AP evaluator')
    parser.add_argument('--gt', help='GT file to use instead of generated data')
    parser.add_argument('--results', help='results file to use instead of generated data')
    parser.add_argument('--videos', type=int, default=40, help='videos to generate')
    parser.add_argument('--frames', type=int, default=36, help='frames per video')
    parser.add_argument('--height', type=int, default=720)
    parser.add_argument('--width', type=int, default=1280)
    parser.add_argument('--gt-tracks', type=int, default=105, help='GT tracks in total')
    parser.add_argument('--result-tracks', type=int, default=197, help='results in total')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out-dir', help='keep the generated files here (default: temp)')
    parser.add_argument('--nproc', type=int, default=os.cpu_count() or 1,
                        help='processes of the fast evaluator (default: all cores)')
    parser.add_argument('--skip-plain', action='store_true', help='time the fast one only')
    parser.add_argument('--run', choices=['fast', 'plain'], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        return args
    if (args.gt is None) != (args.results is None):
        parser.error('give both --gt and --results, or neither (to generate the data)')
    if args.out_dir and not args.gt:
        # Checked before the data are generated; a file already there may be anyone's
        # ground truth, so it is never replaced.
        try:
            check_output_path(args.out_dir, is_dir=True, option='--out-dir')
            for name in GENERATED:
                path = osp.join(args.out_dir, name)
                check_output_path(path, option='--out-dir')
                if osp.lexists(path):
                    raise OutputPathError(f'--out-dir {args.out_dir}: {path} exists; the '
                                          'benchmark never overwrites a file (choose a new '
                                          'or empty folder)')
        except OutputPathError as e:
            parser.error(str(e))
    return args


def blob_polygon(rng, radius, num=24):
    """Radii of a jagged star-shaped outline around a centre, relative to ``radius``."""
    return radius * rng.uniform(0.75, 1.25, size=num)


def draw(h, w, cx, cy, radii, angle0):
    mask = np.zeros((h, w), np.uint8)
    angles = angle0 + np.linspace(0, 2 * np.pi, len(radii), endpoint=False)
    pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask


def generate(args):
    """GT and results like YouTube-VIS: moving jagged objects entering and leaving; per GT a
    result that follows it with a noisy outline, then extra results: mostly weaker second
    hypotheses of GT objects (same category), some unrelated false positives."""
    rng = np.random.default_rng(args.seed)
    h, w, T = args.height, args.width, args.frames
    gt = dict(videos=[], annotations=[],
              categories=[dict(id=c, name=f'class{c}') for c in range(1, 41)])
    results = []
    per_video = np.bincount(rng.integers(0, args.videos, args.gt_tracks),
                            minlength=args.videos)
    extra = args.result_tracks - args.gt_tracks
    fps_per_video = np.bincount(rng.integers(0, args.videos, max(0, extra)),
                                minlength=args.videos)
    ann_id = 1
    for v in range(args.videos):
        vid = v + 1
        gt['videos'].append(dict(id=vid, height=h, width=w, length=T,
                                 file_names=[f'{vid:04d}/{t:05d}.jpg' for t in range(T)]))
        for _ in range(per_video[v]):
            cat = int(rng.integers(1, 41))
            radius = rng.uniform(0.04, 0.3) * min(h, w)
            radii = blob_polygon(rng, radius)
            c0 = rng.uniform([radius, radius], [w - radius, h - radius])
            vel = rng.normal(0, 0.005 * min(h, w), size=2)
            first, last = sorted(rng.integers(0, T, size=2)) if rng.random() < 0.4 else (0, T - 1)
            masks, dets = [], []
            for t in range(T):
                if not first <= t <= last:
                    masks.append(None)
                    dets.append(None)
                    continue
                cx, cy = c0 + vel * t
                masks.append(draw(h, w, cx, cy, radii, 0.02 * t))
                noisy = radii + rng.normal(0, 0.04 * radius, size=radii.size)
                dets.append(draw(h, w, cx + rng.normal(0, 3), cy + rng.normal(0, 3), noisy,
                                 0.02 * t))
            gt['annotations'].append(dict(
                id=ann_id, video_id=vid, category_id=cat, iscrowd=0, height=h, width=w,
                areas=[None if m is None else float(m.sum()) for m in masks],
                bboxes=[None if m is None else list(cv2.boundingRect(m)) for m in masks],
                segmentations=[None if m is None else encode_mask(m) for m in masks]))
            ann_id += 1
            results.append(dict(
                video_id=vid, category_id=cat, score=float(rng.uniform(.3, 1)),
                segmentations=[None if m is None else encode_mask(m) for m in dets]))
        video_gt = gt['annotations'][len(gt['annotations']) - per_video[v]:]
        for _ in range(fps_per_video[v]):
            if video_gt and rng.random() < 0.75:
                # A second hypothesis of a GT object, as VIS models' top-k outputs hold: same
                # category, lower score, a coarser and displaced mask, or only part of the
                # track.
                ann = video_gt[rng.integers(len(video_gt))]
                cat, dx, dy = ann['category_id'], *rng.normal(0, 25, size=2)
                keep = rng.random() < 0.5
                segms = []
                for s in ann['segmentations']:
                    if s is None or (keep and rng.random() < 0.5):
                        segms.append(None)
                        continue
                    m = mask_utils.decode(s)
                    m = cv2.dilate(m, np.ones((9, 9), np.uint8)) if rng.random() < 0.5 \
                        else cv2.erode(m, np.ones((9, 9), np.uint8))
                    shift = np.float32([[1, 0, dx], [0, 1, dy]])
                    segms.append(encode_mask(cv2.warpAffine(m, shift, (w, h),
                                                            flags=cv2.INTER_NEAREST)))
            else:
                cat = int(rng.integers(1, 41))
                radius = rng.uniform(0.03, 0.2) * min(h, w)
                radii = blob_polygon(rng, radius)
                cx, cy = rng.uniform([radius, radius], [w - radius, h - radius])
                segms = [encode_mask(draw(h, w, cx + 2 * t, cy, radii, 0))
                         if rng.random() < 0.8 else None for t in range(T)]
            results.append(dict(video_id=vid, category_id=cat,
                                score=float(rng.uniform(0, .6)), segmentations=segms))
    return gt, results


def run_one(kind, gt_file, res_file, nproc):
    """Evaluate in this process; print a JSON line with time, memory and the numbers."""
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if kind == 'fast':
        from mmvmt.evaluation.functional import evaluate_tube_ap
        import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        out = evaluate_tube_ap(gt_file, res_file, nproc=nproc)
        seconds = time.perf_counter() - start
        stats = {k: list(v['stats'].values()) for k, v in out.items()}
    else:
        sys.path.insert(0, PLAIN)
        from plain_tube_ap import plain_evaluate
        import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        with open(gt_file) as f:
            gt = json.load(f)
        with open(res_file) as f:
            results = json.load(f)
        stats = {k: plain_evaluate(gt, results, k).tolist() for k in ('boundary', 'segm')}
        seconds = time.perf_counter() - start
    print(json.dumps(dict(
        seconds=seconds, cpu_seconds=_cpu_seconds() - cpu_start, stats=stats,
        import_rss_mb=max(base_rss, import_rss) / 1024,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        worker_peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)))


def _cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_process(cmd):
    """Run ``cmd``; its stdout, whole-process wall seconds, CPU seconds and peak RSS (MB)."""
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            sys.exit(f'{" ".join(cmd)} failed:\n{err.read()}')
        return (out.read(), seconds, usage.ru_utime + usage.ru_stime,
                usage.ru_maxrss / 1024)


def launch(kind, gt_file, res_file, nproc):
    stdout, seconds, _, _ = run_process([
        sys.executable, osp.abspath(__file__), '--run', kind, '--gt', gt_file, '--results',
        res_file, '--nproc', str(nproc)])
    return dict(json.loads(stdout.strip().splitlines()[-1]), process_seconds=seconds)


def launch_eval_vis(gt_file, res_file, nproc):
    """The offline tool as a user runs it; its numbers are read back from ``--out``."""
    with tempfile.TemporaryDirectory() as tmp:
        out_file = osp.join(tmp, 'metrics.json')
        stdout, seconds, cpu, rss = run_process([
            sys.executable, EVAL_VIS, gt_file, res_file, '--nproc', str(nproc), '--out',
            out_file])
        with open(out_file) as f:
            stats = {k: list(v.values()) for k, v in json.load(f).items()}
    evaluated = float(re.search(r'evaluated in ([0-9.]+) s', stdout).group(1))
    return dict(process_seconds=seconds, seconds=evaluated, cpu_seconds=cpu,
                peak_rss_mb=rss, worker_peak_rss_mb=0, import_rss_mb=None, stats=stats)


def main(argv=None):
    args = parse_args(argv)
    if args.run:
        run_one(args.run, args.gt, args.results, args.nproc)
        return
    tmp = None
    if args.gt and args.results:
        gt_file, res_file = args.gt, args.results
    else:
        out_dir = args.out_dir or (tmp := tempfile.TemporaryDirectory()).name
        os.makedirs(out_dir, exist_ok=True)
        gt_file, res_file = (osp.join(out_dir, name) for name in GENERATED)
        start = time.perf_counter()
        gt, results = generate(args)
        for path, obj in ((gt_file, gt), (res_file, results)):
            with open(path, 'w') as f:
                json.dump(obj, f)
        print(f'generated {len(gt["videos"])} videos of {args.frames} frames '
              f'{args.height}x{args.width}, {len(gt["annotations"])} GT tracks, '
              f'{len(results)} results in {time.perf_counter() - start:.1f} s -> {gt_file}')
    with open(gt_file) as f:
        num_videos = len(json.load(f)['videos'])

    print(f'load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores')
    runs = {f'eval_vis.py ({args.nproc} proc)': launch_eval_vis(gt_file, res_file, args.nproc),
            f'fast ({args.nproc} proc)': launch('fast', gt_file, res_file, args.nproc)}
    if not args.skip_plain:
        runs['plain (1 proc, per pair)'] = launch('plain', gt_file, res_file, 1)
    header = f'{"evaluator":<26}{"process s":>10}{"eval s":>8}{"s/video":>9}{"CPU s":>8}' \
             f'{"peak RSS MB":>13}{"worker RSS MB":>15}{"RSS after imports":>19}'
    print(header)
    print('-' * len(header))
    for name, r in runs.items():
        worker = f'{r["worker_peak_rss_mb"]:.0f}' if r['worker_peak_rss_mb'] else '-'
        imports = '-' if r['import_rss_mb'] is None else f'{r["import_rss_mb"]:.0f}'
        print(f'{name:<26}{r["process_seconds"]:>10.2f}{r["seconds"]:>8.2f}'
              f'{r["seconds"] / num_videos:>9.3f}{r["cpu_seconds"]:>8.2f}'
              f'{r["peak_rss_mb"]:>13.0f}{worker:>15}{imports:>19}')
    megabytes = (osp.getsize(gt_file) + osp.getsize(res_file)) / 2 ** 20
    print(f'input {megabytes:.1f} MB (GT + results); evaluation seconds per MB: '
          + ', '.join(f'{name} {r["seconds"] / megabytes:.2f}' for name, r in runs.items()))
    cli, fast = list(runs.values())[:2]
    print(f'eval_vis.py whole process: {cli["process_seconds"]:.2f} s, of which the '
          f'evaluation {cli["seconds"]:.2f} s')
    worst = max(abs(a - b) for k in fast['stats']
                for a, b in zip(fast['stats'][k], cli['stats'][k]))
    print(f'eval_vis.py and fast agree: largest difference {worst:.1e}')
    if not args.skip_plain:
        plain = runs['plain (1 proc, per pair)']
        worst = max(abs(a - b) for k in fast['stats']
                    for a, b in zip(fast['stats'][k], plain['stats'][k]))
        print(f'speed-up over plain: {plain["process_seconds"] / cli["process_seconds"]:.1f}x '
              f'whole process (eval_vis.py), {plain["seconds"] / fast["seconds"]:.1f}x '
              f'evaluation wall, {plain["cpu_seconds"] / fast["cpu_seconds"]:.1f}x CPU; '
              f'largest difference of the 24 summary numbers: {worst:.1e}')
    print('AP^B {:.4f}  AP^M {:.4f}'.format(fast['stats']['boundary'][0],
                                           fast['stats']['segm'][0]))
    if tmp:
        tmp.cleanup()


if __name__ == '__main__':
    main()
