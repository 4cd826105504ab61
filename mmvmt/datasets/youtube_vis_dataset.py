"""YouTube-VIS 2019 / 2021 read from the official annotation JSON."""
import os.path as osp
from collections import defaultdict
from typing import List, Optional, Sequence

import mmengine.fileio as fileio
from mmdet.datasets import BaseVideoDataset
from mmengine.logging import print_log

from mmvmt.registry import DATASETS
from mmvmt.structures import YTVISFormatError, load_json, ytvis_to_cocovid

YTVIS_2019_CLASSES = (
    'person', 'giant_panda', 'lizard', 'parrot', 'skateboard', 'sedan', 'ape', 'dog',
    'snake', 'monkey', 'hand', 'rabbit', 'duck', 'cat', 'cow', 'fish', 'train', 'horse',
    'turtle', 'bear', 'motorbike', 'giraffe', 'leopard', 'fox', 'deer', 'owl', 'surfboard',
    'airplane', 'truck', 'zebra', 'tiger', 'elephant', 'snowboard', 'boat', 'shark', 'mouse',
    'frog', 'eagle', 'earless_seal', 'tennis_racket')

YTVIS_2021_CLASSES = (
    'airplane', 'bear', 'bird', 'boat', 'car', 'cat', 'cow', 'deer', 'dog', 'duck',
    'earless_seal', 'elephant', 'fish', 'flying_disc', 'fox', 'frog', 'giant_panda',
    'giraffe', 'horse', 'leopard', 'lizard', 'monkey', 'motorbike', 'mouse', 'parrot',
    'person', 'rabbit', 'shark', 'skateboard', 'snake', 'snowboard', 'squirrel', 'surfboard',
    'tennis_racket', 'tiger', 'train', 'truck', 'turtle', 'whale', 'zebra')


