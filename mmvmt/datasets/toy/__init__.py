"""The embedded toy video instance segmentation dataset (see :mod:`.generator`)."""
from .generator import (DEFAULT_NUM_FRAMES, DEFAULT_NUM_VIDEOS, FRAME_HEIGHT, FRAME_WIDTH,
                        SPLITS, make_toy_vis)
from .shapes import CATEGORIES

__all__ = ['make_toy_vis', 'CATEGORIES', 'SPLITS', 'DEFAULT_NUM_VIDEOS', 'DEFAULT_NUM_FRAMES',
           'FRAME_HEIGHT', 'FRAME_WIDTH']
