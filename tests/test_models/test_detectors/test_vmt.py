"""VideoMaskTransfiner (training losses, whole-video chunked inference) and GivenMaskRefiner
(class-agnostic refinement of given masks), on a tiny model and random clips."""
import copy

import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData
from torch import nn

from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

register_all_modules()

C = 32


def tiny_model_cfg(refine_head=None, model_type='VideoMaskTransfiner', **test_cfg):
    """A few-channel VMT: ResNet-18 with base width 8, 2 encoder levels, 2 decoder layers."""
    attn = dict(embed_dims=C, num_heads=4, dropout=0.0)
    refine = refine_head is not None
    return dict(
        type=model_type,
        data_preprocessor=dict(type='TrackDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                               pad_size_divisor=32, pad_mask=True),
        backbone=dict(type='ResNet', depth=18, base_channels=8, num_stages=3,
                      strides=(1, 2, 2), dilations=(1, 1, 1),
                      out_indices=(0, 1, 2) if refine else (1, 2),
                      norm_cfg=dict(type='BN'), init_cfg=None),
        neck=dict(type='ChannelMapper', in_channels=[16, 32], kernel_size=1,
                  out_channels=C, act_cfg=None, norm_cfg=dict(type='GN', num_groups=8),
                  num_outs=2),
        refine_neck=dict(type='ChannelMapper', in_channels=[8], kernel_size=1, out_channels=C,
                         act_cfg=None, norm_cfg=dict(type='GN', num_groups=8),
                         num_outs=1) if refine else None,
        num_queries=5,
        num_feature_levels=2,
        encoder=dict(num_layers=1, layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=C, num_heads=4, num_levels=2, num_points=2,
                               batch_first=True),
            ffn_cfg=dict(embed_dims=C, feedforward_channels=64, ffn_drop=0.0))),
        decoder=dict(num_layers=2, layer_cfg=dict(
            self_attn_cfg=attn,
            cross_attn_cfg=dict(attn, num_levels=2, num_points=2),
            ffn_cfg=dict(embed_dims=C, feedforward_channels=64, ffn_drop=0.0))),
        positional_encoding=dict(num_feats=C // 2, normalize=True, offset=-0.5),
        bbox_head=dict(type='VideoQueryHead', num_classes=3, embed_dims=C, mask_dims=4,
                       mask_levels=2),
        refine_head=refine_head,
        train_cfg=dict(assigner=dict(type='VideoHungarianAssigner')),
        test_cfg=dict(dict(chunk_size=2, max_per_video=4), **test_cfg))


@MODELS.register_module(name='_RecordingRefineHead', force=True)
class RecordingRefineHead(nn.Module):
    """Stand-in with the refinement head's interface; it records what it is given."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.calls = []
        self.given_queries = []

    def _probs(self, coarse_logits, images):
        up = nn.functional.interpolate(coarse_logits, size=images.shape[-2:],
                                       mode='bilinear', align_corners=False)
        return (up * self.scale).sigmoid()

    def loss(self, *, gt_masks, valid=None, regions=None, **inputs):
        self.calls.append(dict(inputs, gt_masks=gt_masks, valid=valid, regions=regions))
        probs = self._probs(inputs['coarse_logits'], inputs['images'])
        feats = inputs['feats']
        return dict(loss_refine=nn.functional.binary_cross_entropy(probs, gt_masks.float()) +
                    0 * (inputs['inst_embeds'].sum() + feats[0].sum() + feats[1].sum()))

    def pool_inst_embeds(self, masks, video_idx, f8):
        video = torch.einsum('kthw,tchw->kc', masks, f8) / masks.flatten(1).sum(1)[:, None]
        return video, video[:, None].expand(-1, masks.shape[1], -1)

    given_embeddings = 'pooled'

    def given_inst_embeds(self, masks, video_idx, f8, queries=None):
        self.given_queries.append(queries)
        return self.pool_inst_embeds(masks, video_idx, f8)

    @staticmethod
    def confidence(probs):
        return torch.maximum(probs, 1 - probs)

    def predict(self, **inputs):
        self.calls.append(inputs)
        probs = self._probs(inputs['coarse_logits'], inputs['images'])
        return probs, torch.ones(probs.shape, dtype=torch.bool)


def make_clip(num_frames, height=64, width=96, seed=0, with_gt=True):
    """One video's raw inputs (T, 3, H, W) uint8 and TrackDataSample with two tracks."""
    gen = torch.Generator().manual_seed(seed)
    frames = []
    imgs = torch.randint(0, 255, (num_frames, 3, height, width), generator=gen,
                         dtype=torch.uint8)
    for t in range(num_frames):
        frame = DetDataSample(metainfo=dict(img_shape=(height, width),
                                            ori_shape=(height, width), frame_id=t,
                                            video_length=num_frames))
        if with_gt:
            ids = [1, 2] if t != 1 else [1]
            masks = torch.zeros(len(ids), height, width, dtype=torch.uint8)
            for i in range(len(ids)):
                masks[i, 10 + 5 * i:40, 10 + 20 * i + t:50 + 20 * i] = 1
            frame.gt_instances = InstanceData(
                labels=torch.tensor([0, 1][:len(ids)]), instances_ids=torch.tensor(ids),
                masks=BitmapMasks(masks.numpy(), height, width))
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return imgs, sample


