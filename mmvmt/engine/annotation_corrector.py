"""Correct coarse masks with a trained refiner: one video (:func:`correct_video_masks`) or
a whole annotation file (:class:`AnnotationCorrector`, one round's correction stage).

Shape shorthand: K tracks of a video, T frames, H x W the frame size of the masks, h x w the
size of the frames the model gets (equal unless a frame pipeline resizes).

The rule ("first, do no harm"): a pixel takes the refiner's label only where

1. the refiner refined it: the pixel has its own label from a finest (H/2) quadtree node
   (the ``region`` of ``refine_masks``, at full resolution). Outside its nodes the refiner's
   mask is the coarse mask taken down to H/8 and back up, which would erase every leg,
   antenna or tail a few pixels wide; under an H/8 or H/4 node whose children were not
   refined it is one value for a whole 8 x 8 or 4 x 4 block, which would punch blocky
   holes into bodies or cut thin parts. Both keep the coarse label;
2. its confidence ``max(p, 1 - p)`` is greater than ``conf_thr`` (0.65, the paper's), and
   greater than ``remove_thr`` where it would remove the annotator's foreground (None: the
   same threshold; see :mod:`~mmvmt.engine.confident_relabel` for why removing may ask for
   more): where the refiner is unsure, the annotator's label is kept;
3. the track is present in that frame (its coarse mask is not empty), and the corrected
   mask of the frame is not empty: the refiner corrects boundaries, it does not decide
   whether an object is there; such a frame keeps its coarse mask.

Everything else keeps the coarse label bit for bit.

For each video of an official YouTube-VIS-style JSON, :class:`AnnotationCorrector` loads the
frames through ``frame_pipeline`` (default: load the file), decodes the tracks' masks (empty
where a frame is null) and corrects them with :func:`correct_video_masks`; a null frame
stays null. The result is written with :func:`corrected_annotations` to a new file,
atomically and never over an existing one, next to a provenance file
(``<name>.provenance.json``) that records the checkpoint, the threshold, the input's SHA-256
and the pixels changed per video.
"""
import datetime
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import Compose
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from torch import Tensor

from mmvmt.registry import TRANSFORMS
from mmvmt.structures import (check_file_names, encode_frames, frames_to_masks,
                              ytvis_to_cocovid)
from mmvmt.version import __version__
from .atomic_json import dump_json_atomic, file_sha256
from .confident_relabel import confident_relabel
from .correction_settings import CorrectionSettings
from .corrected_annotations import corrected_annotations


def correct_video_masks(model, frames: Tensor, coarse: Tensor,
                        conf_thr: float = CorrectionSettings.conf_thr,
                        max_tracks_per_pass: int = CorrectionSettings.max_tracks_per_pass,
                        remove_thr: Optional[float] = None) -> Tuple[Tensor, Tensor]:
    """Correct the masks of one video's tracks by the rule of the module docstring.

    Args:
        model: An object with ``refine_masks(frames (T, 3, h, w) uint8, coarse (K, T, h, w)
            bool) -> RefinedMasks`` (:class:`~mmvmt.models.data.RefinedMasks`: ``probs``
            and ``region``, (K, T, h, w) each), e.g. :class:`~mmvmt.models.GivenMaskRefiner`.
        frames (Tensor): (T, 3, h, w) uint8 frames in the channel order the model's data
            preprocessor expects.
        coarse (Tensor): (K, T, H, W) bool coarse masks. When (H, W) differs from (h, w),
            they are resized to the frames (nearest) and the refiner's probabilities and
            region back (bilinear, nearest).
        conf_thr (float): Confidence a change needs (strictly exceeded).
        max_tracks_per_pass (int): Tracks refined together (a memory bound).
        remove_thr (float, optional): Confidence a removal of coarse foreground needs;
            None: ``conf_thr``. The three are checked, and default, as
            :class:`~mmvmt.engine.CorrectionSettings`.

    Returns:
        tuple[Tensor, Tensor]: ``corrected`` (K, T, H, W) bool and ``region`` (K, T, H, W)
        bool, where the refiner refined (labels changed only inside it).
    """
    if coarse.dim() != 4 or coarse.shape[1] != frames.shape[0]:
        raise ValueError(f'correct_video_masks: coarse must be (K, T, H, W) with T = '
                         f'{frames.shape[0]} frames, got {tuple(coarse.shape)}')
    CorrectionSettings(conf_thr=conf_thr, remove_thr=remove_thr,
                       max_tracks_per_pass=max_tracks_per_pass)
    coarse = coarse.bool().cpu()
    corrected, region = coarse.clone(), torch.zeros_like(coarse)
    size, model_size = tuple(coarse.shape[-2:]), tuple(frames.shape[-2:])
    for start in range(0, len(coarse), max_tracks_per_pass):
        part = coarse[start:start + max_tracks_per_pass]
        given = part if size == model_size else F.interpolate(
            part.float(), size=model_size, mode='nearest').bool()
        answer = model.refine_masks(frames, given).cpu()
        if size != model_size:
            answer = answer.resized(size)
        refined, confidence, refined_in = answer.masks, answer.confidence, answer.region
        present = part.flatten(2).any(-1)[..., None, None]  # (k, T, 1, 1)
        refined_in &= present
        fixed, _ = confident_relabel(part, refined, confidence, refined_in, conf_thr,
                                     remove_thr)
        emptied = present & ~fixed.flatten(2).any(-1)[..., None, None]
        corrected[start:start + len(part)] = torch.where(emptied, part, fixed)
        region[start:start + len(part)] = refined_in
    return corrected, region


