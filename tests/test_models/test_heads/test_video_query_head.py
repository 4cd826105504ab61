"""VideoQueryHead (SeqFormer's head) on small random tensors, fed by SeqFormer's decoder."""
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmvmt.models.data import EncodedFrames
from mmvmt.models.layers import SeqFormerTransformerDecoder
from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

register_all_modules()
C = 32
SHAPES = ((8, 12), (4, 6))


def _head(num_layers=2, **kwargs):
    head = MODELS.build(dict(type='VideoQueryHead', num_classes=3, embed_dims=C, mask_dims=4,
                             mask_levels=2, share_pred_layer=False,
                             num_pred_layer=num_layers, as_two_stage=False, **kwargs))
    decoder = SeqFormerTransformerDecoder(num_layers=num_layers, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=C, num_heads=4, dropout=0.0),
        cross_attn_cfg=dict(embed_dims=C, num_heads=4, num_levels=len(SHAPES), num_points=2,
                            dropout=0.0),
        ffn_cfg=dict(embed_dims=C, feedforward_channels=64, ffn_drop=0.0)))
    head.init_weights()
    for branch in head.reg_branches:  # zero at init: give the box deltas some signal
        torch.nn.init.normal_(branch[-1].weight, std=0.1)
    return head, decoder


def _memory(num_frames_total, seed=0):
    gen = torch.Generator().manual_seed(seed)
    spatial_shapes = torch.tensor(SHAPES)
    sizes = spatial_shapes.prod(1)
    level_start_index = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    memory = torch.randn(num_frames_total, int(sizes.sum()), C, generator=gen)
    return EncodedFrames(memory=memory, memory_mask=None, spatial_shapes=spatial_shapes,
                         level_start_index=level_start_index,
                         valid_ratios=torch.ones(num_frames_total, len(SHAPES), 2))


def _run(head, decoder, enc, num_frames, num_queries=6):
    """The detector's decoding: random queries -> decoder -> head, and the mask branch."""
    gen = torch.Generator().manual_seed(1)
    num_videos = enc.memory.shape[0] // num_frames
    query = torch.randn(num_videos, num_queries, C, generator=gen)
    query_pos = torch.randn(num_videos, num_queries, C, generator=gen)
    reference = torch.rand(num_videos, num_queries, 2, generator=gen)
    inst, box, refs = decoder(query=query, query_pos=query_pos, value=enc.memory,
                              key_padding_mask=None, reference_points=reference,
                              spatial_shapes=enc.spatial_shapes,
                              level_start_index=enc.level_start_index,
                              valid_ratios=enc.valid_ratios,
                              reg_branches=head.reg_branches, num_frames=num_frames)
    layers = head(inst, box, refs, num_frames)
    feats = head.mask_features(enc)
    return layers, feats.f8, feats.mask_feats


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


def test_keeps_mmdets_branch_names():
    head, _ = _head(num_layers=2)
    keys = set(head.state_dict())
    assert {'cls_branches.1.weight', 'reg_branches.0.0.weight', 'reg_branches.1.4.bias',
            'controller.layers.2.weight', 'mask_branch.fuse_convs.1.weight',
            'mask_branch.reduce_convs.1.weight'} <= keys


def test_forward_shapes():
    head, decoder = _head(num_layers=2)
    num_videos, num_frames = 2, 3
    outs, f8, mask_feats = _run(head, decoder, _memory(num_videos * num_frames), num_frames)
    assert len(outs) == 2
    assert outs[-1].cls_scores.shape == (num_videos, 6, 3)
    assert outs[-1].bbox_preds.shape == (num_videos, 6, num_frames, 4)
    assert outs[-1].inst_embeds.shape == (num_videos, 6, C)
    assert outs[0].mask_centers.shape == (num_videos, 6, num_frames, 2)
    assert f8.shape == (num_videos * num_frames, C, 8, 12)
    assert mask_feats.shape == (num_videos * num_frames, 4, 8, 12)
    boxes = outs[-1].bbox_preds
    assert ((boxes > 0) & (boxes < 1)).all()
    # The boxes of different frames differ: each frame has its own box query.
    assert not torch.allclose(boxes[:, :, 0], boxes[:, :, 1])
    # Layer l's masks are centred on its input reference: layer 1's on layer 0's boxes.
    torch.testing.assert_close(outs[1].mask_centers, outs[0].bbox_preds[..., :2])


