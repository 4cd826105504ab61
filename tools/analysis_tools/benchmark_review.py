"""Time the review report on synthetic corrections (issue 22 target: 1,000 tracks x 36
frames in <= 2 minutes on 2 cores).

    python tools/analysis_tools/benchmark_review.py [--tracks 1000] [--frames 36]
        [--tracks-per-video 10] [--height 96] [--width 128] [--work-dir DIR]

Each track is an ellipse moving through its video; its correction grows or shrinks it by a
pixel or two on every frame, so every frame of every track changes and gets a thumbnail (the
worst case). Writing the frames and the files is set-up and not timed; the table gives the
time of ``write_review_report`` and, when fewer tracks than 1,000 are run, its linear
extrapolation (the work is per track and frame).
"""
import argparse
import json
import os
import os.path as osp
import tempfile
import time

import cv2
import numpy as np

from mmvmt.structures import encode_mask
from mmvmt.visualization.review_report import write_review_report


def synthetic(root: str, num_tracks: int, num_frames: int, per_video: int, height: int,
              width: int) -> tuple:
    """Write frames, coarse.json and corrected.json under ``root``; return the two paths."""
    rng = np.random.default_rng(0)
    videos, coarse, corrected = [], [], []
    yy, xx = np.mgrid[:height, :width]
    for v in range(-(-num_tracks // per_video)):
        names = [f'v{v:04d}/{t:05d}.jpg' for t in range(num_frames)]
        videos.append(dict(id=v + 1, height=height, width=width, length=num_frames,
                           file_names=names))
        for name in names:
            path = osp.join(root, 'img', name)
            os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(path, rng.integers(0, 255, (height, width, 3), np.uint8))
        for k in range(min(per_video, num_tracks - v * per_video)):
            cy, cx = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
            ry, rx = rng.uniform(0.1, 0.25) * height, rng.uniform(0.1, 0.25) * width
            grow = rng.choice([-2, -1, 1, 2])
            segs_c, segs_f = [], []
            for t in range(num_frames):
                dy, dx = np.sin(t / 5) * 3, np.cos(t / 5) * 3
                dist = ((yy - cy - dy) / ry) ** 2 + ((xx - cx - dx) / rx) ** 2
                segs_c.append(encode_mask(dist <= 1))
                segs_f.append(encode_mask(dist <= (1 + grow / min(ry, rx)) ** 2))
            ann = dict(id=len(coarse) + 1, video_id=v + 1, category_id=1 + k % 3, iscrowd=0)
            coarse.append(dict(ann, segmentations=segs_c))
            corrected.append(dict(ann, segmentations=segs_f))
    files = []
    for name, anns in (('coarse', coarse), ('corrected', corrected)):
        files.append(osp.join(root, f'{name}.json'))
        with open(files[-1], 'w') as f:
            json.dump(dict(videos=videos, annotations=anns,
                           categories=[dict(id=i, name=f'class{i}') for i in (1, 2, 3)]), f)
    return files[0], files[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tracks', type=int, default=1000)
    parser.add_argument('--frames', type=int, default=36)
    parser.add_argument('--tracks-per-video', type=int, default=10)
    parser.add_argument('--height', type=int, default=96)
    parser.add_argument('--width', type=int, default=128)
    parser.add_argument('--work-dir', help='keep the files here (default: a temporary one)')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.work_dir or tmp
        coarse, corrected = synthetic(root, args.tracks, args.frames, args.tracks_per_video,
                                      args.height, args.width)
        out = osp.join(root, f'report_{time.time_ns()}')
        start = time.perf_counter()
        summary = write_review_report(coarse, corrected, osp.join(root, 'img'), out,
                                      progress=False)
        seconds = time.perf_counter() - start
        data_mb = osp.getsize(osp.join(out, 'data.js')) / 2 ** 20
    per_1000 = seconds * 1000 / args.tracks
    print(f'\n| tracks | frames | frame size | thumbnails | seconds | tracks/s | data.js MB '
          f'| s per 1000 tracks |\n|---|---|---|---|---|---|---|---|\n'
          f'| {summary["tracks"]} | {args.frames} | {args.height} x {args.width} '
          f'| {summary["thumbnails"]} | {seconds:.1f} | {args.tracks / seconds:.1f} '
          f'| {data_mb:.2f} | {per_1000:.1f} |')


if __name__ == '__main__':
    main()
