"""BDD100K MOTS (segmentation tracking), read with the official BDD100K toolkit.

Two label formats of the release are read, both through the toolkit (``bdd100k`` /
``scalabel``):

* RLE JSON (``labels/seg_track_20/rles/{train,val}.json`` or a folder of per-video JSONs):
  ``scalabel.label.io.load`` and ``bdd100k.label.to_scalabel.bdd100k_to_scalabel`` (which
  maps BDD100K names such as ``person`` -> ``pedestrian`` and marks ``other person`` /
  ``other vehicle`` / ``trailer`` as ignored);
* bitmask PNGs (``labels/seg_track_20/bitmasks/{train,val}/<video>/<frame>.png``): RGBA, R =
  category id 1..8, G = attributes (truncated 8, occluded 4, crowd 2, ignored 1), B * 256 +
  A = instance id; parsed by ``bdd100k.common.bitmask.parse_bitmask``. Every PNG is read
  when the dataset is built (seconds per thousand frames); for the full set, converting once
  with ``python -m bdd100k.label.to_rle -m seg_track -i BITMASKS -o rles.json`` is faster to
  load, but drops the crowd / ignored flags, so the bitmasks are read as they are here.

Both become scalabel ``Frame`` lists (:func:`load_bdd100k_mots_frames`), which the dataset
and :class:`~mmvmt.evaluation.metrics.BDD100KMOTSMetric` share.
"""
import os
import os.path as osp
from collections import defaultdict
from typing import List

import numpy as np
import pycocotools.mask as mask_utils
from mmdet.datasets import BaseVideoDataset
from mmengine.logging import print_log

from mmvmt.registry import DATASETS

BDD100K_MOTS_CLASSES = ('pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
                        'bicycle')


def bdd100k_mots_config():
    """The toolkit's ``seg_track`` config (8 classes in 3 super-categories)."""
    from bdd100k.common.utils import load_bdd100k_config
    return load_bdd100k_config('seg_track')


def _bitmask_frame(png_path: str, rel_path: str):
    """One bitmask PNG as a scalabel ``Frame`` with RLE labels and their flags."""
    from bdd100k.common.bitmask import parse_bitmask
    from PIL import Image
    from scalabel.label.transforms import mask_to_rle
    from scalabel.label.typing import Frame, Label

    bitmask = np.asarray(Image.open(png_path), dtype=np.uint8)
    if bitmask.ndim != 3 or bitmask.shape[2] != 4:
        raise ValueError(f'{png_path}: a BDD100K MOTS bitmask is RGBA (H, W, 4), got shape '
                         f'{bitmask.shape}')
    index_map, instance_ids, attributes, category_ids = parse_bitmask(bitmask)
    labels = []
    for i, (inst_id, attr, cat) in enumerate(zip(instance_ids, attributes, category_ids)):
        if not 1 <= cat <= len(BDD100K_MOTS_CLASSES):
            raise ValueError(f'{png_path}: instance {inst_id} has category id {cat}, expected '
                             f'1..{len(BDD100K_MOTS_CLASSES)}')
        labels.append(Label(
            id=str(int(inst_id)), category=BDD100K_MOTS_CLASSES[cat - 1],
            attributes=dict(crowd=bool(attr & 2), ignored=bool(attr & 1)),
            rle=mask_to_rle((index_map == i + 1).astype(np.uint8))))
    video, stem = rel_path.split(os.sep)[-2], osp.splitext(osp.basename(rel_path))[0]
    return Frame(name=f'{stem}.jpg', videoName=video,
                 frameIndex=int(stem.split('-')[-1]) - 1, labels=labels)


def load_bdd100k_mots_frames(ann_path: str) -> list:
    """Read BDD100K MOTS labels as scalabel ``Frame`` s with RLE labels.

    Args:
        ann_path (str): An RLE JSON file (or folder of them), or a folder of per-video
            folders of bitmask PNGs.

    Returns:
        list[scalabel.label.typing.Frame]: Frames with ``videoName``, ``name`` (the frame
        image file name), ``frameIndex`` and ``labels`` (``category`` among the 8 classes,
        ``id``, ``rle``, ``attributes`` with ``crowd`` / ``ignored``).
    """
    if osp.isdir(ann_path):
        pngs = sorted(osp.relpath(osp.join(d, f), ann_path)
                      for d, _, files in os.walk(ann_path) for f in files
                      if f.endswith('.png'))
        if pngs:
            return [_bitmask_frame(osp.join(ann_path, p), p) for p in pngs]
    from bdd100k.label.to_scalabel import bdd100k_to_scalabel
    from scalabel.label.io import load
    return bdd100k_to_scalabel(load(ann_path, nprocs=1).frames, bdd100k_mots_config())


@DATASETS.register_module()
class BDD100KMOTSDataset(BaseVideoDataset):
    """BDD100K MOTS: 8 classes, instance ids kept across frames, crowd / ignored flagged.

    ``ann_file`` is the RLE JSON or the bitmask folder of one split (see the module
    docstring); ``data_prefix['img_path']`` the folder of that split's frames
    (``images/seg_track_20/{train,val}``), holding ``<video>/<frame>.jpg``. A label marked
    crowd or ignored gets ``ignore_flag=1`` (mmdet then packs it into
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
