import torch

from mmvmt.models.layers.instance_guidance import InstanceGuidanceLayer


def test_guidance_reads_only_unpadded_keys():
    torch.manual_seed(0)
    layer = InstanceGuidanceLayer(embed_dims=16, inst_channels=24, num_heads=4)
    nodes, keys = torch.randn(2, 6, 16), torch.randn(2, 3, 24)
    key_padding = torch.tensor([[False, False, True], [False, True, True]])
    out = layer(nodes, keys, key_padding)
    assert out.shape == (2, 6, 16)
    changed = keys.clone()
    changed[0, 2] += 10  # padding of row 0
    changed[1, 0] += 1  # a real key of row 1
    out2 = layer(nodes, changed, key_padding)
    assert torch.allclose(out2[0], out[0], atol=1e-6)
    assert not torch.allclose(out2[1], out[1])
