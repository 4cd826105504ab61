import pytest
import torch
import torch.nn.functional as F

from mmvmt.models.heads import VMTRefineHead, refined_region
from mmvmt.models.heads.refine.fine_prior import FINE_WINDOW, mask_pyramid
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


@pytest.mark.parametrize('num_frames', [1, 3, 5])
def test_forward_shapes_tree_structure_and_per_frame_caps(num_frames):
    """Caps are per instance and frame: a clip (or a whole video) of T frames holds T times
    the per-frame caps, each frame exactly its cap when every cell qualifies."""
    torch.manual_seed(0)
    caps = (5, 9, 13)
    head = make_head(max_nodes_per_frame=caps, incoherent_thr=0.0)  # every cell qualifies
    out = head(**make_inputs(num_frames=num_frames))
    assert out['refined_logits'].shape == out['label_cell'].shape == (3, num_frames, 64, 96)
    assert out['incoherent_logits'][0].shape == (3, num_frames, 8, 12)
    for level, nodes in enumerate(out['nodes']):
        counts = torch.bincount(nodes[:, 0] * num_frames + nodes[:, 1],
                                minlength=3 * num_frames)
        assert counts.tolist() == [caps[level]] * (3 * num_frames)  # the cap, exactly
        assert len(torch.unique(nodes, dim=0)) == len(nodes)
    for level in (1, 2):
        assert len(out['candidates'][level - 1]) == 4 * len(out['nodes'][level - 1])
        assert out['incoherent_logits'][level].shape == (len(out['candidates'][level - 1]),)
        child, above = out['nodes'][level], out['nodes'][level - 1]
        parents = torch.cat([child[:, :2], child[:, 2:] // 2], 1)
        assert (parents[:, None] == above[None]).all(-1).any(1).all()  # every child's parent
    per_inst = [3 * num_frames * c for c in caps]
    assert [tuple(lg.shape) for lg in out['node_logits']] == [
        (per_inst[0],), (per_inst[1],), (per_inst[2], 4)]
    with pytest.raises(ValueError, match='max_nodes_per_frame'):
        make_head(max_nodes_per_frame=(1, 2))


def test_forced_cells_fill_every_frame_when_they_exceed_the_cap():
    """Training: when a frame's GT-incoherent cells exceed its cap, every frame still gets
    its cap of them (no raster order: frame 0 does not take the clip's budget), and the
    ones taken are spread over the frame, not its top rows."""
    torch.manual_seed(0)
    caps = (4, 8, 16)
    head = make_head(max_nodes_per_frame=caps, incoherent_thr=0.99)
    inputs = make_inputs(num_frames=4)
    force = [torch.ones(3, 4, 8 << level, 12 << level, dtype=torch.bool) for level in range(3)]
    out = head.refine(**inputs, force=force)
    for level, nodes in enumerate(out['nodes']):
        counts = torch.bincount(nodes[:, 0] * 4 + nodes[:, 1], minlength=12)
        assert counts.tolist() == [caps[level]] * 12
    roots = out['nodes'][0]
    assert roots[:, 2].float().mean() > 2  # rows 0..7: a raster order would take row 0 only


def test_positions_are_the_frames_indices_in_the_video():
    """The temporal position of a node is its frame's index in the video (frame_ids), not
    its index in the clip: the same clip at other video indices gives other tokens."""
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(3, 3, 3), incoherent_thr=0.0).eval()
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    seen = []
    real = head.node_encoder.forward
    head.node_encoder.forward = lambda feats, coarse, pos, level: seen.append(pos) or real(
        feats, coarse, pos, level)
    with torch.no_grad():
        head(**inputs)
        head(**inputs, frame_ids=torch.tensor([[17, 40]]))
    default, video = seen[:3], seen[3:]
    for a, b in zip(default, video):
        assert torch.equal(a[:, :2], b[:, :2])
        assert set(a[:, 2].tolist()) == {0., 1.} and set(b[:, 2].tolist()) == {17., 40.}
        assert torch.equal(b[:, 2], torch.where(a[:, 2] == 0, 17., 40.))
    with pytest.raises(ValueError, match='frame_ids'):
        head(**inputs, frame_ids=torch.tensor([[0, 1, 2]]))


def test_outside_nodes_keeps_upsampled_coarse_and_crops_to_image():
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(2, 4, 8), incoherent_thr=0.0)
    inputs = make_inputs(height=60, width=90)  # padded grid 64 x 96, cropped back
    out = head(**inputs)
    refined, region = out['refined_logits'], out['label_cell'] > 0
    assert refined.shape == (3, 3, 60, 90)
    coarse_up = upsample_chain(inputs['coarse_logits'], 3)[3][..., :60, :90]
    assert region.any() and (~region).any()
    assert torch.equal(refined[~region], coarse_up[~region])
    assert not torch.allclose(refined[region], coarse_up[region])
    assert set(out['label_cell'].unique().tolist()) <= {0, 1, 4, 8}


