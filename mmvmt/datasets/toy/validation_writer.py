"""The one writer of the toy validation sets (garden, realscale, camouflage).

Each style draws its videos; this module writes them the same way: JPEG frames under
``val/JPEGImages/<style>_<id>/``, ``annotations/val_hq.json`` (the exact masks) and
``annotations/val_coarse.json`` (the same tracks annotated as a person would, with
:func:`~.generator._annotate_track`), staged in a hidden sibling folder and installed only
when complete, so an interrupted run leaves no partial dataset.
"""
import os
import shutil
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple, Union

import cv2
import numpy as np

from .generator import _annotate_track, _check_target, _install, _write_json

#: one drawn video: T frames (H, W, 3) uint8, (N, T, H, W) bool visible masks, N tracks
#: (each with ``category_id``, ``tolerance``, ``halo``)
DrawnVideo = Tuple[List[np.ndarray], np.ndarray, Sequence]


def write_validation_videos(out_dir: Union[str, Path], videos: Iterable[DrawnVideo], *,
                            style: str, seed: int, categories: Sequence[dict],
                            jpeg_quality: int, overwrite: bool,
                            verbose: bool) -> Dict[str, int]:
    """Write the ``val`` split of a toy validation style.

    Args:
        out_dir: Target folder; must be missing or empty unless ``overwrite``
            (checked before the first video is drawn: ``videos`` may be a generator).
        videos: The drawn videos, in id order (ids from 1).
        style: Names the video folders and the files' descriptions.
        seed: Recorded in the files' ``info``.
        categories: The style's categories.
        jpeg_quality: JPEG quality of the frames.
        overwrite: Replace an existing dataset of the toy generators in ``out_dir``.
        verbose: Print a summary.

    Returns:
        dict: ``videos``, ``frames``, ``instances``.
    """
    out = Path(out_dir).resolve()
    _check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f'.{out.name}.partial-{os.getpid()}')
    shutil.rmtree(staging, ignore_errors=True)
    records, hq_anns, coarse_anns = [], [], []
    try:
        (staging / 'annotations').mkdir(parents=True)
        for video_id, (frames, visible, tracks) in enumerate(videos, start=1):
            height, width = frames[0].shape[:2]
            name = f'{style}_{video_id:04d}'
            folder = staging / 'val' / 'JPEGImages' / name
            folder.mkdir(parents=True)
            for t, frame in enumerate(frames):
                cv2.imwrite(str(folder / f'{t:05d}.jpg'), frame,
                            [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            records.append(dict(id=video_id, width=width, height=height, length=len(frames),
                                file_names=[f'{name}/{t:05d}.jpg' for t in range(len(frames))]))
            for i, track in enumerate(tracks):
                if not visible[i].any():
                    continue
                hq, coarse = _annotate_track(visible[i], track.tolerance, track.halo)
                common = dict(id=len(hq_anns) + 1, video_id=video_id,
                              category_id=track.category_id, iscrowd=0, height=height,
                              width=width)
                hq_anns.append(dict(common, **hq))
                coarse_anns.append(dict(common, **coarse))
        for kind, anns in (('hq', hq_anns), ('coarse', coarse_anns)):
            info = dict(description=f'mmvmt {style}-style validation videos, {kind} masks',
                        version='1.0', seed=seed)
            _write_json(staging / 'annotations' / f'val_{kind}.json',
                        dict(info=info, licenses=[], videos=records, annotations=anns,
                             categories=[dict(c) for c in categories]))
        _install(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary = dict(videos=len(records), frames=sum(v['length'] for v in records),
                   instances=len(hq_anns))
    if verbose:
        print(f'{style.capitalize()}-style validation videos (seed {seed}) written to {out}: '
              f'{summary["videos"]} videos, {summary["frames"]} frames, '
              f'{summary["instances"]} instances')
    return summary