@DATASETS.register_module()
class YTVISFormatDataset(BaseVideoDataset):
    """A video instance segmentation dataset in the official YouTube-VIS JSON layout.

    ``ann_file`` is the file as published (no conversion step): it is converted to CocoVID
    in memory by :func:`~mmvmt.structures.ytvis_to_cocovid` and checked on the way. Frame
    paths (``file_names``) must stay inside the image folder (``data_prefix['img_path']``):
    an absolute name or one with a ``..`` part is refused unless ``allow_outside_root=True``
    (the rule of :mod:`mmvmt.structures.frame_names`). Class names come from the file's
    ``categories`` (in id order) unless ``metainfo=dict(classes=...)`` selects some by name;
    ``METAINFO['classes']`` is the fallback for a file without categories.

    Each item of ``data_list`` is one video: ``dict(video_id, video_name, video_length,
    images=[frame info, ...])``; a frame info has ``img_id``, ``img_path``, ``frame_id``,
    ``video_id``, ``height``, ``width`` and ``instances`` (``bbox`` x1y1x2y2, ``bbox_label``
    0-based, ``instance_id`` = the official track id, ``mask`` compressed RLE,
    ``ignore_flag`` = iscrowd): what mmdet's ``LoadTrackAnnotations`` reads.

    In training (``test_mode=False``), videos without any annotation are skipped, and so
    are videos smaller than ``filter_cfg['min_size']`` (default 0); the count is logged.
    Unlike mmdet's ``BaseVideoDataset``, frames without objects stay, so a clip can be
    sampled from the whole video. In test mode every video is kept, with or without
    annotations.

    Args:
        *args: Passed to :class:`mmdet.datasets.BaseVideoDataset`.
        segm_keys (Sequence[str]): Annotation keys holding the per-frame masks, the first
            present in an annotation wins. Defaults to ``('segmentations', )``.
        check_frame_files (bool): Raise if a frame file listed in the JSON does not exist
            (local paths only). Defaults to True.
        default_classes (Sequence[str], optional): Names of category ids 1..K for a file
            without ``categories``. Defaults to ``METAINFO['classes']``.
        allow_outside_root (bool): Read frames whose ``file_names`` lead outside the image
            folder. Defaults to False.
        **kwargs: Passed to :class:`mmdet.datasets.BaseVideoDataset`.
    """

    METAINFO = dict(classes=None)

    def __init__(self, *args, segm_keys: Sequence[str] = ('segmentations', ),
                 check_frame_files: bool = True,
                 default_classes: Optional[Sequence[str]] = None,
                 allow_outside_root: bool = False, **kwargs) -> None:
        self.segm_keys = tuple(segm_keys)
        self.allow_outside_root = allow_outside_root
        self.default_classes = default_classes or self.METAINFO.get('classes')
        self.check_frame_files = check_frame_files
        metainfo = kwargs.get('metainfo') or {}
        self._classes_from_user = metainfo.get('classes') is not None
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read and check the official JSON and group its frames by video.

        Returns:
            list[dict]: One dict per video, frames in file order.
        """
        with fileio.get_local_path(self.ann_file, backend_args=self.backend_args) as path:
            official = load_json(path, source=self.ann_file)
        cocovid = ytvis_to_cocovid(official, source=self.ann_file, segm_keys=self.segm_keys,
                                   default_classes=self.default_classes,
                                   allow_outside_root=self.allow_outside_root)
        self.cat_ids = self._select_categories(cocovid['categories'])
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}

        anns_by_image = defaultdict(list)
        num_dropped = 0
        for ann in cocovid['annotations']:
            if ann['category_id'] in self.cat2label:
                anns_by_image[ann['image_id']].append(ann)
            else:
                num_dropped += 1
        if num_dropped:
            print_log(f'{self.ann_file}: {num_dropped} per-frame annotations of categories '
                      'outside the selected classes were left out', 'current')

        names = {v['id']: v['name'] for v in cocovid['videos']}
        videos = {}
        for image in cocovid['images']:
            video = videos.setdefault(image['video_id'], dict(
                video_id=image['video_id'], video_name=names[image['video_id']],
                images=[], video_length=0))
            video['images'].append(
                self.parse_data_info(dict(raw_img_info=image,
                                          raw_ann_info=anns_by_image[image['id']])))
            video['video_length'] += 1
        data_list = list(videos.values())
        if self.check_frame_files:
            self._check_frame_files(data_list)
        return data_list

    def _select_categories(self, categories: List[dict]) -> List[int]:
        """Set ``classes`` in the metainfo and return the category ids in label order."""
        ordered = sorted(categories, key=lambda c: c['id'])
        if not self._classes_from_user:
            self._metainfo['classes'] = tuple(c['name'] for c in ordered)
            return [c['id'] for c in ordered]
        id_by_name = {c['name']: c['id'] for c in ordered}
        missing = [n for n in self._metainfo['classes'] if n not in id_by_name]
        if missing:
            raise YTVISFormatError(self.ann_file, 'categories', f'classes {missing} given in '
                                   f'metainfo are not in the file; it has '
                                   f'{list(id_by_name)}')
        return [id_by_name[n] for n in self._metainfo['classes']]

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Turn one CocoVID frame and its annotations into mmdet's frame info.

        Args:
            raw_data_info (dict): ``raw_img_info`` (a CocoVID image) and ``raw_ann_info``
                (its annotations).

        Returns:
            dict: The frame info (keys in the class docstring).
        """
        img = raw_data_info['raw_img_info']
        prefix = self.data_prefix.get('img_path')
        info = dict(img_id=img['id'], file_name=img['file_name'],
                    img_path=osp.join(prefix, img['file_name']) if prefix else img['file_name'],
                    frame_id=img['frame_id'], video_id=img['video_id'],
                    height=img['height'], width=img['width'])
        instances = []
        for ann in raw_data_info['raw_ann_info']:
            x1, y1, w, h = ann['bbox']
            if w < 1 or h < 1 or ann['area'] <= 0:
                continue
            instances.append(dict(bbox=[x1, y1, x1 + w, y1 + h],
                                  bbox_label=self.cat2label[ann['category_id']],
                                  instance_id=ann['instance_id'], mask=ann['segmentation'],
                                  ignore_flag=int(ann['iscrowd'])))
        info['instances'] = instances
        return info

    def _check_frame_files(self, data_list: List[dict]) -> None:
        missing = [(v['video_id'], f['file_name'], f['img_path'])
                   for v in data_list for f in v['images'] if not osp.isfile(f['img_path'])]
        if missing:
            video_id, name, path = missing[0]
            raise FileNotFoundError(
                f'{self.ann_file}: {len(missing)} frame file(s) listed in the JSON do not '
                f'exist, e.g. video {video_id} frame "{name}" expected at "{path}" '
                f'(data_prefix.img_path = {self.data_prefix.get("img_path")!r}); pass '
                'check_frame_files=False for remote storage')

    def filter_data(self) -> List[dict]:
        """Skip unannotated or too small videos in training, with a logged count.

        Returns:
            list[dict]: The videos kept.
        """
        if self.test_mode:
            return self.data_list
        min_size = (self.filter_cfg or {}).get('min_size', 0)
        kept, empty, small = [], 0, 0
        for video in self.data_list:
            if not any(f['instances'] for f in video['images']):
                empty += 1
            elif min(video['images'][0]['height'], video['images'][0]['width']) < min_size:
                small += 1
            else:
                kept.append(video)
        if empty or small:
            small_note = f' and {small} smaller than {min_size} px' if small else ''
            print_log(f'{self.ann_file}: skipped {empty} video(s) without annotations'
                      f'{small_note}; {len(kept)} of {len(self.data_list)} videos kept for '
                      'training', 'current')
        return kept


@DATASETS.register_module()
class YouTubeVISDataset(YTVISFormatDataset):
    """YouTube-VIS 2019 or 2021 (40 categories each) from the official JSON.

    The same signature as mmdet's ``YouTubeVISDataset`` (``dataset_version`` first), but it
    reads the official ``train.json`` / ``valid.json`` / ``instances.json`` directly.

    Args:
        dataset_version (str): ``'2019'`` or ``'2021'``; picks the default class list.
        *args: Passed to :class:`YTVISFormatDataset`.
        **kwargs: Passed to :class:`YTVISFormatDataset`.
    """

    VERSION_CLASSES = {'2019': YTVIS_2019_CLASSES, '2021': YTVIS_2021_CLASSES}

    def __init__(self, dataset_version: str = '2019', *args, **kwargs) -> None:
        if str(dataset_version) not in self.VERSION_CLASSES:
            raise ValueError(f'dataset_version must be one of {list(self.VERSION_CLASSES)}, '
                             f'got {dataset_version!r}')
        self.dataset_version = str(dataset_version)
        # Passed on rather than set on the class as mmdet does, which leaks between a 2019
        # and a 2021 dataset built in one process.
        super().__init__(*args, default_classes=self.VERSION_CLASSES[self.dataset_version],
                         **kwargs)