def build(refine=True, model_type='VideoMaskTransfiner', **test_cfg):
    model = MODELS.build(tiny_model_cfg(
        dict(type='_RecordingRefineHead') if refine else None, model_type, **test_cfg))
    model.init_weights()
    return model


def build_given(refine_head=None):
    """The tiny GivenMaskRefiner (with the recording stand-in head by default)."""
    model = MODELS.build(tiny_model_cfg(refine_head or dict(type='_RecordingRefineHead'),
                                        'GivenMaskRefiner'))
    model.init_weights()
    return model


def test_loss_wiring_and_gradients():
    model = build()
    clips = [make_clip(3, seed=0), make_clip(3, seed=1)]
    data = model.data_preprocessor(dict(inputs=[c[0] for c in clips],
                                        data_samples=[c[1] for c in clips]), training=True)
    assert data['inputs'].shape == (2, 3, 3, 64, 96)
    losses = model(**data, mode='loss')
    assert {'loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask', 'loss_dice', 'd0.loss_cls',
            'loss_refine'} <= set(losses)
    call = model.refine_head.calls[-1]
    assert call['inst_embeds'].shape == (4, C)
    assert call['coarse_logits'].shape == (4, 3, 8, 12)
    assert call['video_idx'].tolist() == [0, 0, 1, 1]
    assert [f.shape for f in call['feats']] == [(6, C, 8, 12), (6, C, 16, 24)]
    assert call['images'].shape == (6, 3, 64, 96)
    assert call['gt_masks'].shape == (4, 3, 64, 96) and call['gt_masks'].dtype == torch.bool
    assert call['frame_ids'].tolist() == [[0, 1, 2]] * 2  # metainfo frame_id: video index
    # Every frame is annotated; track 2 is absent from frame 1, its target there is empty.
    assert call['valid'] is None
    assert call['gt_masks'].flatten(2).any(-1).sum().item() == 10
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing


def test_loss_rejects_4d_inputs():
    model = build(refine=False)
    with pytest.raises(ValueError, match='N, T, C, H, W'):
        model.loss(torch.zeros(2, 3, 64, 96), [])


@pytest.mark.parametrize('refine', [True, False])
def test_predict_whole_video(refine):
    model = build(refine=refine).eval()
    imgs, sample = make_clip(5, with_gt=False)
    for frame in sample.video_data_samples:
        frame.set_metainfo(dict(ori_shape=(128, 192)))
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]))
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert len(results) == 1 and len(results[0]) == 5
    for frame in results[0].video_data_samples:
        for key in ('pred_track_instances', 'pred_track_instances_coarse'):
            inst = frame.get(key)
            assert inst.masks.shape == (4, 128, 192) and inst.masks.dtype == torch.bool
            assert inst.instances_id.tolist() == [0, 1, 2, 3]
            assert inst.scores.shape == (4,) and inst.labels.shape == (4,)
    if refine:
        # Backbone chunks of 2 frames, but one refinement call over the whole video (QSG
        # over all frames), temporal positions 0..4.
        calls = model.refine_head.calls
        assert len(calls) == 1 and calls[0]['coarse_logits'].shape[1] == 5
        assert calls[0]['frame_ids'].tolist() == [[0, 1, 2, 3, 4]]


def test_chunking_does_not_change_predictions():
    model = build(refine=False, chunk_size=None).eval()
    imgs, sample = make_clip(5, with_gt=False)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]))
    with torch.no_grad():
        whole = model.predict(data['inputs'], copy.deepcopy(data['data_samples']))
        model.test_cfg['chunk_size'] = 2
        chunked = model.predict(data['inputs'], copy.deepcopy(data['data_samples']))
    for a, b in zip(whole[0].video_data_samples, chunked[0].video_data_samples):
        torch.testing.assert_close(a.pred_track_instances.scores,
                                   b.pred_track_instances.scores)
        assert torch.equal(a.pred_track_instances.masks, b.pred_track_instances.masks)


