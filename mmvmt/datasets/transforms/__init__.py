"""Data transforms of mmvmt: clip sampling, mask degradation, refinement targets, packing."""
from .formatting import PackVMTInputs
from .frame_sampling import SeqFormerFrameSample
from .mask_degradation import MaskDegradation, simplify_mask_polygons
from .refinement_region import RefinementRegionTarget, refinement_region

__all__ = ['PackVMTInputs', 'SeqFormerFrameSample', 'RefinementRegionTarget',
           'refinement_region', 'MaskDegradation', 'simplify_mask_polygons']