def test_predict_gives_probabilities_and_label_cells_per_pixel():
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(2, 4, 8)).eval()
    with torch.no_grad():
        probs, label_cell = head.predict(**make_inputs())
    assert probs.shape == label_cell.shape == (3, 3, 64, 96) and ((probs >= 0) & (probs <= 1)).all()


def test_pooled_embeddings_describe_the_object_not_the_background():
    """pool_inst_embeds averages features under the binary mask only (cells covered at
    least half): changing every feature outside it leaves the embedding as it is. Per-frame
    embeddings average one frame; a frame where the mask is empty gets the video-level one;
    a track (or frame) with fewer covered cells than pool_min_cells is pooled over every
    cell it touches, weighted by coverage."""
    torch.manual_seed(0)
    head = make_head(pool_min_cells=3)
    f8 = torch.randn(2 * 3, C, 4, 6)
    masks = torch.zeros(2, 3, 4, 6)
    masks[0, :, 1:3, 1:3] = 1  # 4 covered cells per frame
    masks[0, 0, 1, 3] = 0.25  # a cell a quarter covered: background, left out
    masks[0, 2, 1:3, 2] = 0.  # frame 2: 2 covered cells < 3: every touched cell
    masks[0, 2, 0, 0] = 0.3
    masks[1, 1, 0, 0] = 1  # instance 1 (video 1): one covered cell, only in frame 1
    masks[1, 1, 0, 1] = 0.5
    masks[1, 1, 1, 0] = 0.2
    video_idx = torch.tensor([0, 1])
    video, frame = head.pool_inst_embeds(masks, video_idx, f8)
    assert video.shape == (2, C_Q) and frame.shape == (2, 3, C_Q)
    outside = torch.randn_like(f8)
    for v in range(2):
        inside = masks[video_idx == v].sum(0) > 0  # (T, h, w): cells touched
        outside[v * 3:(v + 1) * 3][inside[:, None].expand(-1, C, -1, -1)] = \
            f8[v * 3:(v + 1) * 3][inside[:, None].expand(-1, C, -1, -1)]
    video2, frame2 = head.pool_inst_embeds(masks, video_idx, outside)
    torch.testing.assert_close(video, video2)
    torch.testing.assert_close(frame, frame2)
    # slow references, cell by cell
    f = f8.view(2, 3, C, 4, 6)

    def mean(cells):  # [(v, t, y, x, weight)]
        total = sum(w * f[v, t, :, y, x] for v, t, y, x, w in cells)
        return head.mask_pool_proj(total / sum(w for *_, w in cells))

    body = [(0, t, y, x, 1.) for t in range(3) for y in (1, 2) for x in (1, 2)
            if not (t == 2 and x == 2)]
    torch.testing.assert_close(video[0], mean(body))  # 10 covered cells >= 3: binary
    torch.testing.assert_close(frame[0, 0], mean([c for c in body if c[1] == 0]))
    torch.testing.assert_close(frame[0, 2], mean([c for c in body if c[1] == 2] +
                                                 [(0, 2, 0, 0, 0.3)]))
    small = [(1, 1, 0, 0, 1.), (1, 1, 0, 1, 0.5), (1, 1, 1, 0, 0.2)]
    torch.testing.assert_close(video[1], mean(small))  # 2 covered cells < 3: all touched
    torch.testing.assert_close(frame[1, 1], mean(small))
    torch.testing.assert_close(frame[1, 0], video[1])
    torch.testing.assert_close(frame[1, 2], video[1])


