import pytest
import torch

from mmvmt.models.layers.node_attention import NodeAttentionLayer


@pytest.mark.parametrize('training', [True, False])  # eval + no_grad takes torch's fast path
def test_instances_never_attend_to_each_other_nor_to_padding(training):
    torch.manual_seed(0)
    layer = NodeAttentionLayer(embed_dims=16, num_heads=4).train(training)
    nodes = torch.randn(3, 5, 16)
    padding = torch.tensor([[False] * 5, [False, False, False, True, True], [True] * 5])
    with torch.set_grad_enabled(training):
        out = layer(nodes, padding)
    assert out.shape == (3, 5, 16) and torch.isfinite(out).all()
    perturbed = nodes.clone()
    perturbed[0] += torch.randn(5, 16)  # instance A's nodes
    perturbed[1, 3:] += 100  # B's padding
    with torch.set_grad_enabled(training):
        out2 = layer(perturbed, padding)
    assert torch.allclose(out2[1, :3], out[1, :3], atol=1e-6)  # B's real nodes unchanged
    assert not torch.allclose(out2[0], out[0])


def test_nodes_of_one_instance_do_attend_to_each_other():
    torch.manual_seed(0)
    layer = NodeAttentionLayer(embed_dims=16, num_heads=4)
    nodes = torch.randn(1, 4, 16)
    padding = torch.zeros(1, 4, dtype=torch.bool)
    perturbed = nodes.clone()
    perturbed[0, 3] += 1
    assert not torch.allclose(layer(nodes, padding)[0, 0], layer(perturbed, padding)[0, 0])


def test_inference_per_sequence_path_equals_the_padded_batch():
    """Eval attends each sequence at its own length without a mask; the real rows equal the
    padded, masked batch of training mode (no dropout)."""
    torch.manual_seed(0)
    layer = NodeAttentionLayer(embed_dims=16, num_heads=4)
    nodes = torch.randn(3, 6, 16)
    padding = torch.tensor([[False] * 6, [False] * 4 + [True] * 2, [True] * 6])
    batched = layer.train()(nodes, padding)
    with torch.no_grad():
        per_sequence = layer.eval()(nodes, padding)
    real = ~padding
    torch.testing.assert_close(per_sequence[real], batched.detach()[real])
