"""Per-frame predictions of one video -> YouTube-VIS result tracks.

A VIS model predicts, frame by frame, instances with a track id, a score, a 0-based label
and a mask. A YouTube-VIS result is one entry per track: its score is the mean of its
per-frame scores, its label the most frequent per-frame label (the smallest on a tie), and
its ``segmentations`` hold the frame's RLE where the track was predicted, None elsewhere.
This is what mmdet's ``YouTubeVISMetric`` does; the metric, the inferencer and the tools all
use this one function (masks encoded with :func:`~mmvmt.structures.rle.encode_masks`).
"""
from typing import List, Mapping, Sequence

import numpy as np


def frames_to_tracks(frames: Mapping[int, Mapping], length: int) -> List[dict]:
    """Merge one video's per-frame predictions into result tracks.

    Args:
        frames (Mapping[int, Mapping]): frame index t (0-based, < ``length``) -> that
            frame's predictions: ``ids``, ``scores``, ``labels`` and ``rles`` (sequences of
            one length, one entry per predicted instance).
        length (int): Number of frames of the video.

    Returns:
        list[dict]: One dict per track id, in order of first appearance: ``track_id``,
        ``score`` (float), ``label`` (int, 0-based) and ``segmentations`` (``length``
        RLEs or None).

    Raises:
        ValueError: If a frame index is outside the video or a frame's lists differ in
            length.
    """
    tracks: dict = {}
    for t in sorted(frames):
        frame = frames[t]
        if not 0 <= t < length:
            raise ValueError(f'frames_to_tracks: frame index {t} is outside the video of '
                             f'{length} frames')
        sizes = {key: len(frame[key]) for key in ('ids', 'scores', 'labels', 'rles')}
        if len(set(sizes.values())) != 1:
            raise ValueError(f'frames_to_tracks: frame {t} has lists of different lengths '
                             f'{sizes}')
        for tid, score, label, rle in zip(frame['ids'], frame['scores'], frame['labels'],
                                          frame['rles']):
            track = tracks.setdefault(tid, dict(scores=[], labels=[],
                                                segmentations=[None] * length))
            track['scores'].append(float(score))
            track['labels'].append(int(label))
            track['segmentations'][t] = rle
    return [dict(track_id=tid, score=float(np.mean(tr['scores'])),
                 label=int(np.bincount(tr['labels']).argmax()),
                 segmentations=tr['segmentations']) for tid, tr in tracks.items()]


def track_results(tracks: Sequence[dict], video_id, label_to_category=None) -> List[dict]:
    """Result tracks -> YouTube-VIS results entries of one video.

    Args:
        tracks (Sequence[dict]): As :func:`frames_to_tracks` returns.
        video_id: The video's id in the results file.
        label_to_category (callable, optional): 0-based label -> category id. Defaults to
            ``label + 1`` (categories numbered from 1 in class order, as mmdet does).

    Returns:
        list[dict]: ``{video_id, category_id, score, segmentations}`` per track.
    """
    convert = label_to_category or (lambda label: label + 1)
    return [dict(video_id=video_id, category_id=convert(tr['label']), score=tr['score'],
                 segmentations=tr['segmentations']) for tr in tracks]