def test_query_embeddings_are_the_matched_queries():
    """given_embeddings='query': a track takes the embedding of the query whose coarse masks
    overlap it best (a query listed once per class counts once); a track that no query
    overlaps keeps its pooled embedding; the per-frame embeddings stay pooled."""
    torch.manual_seed(0)
    head = make_head(given_embeddings='query')
    f8 = torch.randn(2, C, 4, 6)
    masks = torch.zeros(3, 2, 4, 6)
    masks[0, :, :2, :2] = 1
    masks[1, :, 2:, 3:] = 1
    masks[2, :, 0, 5] = 1
    query_logits = torch.full((4, 2, 4, 6), -10.)
    query_logits[0, :, 2:, 3:] = 10.  # track 1
    query_logits[1, :, 2:, 3:] = 10.  # the same query again, another class
    query_logits[2, :, :2, :2] = 10.  # track 0
    query_logits[3, :, 3, 0] = 10.  # nothing
    queries = dict(inst_embeds=torch.randn(4, C_Q), coarse_logits=query_logits,
                   query_inds=torch.tensor([7, 7, 2, 5]))
    video_idx = torch.zeros(3, dtype=torch.long)
    video, frame = head.given_inst_embeds(masks, video_idx, f8, queries)
    pooled, pooled_frame = head.pool_inst_embeds(masks, video_idx, f8)
    torch.testing.assert_close(video[0], queries['inst_embeds'][2])
    torch.testing.assert_close(video[1], queries['inst_embeds'][0])
    torch.testing.assert_close(video[2], pooled[2])
    torch.testing.assert_close(frame, pooled_frame)
    with pytest.raises(ValueError, match='queries'):
        head.given_inst_embeds(masks, video_idx, f8)
    pooled_head = make_head()
    pooled_head.load_state_dict(head.state_dict())
    torch.testing.assert_close(pooled_head.given_inst_embeds(masks, video_idx, f8, queries)[0],
                               pooled)
    with pytest.raises(ValueError, match='given_embeddings'):
        make_head(given_embeddings='mean')


@pytest.mark.parametrize('pooled,condition', [(False, 'video'), (True, 'video'),
                                               (True, 'frame'), (False, 'fixed')])
def test_loss_gradients_reach_every_learnable_parameter(pooled, condition):
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(7, 14, 28), detector_condition=condition)
    inputs = make_inputs()
    if pooled:
        masks = torch.rand(3, 3, 8, 12).round()
        inputs['inst_embeds'], inputs['frame_embeds'] = head.pool_inst_embeds(
            masks, inputs['video_idx'], inputs['feats'][0])
    else:
        inputs['inst_embeds'].requires_grad_()
    gt = F.interpolate(torch.rand(3, 3, 8, 12), size=(64, 96), mode='bilinear') > 0.5
    losses = head.loss(**inputs, gt_masks=gt)
    assert set(losses) == {f'loss_{k}_l{i}' for k in ('incoherent', 'node') for i in range(3)}
    sum(losses.values()).backward()
    missing = [n for n, p in head.named_parameters()
               if p.grad is None or not p.grad.abs().sum() > 0]
    # the pooling projection only learns when embeddings are pooled
    assert missing == ([] if pooled else ['mask_pool_proj.weight', 'mask_pool_proj.bias'])
    if not pooled:
        assert inputs['inst_embeds'].grad.abs().sum() > 0  # the base head learns through it


def test_detector_conditions():
    """'fixed' gives every instance the same detector weights; 'frame' one set per
    (instance, frame), from frame_embeds, which it requires."""
    torch.manual_seed(0)
    inputs = make_inputs()
    fixed = make_head(detector_condition='fixed', max_nodes_per_frame=(2, 2, 2))
    out = fixed(**inputs)
    other = fixed(**dict(inputs, inst_embeds=torch.randn_like(inputs['inst_embeds'])))
    torch.testing.assert_close(out['incoherent_logits'][0], other['incoherent_logits'][0])
    frame = make_head(detector_condition='frame', max_nodes_per_frame=(2, 2, 2))
    with pytest.raises(ValueError, match='frame_embeds'):
        frame(**inputs)
    frame_embeds = inputs['inst_embeds'][:, None].repeat(1, 3, 1)
    same = frame(**inputs, frame_embeds=frame_embeds)['incoherent_logits'][0]
    frame_embeds[:, 1] = torch.randn(3, C_Q)
    changed = frame(**inputs, frame_embeds=frame_embeds)['incoherent_logits'][0]
    torch.testing.assert_close(same[:, [0, 2]], changed[:, [0, 2]])
    assert not torch.allclose(same[:, 1], changed[:, 1])
    with pytest.raises(ValueError, match='detector_condition'):
        make_head(detector_condition='query')


