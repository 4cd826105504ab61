"""Every toy config seeds its training (mmengine's Runner seeds Python, NumPy and torch with
``randomness.seed``)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')
TOY_CONFIGS = sorted(glob.glob(osp.join(CONFIGS, 'vmt', '*toy*.py')) +
                     glob.glob(osp.join(CONFIGS, 'self_correction', '*tiny*.py')) +
                     glob.glob(osp.join(CONFIGS, 'mask2former_vis', '*tiny*.py')))


@pytest.mark.parametrize('config', TOY_CONFIGS, ids=osp.basename)
def test_every_toy_config_sets_a_training_seed(config):
    seed = Config.fromfile(config).get('randomness', {}).get('seed')
    assert isinstance(seed, int), f'{config}: expected randomness = dict(seed=<int>)'
