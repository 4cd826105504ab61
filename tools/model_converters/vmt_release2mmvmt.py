"""Convert a checkpoint of the public VMT release (SysCV/vmt) into an mmvmt checkpoint.

    python tools/model_converters/vmt_release2mmvmt.py checkpoint_r50_final.pth \
        vmt-release_r50_hq-ytvis.pth [--config configs/vmt/vmt-release_r50_8xb2-12e_hq-ytvis.py]

A release checkpoint is SeqFormer's model (``detr.*``, ``mask_head.*``, ``controller.*``),
converted by ``seqformer2mmvmt.convert_seqformer_state_dict``, plus the release's refiner
(``controller_inc``, ``controller_refine``, ``lay_hr1``, ``lay1_h``, ``lay2_h``,
``lay_hr1_c``, ``lay_compress`` (Swin-L only), ``conv_norm_relus_fuse_img``,
``conv_norm_relus_fuse_all_{1..4}``, ``encoder``), converted here into
``VMTReleaseRefineHead`` (``refine_head.*``). Every source key is mapped or reported as
dropped with its reason; an unknown key stops the conversion. Shapes are checked against a
``VMTReleaseRefineHead`` built with the checkpoint's own sizes, and with ``--config``
against the whole model of that config.
"""
import argparse
import importlib.util
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Callable, Dict, List, Tuple

import torch

REFINE_PREFIX = 'refine_head.'
# (release pattern, mmvmt name), the groups of the pattern filling the name
_RULES: List[Tuple[str, str]] = [
    (r'controller_inc\.layers\.(\d)\.(weight|bias)', 'incoherence_controller.layers.{0}.{1}'),
    (r'controller_refine\.layers\.(\d)\.(weight|bias)', 'refine_controller.layers.{0}.{1}'),
    (r'lay_hr1\.(weight|bias)', 'f8_lateral.conv.{0}'),
    (r'lay1_h\.(weight|bias)', 'f4_conv1.conv.{0}'),
    (r'lay2_h\.(weight|bias)', 'f4_conv2.conv.{0}'),
    (r'lay_hr1_c\.(weight|bias)', 'hr_conv.conv.{0}'),
    (r'lay_compress\.(weight|bias)', 'hr_compress.{0}'),
    (r'conv_norm_relus_fuse_img\.([024])\.(weight|bias)', 'rgb_embed.{0}.conv.{1}'),
    (r'conv_norm_relus_fuse_all_([1-4])\.([024])\.(weight|bias)',
     'fusion.branches.{0}.{1}.conv.{2}'),
    (r'encoder\.layers\.(\d+)\.self_attn\.(in_proj_weight|in_proj_bias)',
     'point_encoder.layers.{0}.self_attn.attn.{1}'),
    (r'encoder\.layers\.(\d+)\.self_attn\.out_proj\.(weight|bias)',
     'point_encoder.layers.{0}.self_attn.attn.out_proj.{1}'),
    (r'encoder\.layers\.(\d+)\.linear1\.(weight|bias)',
     'point_encoder.layers.{0}.ffn.layers.0.0.{1}'),
    (r'encoder\.layers\.(\d+)\.linear2\.(weight|bias)',
     'point_encoder.layers.{0}.ffn.layers.1.{1}'),
    (r'encoder\.layers\.(\d+)\.norm([12])\.(weight|bias)',
     'point_encoder.layers.{0}.norms.{1}.{2}'),
]
_REFINE_ROOTS = ('controller_inc.', 'controller_refine.', 'lay_hr1.', 'lay1_h.', 'lay2_h.',
                 'lay_hr1_c.', 'lay_compress.', 'conv_norm_relus_fuse_img.',
                 'conv_norm_relus_fuse_all_', 'encoder.')


def is_release_refine_key(key: str) -> bool:
    """Whether a source key belongs to the release's refiner (not to SeqFormer)."""
    return key.startswith(_REFINE_ROOTS)