def test_boundary_region_selects_cells_around_the_coarse_boundary():
    torch.manual_seed(0)
    head = make_head(node_region='boundary', max_nodes_per_frame=(200, 200, 200))
    inputs = make_inputs(num_videos=1, num_frames=1, video_idx=(0, ))
    coarse = torch.full((1, 1, 8, 12), -5.)
    coarse[..., 2:6, 3:8] = 5.
    inputs['coarse_logits'] = coarse
    roots = head(**inputs)['nodes'][0]
    taken = torch.zeros(8, 12, dtype=torch.bool)
    taken[roots[:, 2], roots[:, 3]] = True
    fg = coarse[0, 0] > 0
    band = F.max_pool2d(fg[None].float(), 3, 1, 1)[0] != -F.max_pool2d(-fg[None].float(), 3, 1,
                                                                       1)[0]
    assert torch.equal(taken, band)


def test_group_frames_splits_the_sequences():
    """QSG: all frames in one sequence; group_frames=1: per-frame sequences, so a node's
    output depends on the nodes of its own frame only."""
    torch.manual_seed(0)
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    outs = {}
    for group in (None, 1):
        head = make_head(max_nodes_per_frame=(3, 3, 3), incoherent_thr=0.0,
                         group_frames=group).eval()
        torch.manual_seed(1)
        head.init_weights()
        with torch.no_grad():
            base = head(**inputs)['node_logits'][0]
            changed_inputs = dict(inputs, images=inputs['images'].clone())
            changed_inputs['feats'] = [f.clone() for f in inputs['feats']]
            changed_inputs['feats'][0][1] += 5  # frame 1's H/8 features only
            changed = head(**changed_inputs)
        frame0 = changed['nodes'][0][:, 1] == 0
        outs[group] = torch.allclose(base[frame0], changed['node_logits'][0][frame0])
    assert outs == {None: False, 1: True}


def test_sequence_budget_groups_runs_of_frames_at_test_and_keeps_every_node():
    """test_max_nodes_per_sequence: 4 frames of 4 + 4 + 4 nodes = 48 nodes per instance
    over a budget of 24 give two runs of two frames each, i.e. exactly group_frames=2; the
    nodes are those of one whole-video sequence, and training ignores the budget."""
    torch.manual_seed(0)
    inputs = make_inputs(num_videos=1, num_frames=4, video_idx=(0, 0))
    outs = {}
    for name, kwargs in [('whole', {}), ('pairs', dict(group_frames=2)),
                         ('budget', dict(test_max_nodes_per_sequence=24)),
                         ('roomy', dict(test_max_nodes_per_sequence=48))]:
        torch.manual_seed(1)  # the same weights for every head
        head = make_head(max_nodes_per_frame=(4, 4, 4), incoherent_thr=-1.0, **kwargs)
        with torch.no_grad():
            outs[name] = head.eval()(**inputs)
            if name == 'budget':
                outs['budget_train'] = head.train()(**inputs)
    for name in ('pairs', 'budget', 'roomy'):
        for a, b in zip(outs['whole']['nodes'], outs[name]['nodes']):
            assert torch.equal(a, b)  # the same nodes, every one kept
    for a, b in zip(outs['pairs']['node_logits'], outs['budget']['node_logits']):
        torch.testing.assert_close(a, b)
    for name in ('roomy', 'budget_train'):  # one sequence: 48 nodes fit; training
        for a, b in zip(outs['whole']['node_logits'], outs[name]['node_logits']):
            torch.testing.assert_close(a, b)
    assert not torch.allclose(outs['whole']['node_logits'][2], outs['budget']['node_logits'][2])
    with pytest.raises(ValueError, match='test_max_nodes_per_sequence'):
        make_head(test_max_nodes_per_sequence=0)


