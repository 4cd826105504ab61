import torch

from mmvmt.models.layers.refinement_transformer import RefinementTransformer


def test_transformer_shapes_isolation_and_gradients():
    torch.manual_seed(0)
    model = RefinementTransformer(num_layers=3, embed_dims=16, inst_channels=8, num_heads=4,
                                  ffn_channels=32)
    nodes = torch.randn(3, 4, 16, requires_grad=True)
    padding = torch.tensor([[False] * 4, [False, False, True, True], [False, True, True, True]])
    keys = torch.randn(3, 2, 8)
    key_padding = torch.tensor([[False, False], [False, False], [False, True]])
    out = model(nodes, padding, keys, key_padding)
    assert out.shape == (3, 4, 16)
    out[~padding].sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    with torch.no_grad():
        perturbed = nodes.clone()
        perturbed[0] += 1
        out2 = model(perturbed, padding, keys, key_padding)
    assert torch.allclose(out2[1:][~padding[1:]], out[1:][~padding[1:]], atol=1e-5)