def _map_key(key: str) -> str:
    """The mmvmt name of one refiner key; KeyError for a key no rule knows."""
    for pattern, target in _RULES:
        match = re.fullmatch(pattern, key)
        if match:
            groups = list(match.groups())
            if pattern.startswith('conv_norm_relus_fuse_all_'):
                groups[0] = str(int(groups[0]) - 1)  # branches count from 0
            if 'fuse' in pattern:  # Sequential(conv, relu, conv, relu, conv, relu)
                groups[-2] = str(int(groups[-2]) // 2)
            if pattern.endswith(r'norm([12])\.(weight|bias)'):
                groups[1] = str(int(groups[1]) - 1)
            return REFINE_PREFIX + target.format(*groups)
    raise KeyError(key)


def infer_release_refine_cfg(state_dict: Dict[str, torch.Tensor]) -> dict:
    """The ``VMTReleaseRefineHead`` settings a release state dict was trained with."""
    layers = {int(k.split('.')[2]) for k in state_dict if k.startswith('encoder.layers.')}
    return dict(
        type='VMTReleaseRefineHead',
        in_channels=state_dict['lay_hr1.weight'].shape[1],
        f4_channels=state_dict['lay_hr1.weight'].shape[0],
        inst_channels=state_dict['controller_inc.layers.0.weight'].shape[1],
        point_channels=state_dict['lay1_h.weight'].shape[0],
        mask_channels=state_dict['lay2_h.weight'].shape[0],
        hr_from_f4='lay_compress.weight' in state_dict,
        encoder=dict(
            num_layers=len(layers),
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=state_dict['lay1_h.weight'].shape[0],
                                   num_heads=4, attn_drop=0.1,
                                   dropout_layer=dict(type='Dropout', drop_prob=0.1),
                                   batch_first=True),
                ffn_cfg=dict(embed_dims=state_dict['lay1_h.weight'].shape[0],
                             feedforward_channels=state_dict[
                                 'encoder.layers.0.linear1.weight'].shape[0],
                             ffn_drop=0.1))))


def convert_release_refine_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> Tuple[OrderedDict, Dict[str, str]]:
    """Map the release refiner's keys to ``VMTReleaseRefineHead`` (``refine_head.*``).

    Args:
        state_dict (dict): the refiner's keys of a release state dict (others are refused;
            split them off with :func:`is_release_refine_key`).

    Returns:
        tuple[OrderedDict, dict]: the converted tensors, and the dropped source keys with
        their reasons (none: every parameter of the released refiner is used).

    Raises:
        KeyError: a key that is not the refiner's, or that no rule maps.
        ValueError: a shape that differs from the head built with the checkpoint's sizes.
    """
    converted, dropped = OrderedDict(), {}
    unknown = [k for k in state_dict if not is_release_refine_key(k)]
    if unknown:
        raise KeyError(f'convert_release_refine_state_dict: not keys of the release\'s '
                       f'refiner: {unknown[:10]}{" ..." if len(unknown) > 10 else ""}')
    for key, value in state_dict.items():
        try:
            converted[_map_key(key)] = value
        except KeyError:
            raise KeyError(f'convert_release_refine_state_dict: unknown key {key!r} of the '
                           'release\'s refiner (no rule maps it; is this a VMT release '
                           'checkpoint?)') from None
    check_shapes(converted, _release_head_shapes(state_dict), 'VMTReleaseRefineHead built '
                 'with the checkpoint\'s sizes', prefix=REFINE_PREFIX)
    return converted, dropped


def _release_head_shapes(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Size]:
    """Parameter shapes of the head inferred from ``state_dict`` (``refine_head.*``)."""
    from mmvmt.registry import MODELS
    from mmvmt.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    head = MODELS.build(infer_release_refine_cfg(state_dict))
    return {REFINE_PREFIX + k: v.shape for k, v in head.state_dict().items()}