def test_frames_of_other_videos_do_not_leak():
    head, decoder = _head(num_layers=1)
    head.eval(), decoder.eval()
    enc = _memory(4)
    outs, _, _ = _run(head, decoder, enc, num_frames=2)
    enc.memory = enc.memory.clone()
    enc.memory[2:] += 1.0
    outs2, _, _ = _run(head, decoder, enc, num_frames=2)
    torch.testing.assert_close(outs[0].inst_embeds[0], outs2[0].inst_embeds[0])
    assert not torch.allclose(outs[0].inst_embeds[1], outs2[0].inst_embeds[1])


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
    head, decoder = _head(num_layers=2, train_cfg=dict(
        assigner=dict(type='VideoHungarianAssigner', mask_weight=mask_weight)))
    num_frames = 3
    enc = _memory(2 * num_frames)
    enc.memory.requires_grad_(True)
    outs, _, mask_feats = _run(head, decoder, enc, num_frames)
    gts = head.preprocess_gt([_video_sample(num_frames, seed=0),
                              _video_sample(num_frames, seed=1)])
    losses, matched = head.loss_and_match(outs, mask_feats, gts, torch.tensor([[96., 64.]] * 2))
    for name in ('loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask', 'loss_dice'):
        assert name in losses and f'd0.{name}' in losses
        assert torch.isfinite(losses[name])
    assert matched.inst_embeds.shape == (4, C)
    assert matched.coarse_logits.shape == (4, num_frames, 8, 12)
    assert matched.video_idx.tolist() == [0, 0, 1, 1]
    assert matched.gt_masks.shape == (4, num_frames, 64, 96)
    assert matched.valid.shape == (4, num_frames)
    sum(losses.values()).backward()
    missing = [n for n, p in head.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing


def test_mask_targets_sample_cell_centres():
    masks = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    masks[..., 2, 6] = True  # the centre of H/4 cell (0, 1)
    masks[..., 3, 3] = True  # not a centre
    targets = MODELS.get('VideoQueryHead').mask_targets(masks)
    assert targets.shape == (1, 1, 2, 2)
    assert targets[0, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_loss_without_gt_instances():
    head, decoder = _head(num_layers=1)
    outs, _, mask_feats = _run(head, decoder, _memory(2), num_frames=2)
    sample = _video_sample(2)
    for frame in sample.video_data_samples:
        frame.gt_instances = frame.gt_instances[:0]
    losses, matched = head.loss_and_match(outs, mask_feats, head.preprocess_gt([sample]),
                                torch.tensor([[96., 64.]]))
    assert all(torch.isfinite(v) for v in losses.values())
    assert matched.inst_embeds.shape == (0, C)


def test_predict_topk():
    head, decoder = _head(num_layers=1, test_cfg=dict(max_per_video=4))
    head.eval()
    outs, _, mask_feats = _run(head, decoder, _memory(3), num_frames=3)
    pred = head.predict(outs, mask_feats, torch.tensor([96., 64.]))
    assert pred.scores.shape == (4,)
    assert (pred.scores[:-1] >= pred.scores[1:]).all()
    assert pred.coarse_logits.shape == (4, 3, 8, 12)
    assert pred.mask_logits.shape == (4, 3, 16, 24)
    assert pred.inst_embeds.shape == (4, C)
    assert ((pred.labels >= 0) & (pred.labels < 3)).all()
