"""Convert a SeqFormer checkpoint (github.com/wjf5203/SeqFormer) into an mmvmt checkpoint.

    python tools/model_converters/seqformer2mmvmt.py SRC DST [--config CONFIG]

SRC is a checkpoint of SeqFormer's ``main.py`` (the state dict under ``model``): R50, R101,
Swin-L, YouTube-VIS-trained or COCO-pretrained; the backbone is detected from the keys. DST
holds ``state_dict`` and ``meta`` (mmengine's layout) for ``load_from`` / ``tools/test.py``.
Every source key is mapped or reported as dropped with its reason; an unknown key stops the
conversion (rc 1, naming the key). With ``--config`` every converted tensor is checked
against the shapes of the model the config builds, and the model's parameters the checkpoint
does not set are listed.

Other converters (the VMT release's) import :func:`convert_seqformer_state_dict` for their
SeqFormer part (``sys.path.insert(0, 'tools/model_converters')``).
"""
import argparse
import re
import sys
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor

# SeqFormer's YouTube-VIS heads have 42 outputs indexed by category id (1..40 used).
YTVIS_NUM_OUTPUTS = 42
YTVIS_CLASS_ROWS = slice(1, 41)

Rule = Tuple[str, Union[str, Callable[[re.Match], str]]]

# Deformable transformer: SeqFormer's names -> mmdet's (encoder) and mmvmt's (decoder).
_ENC_LAYER = {
    'norm1': 'norms.0', 'norm2': 'norms.1', 'linear1': 'ffn.layers.0.0',
    'linear2': 'ffn.layers.1'
}
_DEC_LAYER = {
    # instance stream: mmdet's DeformableDetrTransformerDecoderLayer names
    'self_attn.in_proj_weight': 'self_attn.attn.in_proj_weight',
    'self_attn.in_proj_bias': 'self_attn.attn.in_proj_bias',
    'self_attn.out_proj': 'self_attn.attn.out_proj',
    'norm2': 'norms.0', 'norm1': 'norms.1', 'norm3': 'norms.2',
    'linear1': 'ffn.layers.0.0', 'linear2': 'ffn.layers.1',
    # box stream
    'self_attn_box.in_proj_weight': 'box_self_attn.attn.in_proj_weight',
    'self_attn_box.in_proj_bias': 'box_self_attn.attn.in_proj_bias',
    'self_attn_box.out_proj': 'box_self_attn.attn.out_proj',
    'norm2_box': 'box_norms.0', 'norm1_box': 'box_norms.1', 'norm3_box': 'box_norms.2',
    'linear1_box': 'box_ffn.layers.0.0', 'linear2_box': 'box_ffn.layers.1',
    'cross_attn.output_proj_box': 'cross_attn.box_output_proj',
    'time_attention_weights': 'temporal_weight',
}
_MSDA = r'(sampling_offsets|attention_weights|value_proj|output_proj)'
_MASK_BRANCH = {
    'lay3': 'fuse_convs.0', 'lay4': 'fuse_convs.1', 'dcn': 'fuse_convs.2',
    'lay1': 'reduce_convs.0', 'lay2': 'reduce_convs.1'
}
_SWIN_BLOCK = {
    'attn.qkv': 'attn.w_msa.qkv', 'attn.proj': 'attn.w_msa.proj',
    'attn.relative_position_bias_table': 'attn.w_msa.relative_position_bias_table',
    'attn.relative_position_index': 'attn.w_msa.relative_position_index',
    'mlp.fc1': 'ffn.layers.0.0', 'mlp.fc2': 'ffn.layers.1', 'norm1': 'norm1',
    'norm2': 'norm2'
}


_SWIN_NAMES = '|'.join(re.escape(k) for k in sorted(_SWIN_BLOCK, key=len, reverse=True))


def _layer_rule(prefix: str, table: Dict[str, str], target: str) -> Rule:
    names = '|'.join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return (rf'{prefix}\.(\d+)\.({names})(\.weight|\.bias|)$',
            lambda m: f'{target}.{m[1]}.{table[m[2]]}{m[3]}')


