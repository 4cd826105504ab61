"""Self-correction of coarse video annotations (VMT, Section 3.2): the rule, the corrector,
the per-round driver, its state and a hook for single training runs."""
from .annotation_correction_hook import AnnotationCorrectionHook
from .annotation_corrector import AnnotationCorrector, correct_video_masks, provenance_path
from .atomic_json import dump_json_atomic, file_sha256
from .confident_relabel import confident_relabel
from .corrected_annotations import corrected_annotations
from .result_refinement_hook import ResultRefinementHook
from .result_refiner import ResultRefiner, build_refiner
from .self_correction import SelfCorrection
from .self_correction_state import SelfCorrectionState
from .vis_visualization_hook import VISVisualizationHook

__all__ = ['AnnotationCorrectionHook', 'AnnotationCorrector', 'correct_video_masks',
           'provenance_path', 'dump_json_atomic', 'file_sha256', 'confident_relabel',
           'corrected_annotations', 'ResultRefinementHook', 'ResultRefiner', 'build_refiner',
           'SelfCorrection', 'SelfCorrectionState', 'VISVisualizationHook']
