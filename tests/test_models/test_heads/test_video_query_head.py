"""VideoQueryHead on small random tensors."""
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmvmt.models.heads.video_query_head import (dynamic_conv_param_count,
                                                 dynamic_mask_logits, relative_coords,
                                                 split_dynamic_params)
from mmvmt.registry import MODELS

C = 32


def _head(num_layers=2, num_queries=6, num_levels=2, **kwargs):
    layer_cfg = dict(self_attn_cfg=dict(embed_dims=C, num_heads=4, dropout=0.0),
                     cross_attn_cfg=dict(embed_dims=C, num_heads=4, num_levels=num_levels,
                                         num_points=2, dropout=0.0),
                     ffn_cfg=dict(embed_dims=C, feedforward_channels=64, ffn_drop=0.0))
    head = MODELS.build(dict(type='VideoQueryHead', num_classes=3, num_queries=num_queries,
                             embed_dims=C, decoder=dict(num_layers=num_layers,
                                                        layer_cfg=layer_cfg),
                             norm_cfg=dict(type='GN', num_groups=8), **kwargs))
    head.init_weights()
    return head


def _memory(num_frames_total, shapes=((8, 12), (4, 6))):
    spatial_shapes = torch.tensor(shapes)
    sizes = spatial_shapes.prod(1)
    level_start_index = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    memory = torch.randn(num_frames_total, int(sizes.sum()), C)
    valid_ratios = torch.ones(num_frames_total, len(shapes), 2)
    return memory, None, spatial_shapes, level_start_index, valid_ratios


