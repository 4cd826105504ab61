"""Visualization of video instance segmentation: a track visualizer and its drawing parts."""
from .drawing import (add_legend, draw_boundary, draw_dashed_boundary, draw_label, fill_mask,
                      hatch)
from .palette import track_color
from .vis_local_visualizer import VISLocalVisualizer

__all__ = ['VISLocalVisualizer', 'add_legend', 'draw_boundary', 'draw_dashed_boundary',
           'draw_label', 'fill_mask', 'hatch', 'track_color']
