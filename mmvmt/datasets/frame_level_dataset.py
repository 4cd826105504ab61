"""One training sample per frame of a video dataset: epochs over frames, as SeqFormer counts.

mmdet's video datasets have one item per *video*, so an epoch is one clip per video.
SeqFormer (and VMT, which follows its recipe) has one item per *frame*: its YouTube-VIS
dataset lists every (video, frame) pair and item i is a clip sampled around frame i, so an
epoch is one clip per frame, about 30x more iterations on YouTube-VIS.
"""
import copy
from typing import Union

import numpy as np
from mmdet.datasets import BaseVideoDataset
from mmengine.logging import print_log

from mmvmt.registry import DATASETS


@DATASETS.register_module()
class FrameLevelDataset:
    """Index a video dataset by frame: item i is a training clip around frame i.

    Lists every (video, frame) pair of ``dataset`` in video order; item i is
    ``dataset[(video, frame)]``, for which mmdet's ``BaseVideoDataset.prepare_data`` hands
    the pipeline the whole video with ``key_frame_id = frame``, and
    :class:`~mmvmt.datasets.transforms.SeqFormerFrameSample` samples the clip around that
    key frame. ``len`` is the number of frames of the videos the dataset kept (unannotated
    videos are skipped in training; SeqFormer keeps them in its count and redraws a random
    sample whenever one comes out empty, so the two counts agree on files where every
    video has an annotation, as in YouTube-VIS, HQ-YTVIS and OVIS train).

    This is mmdet's ``TrackImgSampler`` made a dataset: any sampler then works
    (``DefaultSampler``'s seeded shuffling, distributed split and padding), and so does
    mmengine's ``ConcatDataset`` with image datasets beside it (``TrackImgSampler`` indexes
    every part of a ``ConcatDataset`` with the part's own video numbers and requires every
    part to be a video dataset).

    Args:
        dataset (dict | BaseVideoDataset): The video dataset or its config; not in
            ``test_mode`` (test time runs whole videos).
        lazy_init (bool): Defer reading the annotations to :meth:`full_init`.
            Defaults to False.
    """

    def __init__(self, dataset: Union[dict, BaseVideoDataset], lazy_init: bool = False) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(dataset, BaseVideoDataset):
            raise TypeError('FrameLevelDataset: `dataset` must be a video dataset (mmdet '
                            f'BaseVideoDataset) or its config, got {type(dataset).__name__}')
        if dataset.test_mode:
            raise ValueError(f'FrameLevelDataset: {type(dataset).__name__} is in test_mode; '
                             'frame-level sampling is for training (test time runs whole '
                             'videos)')
        self.dataset = dataset
        self._metainfo = dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information (a copy)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Read the wrapped dataset and list its (video, frame) pairs (logged once)."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        # A lazily built video dataset learns its class names from its file only now.
        self._metainfo = self.dataset.metainfo
        lengths = [self.dataset.get_len_per_video(v) for v in range(len(self.dataset))]
        # (F, 2) int array rather than a list of tuples: dataloader workers share it without
        # copy-on-access of Python objects.
        self.frame_index = np.array(
            [(v, f) for v, length in enumerate(lengths) for f in range(length)],
            dtype=np.int64).reshape(-1, 2)
        self._fully_initialized = True
        print_log(f'FrameLevelDataset: {len(self.frame_index)} samples, one per frame of '
                  f'{len(lengths)} videos of {type(self.dataset).__name__} '
                  f'({self.dataset.ann_file})', 'current')

    def _check_init(self) -> None:
        if not self._fully_initialized:
            self.full_init()

    def frame_of(self, idx: int) -> tuple:
        """The (video index, frame index) pair of item ``idx``."""
        self._check_init()
        video, frame = self.frame_index[idx]
        return int(video), int(frame)

    def get_data_info(self, idx: int) -> dict:
        """The info of the video that item ``idx`` belongs to (its ``images``, sizes)."""
        return self.dataset.get_data_info(self.frame_of(idx)[0])

    def __len__(self) -> int:
        self._check_init()
        return len(self.frame_index)

    def __getitem__(self, idx: int) -> dict:
        """The clip sampled around frame ``idx``, through the wrapped dataset's pipeline."""
        return self.dataset[self.frame_of(idx)]

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(dataset={type(self.dataset).__name__}, ' \
               f'len={len(self) if self._fully_initialized else "not initialised"})'
