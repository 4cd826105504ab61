"""Inference on one's own videos: :class:`VISInferencer` and its input helpers."""
from .video_input import VideoFrames, read_video
from .video_pipeline import VideoTestPipeline
from .vis_inferencer import VISInferencer, find_config

__all__ = ['VISInferencer', 'VideoFrames', 'VideoTestPipeline', 'find_config', 'read_video']
