from .video_query_head import VideoQueryHead
from .vmt_refine_head import VMTRefineHead

__all__ = ['VideoQueryHead', 'VMTRefineHead']
