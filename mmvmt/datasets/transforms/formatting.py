"""Pack a clip for VMT: mmdet's ``PackTrackInputs`` plus the refinement targets."""
from typing import Optional, Sequence

import numpy as np
from mmdet.datasets.transforms import PackTrackInputs

from mmvmt.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackVMTInputs(PackTrackInputs):
    """Pack a clip like ``PackTrackInputs`` and add per-instance mask targets.

    Each key of ``mask_keys`` found in the results (per frame ``BitmapMasks`` with one mask
    per instance) goes into that frame's ``DetDataSample.gt_instances`` under the key
    without its ``gt_`` prefix, split by ``gt_ignore_flags`` exactly as ``gt_masks`` is (the
    ignored ones into ``ignored_instances``). With the defaults a frame's ``gt_instances``
    holds, besides ``masks``, ``labels``, ``bboxes``, ``instances_ids``:

    - ``coarse_masks`` (N, H, W): degraded masks (:class:`MaskDegradation`);
    - ``refine_regions`` (N, H, W): coarse-vs-accurate disagreement dilated by 3 px
      (:class:`RefinementRegionTarget`).

    Args:
        meta_keys (tuple[str], optional): Extra meta keys, as in ``PackTrackInputs``.
        mask_keys (Sequence[str]): Results keys of per-instance ``BitmapMasks`` to pack.
        **kwargs: Passed to ``PackTrackInputs``.
    """

    def __init__(self, meta_keys: Optional[tuple] = None,
                 mask_keys: Sequence[str] = ('gt_coarse_masks', 'gt_refine_regions'),
                 **kwargs) -> None:
        super().__init__(meta_keys=meta_keys, **kwargs)
        self.mask_keys = tuple(mask_keys)

    def transform(self, results: dict) -> dict:
        """Pack the clip.

        Args:
            results (dict): Per-frame lists from the clip's pipeline.

        Returns:
            dict: ``inputs`` (T, C, H, W) uint8 tensor and ``data_samples``
            (``TrackDataSample``).
        """
        packed = super().transform(results)
        frames = packed['data_samples'].video_data_samples
        flags = results.get('gt_ignore_flags')
        for key in self.mask_keys:
            if key not in results:
                continue
            name = key[3:] if key.startswith('gt_') else key
            for i, masks in enumerate(results[key]):
                if flags is None:
                    frames[i].gt_instances[name] = masks
                    continue
                frames[i].gt_instances[name] = masks[np.where(flags[i] == 0)[0]]
                frames[i].ignored_instances[name] = masks[np.where(flags[i] == 1)[0]]
        return packed

    def __repr__(self) -> str:
        # PackTrackInputs.__repr__ reads an attribute that it never sets.
        return (f'{self.__class__.__name__}(meta_keys={self.meta_keys}, '
                f'mask_keys={self.mask_keys})')
