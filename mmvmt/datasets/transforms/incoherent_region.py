"""Training targets of VMT's refinement: incoherent regions and the refinement region.

Shape shorthand: N instances, H x W frame, s a pyramid stride, h_s = ceil(H / s),
w_s = ceil(W / s).

* Incoherent region at stride s (Mask Transfiner): the cells of the H/s grid where the mask
  loses information when it is downsampled to that grid and upsampled back. With average
  pooling over s x s blocks and nearest upsampling, exactly the blocks holding both
  foreground and background pixels are lost, so a cell is incoherent iff its block is mixed.
  (Mask Transfiner's bilinear version marks about the same cells plus a thin fringe.) The
  levels nest like the quadtree: a mixed block at s/2 lies in a mixed block at s.
* Refinement region: where a coarse mask and the accurate mask disagree, dilated by
  ``dilation`` px (3 in the paper); the region the refiner is trained to correct.
"""
from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks

from mmvmt.registry import TRANSFORMS


def incoherent_map(masks: np.ndarray, stride: int) -> np.ndarray:
    """Cells of the stride-``stride`` grid whose block mixes foreground and background.

    Args:
        masks (np.ndarray): Binary masks (N, H, W).
        stride (int): Cell size s in px.

    Returns:
        np.ndarray: uint8 (N, h_s, w_s); blocks at the right / bottom border are the
        partial blocks that remain.
    """
    n, h, w = masks.shape
    hs, ws = -(-h // stride), -(-w // stride)
    padded = np.zeros((n, hs * stride, ws * stride), dtype=np.uint8)
    valid = np.zeros_like(padded)
    padded[:, :h, :w] = masks.astype(bool)
    valid[:, :h, :w] = 1
    fg = padded.reshape(n, hs, stride, ws, stride).sum(axis=(2, 4))
    total = valid.reshape(n, hs, stride, ws, stride).sum(axis=(2, 4))
    return ((fg > 0) & (fg < total)).astype(np.uint8)


def refinement_region(masks: np.ndarray, coarse_masks: np.ndarray,
                      dilation: int = 3) -> np.ndarray:
    """Where coarse and accurate masks disagree, dilated by ``dilation`` px.

    Args:
        masks (np.ndarray): Accurate binary masks (N, H, W).
        coarse_masks (np.ndarray): Coarse binary masks (N, H, W).
        dilation (int): Dilation in px with a 3x3 square step (Chebyshev distance).

    Returns:
        np.ndarray: uint8 (N, H, W).
    """
    diff = (masks.astype(bool) != coarse_masks.astype(bool)).astype(np.uint8)
    if dilation <= 0:
        return diff
    kernel = np.ones((3, 3), np.uint8)
    return np.stack([cv2.dilate(d, kernel, iterations=dilation) for d in diff]) \
        if len(diff) else diff


@TRANSFORMS.register_module()
class IncoherentRegionTarget(BaseTransform):
    """Add the incoherent maps of the accurate masks and the refinement region.

    Required keys: ``gt_masks``; ``gt_coarse_masks`` for the refinement region (e.g. from
    :class:`MaskDegradation`). Added keys (all ``BitmapMasks``, one mask per instance,
    packed by :class:`PackVMTInputs` into ``gt_instances`` without the ``gt_`` prefix):

    - ``gt_incoherent_s{s}`` for each stride s: (N, h_s, w_s), over the unpadded frame;
      a model that pads its inputs pads these with zeros at the bottom / right;
    - ``gt_refine_regions`` (N, H, W), when ``gt_coarse_masks`` is present.

    Put it after every geometric transform and after :class:`MaskDegradation`.

    Args:
        strides (Sequence[int]): Pyramid strides. Defaults to (8, 4, 2).
        dilation (int): Dilation of the refinement region in px. Defaults to 3.
    """

    def __init__(self, strides: Sequence[int] = (8, 4, 2), dilation: int = 3) -> None:
        self.strides = tuple(int(s) for s in strides)
        self.dilation = dilation

    def transform(self, results: dict) -> dict:
        """Compute the targets of one frame.

        Args:
            results (dict): One frame's results.

        Returns:
            dict: The results with the keys above added.
        """
        if results.get('gt_masks') is None:
            return results
        masks = results['gt_masks'].to_ndarray()
        for stride in self.strides:
            maps = incoherent_map(masks, stride)
            results[f'gt_incoherent_s{stride}'] = BitmapMasks(maps, *maps.shape[1:])
        coarse = results.get('gt_coarse_masks')
        if coarse is not None:
            region = refinement_region(masks, coarse.to_ndarray(), self.dilation)
            results['gt_refine_regions'] = BitmapMasks(region, *masks.shape[1:])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(strides={self.strides}, dilation={self.dilation})'
