"""Draw VIS predictions during validation and testing (``tools/test.py --show-dir``)."""
import os.path as osp
from typing import Optional, Sequence

import mmcv
from mmdet.engine.hooks import TrackVisualizationHook
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.fileio import get

from mmvmt.registry import HOOKS
from mmvmt.visualization import VISLocalVisualizer


@HOOKS.register_module()
class VISVisualizationHook(TrackVisualizationHook):
    """mmdet's ``TrackVisualizationHook`` made to work on video instance segmentation.

    With mmdet 3.3 the hook fails on every VIS model's predictions: its visualizer reads
    the GT's track ids as ``instances_id`` while ``PackTrackInputs`` writes
    ``instances_ids`` ("'InstanceData' object has no attribute 'instances_id'"). Two more
    faults show once that is fixed: in testing, ``test_out_dir`` is joined to
    ``<work_dir>/<timestamp>`` again at every iteration, so every video goes one folder
    deeper; and a frame's folder is the third-last part of its path, which for the
    YouTube-VIS layout (``JPEGImages/<video>/<frame>.jpg``) is ``JPEGImages``, so the frames
    of all videos overwrite each other. This hook draws with :class:`VISLocalVisualizer`
    (``visualizer = dict(type='VISLocalVisualizer', ...)``; with ``draw=True`` another
    visualizer is refused when the hook is built), resolves ``test_out_dir`` once,
    writes ``<work_dir>/<timestamp>/<test_out_dir>/<video folder>/<frame file>``, and draws
    the frames whose ``frame_id`` is a multiple of ``frame_interval``, whether the sampler
    gives whole videos or single frames.

    Args:
        draw (bool): Draw at all. Defaults to False.
        frame_interval (int): Draw every ``frame_interval``-th frame of a video.
            Defaults to 30.
        score_thr (float): Predictions with a lower score are not drawn. Defaults to 0.3.
        show (bool): Show the frames in a window. Defaults to False.
        wait_time (float): Seconds the window waits. Defaults to 0.
        test_out_dir (str, optional): Folder (under ``<work_dir>/<timestamp>``) for the
            drawn test frames; without it they go to the visualizer's backends.
        backend_args (dict, optional): File backend arguments to read the frames.
    """

    def __init__(self,
                 draw: bool = False,
                 frame_interval: int = 30,
                 score_thr: float = 0.3,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(draw=draw, frame_interval=frame_interval, score_thr=score_thr,
                         show=show, wait_time=wait_time, test_out_dir=test_out_dir,
                         backend_args=backend_args)
        if draw and not isinstance(self._visualizer, VISLocalVisualizer):
            raise TypeError(
                'VISVisualizationHook draws with VISLocalVisualizer, but the current '
                f'visualizer is {type(self._visualizer).__name__}; set visualizer = '
                "dict(type='VISLocalVisualizer', vis_backends=[dict(type="
                "'LocalVisBackend')], name='visualizer') in the config.")
        self._out_dir: Optional[str] = None

    def before_test(self, runner) -> None:
        """Resolve the output folder once: ``<work_dir>/<timestamp>/<test_out_dir>``."""
        if self.test_out_dir is not None:
            self._out_dir = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[TrackDataSample]) -> None:
        """Draw the frames of this iteration's predictions whose ``frame_id`` is due.

        Args:
            runner (Runner): The runner of the test loop.
            batch_idx (int): Index of the batch in the loop.
            data_batch (dict): The batch (unused).
            outputs (Sequence[TrackDataSample]): The model's predictions: whole videos or
                single frames.
        """
        if not self.draw:
            return
        for track_sample in outputs:
            for frame in track_sample.video_data_samples:
                if frame.frame_id % self.frame_interval == 0:
                    self.visualize_single_image(frame, self.image_idx)
                    self.image_idx += 1

    def visualize_single_image(self, img_data_sample: DetDataSample, step: int) -> None:
        """Draw one frame, to ``<out dir>/<video folder>/<frame file>`` when testing with
        ``test_out_dir``, else to the visualizer's backends.

        Args:
            img_data_sample (DetDataSample): The frame, with ``img_path``.
            step (int): Global step for the backends.
        """
        img_path = img_data_sample.img_path
        img = mmcv.imfrombytes(get(img_path, backend_args=self.backend_args),
                               channel_order='rgb')
        out_file = None
        if self._out_dir is not None:
            out_file = osp.join(self._out_dir, osp.basename(osp.dirname(img_path)),
                                osp.basename(img_path))
        self._visualizer.add_datasample(
            osp.basename(img_path) if self.show else 'test_img', img,
            data_sample=img_data_sample, show=self.show, wait_time=self.wait_time,
            pred_score_thr=self.score_thr, out_file=out_file, step=step)
