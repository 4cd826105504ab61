"""Self-correction of coarse video annotations (VMT, Section 3.2): the rule, the corrector,
the per-round driver, its state and a hook for single training runs; the refinement of any
model's VIS results with VMT's refiner, the hook that draws VIS predictions and the one that
refuses a checkpoint of another model."""
from .annotation_correction_hook import AnnotationCorrectionHook
from .annotation_corrector import AnnotationCorrector, correct_video_masks, provenance_path
from .atomic_json import dump_json_atomic, file_sha256
from .checkpoint_keys_hook import CheckpointKeysHook
from .confident_relabel import confident_relabel
from .corrected_annotations import corrected_annotations
from .correction_inputs import check_correction_input
from .correction_settings import CorrectionSettings, CorrectionSettingsError
from .correction_validation import annotation_boundary_ap, annotations_as_results, ap_saturated
from .epoch_length_hook import EpochLengthHook
from .rank_sync import PeerProcessError, on_every_process, on_main_process
from .result_refinement_hook import ResultRefinementHook
from .reviewed_annotations import apply_review
from .result_refiner import ResultRefiner, build_refiner
from .self_correction import SelfCorrection
from .self_correction_state import SelfCorrectionState, SelfCorrectionStateError
from .sharded_correction import correct_sharded
from .vis_visualization_hook import VISVisualizationHook

__all__ = ['AnnotationCorrectionHook', 'AnnotationCorrector', 'correct_video_masks',
           'provenance_path', 'dump_json_atomic', 'file_sha256', 'confident_relabel',
           'corrected_annotations', 'check_correction_input', 'CorrectionSettings',
           'CorrectionSettingsError', 'annotation_boundary_ap',
           'annotations_as_results', 'ap_saturated', 'PeerProcessError', 'on_every_process',
           'on_main_process', 'ResultRefinementHook', 'ResultRefiner', 'build_refiner',
           'SelfCorrection', 'SelfCorrectionState', 'SelfCorrectionStateError',
           'correct_sharded', 'VISVisualizationHook', 'EpochLengthHook', 'apply_review',
           'CheckpointKeysHook']
