from .refine import refined_region  # also registers the refine head's strategies
from .video_query_head import VideoQueryHead
from .vmt_refine_head import VMTRefineHead
from .vmt_release_refine_head import VMTReleaseRefineHead

__all__ = ['VideoQueryHead', 'VMTRefineHead', 'refined_region', 'VMTReleaseRefineHead']
