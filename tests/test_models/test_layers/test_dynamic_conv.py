"""Dynamic 1x1 convs and aligned upsampling against plain, slow computations."""
import torch
import torch.nn.functional as F
from mmdet.models.utils import aligned_bilinear

from mmvmt.models.layers.dynamic_conv import (dynamic_conv_dims, dynamic_conv_param_count,
                                              dynamic_mask_logits, split_dynamic_params)


def test_layout_is_all_weights_then_all_biases():
    dims = dynamic_conv_dims(10, 8, 3)
    assert dims == [10, 8, 8, 1]
    count = dynamic_conv_param_count(dims)
    assert count == 10 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    params = torch.arange(float(count))
    layers = split_dynamic_params(params, dims)
    assert [tuple(w.shape) for w, _ in layers] == [(8, 10), (8, 8), (1, 8)]
    # CondInst / SeqFormer order: w0, w1, w2, b0, b1, b2
    weights = torch.cat([w.flatten() for w, _ in layers])
    biases = torch.cat([b for _, b in layers])
    assert torch.cat([weights, biases]).equal(params)


def test_dynamic_mask_logits_matches_per_instance_convs():
    """The einsum implementation equals plain per-instance conv2d calls on
    [centre - pixel position, features]."""
    torch.manual_seed(0)
    num_inst, num_frames, dims, h, w, stride = 3, 2, 4, 5, 7, 8
    conv_dims = dynamic_conv_dims(dims + 2, 6, 3)
    params = torch.randn(num_inst, dynamic_conv_param_count(conv_dims))
    centers = torch.rand(num_inst, num_frames, 2) * torch.tensor([w * stride, h * stride])
    feats = torch.randn(num_frames, dims, h, w)
    out = dynamic_mask_logits(params, centers, feats, conv_dims, stride)
    assert out.shape == (num_inst, num_frames, h, w)
    for m in range(num_inst):
        for t in range(num_frames):
            rel = torch.zeros(2, h, w)
            for y in range(h):
                for x in range(w):
                    rel[0, y, x] = centers[m, t, 0] - (x * stride + stride // 2)
                    rel[1, y, x] = centers[m, t, 1] - (y * stride + stride // 2)
            x = torch.cat([rel, feats[t]])[None]
            for i, (weight, bias) in enumerate(split_dynamic_params(params[m], conv_dims)):
                x = torch.conv2d(x, weight[..., None, None], bias)
                x = torch.relu(x) if i < 2 else x
            torch.testing.assert_close(out[m, t], x[0, 0], rtol=1e-4, atol=1e-4)
    # Weights are per instance: changing one instance's parameters changes only its mask.
    params2 = params.clone()
    params2[1] += 1
    out2 = dynamic_mask_logits(params2, centers, feats, conv_dims, stride)
    assert torch.equal(out2[0], out[0]) and not torch.allclose(out2[1], out[1])


def test_aligned_bilinear_keeps_cell_centres():
    """A stride-8 cell centre (8j + 4) is the stride-4 cell 2j + 1's centre: values there
    are kept; in between they are the mean of the neighbours; factor 1 is the identity."""
    x = torch.randn(1, 1, 3, 4)
    assert torch.equal(aligned_bilinear(x, 1), x)
    up = aligned_bilinear(x, 2)
    assert up.shape == (1, 1, 6, 8)
    torch.testing.assert_close(up[..., 1::2, 1::2], x)
    torch.testing.assert_close(up[..., 1, 2], (x[..., 0, 0] + x[..., 0, 1]) / 2)
    # the first row/column replicate (no cell before them)
    torch.testing.assert_close(up[..., 0, 1::2], x[..., 0, :])
    # a plain bilinear resize is not aligned this way
    assert not torch.allclose(F.interpolate(x, scale_factor=2, mode='bilinear'), up)
