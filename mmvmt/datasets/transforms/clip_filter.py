"""Drop a training clip that its augmentations left without any object."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmt.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SkipEmptyClip(BaseTransform):
    """Return None for a clip with no (non-ignored) instance in any frame.

    A crop can leave every object of a clip outside the frame; SeqFormer then draws another
    sample. Returning None does the same in mmengine: the dataset fetches a random other
    item (``BaseDataset.__getitem__``). Put it after the clip's augmentations, outside the
    ``TransformBroadcaster`` (which refuses a None from a wrapped transform).

    Required keys: ``gt_instances_ids`` (or ``gt_bboxes_labels``), per-frame lists;
    optionally ``gt_ignore_flags``.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Pass the clip through, or None when it has no instance left.

        Args:
            results (dict): Per-frame lists of a clip.

        Returns:
            dict | None: ``results`` unchanged, or None.
        """
        key = 'gt_instances_ids' if 'gt_instances_ids' in results else 'gt_bboxes_labels'
        if key not in results:
            raise KeyError(f'SkipEmptyClip: the clip has neither gt_instances_ids nor '
                           f'gt_bboxes_labels (keys: {sorted(results)})')
        flags = results.get('gt_ignore_flags') or [None] * len(results[key])
        for ids, ignore in zip(results[key], flags):
            kept = len(ids) if ignore is None else int((np.asarray(ignore) == 0).sum())
            if kept:
                return results
        return None
