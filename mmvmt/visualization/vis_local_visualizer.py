"""A visualizer for video instance segmentation: masks, outlines, labels and ids per track."""
from typing import List, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmdet.visualization import TrackLocalVisualizer
from mmengine.dist import master_only
from mmengine.structures import InstanceData

from mmvmt.registry import VISUALIZERS
from .drawing import (add_legend, draw_boundary, draw_dashed_boundary, draw_label, fill_mask,
                      font_scale, hatch)
from .palette import track_color

COARSE_COLOR = (255, 255, 255)


@VISUALIZERS.register_module()
class VISLocalVisualizer(TrackLocalVisualizer):
    """Draw VIS ground truth and predictions: one colour per track id, stable over frames.

    Each instance present in the frame (non-empty mask) gets its mask filled in its track's
    colour, its outline drawn opaque in the same colour and a label "class #id score".
    Optionally the coarse mask's outline (dashed white, from the frame's
    ``pred_track_instances_coarse``, e.g. VMT's base detector) and the refined region
    (hatched, from the instances' ``refined_regions``) are drawn too, and a legend of the
    drawn tracks is appended on the right.

    Unlike mmdet 3.3's ``TrackLocalVisualizer``, it reads the GT's track ids from
    ``instances_ids`` (the key mmdet's ``PackTrackInputs`` writes; the base class reads
    ``instances_id`` and fails), draws masks of any type (bool tensors, arrays or
    ``BitmapMasks``, resized to the image when their size differs) and needs no seaborn.

    Args:
        name (str): Instance name. Defaults to 'visualizer'.
        image (np.ndarray, optional): RGB image to draw on.
        vis_backends (list[dict], optional): Visualization backends.
        save_dir (str, optional): Where the backends save.
        line_width (int, optional): Width of the outlines in pixels. Defaults to None: 1 px
            up to 600-pixel frames (thin legs stay visible), +1 per further 600 pixels.
        alpha (float): Opacity of the mask fill. Defaults to 0.5.
        draw_coarse (bool): Draw the outline of ``pred_track_instances_coarse`` under the
            predictions. Defaults to False.
        draw_refined_region (bool): Hatch the instances' ``refined_regions`` when they have
            them. Defaults to False.
        legend (bool): Append a legend of the drawn tracks. Defaults to False.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 line_width: Optional[int] = None,
                 alpha: float = 0.5,
                 draw_coarse: bool = False,
                 draw_refined_region: bool = False,
                 legend: bool = False) -> None:
        super().__init__(name=name, image=image, vis_backends=vis_backends, save_dir=save_dir,
                         line_width=line_width, alpha=alpha)
        self.draw_coarse = draw_coarse
        self.draw_refined_region = draw_refined_region
        self.legend = legend

    def draw_instances(self, image: np.ndarray, instances: InstanceData,
                       coarse: Optional[InstanceData] = None) -> np.ndarray:
        """Draw one frame's instances on an RGB image.

        Args:
            image (np.ndarray): (H, W, 3) uint8 RGB.
            instances (InstanceData): ``masks`` (N, h, w), ``labels`` (N,), track ids in
                ``instances_id`` (predictions) or ``instances_ids`` (GT), optionally
                ``scores`` (N,) and ``refined_regions`` (N, h, w).
            coarse (InstanceData, optional): Coarse masks of the same tracks, matched by id,
                outlined when ``draw_coarse``.

        Returns:
            np.ndarray: (H, W, 3) uint8 RGB, wider by the legend panel if ``legend``.
        """
        height, width = image.shape[:2]
        out = np.ascontiguousarray(image)
        masks = _masks(instances.get('masks'), len(instances), height, width)
        present = masks.any(axis=(1, 2))
        ids = _track_ids(instances)
        colors = [track_color(i) for i in ids]
        labels = _numpy(instances.get('labels', np.zeros(len(instances), np.int64)))
        scores = instances.get('scores')
        scores = None if scores is None else _numpy(scores)
        texts = [self._label_text(int(labels[i]), int(ids[i]),
                                  None if scores is None else float(scores[i]))
                 for i in range(len(instances))]
        drawn = np.flatnonzero(present)
        thickness = self.line_width or 1 + min(height, width) // 600
        for i in drawn:
            out = fill_mask(out, masks[i], colors[i], self.alpha)
        if self.draw_refined_region and 'refined_regions' in instances:
            regions = _masks(instances.refined_regions, len(instances), height, width)
            for i in drawn:
                out = hatch(out, regions[i], colors[i])
        for i in drawn:
            out = draw_boundary(out, masks[i], colors[i], thickness)
        if self.draw_coarse and coarse is not None and len(coarse):
            coarse_masks = _masks(coarse.get('masks'), len(coarse), height, width)
            coarse_ids = _track_ids(coarse)
            wanted = set(int(ids[i]) for i in drawn)
            for mask, tid in zip(coarse_masks, coarse_ids):
                if int(tid) in wanted:
                    out = draw_dashed_boundary(out, mask, COARSE_COLOR)
        scale = font_scale(height, width)
        for i in drawn:
            ys, xs = np.nonzero(masks[i])
            out = draw_label(out, texts[i], (int(xs.min()), int(ys.min())), colors[i], scale)
        if self.legend:
            out = add_legend(out, [(colors[i], texts[i]) for i in drawn], scale)
        return out

    def _label_text(self, label: int, track_id: int, score: Optional[float]) -> str:
        classes = self.dataset_meta.get('classes')
        name = classes[label] if classes is not None and 0 <= label < len(classes) \
            else f'cls{label}'
        return f'{name} #{track_id}' + ('' if score is None else f' {score:.2f}')

    def _draw_instances(self, image: np.ndarray, instances: InstanceData) -> np.ndarray:
        """The base class's entry point, drawn with :meth:`draw_instances`."""
        return self.draw_instances(image, instances)

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: int = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0) -> None:
        """Draw one frame's GT and predictions (side by side when both) and save or show it.

        Args:
            name (str): Image identifier for the backends and the window.
            image (np.ndarray): (H, W, 3) uint8 RGB frame at the predictions' size.
            data_sample (DetDataSample, optional): One frame of a ``TrackDataSample``, with
                ``gt_instances`` and/or ``pred_track_instances`` (and optionally
                ``pred_track_instances_coarse``).
            draw_gt (bool): Draw the GT if the sample has it. Defaults to True.
            draw_pred (bool): Draw the predictions if the sample has them. Defaults to True.
            show (bool): Show the image in a window. Defaults to False.
            wait_time (int): Seconds the window waits. Defaults to 0.
            out_file (str, optional): Write the image here (instead of the backends).
            pred_score_thr (float): Predictions with a lower score are not drawn.
                Defaults to 0.3.
            step (int): Global step for the backends. Defaults to 0.
        """
        panels = []
        if data_sample is not None:
            data_sample = data_sample.cpu()
            if draw_gt and 'gt_instances' in data_sample:
                panels.append(self.draw_instances(image, data_sample.gt_instances))
            if draw_pred and 'pred_track_instances' in data_sample:
                pred = data_sample.pred_track_instances
                if 'scores' in pred:
                    pred = pred[pred.scores > pred_score_thr]
                panels.append(self.draw_instances(
                    image, pred, data_sample.get('pred_track_instances_coarse')))
        drawn = _side_by_side(panels) if panels else image
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)


def _side_by_side(panels: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate images left to right, padding shorter ones at the bottom."""
    height = max(p.shape[0] for p in panels)
    padded = [np.pad(p, ((0, height - p.shape[0]), (0, 0), (0, 0))) for p in panels]
    return np.concatenate(padded, axis=1)


def _numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _track_ids(instances: InstanceData) -> np.ndarray:
    """Track ids: ``instances_id`` (predictions), ``instances_ids`` (GT), else 0..N-1."""
    for key in ('instances_id', 'instances_ids'):
        if key in instances:
            return _numpy(instances.get(key)).astype(np.int64)
    return np.arange(len(instances))


def _masks(masks, num: int, height: int, width: int) -> np.ndarray:
    """Any mask container -> (num, height, width) bool, resized (nearest) if needed."""
    if masks is None:
        return np.zeros((num, height, width), bool)
    if hasattr(masks, 'to_ndarray'):
        masks = masks.to_ndarray()
    masks = _numpy(masks).astype(bool)
    if masks.shape[1:] == (height, width):
        return masks
    return np.stack([mmcv.imresize(m.astype(np.uint8), (width, height),
                                   interpolation='nearest').astype(bool)
                     for m in masks]) if len(masks) else np.zeros((0, height, width), bool)

