"""Data transforms of mmvmt: clip sampling, pseudo-clips from images, mask degradation,
refinement targets, packing."""
from .broadcast_random_choice import BroadcastRandomChoice
from .clip_filter import SkipEmptyClip
from .formatting import PackVMTInputs
from .frame_sampling import SeqFormerFrameSample
from .mask_degradation import MaskDegradation, simplify_mask_polygons
from .pseudo_clip import ImageToPseudoClip, random_homography, warp_instance_masks
from .refinement_region import RefinementRegionTarget, refinement_region

__all__ = ['PackVMTInputs', 'SeqFormerFrameSample', 'RefinementRegionTarget',
           'refinement_region', 'MaskDegradation', 'simplify_mask_polygons', 'SkipEmptyClip',
           'ImageToPseudoClip', 'random_homography', 'warp_instance_masks',
           'BroadcastRandomChoice']
