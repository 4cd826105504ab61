"""mmdet's Deformable DETR (box refinement) COCO checkpoints load into mmvmt's SeqFormer as
``load_from``: their keys and shapes are the model's (the class branches only when the
class count matches). Both models are built on the meta device from their own configs."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

MMDET_CONFIG = 'mmdet::deformable_detr/deformable-detr-refine_r50_16xb2-50e_coco.py'


def _shapes(model_cfg):
    model_cfg.backbone.init_cfg = None
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_mmdet_deformable_detr_refine_keys_load():
    register_all_modules()
    ours = _shapes(Config.fromfile('configs/seqformer/seqformer_r50_8xb2-12e_youtubevis2019.py')
                   .model)
    init_default_scope('mmdet')
    try:
        theirs = _shapes(Config.fromfile(MMDET_CONFIG).model)
    finally:
        init_default_scope('mmvmt')
    assert sorted(set(theirs) - set(ours)) == []
    mismatched = sorted(k for k in theirs if theirs[k] != ours[k])
    assert mismatched == sorted(f'bbox_head.cls_branches.{i}.{p}' for i in range(6)
                                for p in ('weight', 'bias'))  # 80 COCO classes vs 40
    # Every part of mmdet's model has a counterpart: backbone, neck, encoder, the decoder's
    # instance stream, queries and references, class and box branches.
    prefixes = {k.split('.')[0] for k in theirs}
    assert prefixes == {'backbone', 'neck', 'encoder', 'decoder', 'query_embedding',
                        'level_embed', 'reference_points_fc', 'bbox_head'}
    # What mmdet's checkpoint leaves at its initialisation: SeqFormer's own parts.
    new = {k.split('.')[0] if not k.startswith(('decoder', 'bbox_head')) else
           '.'.join(p for p in k.split('.')[:4] if not p.isdigit())
           for k in set(ours) - set(theirs)}
    assert new == {'decoder.layers.box_self_attn', 'decoder.layers.box_ffn',
                   'decoder.layers.box_norms', 'decoder.layers.temporal_weight.weight',
                   'decoder.layers.temporal_weight.bias',
                   'decoder.layers.cross_attn.box_output_proj', 'bbox_head.controller.layers',
                   'bbox_head.mask_branch.fuse_convs', 'bbox_head.mask_branch.reduce_convs'}
