import torch
import torch.nn.functional as F

from mmvmt.models.layers.dynamic_pixel_decoder import (DynamicPixelDecoder, paste_node_logits,
                                                       upsample_chain)


def test_upsample_chain():
    coarse = torch.randn(2, 3, 4, 5)
    chain = upsample_chain(coarse, 3)
    assert [tuple(c.shape) for c in chain] == [(2, 3, 4 * s, 5 * s) for s in (1, 2, 4, 8)]
    expected = F.interpolate(chain[1].flatten(0, 1)[:, None], scale_factor=2., mode='bilinear',
                             align_corners=False)[:, 0].view(2, 3, 16, 20)
    assert torch.allclose(chain[2], expected)


def tiny_tree():
    """Instance 0, frame 1: root (1, 1) at H/8 of a 3 x 3 grid; child (2, 3) at H/4; its child
    (5, 6) at H/2. Instance 1, frame 0: a lone root (0, 0)."""
    nodes = [torch.tensor([[0, 1, 1, 1], [1, 0, 0, 0]]), torch.tensor([[0, 1, 2, 3]]),
             torch.tensor([[0, 1, 5, 6]])]
    logits = [torch.tensor([7., -7.]), torch.tensor([5.]), torch.tensor([[1., 2., 3., 4.]])]
    return nodes, logits


def test_paste_writes_only_inside_node_cells():
    nodes, logits = tiny_tree()
    coarse_up = upsample_chain(torch.randn(2, 2, 3, 3), 3)
    refined, label_cell = paste_node_logits(coarse_up, nodes, logits)
    assert refined.shape == label_cell.shape == (2, 2, 24, 24)
    expected = torch.zeros(2, 2, 24, 24, dtype=torch.uint8)
    expected[0, 1, 8:16, 8:16] = 8  # the root's 8 x 8 pixels (holds the others)
    expected[0, 1, 8:12, 12:16] = 4  # its child at H/4: leaf but for its own child
    expected[0, 1, 10:12, 12:14] = 1  # the finest node: its own sub-labels
    expected[1, 0, 0:8, 0:8] = 8  # a lone root: one label over its cell
    assert torch.equal(label_cell, expected)
    region = label_cell > 0
    assert torch.equal(refined[~region], coarse_up[3][~region])
    # the finest node's four sub-labels land on its 2 x 2 pixels, in child order
    assert refined[0, 1, 10:12, 12:14].flatten().tolist() == [1., 2., 3., 4.]
    # a root's label reaches its whole block through the level-by-level upsampling
    assert (refined[0, 1, 8:16, 8:16] > coarse_up[3][0, 1, 8:16, 8:16]).float().mean() > 0.5
    assert (refined[1, 0, :8, :8] < coarse_up[3][1, 0, :8, :8]).float().mean() > 0.5


def test_paste_gradients_reach_node_logits():
    nodes, logits = tiny_tree()
    logits = [lg.clone().requires_grad_() for lg in logits]
    refined, _ = paste_node_logits(upsample_chain(torch.randn(2, 2, 3, 3), 3), nodes, logits)
    refined.sum().backward()
    assert all(lg.grad is not None and lg.grad.abs().sum() > 0 for lg in logits)


def test_decoder_is_instance_conditioned():
    torch.manual_seed(0)
    decoder = DynamicPixelDecoder(inst_channels=12, hidden_dim=8)
    feats = [torch.randn(1, 8).expand(3, -1)] * 3  # the same token for every node
    inst = [torch.tensor([0, 1, 2])] * 3
    embeds = torch.randn(3, 12)
    embeds[2] = embeds[0]
    out = decoder(feats, inst, embeds)
    assert [tuple(o.shape) for o in out] == [(3,), (3,), (3, 4)]
    for level in out:
        assert not torch.allclose(level[0], level[1])
        assert torch.allclose(level[0], level[2])
