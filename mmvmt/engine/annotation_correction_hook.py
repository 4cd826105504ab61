"""Correct a coarse annotation file with the model at the end of any training run."""
import os.path as osp
from typing import Optional, Sequence

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from mmvmt.registry import HOOKS
from .annotation_corrector import AnnotationCorrector


@HOOKS.register_module()
class AnnotationCorrectionHook(Hook):
    """One round of self-correction as a hook: after training, refine a coarse file.

    Add it to a refiner's training config (``train_cfg.refine_input='given'``) to correct a
    dataset with the trained model, e.g. ``custom_hooks = [dict(type=
    'AnnotationCorrectionHook', ann_file='data/youtube_vis_2019/train.json',
    img_root='data/youtube_vis_2019/train/JPEGImages')]``. The corrected file goes to
    ``out_file`` (default ``<work_dir>/corrected/<name>.json``), never over an existing
    file; see :class:`AnnotationCorrector` for the rule, the guards and the provenance.
    The correction runs on the main process only. For several rounds use
    :class:`SelfCorrection` (``tools/self_correction.py``).

    Args:
        ann_file (str): The coarse annotation file (official YouTube-VIS layout).
        img_root (str): Folder that its ``file_names`` are relative to.
        out_file (str, optional): The corrected file.
        conf_thr (float): Confidence a label change needs. Defaults to 0.65.
        frame_pipeline (Sequence[dict], optional): Per-frame loading transforms.
        max_tracks_per_pass (int): Tracks refined together. Defaults to 8.
        segm_key (str): Mask key of the annotations. Defaults to ``'segmentations'``.
    """

    priority = 'LOW'

    def __init__(self, ann_file: str, img_root: str, out_file: Optional[str] = None,
                 conf_thr: float = 0.65, frame_pipeline: Optional[Sequence[dict]] = None,
                 max_tracks_per_pass: int = 8, segm_key: str = 'segmentations') -> None:
        self.ann_file = ann_file
        self.img_root = img_root
        self.out_file = out_file
        self.corrector = AnnotationCorrector(conf_thr, frame_pipeline, max_tracks_per_pass,
                                             segm_key)

    def after_train(self, runner) -> None:
        """Correct ``ann_file`` with the trained model.

        Args:
            runner (Runner): The runner that trained the model.
        """
        out_file = self.out_file or osp.join(runner.work_dir, 'corrected',
                                             osp.basename(self.ann_file))
        if is_main_process():
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            self.corrector.run(model, self.ann_file, self.img_root, out_file, dict(
                checkpoint=find_latest_checkpoint(runner.work_dir), iter=runner.iter,
                epoch=runner.epoch))
            model.train()
        barrier()