def test_refine_masks_class_agnostic():
    model = build_given().eval()
    imgs, _ = make_clip(3, height=60, width=90)
    coarse = torch.zeros(2, 3, 60, 90, dtype=torch.bool)
    coarse[0, :, 10:40, 10:50] = True
    coarse[1, :, 20:30, 50:80] = True
    answer = model.refine_masks(imgs, coarse)
    refined, confidence, region = answer.masks, answer.confidence, answer.region
    assert refined.shape == coarse.shape == region.shape and refined.dtype == torch.bool
    assert confidence.shape == coarse.shape and region.dtype == torch.bool
    assert (confidence >= 0.5).all() and (confidence <= 1).all()
    # the confidence is the probability of the label the refined mask holds
    assert torch.equal(torch.where(refined, answer.probs, 1 - answer.probs), confidence)
    # The stand-in labels every pixel at full resolution: all refined.
    assert region.all()
    # Backbone chunks of 2 frames, one refinement call over all 3 frames.
    call = model.refine_head.calls[-1]
    assert call['images'].shape == (3, 3, 64, 96) and call['frame_ids'].tolist() == [[0, 1, 2]]
    # One embedding per track, pooled under its mask over the whole video, and per frame.
    assert call['inst_embeds'].shape == (2, C) and call['frame_embeds'].shape == (2, 3, C)
    # Coarse logits come from the given masks: positive inside, negative outside.
    assert call['coarse_logits'][0, 0, 3, 3] > 0 > call['coarse_logits'][0, 0, 7, 11]
    with pytest.raises(ValueError, match='coarse_masks'):
        model.refine_masks(imgs, coarse[:, :2])


def real_refine_head():
    return dict(type='VMTRefineHead', in_channels=C, inst_channels=C, hidden_dim=16,
                num_heads=2, num_layers=1, ffn_channels=32, rgb_channels=8,
                detector_channels=8, max_nodes_per_frame=(8, 16, 32))


def test_gradients_reach_every_parameter_with_the_refine_head():
    """VideoMaskTransfiner (end to end): everything learns except the refiner's pooling
    projection, which only the query-free path uses; GivenMaskRefiner trains that path (and
    the refiner only), with the same parameters."""
    model = MODELS.build(tiny_model_cfg(real_refine_head()))
    model.init_weights()
    clips = [make_clip(3, seed=0), make_clip(3, seed=1)]
    data = model.data_preprocessor(dict(inputs=[c[0] for c in clips],
                                        data_samples=[c[1] for c in clips]), training=True)
    losses = model(**copy.deepcopy(data), mode='loss')
    assert {'loss_incoherent_l0', 'loss_node_l2', 'loss_cls', 'd0.loss_dice'} <= set(losses)
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert missing == ['refine_head.mask_pool_proj.weight', 'refine_head.mask_pool_proj.bias']

    given = build_given(real_refine_head())
    assert given.state_dict().keys() == model.state_dict().keys()
    given.load_state_dict(model.state_dict())
    model = given
    for video in data['data_samples']:
        for frame in video.video_data_samples:
            masks = frame.gt_instances.masks
            frame.gt_instances.coarse_masks = masks[:, :, ::-1] if len(masks) else masks
    losses = model(**data, mode='loss')
    assert all(k.startswith(('loss_incoherent', 'loss_node')) for k in losses)
    sum(losses.values()).backward()
    refine_missing = [n for n, p in model.refine_head.named_parameters() if p.grad is None]
    assert not refine_missing, refine_missing


def test_given_mask_refiner_needs_coarse_masks():
    model = build_given()
    imgs, sample = make_clip(2)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]), training=True)
    with pytest.raises(KeyError, match='coarse_masks'):
        model(**data, mode='loss')


def test_given_mask_refiner_passes_the_pipelines_refine_regions_as_tracks(monkeypatch):
    model = build_given(real_refine_head())
    imgs, sample = make_clip(3, seed=2)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]), training=True)
    expected = {}
    for t, frame in enumerate(data['data_samples'][0].video_data_samples):
        gt = frame.gt_instances
        gt.coarse_masks = gt.masks
        gt.refine_regions = gt.masks[:, ::-1]  # any per-frame masks, told apart from masks
        for track_id, region in zip(gt.instances_ids.tolist(), gt.refine_regions.masks):
            expected[(track_id, t)] = torch.from_numpy(region.astype(bool))
    seen = {}
    real_loss = model.refine_head.loss

    def record(*, regions=None, **kwargs):
        seen['regions'] = regions
        return real_loss(regions=regions, **kwargs)

    monkeypatch.setattr(model.refine_head, 'loss', record)
    model(**data, mode='loss')
    track_ids = model.bbox_head.preprocess_gt(data['data_samples'])[0].instances_ids.tolist()
    assert seen['regions'].shape[:2] == (len(track_ids), 3)
    for (track_id, t), region in expected.items():
        got = seen['regions'][track_ids.index(track_id), t]
        assert torch.equal(got[:region.shape[0], :region.shape[1]], region)
