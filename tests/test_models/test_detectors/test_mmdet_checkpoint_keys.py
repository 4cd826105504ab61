"""mmdet's Deformable DETR (box refinement) COCO checkpoints load into mmvmt's SeqFormer as
``load_from``: their keys and shapes are the model's (the class branches only when the
class count matches). Both models are built on the meta device from their own configs."""
import os.path as osp
import re

import mmdet
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

MMDET_CONFIG = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'deformable_detr',
                        'deformable-detr-refine_r50_16xb2-50e_coco.py')


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
    # What mmdet's checkpoint leaves at its initialisation: SeqFormer's own parts, and the
    # neck conv biases (SeqFormer has them; mmdet's convs have none, GN follows them).
    new = {re.sub(r'\.\d+', '', k.rsplit('.', 1)[0]) for k in set(ours) - set(theirs)}
    assert new == {
        'neck.convs.conv', 'neck.extra_convs.conv', 'decoder.layers.box_self_attn.attn',
        'decoder.layers.box_self_attn.attn.out_proj', 'decoder.layers.box_ffn.layers',
        'decoder.layers.box_norms', 'decoder.layers.temporal_weight',
        'decoder.layers.cross_attn.box_output_proj', 'bbox_head.controller.layers',
        'bbox_head.mask_branch.fuse_convs', 'bbox_head.mask_branch.reduce_convs'
    }
