"""tools/model_converters/vmt_release2mmvmt.py as a command: a release-style checkpoint
(state dict under ``model``, argparse arguments beside it) in, an mmvmt checkpoint out."""
import argparse
import importlib.util
import os.path as osp
from collections import OrderedDict

import pytest
import torch

from mmvmt.utils.checkpoint_file import CheckpointFileError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _converter():
    path = osp.join(ROOT, 'tools', 'model_converters', 'vmt_release2mmvmt.py')
    spec = importlib.util.spec_from_file_location('vmt_release2mmvmt_cli', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _release_checkpoint(path):
    import json
    with open(osp.join(ROOT, 'tests', 'data', 'vmt_release_refine_keys.json')) as f:
        shapes = json.load(f)['keys']['r50']
    model = {k: torch.randn(s) for k, s in shapes.items()}
    model['detr.query_embed.weight'] = torch.randn(4, 8)
    model['mask_head.lay1.weight'] = torch.randn(2, 8, 3, 3)
    torch.save(dict(model=model, args=argparse.Namespace(backbone='resnet50'), epoch=11),
               path)
    return model


def test_cli_converts_every_key(tmp_path, monkeypatch, capsys):
    conv = _converter()
    base_seen = {}

    def fake_seqformer(state_dict):  # stands in for seqformer2mmvmt's function
        base_seen.update(state_dict)
        return OrderedDict(('base.' + k, v) for k, v in state_dict.items()), {
            'detr.query_embed.weight': 'example reason'}

    monkeypatch.setattr(conv, '_seqformer_converter', lambda: fake_seqformer)
    src, dst = tmp_path / 'release.pth', tmp_path / 'out' / 'mmvmt.pth'
    dst.parent.mkdir()
    model = _release_checkpoint(src)
    conv.main([str(src), str(dst)])
    out = torch.load(dst, weights_only=True)['state_dict']
    assert set(base_seen) == {'detr.query_embed.weight', 'mask_head.lay1.weight'}
    assert len(out) == len(model)
    torch.testing.assert_close(out['refine_head.point_encoder.layers.2.norms.1.bias'],
                               model['encoder.layers.2.norm2.bias'])
    torch.testing.assert_close(out['refine_head.fusion.branches.3.2.conv.weight'],
                               model['conv_norm_relus_fuse_all_4.4.weight'])
    printed = capsys.readouterr().out
    assert 'dropped detr.query_embed.weight: example reason' in printed
    assert f'{len(model)} source tensors' in printed


def test_cli_refuses_to_overwrite_its_input(tmp_path):
    conv = _converter()
    src = tmp_path / 'release.pth'
    _release_checkpoint(src)
    with pytest.raises(ValueError, match='input'):
        conv.main([str(src), str(src)])


def test_checkpoint_without_model_entry_is_refused(tmp_path):
    conv = _converter()
    src = tmp_path / 'weights.pth'
    torch.save({'state_dict': {}}, src)
    with pytest.raises(CheckpointFileError, match="weights.pth: has no 'model' entry"):
        conv.load_release_state_dict(str(src))


@pytest.mark.parametrize('content', [b'', b'not a checkpoint\n', None])
def test_a_file_that_is_not_a_checkpoint_is_one_line(tmp_path, content):
    src = tmp_path / 'weights.pth'
    if content is None:
        torch.save([1, 2], src)
    else:
        src.write_bytes(content)
    with pytest.raises(SystemExit, match=r'^vmt_release2mmvmt: .*weights\.pth: (is empty|cannot '
                       r'be read as a torch checkpoint|holds a list)'):
        _converter().main([str(src), str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()


SEQFORMER_KEYS = osp.join(ROOT, 'tests', 'data', 'seqformer', 'seqformer_keys.json')


@pytest.mark.skipif(not osp.exists(SEQFORMER_KEYS),
                    reason='needs the SeqFormer converter and its key list (seqformer branch)')
@pytest.mark.parametrize('depth', ['r50', 'r101'])
def test_full_release_state_dicts_fill_the_release_configs(depth):
    """SeqFormer's full-size key list + the release refiner's: every key converted, every
    tensor of the release config's model set with its shape (R50 819 source tensors,
    51.3 M floats; R101 1074, 70.4 M: the counts of the public code)."""
    import json

    from mmengine.config import Config

    from mmvmt.registry import MODELS
    from mmvmt.utils import register_all_modules
    register_all_modules()
    conv = _converter()
    with open(SEQFORMER_KEYS) as f:
        shapes = dict(json.load(f)[depth])
    with open(osp.join(ROOT, 'tests', 'data', 'vmt_release_refine_keys.json')) as f:
        shapes.update(json.load(f)['keys']['r50'])
    state_dict = {k: torch.zeros(s) for k, s in shapes.items()}
    assert (len(state_dict), round(sum(v.numel() for v in state_dict.values()) / 1e6, 1)) == \
        {'r50': (819, 51.3), 'r101': (1074, 70.4)}[depth]
    converted, dropped = conv.convert_vmt_release_state_dict(state_dict)
    assert all(reason for reason in dropped.values())
    config = osp.join(ROOT, 'configs', 'vmt', f'vmt-release_{depth}_8xb2-12e_hq-ytvis.py')
    model = MODELS.build(Config.fromfile(config).model)
    expected = {k: v.shape for k, v in model.state_dict().items()}
    conv.check_shapes(converted, expected, f'model of {config}')
    assert set(converted) == set(expected)
