from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmvmt.engine import CheckpointKeysHook
from mmvmt.registry import HOOKS
from mmvmt.utils.checkpoint_keys import CheckpointMismatchError


def net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2))


def test_the_hook_is_registered():
    assert HOOKS.get('CheckpointKeysHook') is CheckpointKeysHook


def test_a_matching_checkpoint_passes_with_or_without_the_ddp_prefix():
    model = net()
    state = model.state_dict()
    hook = CheckpointKeysHook()
    hook.after_load_checkpoint(SimpleNamespace(model=model), dict(state_dict=state))
    prefixed = {f'module.{k}': v for k, v in state.items()}
    hook.after_load_checkpoint(SimpleNamespace(model=model), dict(state_dict=prefixed))
    hook.after_load_checkpoint(SimpleNamespace(model=model), dict(state))  # a bare state dict


def test_the_hook_refuses_another_models_checkpoint_naming_keys():
    model = net()
    ckpt = dict(state_dict={f'backbone.layer{i}.weight': torch.zeros(2) for i in range(9)})
    with pytest.raises(CheckpointMismatchError) as info:
        CheckpointKeysHook(source='other.pth').after_load_checkpoint(
            SimpleNamespace(model=model), ckpt)
    message = str(info.value)
    assert message.startswith('other.pth does not fit the model: 9 model keys missing')
    assert '9 checkpoint keys the model does not have' in message and '(+4 more)' in message
    # The config's allowance covers the other model's keys only if it says so.
    CheckpointKeysHook(allow_missing=['*'], allow_unexpected=['backbone.*']) \
        .after_load_checkpoint(SimpleNamespace(model=model), ckpt)
