import torch
import torch.nn.functional as F

from mmvmt.models.layers.dynamic_pixel_decoder import DynamicPixelDecoder
from mmvmt.models.layers.quadtree import paste_node_logits, upsample_chain


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


def dense_paste_reference(coarse_up, nodes, logits):
    """The paste over every pixel, level by level: upsample the whole refined map, keep it
    where a node's cell covers the pixel and the upsampled coarse mask elsewhere, write."""
    writes = [(nodes[0], logits[0]), (nodes[1], logits[1]), (nodes[2], logits[2].mean(1))]
    children = torch.cat([torch.cat([nodes[2][:, :2], nodes[2][:, 2:] * 2 + torch.tensor(o)], 1)
                          for o in ((0, 0), (0, 1), (1, 0), (1, 1))])
    writes.append((children, logits[2].t().reshape(-1)))  # child-major, as `children`
    refined, cell = coarse_up[0].clone(), torch.zeros(coarse_up[0].shape, dtype=torch.uint8)
    for level, (n, lg) in enumerate(writes):
        if level:
            cell = cell.repeat_interleave(2, -2).repeat_interleave(2, -1)
            up = F.interpolate(refined.flatten(0, 1)[:, None], scale_factor=2.,
                               mode='bilinear', align_corners=False)[:, 0].view_as(cell)
            refined = torch.where(cell > 0, up, coarse_up[level])
        refined = refined.clone()
        for (m, t, y, x), value in zip(n.tolist(), lg.tolist()):
            refined[m, t, y, x] = value
            cell[m, t, y, x] = 2 ** (3 - level)
    return refined, cell


def random_trees(num_inst, num_frames, h, w, generator):
    """Random roots over the whole grid (borders included), random subsets of children."""
    cells = torch.stack(torch.meshgrid(torch.arange(num_inst), torch.arange(num_frames),
                                       torch.arange(h), torch.arange(w), indexing='ij'),
                        -1).reshape(-1, 4)
    nodes = [cells[torch.rand(len(cells), generator=generator) < 0.3]]
    for _ in range(2):
        parent = nodes[-1]
        kids = torch.cat([torch.cat([parent[:, :2], parent[:, 2:] * 2 + torch.tensor(o)], 1)
                          for o in ((0, 0), (0, 1), (1, 0), (1, 1))])
        nodes.append(kids[torch.rand(len(kids), generator=generator) < 0.4])
    logits = [torch.randn(len(nodes[0]), generator=generator) * 5,
              torch.randn(len(nodes[1]), generator=generator) * 5,
              torch.randn(len(nodes[2]), 4, generator=generator) * 5]
    return nodes, logits


def test_paste_equals_the_paste_over_every_pixel_on_random_trees():
    """The sparse paste (upsampling only inside the roots' cells) against the dense one, on
    random trees whose nodes touch every border, in any order; its inputs stay unchanged."""
    g = torch.Generator().manual_seed(0)
    for h, w in [(3, 4), (5, 2), (1, 1)]:
        coarse_up = upsample_chain(torch.randn(2, 3, h, w, generator=g) * 3, 3)
        nodes, logits = random_trees(2, 3, h, w, g)
        perm = [torch.randperm(len(n), generator=g) for n in nodes]
        nodes, logits = [n[p] for n, p in zip(nodes, perm)], [lg[p] for lg, p in zip(logits, perm)]
        before = [c.clone() for c in coarse_up]
        refined, cell = paste_node_logits(coarse_up, nodes, logits)
        expected, expected_cell = dense_paste_reference(coarse_up, nodes, logits)
        torch.testing.assert_close(refined, expected, atol=1e-5, rtol=1e-5)
        assert torch.equal(cell, expected_cell)
        assert all(torch.equal(a, b) for a, b in zip(before, coarse_up))


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
