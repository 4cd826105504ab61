from .video_query_head import VideoQueryHead

__all__ = ['VideoQueryHead']
