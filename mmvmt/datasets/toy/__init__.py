"""The embedded toy dataset (see :mod:`.generator`) and the held-out garden style
(:mod:`.garden`, validation only)."""
from .garden import GARDEN_HEIGHT, GARDEN_WIDTH, make_garden_vis
from .garden_shapes import GARDEN_CATEGORIES
from .generator import (DEFAULT_NUM_FRAMES, DEFAULT_NUM_VIDEOS, FRAME_HEIGHT, FRAME_WIDTH,
                        SPLITS, make_toy_vis)
from .shapes import CATEGORIES

__all__ = ['make_toy_vis', 'make_garden_vis', 'CATEGORIES', 'GARDEN_CATEGORIES', 'SPLITS',
           'DEFAULT_NUM_VIDEOS', 'DEFAULT_NUM_FRAMES', 'FRAME_HEIGHT', 'FRAME_WIDTH',
           'GARDEN_HEIGHT', 'GARDEN_WIDTH']
