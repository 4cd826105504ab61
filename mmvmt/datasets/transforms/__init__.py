"""Data transforms of mmvmt: clip sampling, mask degradation, refinement targets, packing."""
from .formatting import PackVMTInputs
from .frame_sampling import SeqFormerFrameSample
from .incoherent_region import IncoherentRegionTarget, incoherent_map, refinement_region
from .mask_degradation import MaskDegradation, simplify_mask_polygons

__all__ = ['PackVMTInputs', 'SeqFormerFrameSample', 'IncoherentRegionTarget',
           'incoherent_map', 'refinement_region', 'MaskDegradation',
           'simplify_mask_polygons']
