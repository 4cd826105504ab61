import torch
import torch.nn as nn

from mmvmt.utils.checkpoint_keys import checkpoint_mismatch


def net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2))


def test_missing_unexpected_and_reshaped_keys_are_found():
    state = net().state_dict()
    other = dict(state)
    del other['2.bias']
    other['head.weight'] = torch.zeros(1)
    other['0.weight'] = torch.zeros(4, 3, 5, 5)
    found = checkpoint_mismatch(state, other)
    assert found == dict(missing=['2.bias'], unexpected=['head.weight'],
                         shape=['0.weight: checkpoint (4, 3, 5, 5) vs model (4, 3, 3, 3)'])
    allowed = checkpoint_mismatch(state, other, allow_missing=['2.*'],
                                  allow_unexpected=['head.*'])
    assert allowed['missing'] == [] and allowed['unexpected'] == [] and allowed['shape']
