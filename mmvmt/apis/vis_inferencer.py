"""Run a VIS model on one's own video: ``VISInferencer(model, weights)(video)``."""
import copy
import glob
import os.path as osp
from typing import List, Optional, Union

import cv2
import mmcv
import mmengine
import numpy as np
import torch
from mmdet.utils import ConfigType
from mmengine.dataset import pseudo_collate
from mmengine.infer.infer import BaseInferencer, ModelType
from mmengine.logging import print_log
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar

from mmvmt.registry import DATASETS, INFERENCERS
from mmvmt.structures import encode_masks, frames_to_tracks, track_results
from mmvmt.utils.checkpoint_file import read_checkpoint
from mmvmt.visualization import VISLocalVisualizer
from .video_input import VIDEO_EXTENSIONS, VideoFrames, VideoInput, read_video
from .video_pipeline import VideoTestPipeline


def find_config(name: str, scope: str = 'mmvmt') -> Optional[str]:
    """The config file named ``<name>.py`` among the package's configs, or None.

    The configs are those of the source checkout (``<repo>/configs``) or, for an installed
    package, the ones shipped in ``<package>/.mim/configs``.
    """
    try:
        root = BaseInferencer._get_repo_or_mim_dir(scope)
    except FileNotFoundError:
        return None
    stem = osp.splitext(osp.basename(name))[0]
    found = sorted(glob.glob(osp.join(root, 'configs', '**', f'{stem}.py'), recursive=True))
    return found[0] if found else None


