"""Datasets of mmvmt: YouTube-VIS 2019/2021, HQ-YTVIS, OVIS, the toy data, BDD100K MOTS, and
the training wrappers of SeqFormer's recipe (frame-level epochs, COCO pseudo-clips)."""
from . import toy
from .bdd100k_mots_dataset import BDD100K_MOTS_CLASSES, BDD100KMOTSDataset
from .frame_level_dataset import FrameLevelDataset
from .hq_ytvis_dataset import HQYTVISDataset
from .ovis_dataset import OVIS_CLASSES, OVISDataset
from .pseudo_video_dataset import PseudoVideoDataset
from .toy_vis_dataset import TOY_VIS_CLASSES, ToyVISDataset
from .transforms import *  # noqa: F401,F403
from .youtube_vis_dataset import (YTVIS_2019_CLASSES, YTVIS_2021_CLASSES, YouTubeVISDataset,
                                  YTVISFormatDataset)

__all__ = [
    'toy', 'BDD100K_MOTS_CLASSES', 'BDD100KMOTSDataset', 'HQYTVISDataset', 'OVISDataset',
    'OVIS_CLASSES', 'ToyVISDataset', 'TOY_VIS_CLASSES', 'YouTubeVISDataset',
    'YTVISFormatDataset', 'YTVIS_2019_CLASSES', 'YTVIS_2021_CLASSES', 'FrameLevelDataset',
    'PseudoVideoDataset'
]
