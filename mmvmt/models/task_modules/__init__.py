from .video_hungarian_assigner import VideoHungarianAssigner

__all__ = ['VideoHungarianAssigner']
