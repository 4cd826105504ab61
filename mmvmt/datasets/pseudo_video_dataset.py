"""An image dataset seen as a video dataset: each image becomes a pseudo-clip.

SeqFormer's best models train jointly on their video dataset and on COCO images made into
5-frame clips by random warps (``datasets/coco2seq.py``, ``datasets/concat_dataset.py`` of
the SeqFormer code), with the COCO categories that have a YouTube-VIS counterpart relabelled
to it. :class:`PseudoVideoDataset` does that to any mmdet image dataset (e.g.
``CocoDataset``); put it next to the video dataset in mmengine's ``ConcatDataset``.
"""
import copy
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose

from mmvmt.registry import DATASETS


@DATASETS.register_module()
class PseudoVideoDataset:
    """Relabel an image dataset into video classes and turn every image into a clip.

    Item i: image i of ``dataset``, loaded by that dataset's own pipeline (e.g.
    ``LoadImageFromFile`` + ``LoadAnnotations(with_bbox=True, with_mask=True)``), its labels
    mapped through ``class_map`` to indices of ``classes``, then ``pipeline`` (e.g.
    :class:`~mmvmt.datasets.transforms.ImageToPseudoClip` and the video clip
    augmentations). When ``pipeline`` returns None (e.g. an image with too many instances,
    or a crop that left no object), another image is drawn at random, up to
    ``max_refetch`` times, as mmengine's datasets do.

    ``metainfo`` is ``dict(classes=classes)``: the same as the video dataset's, which
    mmengine's ``ConcatDataset`` checks.

    Args:
        dataset (dict | BaseDataset): The image dataset (or its config). Its
            ``metainfo['classes']`` should list only the classes in ``class_map`` (an
            mmdet ``CocoDataset`` then loads only those categories, and drops images
            without them).
        classes (Sequence[str]): The video dataset's classes, in label order.
        class_map (dict[str, str]): Image class name -> video class name.
        pipeline (list[dict | callable]): Transforms from a loaded image to a packed clip.
        max_refetch (int): Most redraws of an item whose pipeline gave None. Defaults to
            100.
        lazy_init (bool): Defer reading the annotations to :meth:`full_init`.
            Defaults to False.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], classes: Sequence[str],
                 class_map: Dict[str, str], pipeline: List[Union[dict, Callable]],
                 max_refetch: int = 100, lazy_init: bool = False) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.classes = tuple(classes)
        self.class_map = dict(class_map)
        unknown = sorted(set(self.class_map.values()) - set(self.classes))
        if unknown:
            raise ValueError(f'PseudoVideoDataset: class_map maps to {unknown}, which are not '
                             f'in classes {list(self.classes)}')
        self.pipeline = Compose(pipeline)
        self.max_refetch = max_refetch
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """``dict(classes=classes)``: the video classes the labels are mapped to."""
        return dict(classes=copy.copy(self.classes))

    def full_init(self) -> None:
        """Read the image dataset and build the label map from its classes to ours."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        image_classes = self.dataset.metainfo.get('classes')
        if not image_classes:
            raise ValueError(f'PseudoVideoDataset: {type(self.dataset).__name__} has no '
                             "metainfo['classes'] to map")
        missing = [name for name in image_classes if name not in self.class_map]
        if missing:
            raise ValueError(
                f'PseudoVideoDataset: classes {missing} of {type(self.dataset).__name__} '
                f'({getattr(self.dataset, "ann_file", "")}) have no entry in class_map; '
                "select only mapped classes with the image dataset's metainfo=dict(classes=...)")
        cat_ids = getattr(self.dataset, 'cat_ids', None)
        if cat_ids is not None and len(cat_ids) != len(image_classes):
            # mmdet's CocoDataset numbers only the categories it found in the file.
            raise ValueError(
                f'PseudoVideoDataset: {getattr(self.dataset, "ann_file", "the image file")} '
                f'has {len(cat_ids)} of the {len(image_classes)} classes {list(image_classes)}; '
                'its labels would not match the class names: list only classes it has')
        self.label_map = np.array([self.classes.index(self.class_map[name])
                                   for name in image_classes], np.int64)
        self._fully_initialized = True

    def __len__(self) -> int:
        self.full_init()
        return len(self.dataset)

    def get_data_info(self, idx: int) -> dict:
        """Image ``idx`` as a one-frame video info (``video_id``, ``video_length``,
        ``images`` = [the image dataset's info, labels not mapped]), the shape mmdet's video
        samplers read (e.g. ``TrackAspectRatioBatchSampler``)."""
        return dict(video_id=idx, video_length=1, images=[self.dataset.get_data_info(idx)])

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Load image ``idx``, map its labels, run ``pipeline``; None if it gave None."""
        results = self.dataset[idx]
        if 'gt_bboxes_labels' not in results:
            raise KeyError(f'PseudoVideoDataset: image {idx} of {type(self.dataset).__name__} '
                           'has no gt_bboxes_labels; its pipeline must load the annotations '
                           '(LoadAnnotations(with_bbox=True, with_mask=True))')
        results['gt_bboxes_labels'] = self.label_map[
            np.asarray(results['gt_bboxes_labels'], np.int64)]
        return self.pipeline(results)

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = np.random.randint(0, len(self))
        raise RuntimeError(f'PseudoVideoDataset: the pipeline gave None for '
                           f'{self.max_refetch + 1} images in a row; check `pipeline` (e.g. '
                           'ImageToPseudoClip.max_instances) and the annotations')
