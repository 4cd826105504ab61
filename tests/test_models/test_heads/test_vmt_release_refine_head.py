"""VMTReleaseRefineHead: numeric parity with the public VMT release on a committed fixture,
and its small pure functions on hand-made cases.

The fixture ``tests/data/vmt_release_refine_parity.pt`` holds random refiner weights in the
release's key names (fp16, exact), the refiner's inputs and the release's outputs; where it
comes from is written in docs/design/release_refiner.md and in its ``source`` entry.
"""
import importlib.util
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmvmt.models.heads import VMTReleaseRefineHead
from mmvmt.models.layers.release_dynamic_conv import (dynamic_convs, pixel_relative_coords,
                                                      release_param_count)
from mmvmt.models.layers.release_regions import laplacian_band, sliced_box_masks
from mmvmt.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
FIXTURE = osp.join(ROOT, 'tests', 'data', 'vmt_release_refine_parity.pt')


def _converter():
    path = osp.join(ROOT, 'tools', 'model_converters', 'vmt_release2mmvmt.py')
    spec = importlib.util.spec_from_file_location('vmt_release2mmvmt', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def fixture():
    return torch.load(FIXTURE, weights_only=True)


def _release_state_dict(fixture, tag):
    if tag == 'r50':
        sd = dict(fixture['r50_state_dict'])
    else:
        sd = {k: fixture['r50_state_dict'][k] for k in fixture['swin_shared_keys']}
        sd.update(fixture['swin_state_dict'])
    return {k: v.float() for k, v in sd.items()}


@pytest.mark.parametrize('tag', ['r50', 'swin'])
def test_parity_with_release(fixture, tag):
    conv = _converter()
    release_sd = _release_state_dict(fixture, tag)
    converted, dropped = conv.convert_release_refine_state_dict(release_sd)
    assert dropped == {} and len(converted) == len(release_sd)
    head = MODELS.build(conv.infer_release_refine_cfg(release_sd))
    head.load_state_dict({k[len(conv.REFINE_PREFIX):]: v for k, v in converted.items()},
                         strict=True)
    head.eval()
    coarse = fixture[f'{tag}_coarse_logits']
    with torch.no_grad():
        out = head(coarse_logits=coarse,
                   feats=[fixture[f'{tag}_f8'], fixture[f'{tag}_f4'].float(),
                          None if tag == 'swin' else fixture['f2'].float()],
                   images=fixture['images'].float(),
                   inst_embeds=fixture['inst_embeds'].float(),
                   ref_points=fixture['ref_points'].float(), boxes=fixture['boxes'].float(),
                   video_idx=torch.zeros(len(coarse), dtype=torch.long))
    for key in ('refined_logits', 'incoherent_logits'):
        expected = fixture[f'{tag}_{key}']
        assert out[key].shape == expected.shape
        diff = (out[key] - expected).abs().max().item()
        assert diff < 1e-4, f'{tag} {key}: max abs diff {diff}'
    # the fixture exercises the encoder on part of each frame, not all or none of it
    band = out['band'].float().mean().item()
    assert 0.3 < band < 0.95 and (out['num_points'] > 0).all()


def test_converter_refuses_unknown_and_misshapen_keys(fixture):
    conv = _converter()
    sd = _release_state_dict(fixture, 'r50')
    with pytest.raises(KeyError, match='unknown key'):
        conv.convert_release_refine_state_dict({**sd, 'encoder.layers.0.gate.weight':
                                                torch.zeros(1)})
    with pytest.raises(KeyError, match='not keys of the release'):
        conv.convert_release_refine_state_dict({**sd, 'detr.query_embed.weight':
                                                torch.zeros(1)})
    bad = dict(sd)
    bad['lay2_h.weight'] = torch.zeros(9, 64, 3, 3)
    with pytest.raises(ValueError, match='lay|f4_conv2'):
        conv.convert_release_refine_state_dict(bad)
    missing = dict(sd)
    missing.pop('conv_norm_relus_fuse_all_3.4.bias')
    with pytest.raises(ValueError, match='not set by the checkpoint'):
        conv.convert_release_refine_state_dict(missing)


@pytest.mark.parametrize('tag', ['r50', 'swin-l'])
def test_full_size_key_list_converts(tag):
    """The key/shape list of the release's refiner at its default settings (dumped once
    from the public code) converts completely into a head of matching size."""
    import json
    with open(osp.join(ROOT, 'tests', 'data', 'vmt_release_refine_keys.json')) as f:
        shapes = json.load(f)['keys'][tag]
    conv = _converter()
    sd = {k: torch.zeros(s) for k, s in shapes.items()}
    converted, _ = conv.convert_release_refine_state_dict(sd)
    head = MODELS.build(conv.infer_release_refine_cfg(sd))
    ours = sum(p.numel() for p in head.parameters())
    theirs = sum(v.numel() for v in sd.values())
    assert len(converted) == len(sd) == len(list(head.parameters()))
    assert ours == theirs == {'r50': 2036438, 'swin-l': 1864406}[tag]


def test_default_head_is_the_r50_release():
    head = VMTReleaseRefineHead()
    assert sum(p.numel() for p in head.parameters()) == 2036438


def test_dynamic_convs_match_grouped_convolution():
    """Per-instance convs == the release's grouped conv over instances (weights first,
    then biases)."""
    torch.manual_seed(0)
    num_inst, cin, ch, h, w = 3, 5, 4, 6, 7
    params = torch.randn(num_inst, release_param_count(cin, ch, 3))
    inputs = torch.randn(num_inst, cin, h, w)
    sizes = [cin * ch, ch * ch, ch, ch, ch, 1]
    w0, w1, w2, b0, b1, b2 = params.split(sizes, 1)
    x = inputs.reshape(1, -1, h, w)
    x = F.relu(F.conv2d(x, w0.reshape(-1, cin, 1, 1), b0.flatten(), groups=num_inst))
    x = F.relu(F.conv2d(x, w1.reshape(-1, ch, 1, 1), b1.flatten(), groups=num_inst))
    x = F.conv2d(x, w2.reshape(-1, ch, 1, 1), b2.flatten(), groups=num_inst)
    assert torch.allclose(dynamic_convs(params, inputs, ch, 3), x[0], atol=1e-5)


def test_pixel_relative_coords_hand_case():
    rel = pixel_relative_coords(torch.tensor([[10., 3.]]), 2, 3, 4)
    # cell centres x = 2, 6, 10 and y = 2, 6
    assert rel[0, 0].tolist() == [[8., 4., 0.], [8., 4., 0.]]
    assert rel[0, 1].tolist() == [[1., 1., 1.], [-3., -3., -3.]]


def test_sliced_box_masks_follow_python_slicing():
    h, w = 5, 7
    boxes = torch.tensor([[1.9, 0.5, 4.2, 3.99],     # plain
                          [-0.7, -2.5, 3.0, 2.0],   # -0.7 -> 0; -2.5 -> -2: rows 3:2, none
                          [-3.0, 1.0, 9.0, 9.0]])   # cols -3:9 -> 4:7
    got = sliced_box_masks(boxes, h, w)
    for box, mask in zip(boxes, got):
        x0, y0, x1, y1 = (int(v) for v in box)  # int() truncates toward zero
        expected = torch.zeros(h, w)
        expected[y0:y1, x0:x1] = 1
        assert torch.equal(mask, expected)


def test_laplacian_band_hand_case():
    mask = torch.zeros(1, 15, 15)
    mask[0, 7, 7] = 1
    band = laplacian_band(mask, dilation=3)[0]
    # first pass: the pixel and its 8 neighbours at distance 3; second pass: every pixel
    # with a non-zero dilated-Laplacian response to those nine
    first = torch.zeros(15, 15)
    for dy in (-3, 0, 3):
        for dx in (-3, 0, 3):
            first[7 + dy, 7 + dx] = 1
    expected = torch.zeros(15, 15)
    for y in range(15):
        for x in range(15):
            response = 8 * first[y, x]
            for dy in (-3, 0, 3):
                for dx in (-3, 0, 3):
                    if (dy or dx) and 0 <= y + dy < 15 and 0 <= x + dx < 15:
                        response -= first[y + dy, x + dx]
            expected[y, x] = float(response != 0)
    assert torch.equal(band, expected)
    assert not laplacian_band(torch.zeros(1, 9, 9)).any()


def test_inputs_are_checked():
    head = VMTReleaseRefineHead(f4_channels=8, in_channels=16, inst_channels=16,
                                encoder=dict(num_layers=1, layer_cfg=dict(
                                    self_attn_cfg=dict(embed_dims=64, num_heads=4,
                                                       batch_first=True),
                                    ffn_cfg=dict(embed_dims=64, feedforward_channels=32))))
    inputs = dict(coarse_logits=torch.zeros(2, 1, 4, 4),
                  feats=[torch.zeros(1, 16, 4, 4), torch.zeros(1, 8, 8, 8), None],
                  images=torch.zeros(1, 3, 32, 32), inst_embeds=torch.zeros(2, 16),
                  ref_points=torch.zeros(2, 1, 2), boxes=torch.zeros(2, 1, 4),
                  video_idx=torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match='feats\\[2\\]'):
        head(**inputs)
    inputs['feats'][2] = torch.zeros(1, 64, 16, 16)
    with pytest.raises(ValueError, match='boxes must be'):
        head(**dict(inputs, boxes=torch.zeros(2, 4)))
    out = head(**inputs)
    assert out['refined_logits'].shape == (2, 1, 32, 32)
    assert out['incoherent_logits'].shape == (2, 1, 16, 16)


@pytest.mark.parametrize('config,tag', [('vmt-release_r50_8xb2-12e_hq-ytvis.py', 'r50'),
                                        ('vmt-release_r101_8xb2-12e_hq-ytvis.py', 'r50'),
                                        ('vmt-release_swin-l_8xb2-12e_hq-ytvis.py', 'swin-l')])
def test_release_configs_take_the_released_weights(config, tag):
    """The refine head of each release config has exactly the shapes of the release's
    refiner (R101 shares R50's) after conversion."""
    import json

    from mmengine.config import Config
    with open(osp.join(ROOT, 'tests', 'data', 'vmt_release_refine_keys.json')) as f:
        shapes = json.load(f)['keys'][tag]
    conv = _converter()
    converted, _ = conv.convert_release_refine_state_dict(
        {k: torch.zeros(s) for k, s in shapes.items()})
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'vmt', config))
    head = MODELS.build(cfg.model.refine_head)
    conv.check_shapes(converted, {conv.REFINE_PREFIX + k: v.shape
                                  for k, v in head.state_dict().items()}, config)


def test_loss_trains_every_parameter(fixture):
    conv = _converter()
    release_sd = _release_state_dict(fixture, 'swin')
    head = MODELS.build(conv.infer_release_refine_cfg(release_sd))
    coarse = fixture['swin_coarse_logits']
    gt = torch.zeros(3, 2, 48, 64, dtype=torch.bool)
    gt[:, :, 10:30, 20:50] = True
    valid = torch.tensor([[True, True], [True, False], [False, False]])
    losses = head.loss(coarse_logits=coarse, feats=[fixture['swin_f8'],
                                                    fixture['swin_f4'].float(), None],
                       images=fixture['images'].float(),
                       inst_embeds=fixture['inst_embeds'].float(),
                       ref_points=fixture['ref_points'].float(),
                       boxes=fixture['boxes'].float(),
                       video_idx=torch.zeros(3, dtype=torch.long), gt_masks=gt, valid=valid)
    assert set(losses) == {'loss_release_mask', 'loss_release_dice',
                           'loss_release_inc_mask', 'loss_release_inc_dice'}
    sum(losses.values()).backward()
    no_grad = [n for n, p in head.named_parameters() if p.grad is None or not p.grad.any()]
    assert no_grad == []