def check_shapes(converted: Dict[str, torch.Tensor], expected: Dict[str, torch.Size],
                 what: str, prefix: str = '') -> None:
    """Every converted key under ``prefix`` exists in ``expected`` with its shape, and every
    expected key is converted; ValueError listing the differences otherwise."""
    errors = []
    for key, value in converted.items():
        if not key.startswith(prefix):
            continue
        if key not in expected:
            errors.append(f'{key}: not a parameter of the {what}')
        elif tuple(value.shape) != tuple(expected[key]):
            errors.append(f'{key}: shape {tuple(value.shape)}, the {what} has '
                          f'{tuple(expected[key])}')
    missing = [k for k in expected if k.startswith(prefix) and k not in converted
               and not k.endswith('num_batches_tracked')]  # BN step counters: not weights
    errors += [f'{k}: not set by the checkpoint' for k in missing]
    if errors:
        raise ValueError('Shape check failed:\n  ' + '\n  '.join(errors))


def _seqformer_converter() -> Callable:
    """``convert_seqformer_state_dict`` from seqformer2mmvmt.py beside this file."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'seqformer2mmvmt.py')
    if not osp.exists(path):
        raise FileNotFoundError(f'{path} is missing: the SeqFormer part of a VMT release '
                                'checkpoint is converted by it')
    spec = importlib.util.spec_from_file_location('seqformer2mmvmt', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.convert_seqformer_state_dict


def convert_vmt_release_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> Tuple[OrderedDict, Dict[str, str]]:
    """A whole VMT release state dict -> mmvmt (SeqFormer part + refiner)."""
    refine = {k: v for k, v in state_dict.items() if is_release_refine_key(k)}
    base = {k: v for k, v in state_dict.items() if not is_release_refine_key(k)}
    converted, dropped = _seqformer_converter()(base)
    refine_converted, refine_dropped = convert_release_refine_state_dict(refine)
    clash = set(converted) & set(refine_converted)
    if clash:
        raise KeyError(f'SeqFormer and refiner keys collide: {sorted(clash)[:10]}')
    converted.update(refine_converted)
    dropped.update(refine_dropped)
    return converted, dropped


def load_release_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The model state dict of a release checkpoint (stored under ``model``).

    Raises:
        CheckpointFileError: If ``path`` is not a torch checkpoint with a ``model`` state dict.
    """
    from mmvmt.utils.checkpoint_file import read_checkpoint
    return read_checkpoint(path, state_key='model', require_state_key=True,
                           safe_globals=[argparse.Namespace])['model']


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='VMT release checkpoint (e.g. checkpoint_r50_final.pth)')
    parser.add_argument('dst', help='mmvmt checkpoint to write')
    parser.add_argument('--config', help='check the keys and shapes against this config\'s '
                        'model')
    args = parser.parse_args(argv)
    from mmvmt.utils.output_paths import check_output_path
    from mmvmt.utils.checkpoint_file import CheckpointFileError
    check_output_path(args.dst, inputs=[args.src, args.config], option='DST')
    try:
        state_dict = load_release_state_dict(args.src)
    except CheckpointFileError as err:
        raise SystemExit(f'vmt_release2mmvmt: {err}')
    converted, dropped = convert_vmt_release_state_dict(state_dict)
    if args.config:
        from mmengine.config import Config
        from mmvmt.registry import MODELS
        from mmvmt.utils import register_all_modules
        register_all_modules()
        model = MODELS.build(Config.fromfile(args.config).model)
        check_shapes(converted, {k: v.shape for k, v in model.state_dict().items()},
                     f'model of {args.config}')
    for key, reason in dropped.items():
        print(f'dropped {key}: {reason}')
    print(f'{len(state_dict)} source tensors: {len(converted)} converted, {len(dropped)} '
          f'dropped')
    torch.save(dict(state_dict=converted,
                    meta=dict(source=osp.basename(args.src), converter=osp.basename(__file__))),
               args.dst)


if __name__ == '__main__':
    sys.exit(main())