def _video_sample(num_frames, height=64, width=96, seed=0):
    """One clip with two tracks; track 7 is absent from frame 1."""
    gen = torch.Generator().manual_seed(seed)
    frames = []
    for t in range(num_frames):
        ids = [3, 7] if t != 1 else [3]
        masks = torch.zeros(len(ids), height, width, dtype=torch.uint8)
        boxes = []
        for i in range(len(ids)):
            y0, x0 = torch.randint(0, height // 2, (1,), generator=gen).item(), \
                torch.randint(0, width // 2, (1,), generator=gen).item()
            masks[i, y0:y0 + 20, x0:x0 + 30] = 1
            boxes.append([x0, y0, x0 + 30, y0 + 20])
        gt = InstanceData(labels=torch.tensor([0, 2][:len(ids)]),
                          instances_ids=torch.tensor(ids),
                          bboxes=torch.tensor(boxes, dtype=torch.float),
                          masks=BitmapMasks(masks.numpy(), height, width))
        frame = DetDataSample(metainfo=dict(img_shape=(height, width),
                                            batch_input_shape=(height, width),
                                            ori_shape=(height, width)))
        frame.gt_instances = gt
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return sample


def test_dynamic_params_split_round_trip():
    count = dynamic_conv_param_count(10, 8, 3)
    assert count == 10 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    params = torch.arange(float(count))
    layers = split_dynamic_params(params, 10, 8, 3)
    assert [tuple(w.shape) for w, _ in layers] == [(8, 10), (8, 8), (1, 8)]
    assert torch.cat([torch.cat([w.flatten(), b]) for w, b in layers]).equal(params)


def test_dynamic_mask_logits_matches_per_instance_convs():
    """The einsum implementation equals plain per-instance conv2d calls."""
    torch.manual_seed(0)
    num_inst, num_frames, dims, h, w = 3, 2, 4, 5, 7
    params = torch.randn(num_inst, dynamic_conv_param_count(dims + 2, 6, 3))
    centers = torch.rand(num_inst, num_frames, 2)
    feats = torch.randn(num_frames, dims, h, w)
    scale = torch.tensor([1.2, 1.0])
    out = dynamic_mask_logits(params, centers, feats, scale, 6, 3)
    assert out.shape == (num_inst, num_frames, h, w)
    rel = relative_coords(centers, h, w, scale).unflatten(-1, (h, w))
    for m in range(num_inst):
        for t in range(num_frames):
            x = torch.cat([rel[m, t], feats[t]])[None]
            for i, (weight, bias) in enumerate(split_dynamic_params(params[m], dims + 2, 6,
                                                                    3)):
                x = torch.conv2d(x, weight[..., None, None], bias)
                x = torch.relu(x) if i < 2 else x
            torch.testing.assert_close(out[m, t], x[0, 0], rtol=1e-4, atol=1e-4)
    # Weights are per instance: changing one instance's parameters changes only its mask.
    params2 = params.clone()
    params2[1] += 1
    out2 = dynamic_mask_logits(params2, centers, feats, scale, 6, 3)
    assert torch.equal(out2[0], out[0]) and not torch.allclose(out2[1], out[1])


def test_relative_coords_zero_at_centre():
    rel = relative_coords(torch.tensor([[[0.5 / 4, 0.5 / 2]]]), 2, 4, torch.ones(2))
    assert rel[0, 0, :, 0].abs().max() < 1e-6


def test_forward_shapes_and_temporal_weights():
    head = _head(num_layers=2)
    for branch in head.reg_branches:  # zero at init: give the box deltas some signal
        torch.nn.init.normal_(branch.layers[-1].weight, std=0.1)
    num_videos, num_frames = 2, 3
    outs = head(*_memory(num_videos * num_frames), num_frames=num_frames)
    assert len(outs['cls_scores']) == 2
    assert outs['cls_scores'][-1].shape == (num_videos, 6, 3)
    assert outs['bbox_preds'][-1].shape == (num_videos, 6, num_frames, 4)
    assert outs['inst_embeds'][-1].shape == (num_videos, 6, C)
    assert outs['f8'].shape == (num_videos * num_frames, C, 8, 12)
    assert outs['mask_feats'].shape == (num_videos * num_frames, 8, 8, 12)
    boxes = outs['bbox_preds'][-1]
    assert ((boxes > 0) & (boxes < 1)).all()
    # The boxes of different frames differ: each frame has its own box query.
    assert not torch.allclose(boxes[:, :, 0], boxes[:, :, 1])


def test_frames_of_other_videos_do_not_leak():
    head = _head(num_layers=1).eval()
    memory, mask, shapes, starts, ratios = _memory(4)
    outs = head(memory, mask, shapes, starts, ratios, num_frames=2)
    memory2 = memory.clone()
    memory2[2:] += 1.0
    outs2 = head(memory2, mask, shapes, starts, ratios, num_frames=2)
    torch.testing.assert_close(outs['inst_embeds'][0][0], outs2['inst_embeds'][0][0])
    assert not torch.allclose(outs['inst_embeds'][0][1], outs2['inst_embeds'][0][1])


def test_preprocess_gt_builds_tracks_with_valid_flags():
    sample = _video_sample(3)
    gts = MODELS.get('VideoQueryHead').preprocess_gt([sample])
    gt = gts[0]
    assert gt.instances_ids.tolist() == [3, 7]
    assert gt.labels.tolist() == [0, 2]
    assert gt.masks.shape == (2, 3, 64, 96)
    assert gt.valid.tolist() == [[True, True, True], [True, False, True]]
    assert not gt.masks[1, 1].any()
    assert gt.bboxes[0, 0, 2].item() == pytest.approx(30 / 96)


@pytest.mark.parametrize('mask_weight', [0.0, 1.0])
def test_loss_and_gradients(mask_weight):
    head = _head(num_layers=2, train_cfg=dict(
        assigner=dict(type='VideoHungarianAssigner', mask_weight=mask_weight)))
    num_frames = 3
    memory, mask, shapes, starts, ratios = _memory(2 * num_frames)
    memory.requires_grad_(True)
    outs = head(memory, mask, shapes, starts, ratios, num_frames=num_frames)
    gts = head.preprocess_gt([_video_sample(num_frames, seed=0),
                              _video_sample(num_frames, seed=1)])
    losses, matched = head.loss(outs, gts, torch.ones(2, 2))
    for name in ('loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask', 'loss_dice'):
        assert name in losses and f'd0.{name}' in losses
        assert torch.isfinite(losses[name])
    assert matched['inst_embeds'].shape == (4, C)
    assert matched['coarse_logits'].shape == (4, num_frames, 8, 12)
    assert matched['video_idx'].tolist() == [0, 0, 1, 1]
    assert matched['gt_masks'].shape == (4, num_frames, 64, 96)
    assert matched['valid'].shape == (4, num_frames)
    sum(losses.values()).backward()
    missing = [n for n, p in head.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing


def test_loss_without_gt_instances():
    head = _head(num_layers=1)
    outs = head(*_memory(2), num_frames=2)
    sample = _video_sample(2)
    for frame in sample.video_data_samples:
        frame.gt_instances = frame.gt_instances[:0]
    losses, matched = head.loss(outs, head.preprocess_gt([sample]), torch.ones(1, 2))
    assert all(torch.isfinite(v) for v in losses.values())
    assert matched['inst_embeds'].shape == (0, C)


def test_predict_topk():
    head = _head(num_layers=1, test_cfg=dict(max_per_video=4)).eval()
    outs = head(*_memory(3), num_frames=3)
    pred = head.predict(outs, torch.ones(2))
    assert pred['scores'].shape == (4,)
    assert (pred['scores'][:-1] >= pred['scores'][1:]).all()
    assert pred['coarse_logits'].shape == (4, 3, 8, 12)
    assert pred['inst_embeds'].shape == (4, C)
    assert ((pred['labels'] >= 0) & (pred['labels'] < 3)).all()
