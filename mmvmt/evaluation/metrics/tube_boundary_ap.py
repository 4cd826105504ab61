"""TubeBoundaryAP: the HQ-YTVIS Tube-Boundary AP (AP^B) and tube mask AP (AP^M) as an
mmengine metric, for the predictions of any mmdet VIS model.

It consumes what mmdet's ``YouTubeVISMetric`` consumes -- one ``TrackDataSample`` per video
(whole-video inference) or per frame (frame-by-frame inference, e.g. ``TrackImgSampler``),
each frame with ``pred_track_instances`` (``instances_id``, ``scores``, ``labels`` 0-based,
``masks`` (K, H, W) at the original size) -- and turns them into YouTube-VIS results as mmdet
does: a track's score is the mean of its per-frame scores, its category the most frequent
per-frame label (+1, or mapped through ``ann_file``'s categories by class name).

Masks are RLE-encoded as soon as a frame arrives and a video is turned into result tracks as
soon as its last frame arrives, so memory holds RLEs, never a dataset's dense masks.
Distributed runs gather the per-video records of every rank (frames of one video split across
ranks are joined) and rank 0 evaluates with :func:`evaluate_tube_ap`.
"""
import os.path as osp
import tempfile
import zipfile
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence

import mmengine
import mmengine.fileio as fileio
import numpy as np
import pycocotools.mask as mask_utils
from mmengine.dist import all_gather_object, broadcast_object_list, get_world_size, \
    is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvmt.registry import METRICS
from mmvmt.structures import (encode_masks, frames_to_tracks, load_json,
                              read_ytvis_annotations, segmentation_to_rle)
from ..functional import DEFAULT_MAX_DETS, check_settings, evaluate_tube_ap, format_summary

_TITLES = {'boundary': 'Tube-Boundary AP (AP^B)', 'segm': 'Tube mask AP (AP^M)'}
# What the masks of a predictions field are, for the table titles: the fields that mmvmt's
# VideoMaskTransfiner and ResultRefinementHook add; any other field holds the model's masks,
# which are refined ones when the frames also hold coarse ones (VMT).
_COARSE_KEY = 'pred_track_instances_coarse'
_MASK_SOURCES = {_COARSE_KEY: "coarse masks (VMT's base detector)",
                 'pred_track_instances_unrefined': "the model's masks before ResultRefinementHook"}