def test_training_nodes_cover_gt_incoherence_and_skip_invalid_frames():
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(96, 384, 1536), incoherent_thr=0.99)
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
    out = head.refine(**inputs, force=force, valid=valid)
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
    head = make_head(max_nodes_per_frame=(96, 384, 1536))
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    gt = torch.zeros(1, 2, 64, 96, dtype=torch.bool)
    gt[:, :, 16:48, 24:72] = True
    inputs['coarse_logits'] = torch.where(
        F.avg_pool2d(gt.float().flatten(0, 1), 8).view(1, 2, 8, 12) > 0.5, 5., -5.)
    regions = torch.zeros_like(gt)
    regions[0, 1, 58:61, 2:5] = True  # bottom-left corner, inside one cell at H/8
    seen = []
    real_refine = head.refine

    def record(*, force=None, **kwargs):
        seen.append(force)
        return real_refine(force=force, **kwargs)

    monkeypatch.setattr(head, 'refine', record)
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
    assert head.predict(**inputs)[0].shape == (0, 3, 64, 96)


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
    head = make_head(max_nodes_per_frame=(16, 64, 256), incoherent_thr=0.3)
    optim = torch.optim.AdamW(head.parameters(), lr=3e-3)
    valid = torch.ones(1, num_frames, dtype=torch.bool)
    for _ in range(40):
        optim.zero_grad()
        sum(head.loss(**inputs, gt_masks=gt, valid=valid).values()).backward()
        optim.step()
    head.eval()
    with torch.no_grad():
        refined = head.predict(**inputs)[0][0] > 0.5
    coarse_masks = upsample_chain(coarse, 3)[3][0] > 0
    coarse_biou, refined_biou = boundary_iou(coarse_masks, gt[0]), boundary_iou(refined, gt[0])
    assert refined_biou > coarse_biou + 0.05, (coarse_biou, refined_biou)


def test_refined_region_is_the_finest_nodes_pixels_only():
    """Hand case: only pixels with their own sub-label (label_cell 1) are refined. A leaf
    H/8 or H/4 node (one value over its 8 x 8 or 4 x 4 cell) is not, even over a uniform
    cell: written there, one confident label would punch a blocky hole into a body."""
    label_cell = torch.zeros(1, 1, 16, 24, dtype=torch.uint8)
    label_cell[..., 0:8, 8:16] = 8  # leaf root
    label_cell[..., 8:16, 16:24] = 8  # leaf root
    label_cell[..., 0:8, 0:8] = 4  # H/4 leaves
    label_cell[..., 0:4, 4:8] = 1  # a finest node's pixels
    label_cell[..., 9, 3] = 1
    expected = torch.zeros(1, 1, 16, 24, dtype=torch.bool)
    expected[..., 0:4, 4:8] = True
    expected[..., 9, 3] = True
    assert torch.equal(refined_region(label_cell), expected)


def test_predict_region_covers_exactly_the_sub_labels_of_finest_nodes():
    """predict's region = the 2 x 2 pixel blocks under the H/2 nodes, nothing else; the
    probabilities differ from the upsampled coarse mask only inside the nodes' cells."""
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(3, 5, 7), incoherent_thr=0.0).eval()
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    with torch.no_grad():
        out = head(**inputs)
        probs, region = head.predict(**inputs)
    expected = torch.zeros(1, 2, 64, 96, dtype=torch.bool)
    for m, t, y, x in out['nodes'][2].tolist():
        expected[m, t, 2 * y:2 * y + 2, 2 * x:2 * x + 2] = True
    assert region.dtype == torch.bool and torch.equal(region, expected)
    assert len(out['nodes'][2]) == 2 * 7 and region.sum() == 2 * 7 * 4


def test_mask_pyramid_is_the_cell_fractions_of_the_fine_mask():
    """Hand case: a 16 x 16 mask whose left 5 columns are foreground; at H/4 (cells of
    4 x 4 pixels) column 1 is 1/4 covered, at H/2 column 2 is 1/2 covered."""
    fine = torch.zeros(1, 1, 16, 16)
    fine[..., :5] = 1
    coarse = torch.full((1, 1, 2, 2), 0.25)
    levels = mask_pyramid(coarse, fine)
    assert levels[0] is coarse
    assert [tuple(lv.shape[-2:]) for lv in levels] == [(2, 2), (4, 4), (8, 8), (16, 16)]
    probs = [lv.sigmoid() for lv in levels[1:]]
    assert torch.allclose(probs[0][0, 0, 0], torch.tensor([0.99, 0.25, 0.01, 0.01]))
    assert torch.allclose(probs[1][0, 0, 3], torch.tensor([0.99, 0.99, 0.5] + [0.01] * 5))
    assert torch.allclose(probs[2][0, 0, 7, 3:7], torch.tensor([0.99, 0.99, 0.01, 0.01]))


