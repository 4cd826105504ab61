import pytest
import torch

from mmvmt.registry import MODELS


def build(name):
    return MODELS.build(dict(type=name, inst_channels=4))


def test_video_condition_one_weight_set_per_instance():
    cond = build('VideoCondition')
    embeds = torch.randn(2, 4)
    assert cond(embeds) is embeds
    assert cond.weight_sets(torch.tensor([1, 0]), torch.tensor([2, 1]), 3).tolist() == [1, 0]
    volume = torch.randn(2, 3, 5, 4, 4)
    assert cond.group_volume(volume) is volume


def test_frame_condition_one_weight_set_per_instance_and_frame():
    cond = build('FrameCondition')
    frame_embeds = torch.randn(2, 3, 4)
    sets = cond(torch.randn(2, 4), frame_embeds)
    inst, frame = torch.tensor([1, 0]), torch.tensor([2, 1])
    idx = cond.weight_sets(inst, frame, 3)
    assert idx.tolist() == [5, 1]
    assert torch.equal(sets[idx], frame_embeds[inst, frame])
    volume = torch.randn(2, 3, 5, 4, 4)
    grouped = cond.group_volume(volume)
    assert grouped.shape == (6, 1, 5, 4, 4) and torch.equal(grouped[5, 0], volume[1, 2])
    with pytest.raises(ValueError, match='frame_embeds'):
        cond(torch.randn(2, 4))


def test_fixed_condition_ignores_the_instances():
    cond = build('FixedCondition')
    a, b = cond(torch.randn(3, 4)), cond(torch.randn(3, 4))
    assert a.shape == (3, 4) and torch.equal(a, b) and torch.equal(a[0], a[2])
    assert [n for n, _ in cond.named_parameters()] == ['embed']
