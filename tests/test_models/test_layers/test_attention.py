import torch
from torch import nn

from mmvmt.models.layers.attention import PaddedAttention


def test_matches_torch_multihead_attention_with_key_padding():
    torch.manual_seed(0)
    ours = PaddedAttention(16, 4, kv_channels=12)
    ref = nn.MultiheadAttention(16, 4, kdim=12, vdim=12, batch_first=True)
    with torch.no_grad():
        ref.q_proj_weight.copy_(ours.q_proj.weight)
        ref.k_proj_weight.copy_(ours.k_proj.weight)
        ref.v_proj_weight.copy_(ours.v_proj.weight)
        ref.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    query, key = torch.randn(2, 5, 16), torch.randn(2, 3, 12)
    padding = torch.tensor([[False, False, True], [False, True, True]])
    expected = ref(query, key, key, key_padding_mask=padding, need_weights=False)[0]
    assert torch.allclose(ours(query, key, key, padding), expected, atol=1e-5)
