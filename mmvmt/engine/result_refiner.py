"""Refine the masks of any VIS model's results with VMT's class-agnostic refiner.

Shape shorthand: K result tracks of a video, T frames, H x W the frame size.

A results file of any model (YouTube-VIS results: ``video_id``, ``category_id``, ``score``,
``segmentations`` with an RLE or null per frame) is treated like a coarse annotation file:
each video's result masks are the coarse input of :func:`correct_video_masks`, which
changes a pixel only inside the region the refiner refined and only where it is confident,
and never empties or fills a frame. Everything else of an entry (its score, category,
video, order in the file, null frames, extra keys) is kept as it was.
"""
import copy
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.utils import ProgressBar
from torch import Tensor

from mmvmt.registry import MODELS
from mmvmt.structures import (YTVISFormatError, YTVISVideo, encode_frames, frames_to_masks,
                              load_json, read_ytvis_annotations, read_ytvis_results)
from mmvmt.utils.checkpoint_file import read_checkpoint

from .annotation_corrector import AnnotationCorrector, correct_video_masks
from .correction_settings import CorrectionSettings


def build_refiner(config: str, checkpoint: str, device='cpu', cfg_options: Optional[dict] = None):
    """The given-mask refiner of ``config`` with the weights of ``checkpoint``, in eval mode.

    ``config`` is a ``GivenMaskRefiner``'s (self-correction) or a ``VideoMaskTransfiner``'s
    with a refiner: that one is built as a ``GivenMaskRefiner``, which has the same modules
    and checkpoint keys, so an end-to-end trained VMT refines given masks too. It is built
    in the scope ``'mmvmt'`` whatever the current default scope, so this works inside mmdet
    pipelines too.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_type = cfg.model.get('type')
    if model_type == 'VideoMaskTransfiner' and cfg.model.get('refine_head') is not None:
        cfg.model.type = 'GivenMaskRefiner'
    elif model_type != 'GivenMaskRefiner':
        raise ValueError(f'{config}: model.type is {model_type!r}; refining given masks needs '
                         "a 'GivenMaskRefiner' or a 'VideoMaskTransfiner' with a "
                         'refine_head (the released refiner needs the base head\'s queries).')
    with DefaultScope.overwrite_default_scope('mmvmt'):
        model = MODELS.build(cfg.model)
    _load_checkpoint_to_model(model, read_checkpoint(checkpoint))
    return model.to(device).eval()


class ResultRefiner:
    """Refine VIS results: per video, the result masks go through :func:`correct_video_masks`.

    Args:
        conf_thr (float): A pixel changes only where the refiner's confidence exceeds this.
            Defaults to 0.65. This, ``max_tracks_per_pass`` and ``remove_thr`` are checked,
            and default, as :class:`~mmvmt.engine.CorrectionSettings`.
        frame_pipeline (Sequence[dict], optional): Per-frame loading transforms (see
            :class:`AnnotationCorrector`). Defaults to loading the file.
        max_tracks_per_pass (int): Tracks refined together (memory bound). Defaults to 8.
        score_thr (float): Results with a lower score are kept as they are, unrefined
            (saves time on the many low-score results of query-based models). Defaults
            to 0.
        remove_thr (float, optional): Confidence a removal of the result's foreground
            needs. Defaults to None (``conf_thr``).
    """

    def __init__(self, conf_thr: float = CorrectionSettings.conf_thr,
                 frame_pipeline: Optional[Sequence[dict]] = None,
                 max_tracks_per_pass: int = CorrectionSettings.max_tracks_per_pass,
                 score_thr: float = 0.0,
                 remove_thr: Optional[float] = CorrectionSettings.remove_thr) -> None:
        self.loader = AnnotationCorrector(conf_thr, frame_pipeline, max_tracks_per_pass,
                                          remove_thr=remove_thr)
        self.score_thr = float(score_thr)

    @property
    def conf_thr(self) -> float:
        return self.loader.conf_thr

    def refine_masks(self, model, frames: Tensor, masks: Tensor) -> Tuple[Tensor, Tensor]:
        """Refine the (K, T, H, W) bool masks of one video's tracks.

        Args:
            model: A refiner with ``refine_masks`` (see :func:`correct_video_masks`).
            frames (Tensor): (T, 3, h, w) uint8 frames.
            masks (Tensor): (K, T, H, W) bool masks; empty where a track is absent.

        Returns:
            tuple[Tensor, Tensor]: ``refined`` (K, T, H, W) bool, equal to ``masks``
            outside ``region`` (K, T, H, W) bool.
        """
        return correct_video_masks(model, frames, masks, self.loader.conf_thr,
                                   self.loader.max_tracks_per_pass, self.loader.remove_thr)

    def refine_results(self, model, videos_file: str, img_root: str, results_file: str,
                       done: Optional[Dict[int, dict]] = None,
                       on_video: Optional[Callable[[int, dict], None]] = None
                       ) -> Tuple[List[dict], dict]:
        """Refine every result of ``results_file`` with a score >= ``score_thr``.

        Args:
            model: A refiner with ``refine_masks``.
            videos_file (str): A YouTube-VIS file with the results' ``videos`` (id, height,
                width, file_names), e.g. the dataset's annotation file.
            img_root (str): Folder that the ``file_names`` are relative to.
            results_file (str): The YouTube-VIS results to refine; only read.
            done (dict, optional): video id -> the record ``on_video`` got for it in an
                earlier, interrupted run: these videos are not refined again.
            on_video (callable, optional): Called after each refined video with its id and
                its record: ``segmentations`` (result index -> refined per-frame RLEs),
                ``pixels_changed``, ``pixels_refined`` (JSON-ready, for resuming).

        Returns:
            tuple[list[dict], dict]: The refined results (the input's entries in order,
            with new ``segmentations`` where refined) and the counts: ``videos``,
            ``results``, ``refined_results``, ``pixels_changed``, ``pixels_refined``,
            ``videos_resumed``.

        Raises:
            YTVISFormatError: If a file is malformed, a result names an unknown video or a
                frame list has the wrong length.
        """
        videos, results = self.check_inputs(videos_file, results_file)
        by_video = self.videos_to_refine(results)
        done = done or {}
        refined = [copy.deepcopy(r) for r in results]
        stats = dict(videos=len(by_video), results=len(results),
                     refined_results=sum(map(len, by_video.values())), pixels_changed=0,
                     pixels_refined=0, videos_resumed=len(set(done) & set(by_video)))
        if hasattr(model, 'eval'):
            model.eval()
        print_log(f'Refining {stats["refined_results"]} of {len(results)} results of '
                  f'{results_file} in {len(by_video)} videos (confidence > '
                  f'{self.loader.conf_thr}; {stats["videos_resumed"]} done before)', 'current')
        progress = ProgressBar(len(by_video))
        for video_id, indices in by_video.items():
            record = done.get(video_id)
            if record is None:
                record = self._refine_video(model, results, indices, videos[video_id],
                                            img_root, results_file)
                if on_video is not None:
                    on_video(video_id, record)
            for i, segms in record['segmentations'].items():
                refined[int(i)]['segmentations'] = segms
            stats['pixels_changed'] += record['pixels_changed']
            stats['pixels_refined'] += record['pixels_refined']
            progress.update()
        return refined, stats

    def videos_to_refine(self, results: List[dict]) -> Dict[int, List[int]]:
        """video id -> the indices of its results that are refined (score >= ``score_thr``,
        a mask in some frame), for checked ``results``, in the file's order."""
        by_video: Dict[int, List[int]] = {}
        for i, res in enumerate(results):
            if res['score'] >= self.score_thr and any(s is not None
                                                      for s in res['segmentations']):
                by_video.setdefault(int(res['video_id']), []).append(i)
        return by_video

    def _refine_video(self, model, results: List[dict], indices: List[int], video: YTVISVideo,
                      img_root: str, source: str) -> dict:
        """Refine the chosen results of one video -> its record (see ``on_video``)."""
        masks, present = _decode(results, indices, video, source)
        frames = self.loader.load_frames(img_root, video.file_names)
        new_masks, region = self.refine_masks(model, frames, masks)
        segmentations = {i: encode_frames(new_masks[k].numpy(), present[k])
                         for k, i in enumerate(indices)}
        return dict(segmentations=segmentations,
                    pixels_changed=int((new_masks != masks).sum()),
                    pixels_refined=int(region.sum()))

    @staticmethod
    def check_inputs(videos_file: str, results_file: str
                     ) -> Tuple[Dict[int, YTVISVideo], list]:
        """Check both files as the metric does; return the videos by id and the raw results.

        Refining needs no class names: a videos file without ``categories`` takes the
        results' category ids.

        Raises:
            YTVISFormatError: Naming the file and the entry.
        """
        gt, results = load_json(videos_file), load_json(results_file)
        if isinstance(gt, dict) and not gt.get('categories'):
            used = {r.get('category_id') for r in results if isinstance(r, dict)} \
                if isinstance(results, list) else set()
            gt = dict(gt, categories=[dict(id=c) for c in used if isinstance(c, int)])
        annotations = read_ytvis_annotations(gt, videos_file)
        read_ytvis_results(results, annotations, results_file)
        for video in annotations.videos.values():
            if video.file_names is None:
                raise YTVISFormatError(videos_file, video.entry,
                                       'needs "file_names", a list of frame paths')
        return annotations.videos, results


def _decode(results: List[dict], indices: List[int], video: YTVISVideo,
            source: str) -> Tuple[Tensor, List[np.ndarray]]:
    """(K, T, H, W) bool masks and K (T,) presences of the chosen results of one video."""
    masks, present = zip(*(frames_to_masks(results[i]['segmentations'], video.height,
                                           video.width, source, f'entry {i} segmentations')
                           for i in indices))
    return torch.from_numpy(np.stack(masks)), list(present)