def _reg_branch(m: re.Match) -> str:
    # SeqFormer's MLP layers 0, 1, 2 are entries 0, 2, 4 of mmdet's Sequential (with ReLUs)
    return f'bbox_head.reg_branches.{m[1]}.{2 * int(m[2])}.{m[3]}'


RULES: List[Rule] = [
    (r'detr\.transformer\.level_embed$', 'level_embed'),
    (r'detr\.transformer\.reference_points\.(weight|bias)$', r'reference_points_fc.\1'),
    (rf'detr\.transformer\.encoder\.layers\.(\d+)\.self_attn\.{_MSDA}\.(weight|bias)$',
     r'encoder.layers.\1.self_attn.\2.\3'),
    _layer_rule(r'detr\.transformer\.encoder\.layers', _ENC_LAYER, 'encoder.layers'),
    _layer_rule(r'detr\.transformer\.decoder\.layers', _DEC_LAYER, 'decoder.layers'),
    (rf'detr\.transformer\.decoder\.layers\.(\d+)\.cross_attn\.{_MSDA}\.(weight|bias)$',
     r'decoder.layers.\1.cross_attn.\2.\3'),
    (r'detr\.class_embed\.(\d+)\.(weight|bias)$', r'bbox_head.cls_branches.\1.\2'),
    (r'detr\.bbox_embed\.(\d+)\.layers\.(\d)\.(weight|bias)$', _reg_branch),
    (r'detr\.query_embed\.weight$', 'query_embedding.weight'),
    (r'controller\.layers\.(\d)\.(weight|bias)$', r'bbox_head.controller.layers.\1.\2'),
    (r'mask_head\.(lay1|lay2|lay3|lay4|dcn)\.(weight|bias)$',
     lambda m: f'bbox_head.mask_branch.{_MASK_BRANCH[m[1]]}.{m[2]}'),
    # ResNet (torchvision names = mmdet's names)
    (r'detr\.backbone\.0\.body\.((conv1|bn1|layer\d\.\d+\.(conv\d|bn\d|downsample\.\d))\.'
     r'(weight|bias|running_mean|running_var))$', r'backbone.\1'),
    # Swin (the original Swin code's names -> mmdet's SwinTransformer)
    (r'detr\.backbone\.0\.body\.patch_embed\.proj\.(weight|bias)$',
     r'backbone.patch_embed.projection.\1'),
    (r'detr\.backbone\.0\.body\.patch_embed\.norm\.(weight|bias)$',
     r'backbone.patch_embed.norm.\1'),
    (rf'detr\.backbone\.0\.body\.layers\.(\d+)\.blocks\.(\d+)\.({_SWIN_NAMES})'
     r'(\.weight|\.bias|)$',
     lambda m: f'backbone.stages.{m[1]}.blocks.{m[2]}.{_SWIN_BLOCK[m[3]]}{m[4]}'),
    (r'detr\.backbone\.0\.body\.layers\.(\d+)\.downsample\.(reduction|norm)\.(weight|bias)$',
     r'backbone.stages.\1.downsample.\2.\3'),
    (r'detr\.backbone\.0\.body\.norm(\d)\.(weight|bias)$', r'backbone.norm\1.\2'),
]
DROPPED: List[Tuple[str, str]] = [
    (r'detr\.transformer\.encoder\.layers\.\d+\.self_attn\.output_proj_box\.(weight|bias)$',
     "unused: SeqFormer's encoder attention never applies its box projection"),
    (r'detr\.transformer\.decoder\.bbox_embed\.\d+\.layers\.\d\.(weight|bias)$',
     'duplicate of detr.bbox_embed (the same modules, shared for box refinement)'),
    (r'detr\.transformer\.decoder\.class_embed\.\d+\.(weight|bias)$',
     'duplicate of detr.class_embed (the same modules)'),
    (r'detr\.backbone\.0\.body\.layers\.\d+\.blocks\.\d+\.attn_mask$',
     'buffer recomputed from the input by the Swin blocks'),
]


