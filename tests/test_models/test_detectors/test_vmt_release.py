"""VMTRelease (SeqFormer with VMTReleaseRefineHead): what the detector hands the released
refiner, on a tiny model and a random video."""
import importlib.util
import os.path as osp

import pytest
import torch

from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

register_all_modules()
_spec = importlib.util.spec_from_file_location(
    '_test_vmt_shared', osp.join(osp.dirname(osp.abspath(__file__)), 'test_vmt.py'))
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)

P = 8  # point channels = the tiny ResNet's stem width


def release_model():
    head = dict(type='VMTReleaseRefineHead', in_channels=_shared.C, f4_channels=8,
                inst_channels=_shared.C, point_channels=P, mask_channels=8,
                encoder=dict(num_layers=1, layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=P, num_heads=2, batch_first=True),
                    ffn_cfg=dict(embed_dims=P, feedforward_channels=16))))
    cfg = _shared.tiny_model_cfg(head, 'VMTRelease')
    cfg.pop('refine_neck', None)  # the released refiner reads the raw stride-4 map
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('pad', [32, 1])
def test_predict_hands_the_release_head_its_inputs(pad):
    model = release_model()
    model.data_preprocessor.pad_size_divisor = pad  # 1: as the release configs (unpadded)
    imgs, sample = _shared.make_clip(3, height=60, width=90, with_gt=False)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]))
    video = data['inputs'][0]
    pad_h, pad_w = video.shape[-2:]
    assert (pad_h, pad_w) == ((64, 96) if pad == 32 else (60, 90))
    seen = {}
    refine = model.refine_head.refine

    def recording(**inputs):
        seen.update(inputs)
        return refine(**inputs)

    model.refine_head.refine = recording
    with torch.no_grad():
        results = model(**data, mode='predict')
        backbone = model.backbone(video)
        stem = model.backbone.conv1(video)
    frame = results[0].video_data_samples[0]
    assert frame.pred_track_instances.masks.shape == (4, 60, 90)
    f8, f4, f2 = seen['feats']
    assert f8.shape == (3, _shared.C, -(-pad_h // 8), -(-pad_w // 8))
    torch.testing.assert_close(f4, backbone[0])  # the raw stride-4 map, not the neck's
    torch.testing.assert_close(f2, stem)  # conv1 before its norm
    assert seen['ref_points'].shape == (4, 3, 2) and seen['boxes'].shape == (4, 3, 4)
    # normalised by the padded input, not by the 60 x 90 image
    assert (seen['boxes'][..., 0] <= 90 / pad_w + 1e-6).all()
    assert (seen['boxes'][..., 1] <= 60 / pad_h + 1e-6).all()


def test_training_is_refused_and_a_refine_neck_too():
    model = release_model()
    with pytest.raises(NotImplementedError, match='released refiner'):
        model.loss(torch.zeros(1, 2, 3, 64, 96), [])
    assert not hasattr(model, 'refine_masks')  # given masks: GivenMaskRefiner
    cfg = _shared.tiny_model_cfg(dict(type='VMTReleaseRefineHead'), 'VMTRelease')
    with pytest.raises(ValueError, match='refine_neck must be None'):
        MODELS.build(cfg)


def test_f8_is_the_mask_branch_sum_before_its_last_conv():
    """The release's refiner reads SeqFormer's ``fused_x_c``: the top-down sum of the
    encoder levels after ``lay3`` and ``lay4`` (ReLU each), before ``dcn``."""
    model = release_model()
    if not hasattr(getattr(model, 'bbox_head', None), 'mask_branch'):
        pytest.skip("needs SeqFormer's mask branch (seqformer branch)")
    imgs, sample = _shared.make_clip(2, with_gt=False)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]))
    video = data['inputs'][0]
    with torch.no_grad():
        enc = model.encode_video(video, list(data['data_samples'][0]))
        f8 = model.bbox_head.mask_features(enc).f8_sum
        branch = model.bbox_head.mask_branch
        levels = branch.split_levels(enc.memory, enc.spatial_shapes, enc.level_start_index,
                                     branch.num_levels)
        x = levels[-1]
        for conv, level in zip(branch.fuse_convs[:-1], levels[-2::-1]):
            x = level + torch.nn.functional.interpolate(torch.relu(conv(x)),
                                                        size=level.shape[-2:])
    torch.testing.assert_close(f8, x)
