"""Training target of VMT's self-correction: the refinement region of a coarse mask.

Shape shorthand: N instances, H x W frame.

Refinement region: where a coarse mask and the accurate mask disagree, dilated by
``dilation`` px (3 in the paper); the region the refiner is trained to correct besides the
incoherent cells. (The incoherent cells themselves, Mask Transfiner's "where the mask loses
information under downsampling and upsampling", are computed by the refinement head from
the GT masks at its own padded grid: ``mmvmt.models.layers.quadtree.incoherent_cells``.)
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks

from mmvmt.registry import TRANSFORMS


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
class RefinementRegionTarget(BaseTransform):
    """Add the refinement region of each instance's coarse mask.

    Required keys: ``gt_masks`` and ``gt_coarse_masks`` (e.g. from :class:`MaskDegradation`);
    without coarse masks the results pass through unchanged. Added key:
    ``gt_refine_regions`` (``BitmapMasks`` (N, H, W)), packed by :class:`PackVMTInputs`
    into ``gt_instances.refine_regions``. Put it after every geometric transform and after
    :class:`MaskDegradation`.

    Args:
        dilation (int): Dilation of the refinement region in px. Defaults to 3.
    """

    def __init__(self, dilation: int = 3) -> None:
        self.dilation = dilation

    def transform(self, results: dict) -> dict:
        """Compute the region of one frame.

        Args:
            results (dict): One frame's results.

        Returns:
            dict: The results with ``gt_refine_regions`` added when there are coarse masks.
        """
        masks, coarse = results.get('gt_masks'), results.get('gt_coarse_masks')
        if masks is None or coarse is None:
            return results
        region = refinement_region(masks.to_ndarray(), coarse.to_ndarray(), self.dilation)
        results['gt_refine_regions'] = BitmapMasks(region, masks.height, masks.width)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(dilation={self.dilation})'