def test_fine_prior_keeps_the_given_mask_when_the_decoder_says_nothing():
    """With the decoder's output zeroed, the finest sub-labels are prior_scale times the
    given mask's full-resolution logit: a leg 2 px wide that H/8 cannot see survives at
    every finest node, and outside the nodes the refined mask is the given one exactly."""
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(4, 8, 16), incoherent_thr=0.0).eval()
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    fine = torch.zeros(1, 2, 64, 96)
    fine[..., 20:44, 30:60] = 1
    fine[..., 30:32, 60:90] = 1  # a leg 2 px wide
    inputs['fine_masks'] = fine
    inputs['coarse_logits'] = torch.logit(F.avg_pool2d(fine[0], 8).clamp(0.01, 0.99))[None]
    with torch.no_grad():
        for p in head.pixel_decoder.hyper.parameters():
            p.zero_()  # the hypernetwork's classifiers: all weights and biases 0
        out = head(**inputs)
    refined, label_cell = out['refined_logits'], out['label_cell']
    finest = label_cell == 1
    assert finest.any() and (label_cell == 0).any()
    assert torch.equal(refined[finest] > 0, fine[finest] > 0)
    expected = torch.logit(fine.clamp(0.01, 0.99))
    assert torch.allclose(refined[finest], head.prior_scale * expected[finest])
    assert torch.equal(refined[label_cell == 0], expected[label_cell == 0])


def windows(clip, head, nodes):
    """What the head's fine prior adds to the tokens of the finest ``nodes``."""
    return head.fine_prior.node_windows(clip.coarse_up[3], clip.images, nodes, clip.frame_base)


def test_fine_prior_windows_show_the_node_its_pixels():
    """A finest node's token reads the given mask in a 6 x 6 window starting 2 px above and
    left of its 2 x 2 pixels: changing a pixel inside that window changes the token,
    changing one just outside does not."""
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(1, 1, 1), incoherent_thr=0.0).eval()
    inputs = make_inputs(num_videos=1, num_frames=1, video_idx=(0, ))
    fine = torch.zeros(1, 1, 64, 96)
    inputs['fine_masks'] = fine
    with torch.no_grad():
        out = head(**inputs)
    _, t, y, x = out['nodes'][2][0].tolist()
    clip = head._prepare(**{k: inputs[k] for k in (
        'coarse_logits', 'feats', 'images', 'inst_embeds', 'video_idx')}, frame_ids=None,
        frame_embeds=None, fine_masks=fine, force=None, valid=None)
    mask_window = FINE_WINDOW[1] ** 2  # the first features: the mask's window
    base = windows(clip, head, out['nodes'][2][:1])[:, :mask_window]
    for dy, dx, changes in [(-2, -2, True), (3, 3, True), (-3, 0, False), (0, 4, False)]:
        yy, xx = 2 * y + dy, 2 * x + dx
        if not (0 <= yy < 64 and 0 <= xx < 96):
            continue
        moved = fine.clone()
        moved[0, t, yy, xx] = 1
        clip2 = head._prepare(**{k: inputs[k] for k in (
            'coarse_logits', 'feats', 'images', 'inst_embeds', 'video_idx')}, frame_ids=None,
            frame_embeds=None, fine_masks=moved, force=None, valid=None)
        moved_window = windows(clip2, head, out['nodes'][2][:1])[:, :mask_window]
        assert (not torch.equal(moved_window, base)) \
            == changes, (dy, dx)


