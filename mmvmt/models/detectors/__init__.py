from .given_mask_refiner import GivenMaskRefiner
from .seqformer_detector import SeqFormerDetector
from .vmt import VideoMaskTransfiner
from .vmt_release import VMTRelease

__all__ = ['SeqFormerDetector', 'VideoMaskTransfiner', 'VMTRelease', 'GivenMaskRefiner']
