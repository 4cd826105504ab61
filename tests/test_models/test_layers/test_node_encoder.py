import torch
import torch.nn.functional as F

from mmvmt.models.layers.node_encoder import NodeEncoder, sample_points, sine_encoding


def test_sample_points_equals_interpolate_at_cell_centres():
    maps = torch.randn(3, 2, 5, 7)
    up = F.interpolate(maps, size=(10, 14), mode='bilinear', align_corners=False)
    batch = torch.tensor([0, 2, 1, 2, 0])
    y, x = torch.tensor([0, 9, 4, 3, 9]), torch.tensor([0, 13, 6, 0, 1])
    xy = torch.stack([(x + 0.5) / 14, (y + 0.5) / 10], 1)
    assert torch.allclose(sample_points(maps, batch, xy), up[batch, :, y, x], atol=1e-6)
    # at the map's own cell centres it reads the cells exactly
    xy_own = torch.stack([(x // 2 + 0.5) / 7, (y // 2 + 0.5) / 5], 1)
    assert torch.allclose(sample_points(maps, batch, xy_own), maps[batch, :, y // 2, x // 2])


def test_sample_points_reads_channels_last_maps_alike_and_passes_gradients():
    """Both memory formats give the same values; gradients reach the map (training samples
    features whose backbone learns) and nothing comes back for no points."""
    torch.manual_seed(0)
    maps = torch.randn(2, 5, 4, 6)
    batch = torch.tensor([1, 0, 1])
    xy = torch.tensor([[0.1, 0.9], [0.5, 0.5], [1.0, 0.0]])
    last = maps.contiguous(memory_format=torch.channels_last).requires_grad_()
    out = sample_points(last, batch, xy)
    torch.testing.assert_close(out, sample_points(maps, batch, xy))
    out.sum().backward()
    expected = torch.zeros_like(maps)
    for b, (x, y) in zip(batch.tolist(), xy.tolist()):  # bilinear weights sum to 1 per point
        px, py = min(max(x * 6 - 0.5, 0), 5), min(max(y * 4 - 0.5, 0), 3)
        for yy in range(4):
            for xx in range(6):
                expected[b, :, yy, xx] += max(0, 1 - abs(px - xx)) * max(0, 1 - abs(py - yy))
    torch.testing.assert_close(last.grad, expected)
    assert sample_points(maps, batch[:0], xy[:0]).shape == (0, 5)


def test_sine_encoding():
    coords = torch.tensor([[0., 1.], [2., 3.]])
    enc = sine_encoding(coords, num_feats=4, temperature=100.)
    assert enc.shape == (2, 8)
    # per coordinate: sin(c), cos(c), sin(c / 10), cos(c / 10)
    c = coords[1, 1]
    expected = torch.stack([c.sin(), c.cos(), (c / 10).sin(), (c / 10).cos()])
    assert torch.allclose(enc[1, 4:], expected)


def test_node_encoder_shapes_and_inputs_matter():
    torch.manual_seed(0)
    enc = NodeEncoder(level_channels=(8, 8, 12), hidden_dim=16, num_pos_feats=8)
    feats, coarse, pos = torch.randn(5, 8), torch.randn(5), torch.rand(5, 3) * 10
    out = enc(feats, coarse, pos, level=1)
    assert out.shape == (5, 16)
    assert not torch.allclose(out, enc(feats, coarse, pos, level=0))
    assert not torch.allclose(out, enc(feats, coarse + 3, pos, level=1))
    assert not torch.allclose(out, enc(feats, coarse, pos + 1, level=1))
    assert enc(torch.randn(4, 12), torch.randn(4), pos[:4], level=2).shape == (4, 16)