def test_colour_scores_say_which_side_each_pixel_looks_like():
    """Hand case: the given mask covers the left half of the frame, which is red; the right
    half is blue, but a red bar 2 px wide (a leg the mask missed) runs down column 33.
    A node at pixels (20-21, 32-33) sees its left column blue (outside-like: -1) and its
    right column red (inside-like: +1)."""
    head = make_head(max_nodes_per_frame=(1, 1, 1), incoherent_thr=0.0).eval()
    inputs = make_inputs(num_videos=1, num_frames=1, video_idx=(0, ))
    images = torch.zeros(1, 3, 64, 96)
    images[0, 0, :, :32] = 1  # red left half
    images[0, 2, :, 32:] = 1  # blue right half
    images[0, :, :, 33] = torch.tensor([1., 0., 0.])[:, None]  # the missed red bar
    fine = torch.zeros(1, 1, 64, 96)
    fine[..., :32] = 1
    inputs.update(images=images, fine_masks=fine)
    clip = head._prepare(**{k: inputs[k] for k in (
        'coarse_logits', 'feats', 'images', 'inst_embeds', 'video_idx')}, frame_ids=None,
        frame_embeds=None, fine_masks=fine, force=None, valid=None)
    scores = windows(clip, head, torch.tensor([[0, 0, 10, 16]]))[:, -5:]  # colour
    # window rows 14..27, cols 26..39: inside cols 26-31 (red), outside 32-39 with 33 red
    mean_in = torch.tensor([1., 0., 0.])
    mean_out = torch.tensor([1., 0., 7.]) / 8  # 8 columns: 1 red, 7 blue
    d = lambda c, mean: (c - mean).square().sum()  # noqa: E731
    blue, red = torch.tensor([0., 0., 1.]), torch.tensor([1., 0., 0.])
    expected = [(d(c, mean_out) - d(c, mean_in)) / (d(c, mean_out) + d(c, mean_in))
                for c in (blue, red, blue, red)]
    assert torch.allclose(scores[0, :4], torch.stack(expected), atol=1e-6)
    assert scores[0, 0] < 0 < scores[0, 1]
    assert torch.allclose(scores[0, 4], (mean_in - mean_out).norm(), atol=1e-6)


def test_test_caps_apply_in_eval_mode_only():
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(2, 3, 4), test_max_nodes_per_frame=(5, 9, 13),
                     incoherent_thr=0.0)
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    for train, caps in [(True, (2, 3, 4)), (False, (5, 9, 13))]:
        head.train(train)
        with torch.no_grad():
            out = head(**inputs)
        assert [len(n) for n in out['nodes']] == [2 * c for c in caps]
    with pytest.raises(ValueError, match='test_max_nodes_per_frame'):
        make_head(test_max_nodes_per_frame=(1, 2))


def test_without_fine_prior_the_fine_masks_are_unused():
    """fine_prior=False is the head before the fine prior: the same parameters as one built
    without it, and the given full-resolution masks change nothing."""
    torch.manual_seed(0)
    head = make_head(max_nodes_per_frame=(2, 4, 8), incoherent_thr=0.0,
                     fine_prior=False).eval()
    assert not hasattr(head, 'prior_scale')
    assert head.node_encoder.feat_projs[2].in_features == C + 8 + 1  # f4, RGB embedding, mask
    inputs = make_inputs(num_videos=1, num_frames=2, video_idx=(0, ))
    fine = (torch.rand(1, 2, 64, 96) > 0.5).float()
    with torch.no_grad():
        plain = head(**inputs)['refined_logits']
        given = head(**inputs, fine_masks=fine)['refined_logits']
    assert torch.equal(plain, given)
    with pytest.raises(ValueError, match='fine_masks'):
        head(**inputs, fine_masks=fine[0])


def test_state_dict_keys_are_those_of_the_head_before_its_strategies():
    """The tiny VMT's state_dict keys are the ones recorded before the refine head was
    composed of strategies (tests/data/vmt_tiny_state_dict_keys.json, written by the code
    of 5b6f9e6): its checkpoints and the converters' key lists still apply."""
    import json
    from pathlib import Path

    from mmengine.config import Config

    from mmvmt.utils import register_all_modules

    register_all_modules()
    root = Path(__file__).parents[3]
    expected = json.loads((root / 'tests/data/vmt_tiny_state_dict_keys.json').read_text())
    for name in ('configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py',
                 'configs/self_correction/vmt_tiny_self-correction_toy-vis.py'):
        model = MODELS.build(Config.fromfile(str(root / name)).model)
        assert sorted(model.state_dict()) == expected, name
