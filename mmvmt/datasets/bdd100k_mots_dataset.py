"""BDD100K MOTS (segmentation tracking) as an mmdet video dataset.

The labels (RLE JSON or bitmask PNGs of the release) are read with the official toolkit by
:func:`mmvmt.structures.load_bdd100k_mots_frames`.
"""
import os.path as osp
from collections import defaultdict
from typing import List

import pycocotools.mask as mask_utils
from mmdet.datasets import BaseVideoDataset
from mmengine.logging import print_log

from mmvmt.registry import DATASETS
from mmvmt.structures import (BDD100K_MOTS_CLASSES, bdd100k_mots_config,
                              load_bdd100k_mots_frames)


@DATASETS.register_module()
class BDD100KMOTSDataset(BaseVideoDataset):
    """BDD100K MOTS: 8 classes, instance ids kept across frames, crowd / ignored flagged.

    ``ann_file`` is the RLE JSON or the bitmask folder of one split (see
    :mod:`mmvmt.structures.bdd100k_mots`); ``data_prefix['img_path']`` the folder of that
    split's frames (``images/seg_track_20/{train,val}``), holding ``<video>/<frame>.jpg``. A
    label marked crowd or ignored gets ``ignore_flag=1`` (mmdet then packs it into
    ``ignored_instances``). In training, videos without any label are skipped, with a
    logged count.
    """

    METAINFO = dict(classes=BDD100K_MOTS_CLASSES)

    def load_data_list(self) -> List[dict]:
        """Read the labels with the toolkit and group them by video.

        Returns:
            list[dict]: One dict per video (``video_id``, ``video_name``, ``video_length``,
            ``images``), frames sorted by ``frameIndex``.
        """
        from scalabel.eval.utils import label_ids_to_int
        frames = load_bdd100k_mots_frames(self.ann_file)
        label_of = {name: i for i, name in enumerate(self.metainfo['classes'])}
        by_video = defaultdict(list)
        for frame in frames:
            by_video[frame.videoName].append(frame)
        data_list, img_id = [], 0
        for video_id, name in enumerate(sorted(by_video), start=1):
            video_frames = sorted(by_video[name], key=lambda f: f.frameIndex or 0)
            # Non-numeric track ids become 1..K per video, as the toolkit's evaluator does.
            label_ids_to_int(video_frames)
            images = []
            for frame in video_frames:
                img_id += 1
                images.append(self._frame_info(frame, video_id, img_id, label_of))
            data_list.append(dict(video_id=video_id, video_name=name, images=images,
                                  video_length=len(images)))
        return data_list

    def _frame_info(self, frame, video_id: int, img_id: int, label_of: dict) -> dict:
        prefix = self.data_prefix.get('img_path') or ''
        entry = f'{self.ann_file}: video "{frame.videoName}" frame "{frame.name}"'
        instances, size = [], None
        for label in frame.labels or []:
            if label.rle is None:
                continue
            if label.category not in label_of:
                raise ValueError(f'{entry}: label {label.id} has unknown category '
                                 f'"{label.category}"; expected one of {list(label_of)}')
            rle = dict(size=list(label.rle.size), counts=label.rle.counts)
            if size is not None and rle['size'] != size:
                raise ValueError(f'{entry}: label {label.id} has mask size {rle["size"]}, '
                                 f'the frame\'s other masks {size}')
            size = rle['size']
            x, y, w, h = mask_utils.toBbox(rle).tolist()
            if w < 1 or h < 1:
                continue
            attrs = label.attributes or {}
            instances.append(dict(
                bbox=[x, y, x + w, y + h], bbox_label=label_of[label.category],
                instance_id=int(label.id), mask=rle,
                ignore_flag=int(bool(attrs.get('crowd')) or bool(attrs.get('ignored')))))
        if size is None:
            image_size = bdd100k_mots_config().scalabel.imageSize
            size = [image_size.height, image_size.width]
        return dict(img_id=img_id, video_id=video_id, frame_id=frame.frameIndex or 0,
                    file_name=osp.join(frame.videoName, frame.name),
                    img_path=osp.join(prefix, frame.videoName, frame.name),
                    height=size[0], width=size[1], instances=instances)

    def filter_data(self) -> List[dict]:
        """Skip videos without labels in training, with a logged count."""
        if self.test_mode:
            return self.data_list
        kept = [v for v in self.data_list if any(f['instances'] for f in v['images'])]
        if len(kept) < len(self.data_list):
            print_log(f'{self.ann_file}: skipped {len(self.data_list) - len(kept)} video(s) '
                      f'without labels; {len(kept)} kept for training', 'current')
        return kept