def _input_proj_target(key: str, state_dict: Dict[str, Tensor]) -> Optional[str]:
    """``detr.input_proj.i.{0,1}`` -> ``neck.convs.i`` (1x1) or ``neck.extra_convs.j`` (3x3)."""
    m = re.match(r'detr\.input_proj\.(\d+)\.([01])\.(weight|bias)$', key)
    if m is None:
        return None
    level = int(m[1])
    num_lateral = sum(1 for k, v in state_dict.items()
                      if re.match(r'detr\.input_proj\.\d+\.0\.weight$', k) and v.shape[-1] == 1)
    module = 'conv' if m[2] == '0' else 'gn'
    if level < num_lateral:
        return f'neck.convs.{level}.{module}.{m[3]}'
    return f'neck.extra_convs.{level - num_lateral}.{module}.{m[3]}'


def _unfold_reduction_order(x: Tensor) -> Tensor:
    """Swin patch merging: the original code concatenates the 2x2 neighbours as
    (0,0), (1,0), (0,1), (1,1); mmdet unfolds them channel-major as (0,0), (0,1), (1,0), (1,1)."""
    if x.dim() == 2:
        out_channels, in_channels = x.shape
        x = x.reshape(out_channels, 4, in_channels // 4)
        return x[:, [0, 2, 1, 3], :].transpose(1, 2).reshape(out_channels, in_channels)
    x = x.reshape(4, x.shape[0] // 4)
    return x[[0, 2, 1, 3], :].transpose(0, 1).reshape(-1)


def detect_backbone(state_dict: Dict[str, Tensor]) -> str:
    """'r50', 'r101', 'swin-l' (others: 'resnet-<blocks in stage 3>', 'swin-<width>'), from
    the backbone's keys."""
    patch = state_dict.get('detr.backbone.0.body.patch_embed.proj.weight')
    if patch is not None:
        width = tuple(patch.shape)[0]
        return {192: 'swin-l'}.get(width, f'swin-{width}')
    blocks = {k.split('.')[5] for k in state_dict
              if k.startswith('detr.backbone.0.body.layer3.')}
    return {6: 'r50', 23: 'r101'}.get(len(blocks), f'resnet-{len(blocks)}')


def convert_seqformer_state_dict(
        state_dict: Dict[str, Tensor],
        ytvis_classes: bool = True) -> Tuple['OrderedDict[str, Tensor]', Dict[str, str]]:
    """Map a SeqFormer state dict onto mmvmt's ``VideoMaskTransfiner`` names.

    Args:
        state_dict (dict): SeqFormer's ``model`` state dict (a ``module.`` prefix of a
            distributed wrapper is removed).
        ytvis_classes (bool): Cut a 42-output class head (SeqFormer's YouTube-VIS head,
            indexed by category id) to its 40 used rows. Defaults to True.

    Returns:
        tuple[OrderedDict, dict]: the converted state dict, and every dropped source key
        with the reason.

    Raises:
        KeyError: a source key no rule knows (the message names it).
    """
    out: 'OrderedDict[str, Tensor]' = OrderedDict()
    dropped: Dict[str, str] = {}
    state_dict = {(k[len('module.'):] if k.startswith('module.') else k): v
                  for k, v in state_dict.items()}
    for key, value in state_dict.items():
        reason = next((why for pattern, why in DROPPED if re.match(pattern, key)), None)
        if reason is not None:
            dropped[key] = reason
            continue
        target = _input_proj_target(key, state_dict)
        if target is None:
            for pattern, repl in RULES:
                m = re.match(pattern, key)
                if m is not None:
                    target = repl(m) if callable(repl) else m.expand(repl)
                    break
        if target is None:
            raise KeyError(f'seqformer2mmvmt: unknown SeqFormer key {key!r} '
                           f'(shape {tuple(value.shape)}); no rule maps or drops it.')
        if re.search(r'\.downsample\.(reduction|norm)\.', target) and 'stages' in target:
            value = _unfold_reduction_order(value)
        if target.startswith('bbox_head.cls_branches.') and value.shape[0] == YTVIS_NUM_OUTPUTS \
                and ytvis_classes:
            dropped[key + '[0, 41]'] = ('rows of category ids 0 and 41, unused by '
                                        "SeqFormer's YouTube-VIS head (40 classes kept)")
            value = value[YTVIS_CLASS_ROWS]
        if target in out:
            raise KeyError(f'seqformer2mmvmt: {key!r} maps to {target!r}, already set.')
        out[target] = value
    # mmdet's BN keeps a step counter that SeqFormer's frozen BN does not have
    for key in [k for k in out if k.endswith('.running_var')]:
        out[key[:-len('running_var')] + 'num_batches_tracked'] = torch.tensor(0)
    return out, dropped


def check_against_config(state: Dict[str, Tensor], config: str,
                         skip_mismatched: bool = False) -> Tuple[Dict[str, str], List[str]]:
    """Fit ``state`` to the model ``config`` builds (in place).

    Converted tensors the model does not have (e.g. SeqFormer's unused Swin ``norm0`` in a
    config that reads stages 1-3) are removed and reported; shape mismatches are errors, or
    removed and reported with ``skip_mismatched`` (e.g. a COCO class head for a 40-class
    config). The model's tensors the checkpoint does not set are printed.

    Returns:
        tuple[dict, list]: removed key -> reason, and the shape errors.
    """
    from mmengine.config import Config

    from mmvmt.registry import MODELS
    from mmvmt.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    model_state = MODELS.build(cfg.model).state_dict()
    removed, errors = {}, []
    for key in list(state):
        if key not in model_state:
            removed[key] = f'not in the model of {config}'
            del state[key]
        elif model_state[key].shape != state[key].shape:
            message = (f'converted {tuple(state[key].shape)}, model '
                       f'{tuple(model_state[key].shape)}')
            if skip_mismatched:
                removed[key] = message
                del state[key]
            else:
                errors.append(f'{key}: {message}')
    unset = [k for k in model_state if k not in state]
    if unset:
        print(f'{len(unset)} tensors of the model are not in the checkpoint (they keep their '
              f'initialisation): ' + ', '.join(unset[:20]) + (' ...' if len(unset) > 20 else ''))
    return removed, errors


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help="SeqFormer checkpoint (state dict under 'model')")
    parser.add_argument('dst', help='mmvmt checkpoint to write')
    parser.add_argument('--config', help='check the shapes against this config\'s model')
    parser.add_argument('--skip-mismatched', action='store_true',
                        help='with --config: leave out tensors whose shape does not fit '
                        '(reported) instead of failing')
    parser.add_argument('--keep-42-classes', action='store_true',
                        help='keep all 42 rows of a YouTube-VIS class head')
    args = parser.parse_args(argv)
    from mmvmt.utils.checkpoint_file import CheckpointFileError, read_checkpoint
    from mmvmt.utils.output_paths import OutputPathError, check_output_path
    try:
        check_output_path(args.dst, inputs=[args.src, args.config], option='DST')
    except OutputPathError as err:
        parser.error(str(err))
    try:
        # SeqFormer's checkpoints pickle their argparse namespace and optimizer beside the
        # weights: read with the full unpickler, as before (official weights are trusted).
        ckpt = read_checkpoint(args.src, state_key='model', weights_only=False)
    except CheckpointFileError as err:
        print(f'seqformer2mmvmt: {err}', file=sys.stderr)
        return 1
    state_dict = ckpt.get('model', ckpt)
    try:
        state, dropped = convert_seqformer_state_dict(
            state_dict, ytvis_classes=not args.keep_42_classes)
    except KeyError as err:
        print(f'{err.args[0]} (in {args.src})', file=sys.stderr)
        return 1
    print(f'{args.src}: backbone {detect_backbone(state_dict)}; {len(state_dict)} source '
          f'tensors -> {len(state)} mmvmt tensors; {len(dropped)} dropped:')
    for key, reason in dropped.items():
        print(f'  dropped {key}: {reason}')
    if args.config:
        removed, errors = check_against_config(state, args.config, args.skip_mismatched)
        for key, reason in removed.items():
            print(f'  left out {key}: {reason}')
        if errors:
            print(f'seqformer2mmvmt: {len(errors)} tensors do not fit {args.config}:\n  ' +
                  '\n  '.join(errors), file=sys.stderr)
            return 1
    torch.save(dict(state_dict=state, meta=dict(converted_from=args.src,
                                                converter='seqformer2mmvmt')), args.dst)
    print(f'wrote {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
