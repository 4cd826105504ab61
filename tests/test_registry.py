"""mmvmt's registries are children of mmdet's: both directions of lookup work."""
import pytest
import torch.nn as nn
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.registry import DefaultScope

from mmvmt.registry import MODELS


@pytest.fixture
def probe_class():
    name = 'RegistryProbe'

    @MODELS.register_module(name=name, force=True)
    class RegistryProbe(nn.Module):

        def __init__(self, width: int = 1):
            super().__init__()
            self.width = width

    yield RegistryProbe
    MODELS._module_dict.pop(name)


def test_scope_and_parent():
    assert MODELS.scope == 'mmvmt'
    assert MODELS.parent is MMDET_MODELS
    assert MMDET_MODELS.children['mmvmt'] is MODELS


def test_mmdet_types_resolve_without_prefix_in_mmvmt_scope():
    with DefaultScope.overwrite_default_scope('mmvmt'):
        resnet = MODELS.build(dict(type='ResNet', depth=18, out_indices=(3, )))
    assert type(resnet).__module__.startswith('mmdet.')


def test_mmvmt_types_reachable_from_mmdet_configs(probe_class):
    with DefaultScope.overwrite_default_scope('mmdet'):
        by_prefix = MMDET_MODELS.build(dict(type='mmvmt.RegistryProbe', width=3))
        by_scope = MMDET_MODELS.build(dict(type='RegistryProbe', _scope_='mmvmt', width=4))
        with pytest.raises(KeyError):
            MMDET_MODELS.build(dict(type='RegistryProbe'))
    assert isinstance(by_prefix, probe_class) and by_prefix.width == 3
    assert isinstance(by_scope, probe_class) and by_scope.width == 4


def test_real_classes_resolve_from_an_mmdet_config_in_a_fresh_interpreter():
    # What an mmdet/mmtrack-style config does: default scope 'mmdet', no explicit import of
    # mmvmt; 'mmvmt.X' makes the registry import mmvmt.registry and then the modules there.
    import subprocess
    import sys
    script = '''
from mmdet.registry import METRICS, MODELS
from mmengine.registry import DefaultScope
with DefaultScope.overwrite_default_scope('mmdet'):
    metric = METRICS.build(dict(type='mmvmt.TubeBoundaryAP', mask_only=True))
    head = MODELS.build(dict(type='VMTRefineHead', _scope_='mmvmt', in_channels=8,
                             inst_channels=8, hidden_dim=8, num_heads=2, num_layers=1))
print(type(metric).__module__, type(head).__module__)
'''
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ['mmvmt.evaluation.metrics.tube_boundary_ap',
                                   'mmvmt.models.heads.vmt_refine_head']
