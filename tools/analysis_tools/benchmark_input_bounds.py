"""Seconds the readers and the metric spend on hostile inputs, per MB of input (issue 23).

Usage::

    python tools/analysis_tools/benchmark_input_bounds.py [--kb 16]

Each case writes a ground-truth file (and results) of about ``--kb`` KB built to make the
code work as hard as the format allows per byte, then times three readers on it: the
format check (``read_ytvis_annotations`` + decoding every mask as the metric does), the
dataset conversion (``ytvis_to_cocovid``) and the metric (``evaluate_tube_ap``, AP^M alone
and with AP^B). The table gives the wall seconds and, in brackets, the wall and CPU seconds per
MB of input (the work is linear in the input: what 1 MB would take). The target of
issue 23 is <= 10 s for any input of <= 1 MB.

Measured 2026-12-08 on the shared 2-core machine (nice 10, load 5-7 from other jobs, so
the wall times are about 2.5x the CPU times), metric AP^M + AP^B, seconds per MB of input:

==========================================  ======================  =======================
input                                       before, wall (--kb 16)  after, wall; CPU (1 MB)
==========================================  ======================  =======================
full-frame masks 720 x 1280                 51.8                    6.9; 2.8
full-frame masks 4096 x 4096                3176                    11.1; 4.4
a different run per column 720 x 1280       -                       1.0; 0.4
a different run per column 4096 x 4096      -                       9.5; 5.8
stripes RLE 1024 x 1024                     0.3                     0.2; 0.1
max-outline polygons 512 x 512              1.5                     0.3; 0.3
==========================================  ======================  =======================

Before, the band was eroded densely on each mask's bounding box (work in proportion to the
pixels, which a 40-byte RLE names by the million), and a track of 256 or more frames made
pycocotools' ``area`` fail, so no file of more than about 25 KB of such masks could be
scored. Now the band of each mask is eroded from its runs or densely on its box, whichever
costs less (``mmvmt.structures.boundary``), many frames per call; peak memory 160 MB.
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
import time

import numpy as np

from mmvmt.evaluation.functional import evaluate_tube_ap
from mmvmt.structures import (MAX_FRAME_PIXELS, YTVISFormatError, encode_mask, frames_to_rles,
                              read_ytvis_annotations, ytvis_to_cocovid)


def _file(height, width, segms_per_frame, num_frames, results_too):
    gt = dict(videos=[dict(id=1, height=height, width=width, length=num_frames,
                           file_names=[f'v/{t}.jpg' for t in range(num_frames)])],
              categories=[dict(id=1, name='a')],
              annotations=[dict(id=1, video_id=1, category_id=1,
                                segmentations=segms_per_frame(num_frames))])
    results = [dict(video_id=1, category_id=1, score=0.9,
                    segmentations=segms_per_frame(num_frames))] if results_too else []
    return gt, results


def cases(num_bytes):
    """(name, gt, results) of about ``num_bytes`` bytes each."""
    # 1. The longest RLE string a frame allows: runs of one pixel (stripes), one frame.
    side = 1024
    runs = [0] + [1] * (min(side * side, num_bytes) - 1)
    runs.append(side * side - sum(runs))
    counts = ''.join(_count(c - runs[i - 2] if i > 2 else c) for i, c in enumerate(runs))
    gt, res = _file(side, side, lambda t: [dict(size=[side, side], counts=counts)], 1, True)
    yield f'stripes RLE, {len(runs)} runs, {side}x{side}', gt, res
    # 2, 3. Full-frame masks (the shortest string for the most pixels), many frames.
    for h, w in ((720, 1280), (4096, 4096)):
        if h * w > MAX_FRAME_PIXELS:
            continue
        full = encode_mask(np.ones((h, w), bool))
        per_frame = len(json.dumps(full)) * 2 + 2
        frames = max(1, num_bytes // per_frame)
        gt, res = _file(h, w, lambda t, full=full: [full] * t, frames, True)
        yield f'full-frame masks {h}x{w}, {frames} frames', gt, res
    # 4, 5. One run per column, no two columns alike, long enough to survive the vertical
    # erosion: the most events per byte for the band computed from the runs.
    for h, w in ((720, 1280), (4096, 4096)):
        if h * w > MAX_FRAME_PIXELS:
            continue
        rows = np.random.default_rng(0).integers(h // 4, 3 * h // 4, w)
        stairs = encode_mask(np.arange(h)[:, None] < rows[None, :])
        per_frame = len(json.dumps(stairs)) * 2 + 2
        frames = max(1, num_bytes // per_frame)
        gt, res = _file(h, w, lambda t, stairs=stairs: [stairs] * t, frames, True)
        yield f'a different run per column {h}x{w}, {frames} frames', gt, res
    # 6. Polygons with the longest outline the check allows, zig-zagging over a frame.
    h = w = 512
    zig = []
    for x in range(0, w, 2):
        zig += [x, 0, x + 1, h - 1]
    polygon = zig + [w - 1, h - 1, 0, h - 1]
    per_frame = len(json.dumps([polygon])) + 2
    frames = max(1, num_bytes // per_frame)
    gt, res = _file(h, w, lambda t: [[polygon]] * t, frames, False)
    yield f'max-outline polygons {h}x{w}, {frames} frames', gt, res


def _count(value):
    digits = []
    while True:
        digit = value & 0x1f
        value >>= 5
        more = value != 0 if not digit & 0x10 else value != -1
        digits.append(chr(48 + (digit | (0x20 if more else 0))))
        if not more:
            return ''.join(digits)


def _time(func):
    """Wall and CPU seconds of ``func()`` (CPU time stays meaningful on a shared machine)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        func()
    except YTVISFormatError as e:
        return f'refused ({str(e)[:40]})'
    return time.perf_counter() - start, time.process_time() - start_cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--kb', type=int, default=16, help='size of each input in KB (>= 1)')
    args = parser.parse_args(argv)
    if args.kb < 1:
        parser.error(f'--kb must be >= 1, got {args.kb}')
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, gt, results in cases(args.kb * 1024):
            gt_path, res_path = osp.join(tmp, 'gt.json'), osp.join(tmp, 'res.json')
            with open(gt_path, 'w') as f:
                json.dump(gt, f)
            with open(res_path, 'w') as f:
                json.dump(results, f)
            size = osp.getsize(gt_path) + osp.getsize(res_path)

            def check():
                index = read_ytvis_annotations(gt_path)
                for track in index.tracks:
                    video = index.videos[track.video_id]
                    frames_to_rles(track.segmentations, video.height, video.width,
                                   track.source, track.entry)

            timings = [_time(check), _time(lambda: ytvis_to_cocovid(gt, 'gt.json')),
                       _time(lambda: evaluate_tube_ap(gt_path, res_path, iou_types=('segm', ))),
                       _time(lambda: evaluate_tube_ap(gt_path, res_path))]
            rows.append((name, size, timings))
    print(f'| input | KB | {" | ".join(f"{c} s (s/MB; CPU s/MB)" for c in COLUMNS)} |')
    print('|---|---:|' + '---:|' * len(COLUMNS))
    for name, size, timings in rows:
        per_mb = 2 ** 20 / size
        cells = [t if isinstance(t, str) else
                 f'{t[0]:.2f} ({t[0] * per_mb:.1f}; {t[1] * per_mb:.1f})' for t in timings]
        print(f'| {name} | {size / 1024:.0f} | {" | ".join(cells)} |')
    return 0


COLUMNS = ('format check', 'to CocoVID', 'metric AP^M', 'metric AP^M + AP^B')

if __name__ == '__main__':
    sys.exit(main())
