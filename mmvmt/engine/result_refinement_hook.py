"""Refine any VIS model's predictions with VMT's refiner inside a test loop."""
from typing import List, Optional, Sequence

import torch
from mmdet.structures import TrackDataSample
from mmdet.structures.mask import mask2bbox
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmvmt.registry import HOOKS
from .result_refiner import ResultRefiner, build_refiner
from .correction_settings import CorrectionSettings

UNREFINED_KEY = 'pred_track_instances_unrefined'


@HOOKS.register_module()
class ResultRefinementHook(Hook):
    """Refine the masks of the tested model's predictions with a VMT refiner, video by video.

    Add it to the test config of any VIS model (e.g. mmdet's Mask2Former-VIS)::

        custom_hooks = [dict(type='mmvmt.ResultRefinementHook',
                             refiner_config='configs/self_correction/'
                                            'vmt_tiny_self-correction_toy-vis-variety.py',
                             refiner_checkpoint='work_dirs/demo/refiner/iter_1000.pth')]

    For every predicted video (a ``TrackDataSample``), the masks of its tracks (by
    ``instances_id``, empty where a track is absent) are refined with
    :func:`~mmvmt.engine.correct_video_masks` on the video's frames, loaded from their
    ``img_path`` through ``frame_pipeline``: pixels change only inside the region the refiner
    refined and only where it is confident. The refined masks replace the masks (and boxes)
    of ``pred_track_instances``, whose ids, scores and labels stay; the refined region goes to
    its ``refined_regions`` (for ``VISLocalVisualizer(draw_refined_region=True)``) and the
    model's own predictions to ``pred_track_instances_unrefined``, so one test run scores
    both: ``dict(type='TubeBoundaryAP', pred_key='pred_track_instances_unrefined',
    prefix='unrefined_tube_ap')`` next to the usual ``TubeBoundaryAP``.

    mmengine's test loop hands the predictions to the evaluator before ``after_test_iter``
    runs, so the hook cannot refine there: it wraps the model's ``test_step`` in
    :meth:`before_test` and restores it in :meth:`after_test`.

    Args:
        refiner_config (str): Config of the VMT model whose refiner is used.
        refiner_checkpoint (str): Its checkpoint.
        conf_thr (float): A pixel changes only where the refiner's confidence exceeds this.
            Defaults to 0.65. This, ``max_tracks_per_pass`` and ``remove_thr`` are checked,
            and default, as :class:`~mmvmt.engine.CorrectionSettings`.
        frame_pipeline (Sequence[dict], optional): Per-frame loading transforms for the
            refiner. Defaults to loading the file.
        max_tracks_per_pass (int): Tracks refined together. Defaults to 8.
        score_thr (float): Tracks whose score is lower are left unrefined. Defaults to 0.
        remove_thr (float, optional): Confidence a removal of a result's foreground needs.
            Defaults to None (``conf_thr``).
    """

    priority = 'NORMAL'

    def __init__(self, refiner_config: str, refiner_checkpoint: str,
                 conf_thr: float = CorrectionSettings.conf_thr,
                 frame_pipeline: Optional[Sequence[dict]] = None,
                 max_tracks_per_pass: int = CorrectionSettings.max_tracks_per_pass,
                 score_thr: float = 0.0,
                 remove_thr: Optional[float] = CorrectionSettings.remove_thr) -> None:
        self.refiner_config = refiner_config
        self.refiner_checkpoint = refiner_checkpoint
        self.refiner = ResultRefiner(conf_thr, frame_pipeline, max_tracks_per_pass, score_thr,
                                     remove_thr)
        self.model = None
        self._wrapped = None

    def before_test(self, runner) -> None:
        """Build the refiner and make the tested model's ``test_step`` refine its output."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        device = next(model.parameters()).device
        self.model = build_refiner(self.refiner_config, self.refiner_checkpoint, device)
        test_step = model.test_step
        self._wrapped = (model, test_step)

        def refined_test_step(data):
            return self.refine_predictions(test_step(data))

        model.test_step = refined_test_step

    def after_test(self, runner) -> None:
        """Give the tested model its own ``test_step`` back."""
        if self._wrapped is not None:
            model, _ = self._wrapped
            del model.test_step
            self._wrapped = None

    def refine_predictions(self, outputs: List[TrackDataSample]) -> List[TrackDataSample]:
        """Refine the predictions of a batch of videos (or single frames) in place.

        Args:
            outputs (list[TrackDataSample]): The model's predictions; each frame's
                ``pred_track_instances`` has ``instances_id``, ``scores``, ``labels`` and
                ``masks`` (K, H, W) bool at the original frame size.

        Returns:
            list[TrackDataSample]: The same objects, refined.
        """
        for track_sample in outputs:
            self._refine_video(track_sample)
        return outputs

    @torch.no_grad()
    def _refine_video(self, track_sample: TrackDataSample) -> None:
        frames = track_sample.video_data_samples
        preds = [frame.pred_track_instances for frame in frames]
        ids: List[int] = []
        for pred in preds:
            for tid, score in zip(pred.instances_id.tolist(), pred.scores.tolist()):
                if score >= self.refiner.score_thr and tid not in ids:
                    ids.append(tid)
        for frame, pred in zip(frames, preds):
            frame.set_field(pred.clone(), UNREFINED_KEY)
            pred.refined_regions = torch.zeros_like(pred.masks, dtype=torch.bool)
        if not ids:
            return
        height, width = preds[0].masks.shape[-2:]
        masks = torch.zeros(len(ids), len(frames), height, width, dtype=torch.bool)
        for t, pred in enumerate(preds):
            for i, tid in enumerate(pred.instances_id.tolist()):
                if tid in ids:
                    masks[ids.index(tid), t] = pred.masks[i].cpu().bool()
        images = self.refiner.loader.load_frames('', [frame.img_path for frame in frames])
        refined, region = self.refiner.refine_masks(self.model, images, masks)
        for t, pred in enumerate(preds):
            new_masks = pred.masks.clone().bool()
            regions = pred.refined_regions
            for i, tid in enumerate(pred.instances_id.tolist()):
                if tid in ids:
                    new_masks[i] = refined[ids.index(tid), t].to(new_masks.device)
                    regions[i] = region[ids.index(tid), t].to(regions.device)
            pred.masks = new_masks
            if 'bboxes' in pred:
                pred.bboxes = mask2bbox(new_masks).to(pred.bboxes)

