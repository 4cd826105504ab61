"""Self-correction of coarse video annotations (VMT, Section 3.2): the rule, the corrector,
the per-round driver, its state and a hook for single training runs."""
from .annotation_correction_hook import AnnotationCorrectionHook
from .annotation_corrector import AnnotationCorrector, provenance_path
from .atomic_json import dump_json_atomic, file_sha256
from .confident_relabel import confident_relabel
from .corrected_annotations import corrected_annotations
from .correction_inputs import check_correction_input
from .correction_validation import annotation_boundary_ap, annotations_as_results, ap_saturated
from .rank_sync import PeerProcessError, on_every_process, on_main_process
from .self_correction import SelfCorrection
from .self_correction_state import SelfCorrectionState
from .sharded_correction import correct_sharded

__all__ = ['AnnotationCorrectionHook', 'AnnotationCorrector', 'provenance_path',
           'dump_json_atomic', 'file_sha256', 'confident_relabel', 'corrected_annotations',
           'check_correction_input', 'annotation_boundary_ap', 'annotations_as_results',
           'ap_saturated', 'PeerProcessError', 'on_every_process', 'on_main_process',
           'SelfCorrection', 'SelfCorrectionState', 'correct_sharded']