@METRICS.register_module()
class TubeBoundaryAP(BaseMetric):
    """Tube-Boundary AP and tube mask AP of video instance segmentation.

    Keys of the returned dict: ``boundary_<name>`` and ``segm_<name>`` for the 12 summary
    numbers (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl; -1 where
    undefined), under the metric prefix (default ``tube_ap``).

    Args:
        ann_file (str, optional): YouTube-VIS GT file. Without it, the GT comes from the data
            samples' ``instances`` (as mmdet's YouTubeVISMetric; a GT track's ``areas`` are
            then its mask areas). With it, every video of the file is evaluated.
        use_refined_segm (bool): Read ``segmentations_refined`` of ``ann_file`` where
            present, as the loaders of the HQ-YTVIS release do. Defaults to True.
        mask_only (bool): Compute AP^M only (``tube_mask_ap``). Defaults to False.
        boundary_ratio (float): Boundary band width as a fraction of the frame diagonal.
            Defaults to 0.02.
        max_dets (Sequence[int]): The three maxDets settings. Defaults to (1, 10, 100).
        classwise (bool): Also log the AP of every category. Defaults to False.
        nproc (int): Processes evaluating videos on the main rank. Defaults to 1.
        format_only (bool): Only write the results JSON and the zip for a challenge server.
            Defaults to False.
        outfile_prefix (str, optional): Write ``<prefix>.json`` (and with ``format_only``
            ``<prefix>.submission_file.zip`` holding ``results.json``). Defaults to a
            temporary directory in format-only mode, to nothing otherwise.
        collect_device (str): Kept for the BaseMetric interface; records are gathered
            with ``all_gather_object`` (per-video RLEs, not tensors) whatever its value.
        prefix (str, optional): Prefix of the metric names. Defaults to ``tube_ap``.
        pred_key (str): The frames' field holding the predictions, e.g.
            ``pred_track_instances_coarse`` for the base masks of VideoMaskTransfiner.
            Defaults to ``pred_track_instances``.
        backend_args (dict, optional): File backend arguments to read ``ann_file``.
    """

    default_prefix: Optional[str] = 'tube_ap'
    default_pred_key: str = 'pred_track_instances'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 use_refined_segm: bool = True,
                 mask_only: bool = False,
                 boundary_ratio: float = 0.02,
                 max_dets: Sequence[int] = DEFAULT_MAX_DETS,
                 classwise: bool = False,
                 nproc: int = 1,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 pred_key: str = default_pred_key,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.use_refined_segm = use_refined_segm
        self.iou_types = ('segm', ) if mask_only else ('boundary', 'segm')
        # Checked now, not after the whole test run.
        self.max_dets = tuple(check_settings(self.iou_types, boundary_ratio, max_dets))
        self.boundary_ratio = boundary_ratio
        self.classwise = classwise
        self.nproc = nproc
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self.pred_key = pred_key
        self.backend_args = backend_args
        self._frames: Dict[Any, Dict[int, dict]] = defaultdict(dict)
        self._coarse_seen = False

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Encode the frames of a batch; turn every completed video into result tracks.

        Args:
            data_batch: Unused.
            data_samples (Sequence): ``TrackDataSample`` s (or their dicts), each with
                ``video_data_samples``: one or several frames of one video.
        """
        for sample in data_samples:
            frames = sample['video_data_samples'] if isinstance(sample, dict) \
                else sample.video_data_samples
            for frame in frames:
                record = self._frame_record(frame)
                video = self._frames[record['video_id']]
                video[record['frame_id']] = record
                if len(video) == record['length']:
                    self.results.append(self._video_record(self._frames.pop(
                        record['video_id'])))

    def evaluate(self, size: int) -> dict:
        """Gather the videos of all ranks, evaluate on the main one, share the numbers.

        Args:
            size (int): Unused (the unit here is a video, not a sample).

        Returns:
            dict: The metrics, on every rank.
        """
        partial = [dict(partial=True, frames=frames) for frames in self._frames.values()]
        local = self.results + partial
        parts = all_gather_object(local) if get_world_size() > 1 else [local]
        metrics = [None]
        if is_main_process():
            found = self.compute_metrics([r for part in parts for r in part])
            metrics = [{f'{self.prefix}/{k}' if self.prefix else k: v
                        for k, v in found.items()}]
        broadcast_object_list(metrics)
        self.results.clear()
        self._frames.clear()
        self._coarse_seen = False
        return metrics[0]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Evaluate (or only write) the gathered videos.

        Args:
            results (list[dict]): Per-video records, and partial ones to join.

        Returns:
            dict[str, float]: ``boundary_<name>`` / ``segm_<name>`` -> value; empty in
            format-only mode.
        """
        logger = MMLogger.get_current_instance()
        videos = self._join_partial_videos(results)
        gt = categories = None
        if self.ann_file:
            with fileio.get_local_path(self.ann_file, backend_args=self.backend_args) as path:
                gt = load_json(path, self.ann_file)
            # Checked before the labels are mapped (also in format-only mode).
            categories = read_ytvis_annotations(gt, self.ann_file).categories
        label_to_cat = self._label_to_category(categories)
        predictions = [dict(video_id=v['video_id'], category_id=label_to_cat(track['label']),
                            score=track['score'], segmentations=track['segmentations'])
                       for v in videos for track in v['tracks']]
        if self.format_only or self.outfile_prefix:
            self._write_results(predictions, logger)
        if self.format_only:
            return {}
        if gt is None:
            gt = self._gt_from_samples(videos, label_to_cat)
        out = evaluate_tube_ap(gt, predictions, iou_types=self.iou_types,
                               boundary_ratio=self.boundary_ratio, max_dets=self.max_dets,
                               use_refined_segm=self.use_refined_segm, nproc=self.nproc,
                               gt_source=self.ann_file or 'GT of the data samples',
                               results_source='predictions')
        metrics = {}
        for iou_type in self.iou_types:
            stats = out[iou_type]['stats']
            title = self.table_title(iou_type)
            logger.info(f'\n{title}\n{format_summary(list(stats.values()), self.max_dets)}')
            if self.classwise:
                rows = '\n'.join(f'{name:<24} {ap:0.3f}'
                                 for name, ap in out[iou_type]['per_category'].items())
                logger.info(f'\nper-category {title}:\n{rows}')
            metrics.update({f'{iou_type}_{k}': v for k, v in stats.items()})
        return metrics

    def table_title(self, iou_type: str) -> str:
        """The title of a summary table: the AP, the masks it scores and the metric prefix,
        e.g. ``Tube-Boundary AP (AP^B) of coarse masks (VMT's base detector)
        [pred_track_instances_coarse -> coarse_tube_ap]``; for any model's masks, ``of the
        model's masks [pred_track_instances -> tube_ap]``."""
        source = _MASK_SOURCES.get(self.pred_key)
        if source is None:
            source = 'refined masks (the frames also hold coarse ones)' if self._coarse_seen \
                else "the model's masks"
        return (f'{_TITLES[iou_type]} of {source} [{self.pred_key} -> '
                f'{self.prefix or "no prefix"}]')

    def _frame_record(self, frame: Any) -> dict:
        """Everything kept of one frame: metainfo, RLE-encoded predictions, raw GT."""
        get = frame.get if isinstance(frame, dict) else \
            (lambda key, default=None: frame.get(key, default))
        pred = get(self.pred_key)
        self._coarse_seen |= self.pred_key != _COARSE_KEY and get(_COARSE_KEY) is not None
        if pred is None:
            raise KeyError(f'TubeBoundaryAP needs {self.pred_key} in every frame; video '
                           f'{get("video_id")} frame {get("frame_id")} has none')
        masks = _numpy(pred['masks']).astype(np.uint8)
        height, width = (int(v) for v in get('ori_shape')[:2])
        if masks.ndim != 3 or masks.shape[1:] != (height, width):
            raise ValueError(f'video {get("video_id")} frame {get("frame_id")}: predicted '
                             f'masks have shape {masks.shape}, expected (K, {height}, {width})'
                             f' (the original frame size)')
        length = get('ori_video_length', None) or get('video_length')
        return dict(video_id=get('video_id'), frame_id=int(get('frame_id')),
                    length=int(length), height=height, width=width,
                    ids=_numpy(pred['instances_id']).tolist(),
                    scores=_numpy(pred['scores']).astype(float).tolist(),
                    labels=_numpy(pred['labels']).astype(int).tolist(),
                    rles=encode_masks(masks),
                    instances=None if self.ann_file else get('instances', []))

    def _video_record(self, frames: Dict[int, dict]) -> dict:
        """One video's result tracks (and GT tracks when there is no ``ann_file``)."""
        first = frames[min(frames)]
        length, height, width = first['length'], first['height'], first['width']
        result_tracks = frames_to_tracks(frames, length)
        record = dict(video_id=first['video_id'], height=height, width=width, length=length,
                      tracks=result_tracks)
        if not self.ann_file:
            record['gt'] = _gt_tracks(frames, length, height, width)
        return record

    def _join_partial_videos(self, results: List[dict]) -> List[dict]:
        """One record per video: frames split across ranks joined, repeats dropped.

        Distributed samplers that round up (mmengine's DefaultSampler by default) give some
        videos, or frames, to two ranks; counted twice, their predictions would be false
        positives. The first complete record of a video is kept.
        """
        videos: Dict[Any, dict] = {}
        repeats = 0
        for r in results:
            if r.get('partial'):
                continue
            if r['video_id'] in videos:
                repeats += 1
            else:
                videos[r['video_id']] = r
        partial: Dict[Any, Dict[int, dict]] = defaultdict(dict)
        for r in results:
            if r.get('partial'):
                for frame in r['frames'].values():
                    if frame['video_id'] in videos:
                        repeats += 1
                    else:
                        partial[frame['video_id']][frame['frame_id']] = frame
        for video_id, frames in partial.items():
            length = next(iter(frames.values()))['length']
            if len(frames) != length:
                raise RuntimeError(f'TubeBoundaryAP: video {video_id} has predictions for '
                                   f'{len(frames)} of its {length} frames')
            videos[video_id] = self._video_record(frames)
        if repeats:
            MMLogger.get_current_instance().info(
                f'TubeBoundaryAP: dropped {repeats} repeated video/frame record(s) (a '
                'distributed sampler pads the last batch by repeating samples)')
        return [videos[k] for k in sorted(videos)]

    def _label_to_category(self, categories: Optional[List[dict]]):
        """0-based label -> category id: +1 without ``ann_file`` (as mmdet's metric); by
        class name (or, without class names, sorted id) with its checked ``categories``."""
        if categories is None:
            return lambda label: label + 1
        cats = sorted(categories, key=lambda c: c['id'])
        classes = (self.dataset_meta or {}).get('classes')
        if classes:
            by_name = {c.get('name'): c['id'] for c in cats}
            missing = [c for c in classes if c not in by_name]
            if missing:
                raise ValueError(f'{self.ann_file}: classes {missing} of the dataset are not '
                                 f'among the categories of the file')
            ids = [by_name[c] for c in classes]
        else:
            ids = [c['id'] for c in cats]

        def convert(label: int) -> int:
            if not 0 <= label < len(ids):
                raise ValueError(f'predicted label {label} is outside the {len(ids)} '
                                 f'categories of {self.ann_file}')
            return ids[label]

        return convert

    def _gt_from_samples(self, videos: List[dict], label_to_cat) -> dict:
        classes = (self.dataset_meta or {}).get('classes')
        labels = {tr['label'] for v in videos for tr in v['gt']}
        num = len(classes) if classes else (max(labels) + 1 if labels else 0)
        categories = [dict(id=label_to_cat(k), name=classes[k] if classes else str(k + 1))
                      for k in range(num)]
        annotations = [dict(id=i + 1, video_id=v['video_id'],
                            category_id=label_to_cat(tr['label']), iscrowd=tr['iscrowd'],
                            areas=tr['areas'], segmentations=tr['segmentations'])
                       for i, (v, tr) in enumerate((v, tr) for v in videos for tr in v['gt'])]
        return dict(videos=[dict(id=v['video_id'], height=v['height'], width=v['width'],
                                 length=v['length']) for v in videos],
                    categories=categories, annotations=annotations)

    def _write_results(self, predictions: List[dict], logger: MMLogger) -> None:
        prefix = self.outfile_prefix
        if prefix is None:
            prefix = osp.join(tempfile.mkdtemp(), 'results')
        mmengine.mkdir_or_exist(osp.dirname(osp.abspath(prefix)))
        mmengine.dump(predictions, f'{prefix}.json')
        message = f'results written to {prefix}.json'
        if self.format_only:
            with zipfile.ZipFile(f'{prefix}.submission_file.zip', 'w',
                                 zipfile.ZIP_DEFLATED) as zf:
                zf.write(f'{prefix}.json', 'results.json')
            message += f' and {prefix}.submission_file.zip (submit this to the server)'
        logger.info(message)


def _gt_tracks(frames: Dict[int, dict], length: int, height: int, width: int) -> List[dict]:
    """GT tracks from the frames' ``instances`` (mmdet's per-frame annotation dicts)."""
    tracks: Dict[Any, dict] = {}
    for t, frame in sorted(frames.items()):
        for inst in frame['instances'] or []:
            if inst.get('mask') is None:
                continue
            rle = segmentation_to_rle(inst['mask'], height, width, 'the data samples',
                                      f'instance {inst["instance_id"]} frame {t}')
            track = tracks.setdefault(inst['instance_id'], dict(
                label=int(inst['bbox_label']), iscrowd=int(inst.get('ignore_flag', 0)),
                segmentations=[None] * length, areas=[None] * length))
            track['segmentations'][t] = rle
            track['areas'][t] = float(mask_utils.area(rle))
    return list(tracks.values())


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
