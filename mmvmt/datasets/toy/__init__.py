"""The embedded toy dataset (see :mod:`.generator`) and the held-out garden, realscale and
camouflage styles (:mod:`.garden`, :mod:`.hard_styles`, validation only)."""
from .garden import GARDEN_HEIGHT, GARDEN_WIDTH, make_garden_vis
from .garden_shapes import GARDEN_CATEGORIES
from .generator import (DEFAULT_NUM_FRAMES, DEFAULT_NUM_VIDEOS, FRAME_HEIGHT, FRAME_WIDTH,
                        SPLITS, make_toy_vis)
from .hard_styles import STYLES as HARD_STYLES
from .hard_styles import make_hard_vis
from .shapes import CATEGORIES

__all__ = ['make_toy_vis', 'make_garden_vis', 'make_hard_vis', 'HARD_STYLES', 'CATEGORIES',
           'GARDEN_CATEGORIES', 'SPLITS',
           'DEFAULT_NUM_VIDEOS', 'DEFAULT_NUM_FRAMES', 'FRAME_HEIGHT', 'FRAME_WIDTH',
           'GARDEN_HEIGHT', 'GARDEN_WIDTH']
