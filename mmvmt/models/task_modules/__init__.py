from .video_hungarian_assigner import VideoBBoxL1Cost, VideoGIoUCost, VideoHungarianAssigner

__all__ = ['VideoBBoxL1Cost', 'VideoGIoUCost', 'VideoHungarianAssigner']