@INFERENCERS.register_module()
class VISInferencer(BaseInferencer):
    """Video instance segmentation of one video with any VIS model of mmvmt or mmdet.

    The whole video is one input: every frame goes through the config's test pipeline (a
    progress bar follows the frames), then the model predicts the whole video at once, as
    VMT is meant to run (its backbone runs in chunks of ``test_cfg.chunk_size`` frames, the
    instance queries see all frames, so track ids hold for the whole video). The results are
    per-frame track instances, YouTube-VIS result entries (optionally written as JSON), and
    optionally the frames drawn by :class:`VISLocalVisualizer`, written as a video or images.

    Example:
        >>> inferencer = VISInferencer('configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py',
        ...                            weights='work_dirs/demo/iter_600.pth', device='cpu')
        >>> out = inferencer('my_video.mp4', out='my_video_vis.mp4', out_json='res.json')
        >>> out['results'][0]['score'], len(out['predictions'])

    Args:
        model (str | dict | Config, optional): A config file, the name of a config shipped
            with mmvmt (e.g. ``'vmt_tiny_r18_1xb2-toy_vis'``), or a config object; None to
            read the config stored in ``weights``.
        weights (str, optional): Checkpoint file; None gives a randomly initialised model
            (with a warning).
        device (str, optional): e.g. ``'cpu'``, ``'cuda:0'``; None picks the available one.
        scope (str): Default scope of the registries. Defaults to ``'mmvmt'``.
        show_progress (bool): Show progress bars. Defaults to True.
    """

    preprocess_kwargs: set = {'video_id'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {'out', 'show', 'wait_time', 'pred_score_thr', 'draw_coarse',
                             'fps', 'return_vis'}
    postprocess_kwargs: set = {'out_json'}

    def __init__(self,
                 model: Union[ModelType, str, None] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: str = 'mmvmt',
                 show_progress: bool = True) -> None:
        init_default_scope(scope)
        if isinstance(model, str) and not osp.isfile(model):
            found = find_config(model, scope)
            if found is None:
                raise FileNotFoundError(
                    f'VISInferencer: {model} is neither a config file nor the name of a '
                    f'config shipped with {scope} (configs/**/<name>.py).')
            model = found
        if weights is not None:
            # Refuse a missing, empty, truncated or non-torch file with one named error before
            # mmengine's loader fails on it with a raw traceback (the file is read twice).
            read_checkpoint(weights)
        super().__init__(model=model, weights=weights, device=device, scope=scope,
                         show_progress=show_progress)
        self.model = revert_sync_batchnorm(self.model)
        self.visualizer.dataset_meta = self.model.dataset_meta

    def _load_weights_to_model(self, model: torch.nn.Module, checkpoint: Optional[dict],
                               cfg: Optional[ConfigType]) -> None:
        """Load the weights; class names come from the checkpoint, else the config's test
        dataset."""
        meta = {}
        if checkpoint is None:
            print_log('VISInferencer: no weights given, the model is randomly initialised.',
                      'current', level=30)
        else:
            _load_checkpoint_to_model(model, checkpoint)
            meta = checkpoint.get('meta', {}).get('dataset_meta') or {}
        if 'classes' not in meta:
            meta = dict(meta, classes=self._config_classes(cfg))
        model.dataset_meta = {k.lower(): v for k, v in meta.items()}

    @staticmethod
    def _config_classes(cfg) -> Optional[tuple]:
        """The class names of the config's test dataset (None if it has none)."""
        dataset = copy.deepcopy(cfg.get('test_dataloader', {}).get('dataset'))
        if not dataset:
            return None
        dataset['lazy_init'] = True
        return DATASETS.build(dataset).metainfo.get('classes')

    def _init_pipeline(self, cfg: ConfigType) -> VideoTestPipeline:
        """The test pipeline of the config, on raw frames, without annotation loading."""
        return VideoTestPipeline(cfg.test_dataloader.dataset.pipeline)

    def _init_visualizer(self, cfg: ConfigType) -> VISLocalVisualizer:
        """A :class:`VISLocalVisualizer` of its own, without backends (:meth:`visualize`
        writes the frames). It is not registered as mmengine's current visualizer, so
        runners and hooks in the same process keep theirs."""
        return VISLocalVisualizer(name=f'vis_inferencer_{id(self)}')

    def __call__(self, inputs: VideoInput, return_datasamples: bool = False,
                 **kwargs) -> dict:
        """Segment and track the instances of one video.

        Args:
            inputs (str | Sequence): A video file, a folder of frames, or a list of frame
                file paths or (H, W, 3) uint8 BGR arrays.
            return_datasamples (bool): Return the model's ``TrackDataSample`` under
                ``predictions`` instead of plain per-frame dicts. Defaults to False.
            **kwargs: ``video_id`` (the results' video id, default 1); ``out`` (a video
                file such as ``out.mp4``, or a folder for one image per frame),
                ``show``, ``wait_time``, ``pred_score_thr`` (default 0.3; drawing only),
                ``draw_coarse`` (outline the coarse masks too), ``fps`` (of the written
                video; default the input's, else 10), ``return_vis``; ``out_json`` (write
                the YouTube-VIS results there).

        Returns:
            dict: ``predictions``: per frame a dict with ``instances_id``, ``labels``,
            ``scores``, ``bboxes`` (x1, y1, x2, y2) lists and ``masks`` (compressed RLEs);
            ``results``: YouTube-VIS result entries (``video_id``, ``category_id`` =
            label + 1, ``score``, ``segmentations``); ``visualization``: the drawn RGB
            frames if ``return_vis``, else None.
        """
        pre_kwargs, fwd_kwargs, vis_kwargs, post_kwargs = self._dispatch_kwargs(**kwargs)
        video = read_video(inputs)
        data = self.preprocess(video, **pre_kwargs)
        preds = self.forward(data, **fwd_kwargs)
        visualization = self.visualize(video, preds, **vis_kwargs)
        return self.postprocess(preds, visualization, return_datasamples, **post_kwargs)

    def preprocess(self, inputs: VideoFrames, video_id=1, **kwargs) -> dict:
        """All frames through the per-frame pipeline, packed as one video batch.

        Returns:
            dict: ``inputs`` [(T, C, H, W)] and ``data_samples`` [``TrackDataSample``].
        """
        progress = ProgressBar(len(inputs)) if self.show_progress else None
        frames = []
        for t, frame in enumerate(inputs.frames):
            frames.append(self.pipeline.frame(frame, t, len(inputs), video_id))
            if progress is not None:
                progress.update()
        if progress is not None:
            print()
        return pseudo_collate([self.pipeline(frames)])

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> list:
        """The model's ``test_step`` on the whole video."""
        return self.model.test_step(inputs)

    def visualize(self, inputs: VideoFrames, preds: list, out: Optional[str] = None,
                  show: bool = False, wait_time: float = 0, pred_score_thr: float = 0.3,
                  draw_coarse: bool = False, fps: Optional[float] = None,
                  return_vis: bool = False, **kwargs) -> Optional[List[np.ndarray]]:
        """Draw the predictions on the frames; write them to ``out``, show or return them.

        Returns:
            list[np.ndarray] | None: The drawn (H, W, 3) RGB frames if ``return_vis``.
        """
        if not (out or show or return_vis):
            return None
        self.visualizer.draw_coarse = draw_coarse
        writer = _FrameWriter(out, fps or inputs.fps or 10, inputs.names) if out else None
        drawn_frames = []
        progress = ProgressBar(len(inputs)) if self.show_progress else None
        for t, frame in enumerate(preds[0].video_data_samples):
            image = mmcv.bgr2rgb(inputs.image(t))
            pred = frame.pred_track_instances
            drawn = self.visualizer.draw_instances(
                image, pred[pred.scores > pred_score_thr],
                frame.get('pred_track_instances_coarse'))
            if writer is not None:
                writer.write(drawn, t)
            if show:
                self.visualizer.show(drawn, win_name=inputs.source, wait_time=wait_time)
            if return_vis:
                drawn_frames.append(drawn)
            if progress is not None:
                progress.update()
        if progress is not None:
            print()
        if writer is not None:
            writer.close()
            print_log(f'VISInferencer: wrote {writer.target}', 'current')
        return drawn_frames if return_vis else None

    def postprocess(self, preds: list, visualization: Optional[List[np.ndarray]] = None,
                    return_datasample: bool = False, out_json: Optional[str] = None,
                    **kwargs) -> dict:
        """Per-frame predictions and YouTube-VIS results; write the results to ``out_json``.
        """
        track_sample = preds[0]
        frames, per_frame = {}, []
        for t, frame in enumerate(track_sample.video_data_samples):
            pred: InstanceData = frame.pred_track_instances.cpu()
            rles = encode_masks(pred.masks.numpy())
            ids = pred.instances_id.tolist()
            frames[t] = dict(ids=ids, scores=pred.scores.tolist(),
                             labels=pred.labels.tolist(), rles=rles)
            per_frame.append(dict(frame_id=t, instances_id=ids, labels=pred.labels.tolist(),
                                  scores=pred.scores.tolist(),
                                  bboxes=pred.bboxes.tolist() if 'bboxes' in pred else None,
                                  masks=rles))
        video_id = track_sample.video_data_samples[0].video_id
        results = track_results(frames_to_tracks(frames, len(frames)), video_id)
        if out_json:
            mmengine.mkdir_or_exist(osp.dirname(osp.abspath(out_json)))
            mmengine.dump(results, out_json)
            print_log(f'VISInferencer: wrote {len(results)} result tracks to {out_json}',
                      'current')
        return dict(predictions=[track_sample] if return_datasample else per_frame,
                    results=results, visualization=visualization)



class _FrameWriter:
    """Drawn frames to a video file (by its extension) or to a folder of JPEG files.

    In a folder, frame ``t`` is ``<stem of names[t]>.jpg``; when two input frames share a
    stem (``a.jpg`` and ``a.png``, or one name in two folders) every frame is
    ``<t:05d>_<stem>.jpg`` instead, so that no drawn frame replaces another.
    """

    def __init__(self, target: str, fps: float, names: List[str]) -> None:
        self.target = target
        self.fps = fps
        self.is_video = target.lower().endswith(VIDEO_EXTENSIONS)
        self._writer: Optional[cv2.VideoWriter] = None
        stems = [osp.splitext(osp.basename(n))[0] for n in names]
        self.names = [f'{s}.jpg' for s in stems] if len(set(stems)) == len(stems) else \
            [f'{t:05d}_{s}.jpg' for t, s in enumerate(stems)]
        if not self.is_video:
            mmengine.mkdir_or_exist(target)

    def write(self, image: np.ndarray, t: int) -> None:
        """Append the RGB frame ``t`` of the video."""
        bgr = mmcv.rgb2bgr(image)
        if not self.is_video:
            mmcv.imwrite(bgr, osp.join(self.target, self.names[t]))
            return
        if self._writer is None:
            mmengine.mkdir_or_exist(osp.dirname(osp.abspath(self.target)))
            height, width = bgr.shape[:2]
            self._writer = cv2.VideoWriter(self.target, cv2.VideoWriter_fourcc(*'mp4v'),
                                           self.fps, (width, height))
            if not self._writer.isOpened():
                raise OSError(f'{self.target}: OpenCV cannot write this video file')
        self._writer.write(bgr)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
