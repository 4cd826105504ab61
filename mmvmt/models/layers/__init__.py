from .attention import PaddedAttention
from .dynamic_conv import (dynamic_conv_dims, dynamic_conv_param_count, dynamic_mask_logits,
                           split_dynamic_params)
from .dynamic_pixel_decoder import DynamicPixelDecoder
from .incoherent_detector import IncoherentDetector
from .instance_guidance import InstanceGuidanceLayer
from .mask_logits import FRACTION_EPS, fraction_logits
from .node_attention import NodeAttentionLayer
from .node_encoder import NodeEncoder, sample_points, sine_encoding
from .node_windows import gather_window
from .quadtree import (dense_to_nodes, expand_children, fg_fraction, flat_index,
                       incoherent_cells, pack_by_group, paste_node_logits, rank_in_group,
                       topk_per_group, upsample_chain)
from .refinement_transformer import RefinementLayer, RefinementTransformer
from .rgb_embedding import RGBEmbedding
from .track_query_matching import match_tracks_to_queries, soft_tube_iou
from .seqformer_decoder import (SeqFormerCrossAttention, SeqFormerDecoderLayer,
                                SeqFormerTransformerDecoder)
from .seqformer_mask_branch import SeqFormerMaskBranch

__all__ = [
    'PaddedAttention', 'DynamicPixelDecoder', 'paste_node_logits', 'upsample_chain',
    'IncoherentDetector', 'gather_window', 'InstanceGuidanceLayer', 'NodeAttentionLayer',
    'NodeEncoder', 'sample_points', 'sine_encoding', 'dense_to_nodes', 'expand_children',
    'fg_fraction', 'flat_index', 'incoherent_cells', 'pack_by_group', 'rank_in_group',
    'topk_per_group', 'RefinementLayer', 'RefinementTransformer', 'RGBEmbedding',
    'match_tracks_to_queries', 'soft_tube_iou', 'FRACTION_EPS', 'fraction_logits',
    'dynamic_conv_dims', 'dynamic_conv_param_count', 'dynamic_mask_logits',
    'split_dynamic_params', 'SeqFormerCrossAttention', 'SeqFormerDecoderLayer',
    'SeqFormerTransformerDecoder', 'SeqFormerMaskBranch'
]
