"""SeqFormer's decoder layers against mmcv's deformable attention and by construction."""
import torch
from mmcv.ops import MultiScaleDeformableAttention

from mmvmt.models.layers.seqformer_decoder import (SeqFormerCrossAttention,
                                                   SeqFormerTransformerDecoder)

C = 16
SHAPES = torch.tensor([[6, 8], [3, 4]])
STARTS = torch.tensor([0, 48])


def _attn_pair():
    ours = SeqFormerCrossAttention(embed_dims=C, num_heads=2, num_levels=2, num_points=2,
                                   batch_first=True)
    ours.init_weights()
    with torch.no_grad():
        for p in ours.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    mmcv_attn = MultiScaleDeformableAttention(embed_dims=C, num_heads=2, num_levels=2,
                                              num_points=2, batch_first=True)
    state = {k: v for k, v in ours.state_dict().items() if not k.startswith('box_')}
    mmcv_attn.load_state_dict(state)
    return ours.eval(), mmcv_attn.eval()


def test_sample_then_project_equals_mmcv_attention():
    """output_proj(sample(...)) is mmcv's attention without its residual, for 2-d points
    and 4-d boxes; box_output_proj projects the same samples."""
    ours, mmcv_attn = _attn_pair()
    torch.manual_seed(0)
    query, value = torch.randn(3, 5, C), torch.randn(3, 60, C)
    for ref in (torch.rand(3, 5, 2, 2), torch.rand(3, 5, 2, 4)):
        sampled = ours.sample(query, value, None, ref, SHAPES, STARTS)
        expected = mmcv_attn(query, value=value, identity=torch.zeros_like(query),
                             reference_points=ref, spatial_shapes=SHAPES,
                             level_start_index=STARTS)
        torch.testing.assert_close(ours.output_proj(sampled), expected)
        assert not torch.allclose(ours.box_output_proj(sampled), expected)


def _decoder(num_layers=2):
    attn = dict(embed_dims=C, num_heads=2, dropout=0.0)
    decoder = SeqFormerTransformerDecoder(num_layers=num_layers, layer_cfg=dict(
        self_attn_cfg=attn, cross_attn_cfg=dict(attn, num_levels=2, num_points=2),
        ffn_cfg=dict(embed_dims=C, feedforward_channels=32)))
    decoder.init_weights()
    return decoder.eval()


def _inputs(num_videos, num_frames, num_queries=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return dict(query=torch.randn(num_videos, num_queries, C, generator=gen),
                query_pos=torch.randn(num_videos, num_queries, C, generator=gen),
                value=torch.randn(num_videos * num_frames, 60, C, generator=gen),
                key_padding_mask=None,
                reference_points=torch.rand(num_videos, num_queries, 2, generator=gen),
                spatial_shapes=SHAPES, level_start_index=STARTS,
                valid_ratios=torch.ones(num_videos * num_frames, 2, 2))


def test_streams_shapes_and_reference_refinement():
    decoder = _decoder()
    reg = torch.nn.ModuleList([torch.nn.Linear(C, 4) for _ in range(2)])
    inst, box, refs = decoder(**_inputs(2, 3), reg_branches=reg, num_frames=3)
    assert [t.shape for t in inst] == [(2, 4, C)] * 2
    assert [t.shape for t in box] == [(6, 4, C)] * 2
    assert refs[0].shape == (6, 4, 2) and [r.shape for r in refs[1:]] == [(6, 4, 4)] * 2
    # the first layer refines the 2-d points: its centres are offsets of them
    inv = torch.logit(refs[0].clamp(1e-5, 1 - 1e-5))
    torch.testing.assert_close(refs[1][..., :2], (reg[0](box[0])[..., :2] + inv).sigmoid())


def test_a_frame_with_identical_memory_gives_identical_box_queries():
    """Frames share the box query at the start; the same memory gives the same box stream,
    and with all frames alike the temporal merge equals any single frame's."""
    decoder = _decoder(num_layers=1)
    reg = torch.nn.ModuleList([torch.nn.Linear(C, 4)])
    inputs = _inputs(1, 3)
    inputs['value'] = inputs['value'][:1].expand(3, -1, -1).contiguous()
    inst3, box3, _ = decoder(**inputs, reg_branches=reg, num_frames=3)
    torch.testing.assert_close(box3[0][0], box3[0][2])
    inputs1 = dict(inputs, value=inputs['value'][:1], valid_ratios=inputs['valid_ratios'][:1])
    inst1, box1, _ = decoder(**inputs1, reg_branches=reg, num_frames=1)
    torch.testing.assert_close(inst3[0], inst1[0])
