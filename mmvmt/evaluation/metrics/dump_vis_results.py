"""Dump a VIS model's test predictions to a file (``tools/test.py --out``)."""
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence

import mmengine
import numpy as np
from mmengine.dist import all_gather_object, get_world_size, is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmvmt.registry import METRICS
from mmvmt.structures import encode_masks, frames_to_tracks, track_results

PRED_KEYS = ('pred_track_instances', 'pred_track_instances_coarse')


@METRICS.register_module()
class DumpVISResults(BaseMetric):
    """Write the predictions of a test run, as mmdet's ``DumpDetResults`` does for images.

    Masks are RLE-encoded as frames arrive, so memory holds RLEs, not dense masks. Two
    formats, by the file's extension:

    * ``.pkl`` / ``.pickle``: a list with one dict per video (sorted by ``video_id``):
      ``video_id`` and ``frames``, each frame a dict with ``frame_id``, ``img_path``,
      ``ori_shape`` and, per predictions field present (``pred_track_instances``, and
      ``pred_track_instances_coarse`` for VMT), ``instances_id``, ``scores``, ``labels``
      (0-based), ``bboxes`` (x1, y1, x2, y2) and ``masks`` (compressed RLEs);
    * ``.json``: YouTube-VIS results of ``pred_track_instances`` (``video_id``,
      ``category_id`` = label + 1, ``score``, ``segmentations``), ready for
      ``tools/analysis_tools/eval_vis.py`` or ``tools/refine_results.py``.

    Args:
        out_file_path (str): The file to write.
        collect_device (str): Kept for the BaseMetric interface; records (RLEs, not
            tensors) are gathered with ``all_gather_object``.
        prefix (str, optional): Unused (this metric returns no numbers); set to quiet
            mmengine's warning about metrics without one.
    """

    default_prefix: Optional[str] = 'dump_vis'

    def __init__(self, out_file_path: str, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not out_file_path.endswith(('.pkl', '.pickle', '.json')):
            raise ValueError(f'DumpVISResults: out_file_path must end with .pkl, .pickle or '
                             f'.json, got {out_file_path}')
        self.out_file_path = out_file_path

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep each predicted frame with its masks RLE-encoded.

        Args:
            data_batch: Unused.
            data_samples (Sequence): ``TrackDataSample`` s (or their dicts): whole videos
                or single frames.
        """
        for sample in data_samples:
            frames = sample['video_data_samples'] if isinstance(sample, dict) \
                else sample.video_data_samples
            for frame in frames:
                self.results.append(_frame_record(frame))

    def evaluate(self, size: int) -> dict:
        """Gather the frame records of all processes and write the file on the main one.

        mmengine's ``BaseMetric.evaluate`` keeps the first ``size`` records (``size`` is the
        number of videos), which would drop all frames but a few: the unit here is a frame.

        Args:
            size (int): Unused.

        Returns:
            dict: Empty (no metrics).
        """
        parts = all_gather_object(self.results) if get_world_size() > 1 else [self.results]
        if is_main_process():
            self.compute_metrics([record for part in parts for record in part])
        self.results.clear()
        return {}

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the file (main process) and return no metrics.

        Args:
            results (list[dict]): Frame records of all processes; a frame that a padding
                distributed sampler gave twice is kept once.
        """
        videos: Dict[Any, Dict[int, dict]] = defaultdict(dict)
        for record in results:
            videos[record['video_id']].setdefault(record['frame_id'], record)
        mmengine.mkdir_or_exist(osp.dirname(osp.abspath(self.out_file_path)))
        if self.out_file_path.endswith('.json'):
            entries = []
            for video_id in sorted(videos):
                frames = videos[video_id]
                length = next(iter(frames.values()))['video_length']
                per_frame = {t: dict(ids=f['pred_track_instances']['instances_id'],
                                     scores=f['pred_track_instances']['scores'],
                                     labels=f['pred_track_instances']['labels'],
                                     rles=f['pred_track_instances']['masks'])
                             for t, f in frames.items()}
                entries += track_results(frames_to_tracks(per_frame, length), video_id)
            mmengine.dump(entries, self.out_file_path)
            what = f'{len(entries)} YouTube-VIS result tracks'
        else:
            dumped = [dict(video_id=video_id, frames=[videos[video_id][t]
                                                      for t in sorted(videos[video_id])])
                      for video_id in sorted(videos)]
            mmengine.dump(dumped, self.out_file_path)
            what = f'predictions of {len(dumped)} videos'
        print_log(f'DumpVISResults: wrote {what} to {self.out_file_path}', 'current')
        return {}


def _frame_record(frame: Any) -> dict:
    """One frame's metainfo and predictions, masks as RLE, tensors as lists."""
    get = frame.get
    length = get('ori_video_length', None) or get('video_length')
    record = dict(video_id=get('video_id'), frame_id=int(get('frame_id')),
                  video_length=int(length), img_path=get('img_path'),
                  ori_shape=tuple(int(v) for v in get('ori_shape')[:2]))
    for key in PRED_KEYS:
        pred = get(key)
        if pred is None:
            continue
        record[key] = dict(
            instances_id=_numpy(pred['instances_id']).astype(int).tolist(),
            scores=_numpy(pred['scores']).astype(float).tolist(),
            labels=_numpy(pred['labels']).astype(int).tolist(),
            bboxes=_numpy(pred['bboxes']).astype(float).tolist() if 'bboxes' in pred else None,
            masks=encode_masks(_numpy(pred['masks'])))
    if 'pred_track_instances' not in record:
        raise KeyError(f'DumpVISResults: video {record["video_id"]} frame '
                       f'{record["frame_id"]} has no pred_track_instances')
    return record


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
