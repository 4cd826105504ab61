"""The strategies and modules :class:`~mmvmt.models.heads.VMTRefineHead` is composed of,
each built from a config dict (``MODELS.build``)."""
from .detector_condition import FixedCondition, FrameCondition, VideoCondition
from .fine_prior import FinePrior, colour_scores, mask_pyramid
from .given_embeddings import PooledEmbeddings, QueryEmbeddings
from .node_region import BoundaryBandRegion, IncoherentRegion, boundary_band_scores
from .incoherence_targets import incoherence_targets
from .node_selection import NodeSelector
from .refined_region import refined_region

__all__ = [
    'FixedCondition', 'FrameCondition', 'VideoCondition', 'FinePrior', 'colour_scores',
    'mask_pyramid', 'PooledEmbeddings', 'QueryEmbeddings', 'BoundaryBandRegion',
    'IncoherentRegion', 'boundary_band_scores', 'NodeSelector', 'incoherence_targets',
    'refined_region'
]
