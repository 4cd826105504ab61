import pytest
import torch
import torch.nn.functional as F

from mmvmt.models.heads import VMTRefineHead
from mmvmt.models.layers import upsample_chain
from mmvmt.registry import MODELS

C, C_Q = 16, 24


def make_head(**kwargs):
    cfg = dict(type='VMTRefineHead', in_channels=C, inst_channels=C_Q, hidden_dim=32,
               num_heads=4, num_layers=3, ffn_channels=64, rgb_channels=8)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def make_inputs(num_videos=2, num_frames=3, height=64, width=96, video_idx=(0, 0, 1)):
    h8, w8 = -(-height // 8), -(-width // 8)
    feats = [torch.randn(num_videos * num_frames, C, h8, w8),
             torch.randn(num_videos * num_frames, C, 2 * h8, 2 * w8)]
    video_idx = torch.tensor(video_idx, dtype=torch.long)
    return dict(inst_embeds=torch.randn(len(video_idx), C_Q),
                coarse_logits=torch.randn(len(video_idx), num_frames, h8, w8) * 3,
                video_idx=video_idx, feats=feats,
                images=torch.randn(num_videos * num_frames, 3, height, width))


def test_forward_shapes_tree_structure_and_caps():
    torch.manual_seed(0)
    caps = (5, 9, 13)
    head = make_head(max_nodes_per_instance=caps, incoherent_thr=0.0)  # every cell qualifies
    inputs = make_inputs()
    out = head(**inputs)
    assert out['refined_logits'].shape == out['region'].shape == (3, 3, 64, 96)
    assert out['incoherent_logits'][0].shape == (3, 3, 8, 12)
    for level, nodes in enumerate(out['nodes']):
        counts = torch.bincount(nodes[:, 0], minlength=3)
        assert counts.tolist() == [caps[level]] * 3  # the cap, honoured exactly
        assert len(torch.unique(nodes, dim=0)) == len(nodes)
    for level in (1, 2):
        assert len(out['candidates'][level - 1]) == 4 * len(out['nodes'][level - 1])
        assert out['incoherent_logits'][level].shape == (len(out['candidates'][level - 1]),)
        child, parent = out['nodes'][level], out['nodes'][level - 1][out['parents'][level - 1]]
        assert torch.equal(child[:, :2], parent[:, :2])
        assert torch.equal(child[:, 2:] // 2, parent[:, 2:])
    assert [tuple(lg.shape) for lg in out['node_logits']] == [(15,), (27,), (39, 4)]



@pytest.mark.parametrize('num_frames', [1, 3, 5])
def test_per_frame_caps_scale_with_clip_length(num_frames):
    """max_nodes_per_frame: a clip (test chunk) of T frames gets T times the per-frame caps,
    so a long test chunk has the per-frame node budget of a short training clip."""
    torch.manual_seed(0)
    per_frame = (2, 3, 5)
    head = make_head(max_nodes_per_frame=per_frame, incoherent_thr=0.0)  # all cells qualify
    assert head.node_caps(num_frames) == tuple(num_frames * c for c in per_frame)
    out = head(**make_inputs(num_frames=num_frames))
    for level, nodes in enumerate(out['nodes']):
        counts = torch.bincount(nodes[:, 0], minlength=3)
        assert counts.tolist() == [num_frames * per_frame[level]] * 3
    # without it the caps are per clip whatever T is
    assert make_head(max_nodes_per_instance=(5, 9, 13)).node_caps(num_frames) == (5, 9, 13)
    with pytest.raises(ValueError, match='max_nodes_per_frame'):
        make_head(max_nodes_per_frame=(1, 2))

def test_outside_nodes_keeps_upsampled_coarse_and_crops_to_image():
    torch.manual_seed(0)
    head = make_head(max_nodes_per_instance=(6, 10, 20), incoherent_thr=0.0)
    inputs = make_inputs(height=60, width=90)  # padded grid 64 x 96, cropped back
    out = head(**inputs)
    refined, region = out['refined_logits'], out['region']
    assert refined.shape == (3, 3, 60, 90)
    coarse_up = upsample_chain(inputs['coarse_logits'], 3)[3][..., :60, :90]
    assert region.any() and (~region).any()
    assert torch.equal(refined[~region], coarse_up[~region])
    assert not torch.allclose(refined[region], coarse_up[region])


def test_predict_confidence_and_pooled_embeddings():
    torch.manual_seed(0)
    head = make_head(max_nodes_per_instance=(6, 10, 20)).eval()
    inputs = make_inputs()
    with torch.no_grad():
        probs = head.predict(**inputs)
        inputs['inst_embeds'] = None  # class-agnostic: embeddings pooled under the masks
        pooled = head.predict(**inputs)
    for p in (probs, pooled):
        assert p.shape == (3, 3, 64, 96) and ((p >= 0) & (p <= 1)).all()
    conf = head.confidence(probs)
    assert torch.allclose(conf, torch.maximum(probs, 1 - probs)) and (conf >= 0.5).all()


@pytest.mark.parametrize('pooled', [False, True])
def test_loss_gradients_reach_every_learnable_parameter(pooled):
    torch.manual_seed(0)
    head = make_head(max_nodes_per_instance=(20, 40, 80))
    inputs = make_inputs()
    if pooled:
        inputs['inst_embeds'] = None
    else:
        inputs['inst_embeds'].requires_grad_()
    gt = F.interpolate(torch.rand(3, 3, 8, 12), size=(64, 96), mode='bilinear') > 0.5
    losses = head.loss(**inputs, gt_masks=gt, valid=torch.ones(3, 3, dtype=torch.bool))
    assert set(losses) == {f'loss_{k}_l{i}' for k in ('incoherent', 'node') for i in range(3)}
    sum(losses.values()).backward()
    missing = [n for n, p in head.named_parameters()
               if p.grad is None or not p.grad.abs().sum() > 0]
    # the pooling projection only learns when embeddings are pooled
    assert missing == ([] if pooled else ['mask_pool_proj.weight', 'mask_pool_proj.bias'])
    if not pooled:
        assert inputs['inst_embeds'].grad.abs().sum() > 0  # the base head learns through it


def test_training_nodes_cover_gt_incoherence_and_skip_invalid_frames():
    torch.manual_seed(0)
    head = make_head(max_nodes_per_instance=(96, 384, 1536), incoherent_thr=0.99)
    inputs = make_inputs()
    gt = torch.zeros(3, 3, 64, 96, dtype=torch.bool)
    gt[:, :, 13:45, 21:70] = True
    valid = torch.ones(3, 3, dtype=torch.bool)
    valid[1, 2] = False
    inputs['coarse_logits'] = torch.where(
        F.avg_pool2d(gt.float().flatten(0, 1), 8).view(3, 3, 8, 12) > 0.5, 5., -5.)
    force = [F.max_pool2d(gt.float().flatten(0, 1), c).view(3, 3, 64 // c, 96 // c) !=
             -F.max_pool2d(-gt.float().flatten(0, 1), c).view(3, 3, 64 // c, 96 // c)
             for c in (8, 4, 2)]
    out = head._refine(**inputs, force=force, valid=valid)
    for level, nodes in enumerate(out['nodes']):
        assert not ((nodes[:, 0] == 1) & (nodes[:, 1] == 2)).any()
        expected = force[level].clone()
        expected[1, 2] = False
        taken = torch.zeros_like(expected)
        taken[tuple(nodes.T)] = True
        assert torch.equal(taken & expected, expected)  # every GT-incoherent cell is a node


def test_given_refine_regions_become_training_targets(monkeypatch):
    # A region far from the GT boundary (and where the coarse mask is right) is refined only
    # because the pipeline's refine_regions says so (the paper's self-correction training).
    head = make_head(max_nodes_per_instance=(96, 384, 1536))
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    gt = torch.zeros(1, 2, 64, 96, dtype=torch.bool)
    gt[:, :, 16:48, 24:72] = True
    inputs['coarse_logits'] = torch.where(
        F.avg_pool2d(gt.float().flatten(0, 1), 8).view(1, 2, 8, 12) > 0.5, 5., -5.)
    regions = torch.zeros_like(gt)
    regions[0, 1, 58:61, 2:5] = True  # bottom-left corner, inside one cell at H/8
    seen = []
    real_refine = head._refine

    def record(*args, force=None, **kwargs):
        seen.append(force)
        return real_refine(*args, force=force, **kwargs)

    monkeypatch.setattr(head, '_refine', record)
    valid = torch.ones(1, 2, dtype=torch.bool)
    head.loss(**inputs, gt_masks=gt, valid=valid)
    head.loss(**inputs, gt_masks=gt, valid=valid, regions=regions)
    without, with_regions = seen
    assert not without[0][0, 1, 7, 0] and with_regions[0][0, 1, 7, 0]
    assert with_regions[2][0, 1, 29:31, 1:3].all()  # H/2 cells of rows 58-60, cols 2-4
    for level in range(3):
        assert torch.equal(with_regions[level] & ~without[level],
                           with_regions[level] ^ without[level])  # only additions


def test_no_instances():
    head = make_head()
    inputs = make_inputs(video_idx=())
    gt = torch.zeros(0, 3, 64, 96, dtype=torch.bool)
    losses = head.loss(**inputs, gt_masks=gt, valid=torch.zeros(0, 3, dtype=torch.bool))
    assert all(v == 0 for v in losses.values())
    assert head.predict(**inputs).shape == (0, 3, 64, 96)


def boundary_iou(pred, gt, d=2):
    """Boundary IoU of (N, H, W) bool masks; boundary = mask minus its d-times eroded copy,
    zero-padded so pixels on the image border count as boundary."""
    def boundary(m):
        eroded = m.float()[:, None]
        for _ in range(d):
            eroded = -F.max_pool2d(-F.pad(eroded, (1, 1, 1, 1)), 3, 1)
        return m & ~(eroded[:, 0] > 0.5)
    bp, bg = boundary(pred), boundary(gt)
    return ((bp & bg).sum() / (bp | bg).sum()).item()


def test_overfits_one_clip_beyond_the_coarse_masks():
    """Trained on one synthetic clip, the refined masks' boundary IoU exceeds the coarse
    masks' (the coarse masks are the H/8 area-downsampled GT, blurry at the boundary)."""
    torch.manual_seed(0)
    num_frames, size = 2, 64
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing='ij')
    gt = torch.stack([((yy - 30) ** 2 / 18 ** 2 + (xx - 26 - 5 * t) ** 2 / 13 ** 2 < 1) |
                      ((yy - 30).abs() < 2) & (xx > 30 + 5 * t) & (xx < 56)
                      for t in range(num_frames)])[None]  # an ellipse with a thin arm
    images = gt[0, :, None].float().expand(-1, 3, -1, -1) + 0.1 * torch.randn(2, 3, size, size)
    proj = torch.randn(3, C)
    feats = [torch.einsum('tchw,cd->tdhw', F.avg_pool2d(images, s), proj) for s in (8, 4)]
    coarse = torch.logit(F.avg_pool2d(gt[0].float(), 8).clamp(0.02, 0.98))[None]
    inputs = dict(inst_embeds=torch.randn(1, C_Q), coarse_logits=coarse,
                  video_idx=torch.zeros(1, dtype=torch.long), feats=feats, images=images)
    head = make_head(max_nodes_per_instance=(32, 128, 512), incoherent_thr=0.3)
    optim = torch.optim.AdamW(head.parameters(), lr=3e-3)
    valid = torch.ones(1, num_frames, dtype=torch.bool)
    for _ in range(40):
        optim.zero_grad()
        sum(head.loss(**inputs, gt_masks=gt, valid=valid).values()).backward()
        optim.step()
    head.eval()
    with torch.no_grad():
        refined = head.predict(**inputs)[0] > 0.5
    coarse_masks = upsample_chain(coarse, 3)[3][0] > 0
    coarse_biou, refined_biou = boundary_iou(coarse_masks, gt[0]), boundary_iou(refined, gt[0])
    assert refined_biou > coarse_biou + 0.05, (coarse_biou, refined_biou)
