from .vmt import VideoMaskTransfiner

__all__ = ['VideoMaskTransfiner']
