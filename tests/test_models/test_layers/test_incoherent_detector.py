import pytest
import torch
import torch.nn.functional as F

from mmvmt.models.layers.incoherent_detector import IncoherentDetector
from mmvmt.models.layers.node_windows import gather_window


@pytest.fixture
def detector():
    torch.manual_seed(0)
    return IncoherentDetector(inst_channels=16, in_channels=12, rgb_channels=4,
                              embed_channels=5, feat_channels=6)


def reference_dense(params, x):
    """One instance at a time, one frame at a time, plain F.conv2d."""
    out = torch.zeros(x.shape[0], x.shape[1], *x.shape[-2:])
    for m in range(x.shape[0]):
        for t in range(x.shape[1]):
            y = x[m, t][None]
            for i, (weight, bias) in enumerate(params):
                y = F.conv2d(y, weight[m], bias[m], padding=weight.shape[-1] // 2)
                y = y.relu() if i < len(params) - 1 else y
            out[m, t] = y[0, 0]
    return out


def test_centred_window_matches_padded_slicing():
    maps = torch.randn(3, 2, 5, 6)
    batch, y, x = torch.tensor([0, 2, 1]), torch.tensor([0, 4, 2]), torch.tensor([5, 0, 3])
    patches, inside = gather_window(maps, batch, y, x, start=-2, size=5)
    padded = F.pad(maps, (2, 2, 2, 2))
    for p in range(3):
        expected = padded[batch[p], :, y[p]:y[p] + 5, x[p]:x[p] + 5]
        assert torch.equal(patches[p], expected)
        expected_inside = F.pad(torch.ones(5, 6), (2, 2, 2, 2))[y[p]:y[p] + 5, x[p]:x[p] + 5] > 0
        assert torch.equal(inside[p], expected_inside)


def test_gather_window_matches_padded_slicing_for_uncentred_windows():
    """An even window starting 2 cells above-left (a finest node's 6 x 6 pixel window)."""
    maps = torch.randn(2, 3, 7, 5)
    batch, y, x = torch.tensor([1, 0, 1]), torch.tensor([0, 6, 3]), torch.tensor([4, 0, 2])
    windows, inside = gather_window(maps, batch, y, x, start=-2, size=6)
    padded = F.pad(maps, (2, 6, 2, 6))  # enough on every side for a window anywhere
    ones = F.pad(torch.ones(7, 5), (2, 6, 2, 6))
    for p in range(3):
        assert torch.equal(windows[p], padded[batch[p], :, y[p]:y[p] + 6, x[p]:x[p] + 6])
        assert torch.equal(inside[p], ones[y[p]:y[p] + 6, x[p]:x[p] + 6] > 0)


def test_gather_window_reads_channels_last_maps_alike():
    maps = torch.randn(3, 4, 6, 5)
    batch, y, x = torch.tensor([2, 0, 1, 2]), torch.tensor([0, 5, 3, 2]), torch.tensor([4, 0, 2, 9])
    expected = gather_window(maps, batch, y, x, start=-3, size=8)
    got = gather_window(maps.contiguous(memory_format=torch.channels_last), batch, y, x,
                        start=-3, size=8)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])


def test_params_are_per_instance(detector):
    embeds = torch.randn(3, 16)
    embeds[2] = embeds[0]
    params = detector.generate_params(embeds)
    assert [tuple(w.shape) for w, _ in params] == [(3, 6, 6, 3, 3), (3, 6, 6, 3, 3),
                                                   (3, 6, 6, 3, 3), (3, 1, 6, 1, 1)]
    x = torch.randn(1, 2, 6, 7, 8).expand(3, -1, -1, -1, -1)  # the same input for all
    out = detector.forward_dense(params, x)
    assert out.shape == (3, 2, 7, 8)
    assert not torch.allclose(out[0], out[1])  # different embeddings, different maps
    assert torch.allclose(out[0], out[2])  # same embedding, same map


def test_dense_equals_per_instance_conv2d_reference(detector):
    params = detector.generate_params(torch.randn(4, 16))
    x = torch.randn(4, 3, 6, 9, 7)
    assert torch.allclose(detector.forward_dense(params, x), reference_dense(params, x),
                          atol=1e-5)


def test_sparse_equals_dense_at_nodes_including_borders(detector):
    params = detector.generate_params(torch.randn(2, 16))
    x = torch.randn(2, 3, 6, 10, 9)
    dense = detector.forward_dense(params, x)
    m = torch.tensor([0, 1, 1, 0, 1])
    t = torch.tensor([0, 2, 1, 2, 0])
    y = torch.tensor([0, 9, 5, 1, 4])
    x_ = torch.tensor([0, 8, 4, 7, 0])
    r = detector.radius
    patches, inside = gather_window(x.flatten(0, 1), m * 3 + t, y, x_, -r, 2 * r + 1)
    sparse = detector.forward_windows(params, patches, inside, m)[:, 0, 0]
    assert torch.allclose(sparse, dense[m, t, y, x_], atol=1e-5)


def test_level_inputs_shapes(detector):
    f8, f4, rgb = torch.randn(2, 12, 4, 5), torch.randn(2, 12, 8, 10), torch.randn(2, 4, 16, 20)
    sizes = [(4, 5), (8, 10), (16, 20)]
    maps = detector.level_inputs(f8, f4, rgb, sizes)
    assert [tuple(m.shape) for m in maps] == [(2, 5, 4, 5), (2, 5, 8, 10), (2, 5, 16, 20)]


def test_windows_score_the_four_children_of_a_parent_like_the_dense_map(detector):
    """A (2r + 2)-sided window around each parent's 2 x 2 block gives the dense logits of
    its four children, also where the block touches the border (odd sizes: a parent of
    the last row / column of an odd grid has children outside it, which are zero-padded
    in the window and must not disturb the ones inside)."""
    params = detector.generate_params(torch.randn(3, 16))
    x = torch.randn(3, 2, 6, 10, 9)
    dense = detector.forward_dense(params, x)
    m = torch.tensor([0, 2, 1, 2, 0, 1])
    t = torch.tensor([0, 1, 1, 0, 1, 0])
    py = torch.tensor([0, 4, 2, 0, 3, 4])  # parents on a 5 x 5 grid
    px = torch.tensor([0, 3, 2, 4, 0, 4])
    r = detector.radius
    windows, inside = gather_window(x.flatten(0, 1), m * 2 + t, 2 * py, 2 * px, -r, 2 * r + 2)
    logits = detector.forward_windows(params, windows, inside, m)
    assert logits.shape == (6, 2, 2)
    for p in range(6):
        for dy in (0, 1):
            for dx in (0, 1):
                yy, xx = 2 * py[p] + dy, 2 * px[p] + dx
                if yy < 10 and xx < 9:
                    torch.testing.assert_close(logits[p, dy, dx], dense[m[p], t[p], yy, xx],
                                               atol=1e-5, rtol=1e-5)
    assert detector.forward_windows(params, windows[:0], inside[:0], m[:0]).shape == (0, 2, 2)


def test_windows_pass_gradients_to_every_weight_set(detector):
    embeds = torch.randn(2, 16, requires_grad=True)
    params = detector.generate_params(embeds)
    windows = torch.randn(5, 6, 8, 8)
    logits = detector.forward_windows(params, windows, torch.ones(5, 8, 8, dtype=torch.bool),
                                      torch.tensor([1, 0, 1, 1, 0]))
    logits.sum().backward()
    assert (embeds.grad.abs().sum(1) > 0).all()