def provenance_path(ann_file: str) -> str:
    """``<dir>/<name>.provenance.json`` for ``<dir>/<name>.json``."""
    return osp.splitext(ann_file)[0] + '.provenance.json'


class AnnotationCorrector:
    """Correct the masks of a coarse annotation file with :func:`correct_video_masks`.

    Args:
        conf_thr (float): A pixel's label changes only where the refiner's confidence is
            greater than this. Defaults to 0.65 (the paper's). This, ``max_tracks_per_pass``
            and ``remove_thr`` are checked, and default, as
            :class:`~mmvmt.engine.CorrectionSettings` (kept as :attr:`settings`).
        frame_pipeline (Sequence[dict], optional): Transforms applied to each frame's
            ``dict(img_path=...)``; they must leave ``img`` (h, w, 3) uint8 in the channel
            order the model's data preprocessor expects, and may resize but not crop, pad or
            flip. Defaults to ``[dict(type='LoadImageFromFile')]``.
        max_tracks_per_pass (int): Tracks refined together (memory bound). Defaults to 8.
        segm_key (str): The annotations' mask key, read and written. Defaults to
            ``'segmentations'``.
        remove_thr (float, optional): Removing a pixel of the coarse foreground needs a
            confidence greater than this. None (default): ``conf_thr``, the paper's
            symmetric rule.
    """

    def __init__(self, conf_thr: float = CorrectionSettings.conf_thr,
                 frame_pipeline: Optional[Sequence[dict]] = None,
                 max_tracks_per_pass: int = CorrectionSettings.max_tracks_per_pass,
                 segm_key: str = 'segmentations',
                 remove_thr: Optional[float] = CorrectionSettings.remove_thr) -> None:
        self.settings = CorrectionSettings(conf_thr=conf_thr, remove_thr=remove_thr,
                                           max_tracks_per_pass=max_tracks_per_pass)
        self.conf_thr, self.remove_thr = self.settings.conf_thr, self.settings.remove_thr
        self.max_tracks_per_pass = self.settings.max_tracks_per_pass
        self.frame_pipeline = list(frame_pipeline or [dict(type='LoadImageFromFile')])
        self.segm_key = segm_key
        self._pipeline = Compose([TRANSFORMS.build(t) for t in self.frame_pipeline])

    def load_frames(self, img_root: str, file_names: Sequence[str]) -> Tensor:
        """(T, 3, h, w) uint8 frames through the frame pipeline."""
        frames = []
        for name in file_names:
            results = self._pipeline(dict(img_path=osp.join(img_root, name)))
            if results is None or 'img' not in results:
                raise RuntimeError(f'AnnotationCorrector: the frame pipeline gave no image '
                                   f'for {osp.join(img_root, name)}.')
            frames.append(torch.from_numpy(np.ascontiguousarray(results['img'])))
        return torch.stack(frames).permute(0, 3, 1, 2).contiguous()

    def correct_video(self, model, video: dict, anns: List[dict], img_root: str,
                      source: str = '<json>') -> Tuple[Dict[int, list], dict]:
        """Correct one video's tracks.

        Args:
            model: An object with ``refine_masks`` (see :func:`correct_video_masks`).
            video (dict): The JSON's video entry.
            anns (list[dict]): The JSON's annotations of this video.
            img_root (str): Folder that ``file_names`` are relative to.
            source (str): The input file, for error messages.

        Returns:
            tuple[dict, dict]: annotation id -> compressed RLEs per frame (None where null),
            and the video's counts: ``pixels_changed``, ``pixels_added``,
            ``pixels_removed``, ``pixels_refined`` (the refined region's size).
        """
        stats = dict(video_id=video['id'], num_tracks=len(anns), pixels_changed=0,
                     pixels_added=0, pixels_removed=0, pixels_refined=0)
        if not anns:
            return {}, stats
        height, width, file_names = video['height'], video['width'], video['file_names']
        # read_input checked the file; a caller may pass videos that never went through it.
        check_file_names(file_names, source, f'video {video["id"]}')
        frames = self.load_frames(img_root, file_names)
        masks, present = zip(*(frames_to_masks(ann[self.segm_key], height, width, source,
                                               f'annotation {ann["id"]} {self.segm_key}')
                               for ann in anns))
        coarse = torch.from_numpy(np.stack(masks))
        corrected, region = correct_video_masks(model, frames, coarse, self.conf_thr,
                                                self.max_tracks_per_pass, self.remove_thr)
        stats['pixels_added'] = int((corrected & ~coarse).sum())
        stats['pixels_removed'] = int((coarse & ~corrected).sum())
        stats['pixels_changed'] = stats['pixels_added'] + stats['pixels_removed']
        stats['pixels_refined'] = int(region.sum())
        rles_by_ann = {ann['id']: encode_frames(corrected[i].numpy(), present[i])
                       for i, ann in enumerate(anns)}
        return rles_by_ann, stats

    def check_format(self, official: dict, source: str) -> None:
        """Check the whole file as the datasets do, naming file and entry on an error.

        The categories are not needed to correct masks, so a file without them is checked
        against the category ids its annotations use.

        Args:
            official (dict): The loaded official JSON.
            source (str): The file, for error messages.

        Raises:
            YTVISFormatError: If the file breaks the format.
        """
        if not official.get('categories'):
            used = {a.get('category_id') for a in official.get('annotations') or []}
            official = dict(official, categories=[dict(id=c) for c in used])
        ytvis_to_cocovid(official, source, segm_keys=(self.segm_key, ), default_classes=())

    def run(self, model, ann_file: str, img_root: str, out_file: str,
            extra_provenance: Optional[dict] = None) -> dict:
        """Correct every video of ``ann_file`` and write ``out_file`` and its provenance.

        The three steps (:meth:`read_input`, :meth:`correct_videos`, :meth:`write_output`)
        are also called one by one by :func:`~mmvmt.engine.correct_sharded`, which splits
        the videos across the processes of a distributed run.

        Args:
            model: An object with ``refine_masks`` (see :func:`correct_video_masks`; put in
                eval mode here).
            ann_file (str): The coarse input JSON; only read.
            img_root (str): Folder that the videos' ``file_names`` are relative to.
            out_file (str): The new annotation file; must not exist.
            extra_provenance (dict, optional): Added to the provenance (e.g. round,
                checkpoint).

        Returns:
            dict: The provenance written to ``provenance_path(out_file)``.

        Raises:
            FileExistsError: If ``out_file`` exists.
            YTVISFormatError: If ``ann_file`` breaks the format (e.g. a per-frame list whose
                length is not the video's); checked before any video is refined.
        """
        official, input_sha = self.read_input(ann_file, out_file)
        rles_by_ann, per_video = self.correct_videos(model, official, official['videos'],
                                                     img_root, ann_file)
        return self.write_output(official, rles_by_ann, per_video, ann_file, input_sha,
                                 img_root, out_file, extra_provenance)

    def read_input(self, ann_file: str, out_file: str) -> Tuple[dict, str]:
        """Load and check ``ann_file`` before any work; refuse an existing ``out_file``.

        Returns:
            tuple[dict, str]: The loaded official JSON and the file's SHA-256.
        """
        if osp.exists(out_file):
            raise FileExistsError(f'{out_file} exists; corrected annotations are never '
                                  'overwritten (use a new work dir or round).')
        input_sha = file_sha256(ann_file)
        official = mmengine.load(ann_file, file_format='json')
        self.check_format(official, ann_file)
        return official, input_sha

    def correct_videos(self, model, official: dict, videos: Sequence[dict], img_root: str,
                       source: str, progress: bool = True) -> Tuple[Dict[int, list], List[dict]]:
        """Correct the tracks of ``videos`` (all or some videos of ``official``).

        Args:
            model: An object with ``refine_masks`` (put in eval mode here).
            official (dict): The loaded, checked official JSON.
            videos (Sequence[dict]): The video entries to correct.
            img_root (str): Folder that the videos' ``file_names`` are relative to.
            source (str): The input file, for messages.
            progress (bool): Show a progress bar. Defaults to True.

        Returns:
            tuple[dict, list[dict]]: annotation id -> corrected RLEs per frame, and one
            count dict per video (see :meth:`correct_video`), in the order of ``videos``.
        """
        anns_by_video = {}
        for ann in official.get('annotations') or []:
            anns_by_video.setdefault(ann['video_id'], []).append(ann)
        if hasattr(model, 'eval'):
            model.eval()
        removal = '' if self.remove_thr is None else \
            f' (> {self.remove_thr} to remove foreground)'
        print_log(f'Correcting {len(videos)} of the {len(official["videos"])} videos of '
                  f'{source} with confidence > {self.conf_thr}{removal}', 'current')
        rles_by_ann, per_video = {}, []
        bar = ProgressBar(len(videos)) if progress else None
        for video in videos:
            rles, stats = self.correct_video(model, video, anns_by_video.get(video['id'], []),
                                             img_root, source)
            rles_by_ann.update(rles)
            per_video.append(stats)
            if bar is not None:
                bar.update()
        return rles_by_ann, per_video

    def write_output(self, official: dict, rles_by_ann: Dict[int, list],
                     per_video: List[dict], ann_file: str, input_sha: str, img_root: str,
                     out_file: str, extra_provenance: Optional[dict] = None) -> dict:
        """Write the corrected file and its provenance, atomically, never over a file.

        Args:
            official (dict): The loaded official JSON (the input).
            rles_by_ann (dict): annotation id -> corrected RLEs per frame.
            per_video (list[dict]): The counts of every video, in the input's order.
            ann_file (str): The input file (checked unchanged after writing).
            input_sha (str): Its SHA-256 when it was read.
            img_root (str): The image folder, recorded.
            out_file (str): The new annotation file; must not exist.
            extra_provenance (dict, optional): Added to the provenance.

        Returns:
            dict: The provenance written to ``provenance_path(out_file)``.
        """
        corrected = corrected_annotations(official, rles_by_ann, self.segm_key, ann_file)
        total = sum(v['pixels_changed'] for v in per_video)
        provenance = dict(
            **(extra_provenance or {}),
            input_ann_file=osp.abspath(ann_file), input_sha256=input_sha,
            output_ann_file=osp.abspath(out_file), img_root=osp.abspath(img_root),
            conf_thr=self.conf_thr, remove_thr=self.remove_thr, segm_key=self.segm_key,
            frame_pipeline=self.frame_pipeline,
            pixels_changed=total, videos=per_video, mmvmt_version=__version__,
            created=datetime.datetime.now().isoformat(timespec='seconds'))
        # The annotation file comes last: once it exists the round's output is complete, and
        # a provenance left by an interrupted run (without its annotation file) is replaced.
        dump_json_atomic(provenance, provenance_path(out_file), overwrite=True)
        dump_json_atomic(corrected, out_file)
        if file_sha256(ann_file) != input_sha:
            raise RuntimeError(f'{ann_file} changed while it was being corrected.')
        print_log(f'Wrote {out_file}: {total} pixels changed in '
                  f'{sum(v["pixels_changed"] > 0 for v in per_video)} of {len(per_video)} '
                  'videos', 'current')
        return provenance
