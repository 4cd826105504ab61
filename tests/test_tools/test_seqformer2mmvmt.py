"""tools/model_converters/seqformer2mmvmt.py on SeqFormer's real key sets.

``tests/data/seqformer/seqformer_keys.json`` lists the key -> shape of SeqFormer's full-size
state dicts (R50, R101, Swin-L; see docs/design/seqformer_parity.md). Synthetic state dicts
with those keys (meta tensors, no memory) are converted and compared with the models the
SeqFormer configs build.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

ROOT = Path(__file__).parents[2]
KEYS = json.loads((ROOT / 'tests' / 'data' / 'seqformer' / 'seqformer_keys.json').read_text())
TOOL = ROOT / 'tools' / 'model_converters' / 'seqformer2mmvmt.py'
sys.path.insert(0, str(TOOL.parent))
from seqformer2mmvmt import (convert_seqformer_state_dict, detect_backbone,  # noqa: E402
                             _unfold_reduction_order)

register_all_modules()


def synthetic(name):
    return {k: torch.empty(v, device='meta') for k, v in KEYS[name].items()}


def model_shapes(config, monkeypatch):
    cfg = Config.fromfile(str(ROOT / 'configs' / 'seqformer' / config))
    cfg.model.backbone.init_cfg = None
    # mmdet's Swin reads its drop-path rates with .item(), which meta tensors refuse
    linspace = torch.linspace
    monkeypatch.setattr(torch, 'linspace',
                        lambda *args, **kwargs: linspace(*args, **dict(kwargs, device='cpu')))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize('name,config', [
    ('r50', 'seqformer_r50_8xb2-12e_youtubevis2019.py'),
    ('r101', 'seqformer_r101_8xb2-12e_youtubevis2019.py'),
    ('swin-l', 'seqformer_swin-l_8xb2-12e_youtubevis2019.py'),
])
def test_every_key_maps_onto_the_seqformer_config(name, config, monkeypatch):
    state, dropped = convert_seqformer_state_dict(synthetic(name))
    assert detect_backbone(synthetic(name)) == name
    shapes = model_shapes(config, monkeypatch)
    converted = {k: tuple(v.shape) for k, v in state.items()}
    extra = sorted(set(converted) - set(shapes))
    # SeqFormer's Swin normalises stage 0 too; the SeqFormer configs read stages 1-3
    assert extra == (['backbone.norm0.bias', 'backbone.norm0.weight'] if name == 'swin-l'
                     else [])
    assert sorted(set(shapes) - set(converted)) == []
    wrong = {k: (v, shapes[k]) for k, v in converted.items() if k in shapes and v != shapes[k]}
    assert not wrong
    reasons = {key: why for key, why in dropped.items()}
    assert all('[0, 41]' in k or 'duplicate' in why or 'unused' in why
               for k, why in reasons.items())
    # 6 encoder layers x 2 box projections, 6 decoder layers x 6 duplicated box MLP tensors,
    # the 2 unused class rows of the 42-output head in each of the 6 class branches x 2
    assert len(dropped) == 12 + 36 + 12


def test_r50_counts_match_the_public_model():
    keys = KEYS['r50']
    assert len(keys) == 733
    assert round(sum(torch.Size(s).numel() for s in keys.values()) / 1e6, 1) == 49.3


def test_unknown_key_fails_naming_it(tmp_path):
    state = {k: torch.zeros(1) for k in ('detr.query_embed.weight', 'detr.new_thing.weight')}
    with pytest.raises(KeyError, match='detr.new_thing.weight'):
        convert_seqformer_state_dict(state)
    src = tmp_path / 'src.pth'
    torch.save(dict(model=state), src)
    proc = subprocess.run([sys.executable, str(TOOL), str(src), str(tmp_path / 'dst.pth')],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and 'detr.new_thing.weight' in proc.stderr
    assert not (tmp_path / 'dst.pth').exists()


def test_cli_writes_an_mmengine_checkpoint(tmp_path):
    state = {'detr.query_embed.weight': torch.randn(3, 8),
             'detr.class_embed.0.weight': torch.randn(42, 4),
             'detr.transformer.decoder.layers.0.time_attention_weights.bias': torch.randn(1)}
    src = tmp_path / 'src.pth'
    torch.save(dict(model=state, args='namespace'), src)
    proc = subprocess.run([sys.executable, str(TOOL), str(src), str(tmp_path / 'dst.pth')],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert 'dropped detr.class_embed.0.weight[0, 41]' in proc.stdout
    out = torch.load(tmp_path / 'dst.pth', weights_only=True)['state_dict']
    assert torch.equal(out['query_embedding.weight'], state['detr.query_embed.weight'])
    assert torch.equal(out['bbox_head.cls_branches.0.weight'],
                       state['detr.class_embed.0.weight'][1:41])
    assert 'decoder.layers.0.temporal_weight.bias' in out


def test_swin_patch_merging_order_matches_mmdet():
    """The original Swin patch merging (concatenate the 2x2 neighbours (0,0), (1,0), (0,1),
    (1,1), norm, reduce) with SeqFormer's weights equals mmdet's PatchMerging with the
    converted ones."""
    from mmdet.models.layers import PatchMerging
    torch.manual_seed(0)
    channels, h, w = 4, 6, 8
    norm_w, norm_b = torch.randn(4 * channels), torch.randn(4 * channels)
    reduction = torch.randn(2 * channels, 4 * channels)
    x = torch.randn(1, h, w, channels)
    cat = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]],
                    -1)
    expected = F.linear(F.layer_norm(cat, (4 * channels,), norm_w, norm_b), reduction)
    merge = PatchMerging(in_channels=channels, out_channels=2 * channels)
    merge.load_state_dict({'norm.weight': _unfold_reduction_order(norm_w),
                           'norm.bias': _unfold_reduction_order(norm_b),
                           'reduction.weight': _unfold_reduction_order(reduction)})
    out, _ = merge(x.flatten(1, 2), (h, w))
    torch.testing.assert_close(out, expected.flatten(1, 2))


def test_check_against_config_reports_extra_and_mismatched(capsys):
    from seqformer2mmvmt import check_against_config
    config = str(ROOT / 'configs' / 'seqformer' / 'seqformer_r50_8xb2-12e_youtubevis2019.py')
    state = {'query_embedding.weight': torch.zeros(300, 512),
             'bbox_head.cls_branches.0.weight': torch.zeros(91, 256),
             'backbone.norm0.weight': torch.zeros(192)}
    removed, errors = check_against_config(dict(state), config)
    assert removed == {'backbone.norm0.weight': f'not in the model of {config}'}
    assert errors == ['bbox_head.cls_branches.0.weight: converted (91, 256), model (40, 256)']
    assert 'tensors of the model are not in the checkpoint' in capsys.readouterr().out
    fitted = dict(state)
    removed, errors = check_against_config(fitted, config, skip_mismatched=True)
    assert errors == [] and set(fitted) == {'query_embedding.weight'}
    assert 'bbox_head.cls_branches.0.weight' in removed


def test_dst_pointing_at_src_is_refused_before_any_work(tmp_path):
    src = tmp_path / 'src.pth'
    torch.save(dict(model={'detr.query_embed.weight': torch.randn(3, 8)}), src)
    before = src.read_bytes()
    proc = subprocess.run([sys.executable, str(TOOL), str(src), str(src)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and 'input' in proc.stderr, proc.stderr
    assert src.read_bytes() == before


@pytest.mark.parametrize('content, message', [
    (b'', 'is empty'), (b'{"model": 1}\n', 'cannot be read as a torch checkpoint'),
    ([1, 2], 'holds a list; expected a dict'),
    (dict(model=dict(w=1.0)), "its 'model' entry maps 'w' to a float")])
def test_a_file_that_is_not_a_seqformer_checkpoint_is_one_line(tmp_path, content, message):
    src = tmp_path / 'src.pth'
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        torch.save(content, src)
    proc = subprocess.run([sys.executable, str(TOOL), str(src), str(tmp_path / 'dst.pth')],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == proc.stderr.strip().splitlines()[0]  # one line, no traceback
    assert proc.stderr.startswith(f'seqformer2mmvmt: {src}: {message}'), proc.stderr
    assert not (tmp_path / 'dst.pth').exists()
