"""Correct a coarse annotation file with the model at the end of any training run."""
import os.path as osp
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from mmvmt.registry import HOOKS
from .annotation_corrector import AnnotationCorrector
from .correction_settings import CorrectionSettings


@HOOKS.register_module()
class AnnotationCorrectionHook(Hook):
    """One round of self-correction as a hook: after training, refine a coarse file.

    Add it to a refiner's training config (``model.type='GivenMaskRefiner'``) to correct a
    dataset with the trained model, e.g. ``custom_hooks = [dict(type=
    'AnnotationCorrectionHook', ann_file='data/youtube_vis_2019/train.json',
    img_root='data/youtube_vis_2019/train/JPEGImages')]``. The corrected file goes to
    ``out_file`` (default ``<work_dir>/corrected/<name>.json``), never over an existing
    file; see :class:`AnnotationCorrector` for the rule, the guards and the provenance.
    An existing ``out_file`` is reported in :meth:`before_train`, on every process, so the
    run stops before it trains. The correction runs on the main process only; the other
    processes return from :meth:`after_train` at once instead of waiting in a barrier, which
    would outlast the process group's timeout on a real dataset and hang if the main process
    failed. Nothing after ``after_train`` in the run reads the corrected file (the
    checkpoint and logger hooks' ``after_train`` / ``after_run`` use no collectives), and the
    launcher waits for every process to exit. For several rounds use
    :class:`SelfCorrection` (``tools/self_correction.py``).

    Args:
        ann_file (str): The coarse annotation file (official YouTube-VIS layout).
        img_root (str): Folder that its ``file_names`` are relative to.
        out_file (str, optional): The corrected file.
        conf_thr (float): Confidence a label change needs. Defaults to 0.65. This,
            ``max_tracks_per_pass`` and ``remove_thr`` are checked, and default, as
            :class:`~mmvmt.engine.CorrectionSettings`.
        frame_pipeline (Sequence[dict], optional): Per-frame loading transforms.
        max_tracks_per_pass (int): Tracks refined together. Defaults to 8.
        segm_key (str): Mask key of the annotations. Defaults to ``'segmentations'``.
        remove_thr (float, optional): Confidence a removal of coarse foreground needs.
            Defaults to None (``conf_thr``).
    """

    priority = 'LOW'

    def __init__(self, ann_file: str, img_root: str, out_file: Optional[str] = None,
                 conf_thr: float = CorrectionSettings.conf_thr,
                 frame_pipeline: Optional[Sequence[dict]] = None,
                 max_tracks_per_pass: int = CorrectionSettings.max_tracks_per_pass,
                 segm_key: str = 'segmentations',
                 remove_thr: Optional[float] = CorrectionSettings.remove_thr) -> None:
        self.ann_file = ann_file
        self.img_root = img_root
        self.out_file = out_file
        self.corrector = AnnotationCorrector(conf_thr, frame_pipeline, max_tracks_per_pass,
                                             segm_key, remove_thr=remove_thr)

    def out_path(self, runner) -> str:
        """``out_file``, or ``<work_dir>/corrected/<name of ann_file>``."""
        return self.out_file or osp.join(runner.work_dir, 'corrected',
                                         osp.basename(self.ann_file))

    def before_train(self, runner) -> None:
        """Fail before training, on every process, if the output file exists.

        Args:
            runner (Runner): The runner about to train.

        Raises:
            FileExistsError: If the corrected file exists already.
        """
        out_file = self.out_path(runner)
        if osp.exists(out_file):
            raise FileExistsError(f'AnnotationCorrectionHook: {out_file} exists; corrected '
                                  'annotations are never overwritten (set out_file or use a '
                                  'new work dir).')

    def after_train(self, runner) -> None:
        """Correct ``ann_file`` with the trained model (main process only).

        Args:
            runner (Runner): The runner that trained the model.
        """
        if not is_main_process():
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.corrector.run(model, self.ann_file, self.img_root, self.out_path(runner), dict(
            checkpoint=find_latest_checkpoint(runner.work_dir), iter=runner.iter,
            epoch=runner.epoch))
        model.train()
