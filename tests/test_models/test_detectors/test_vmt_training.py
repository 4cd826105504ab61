"""Two training iterations of the tiny VMT config through mmengine's Runner on toy data."""
import math
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.utils import register_all_modules

CONFIG = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'vmt',
                  'vmt_tiny_r18_1xb2-toy_vis.py')


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy') / 'toy_vis'
    make_toy_vis(root, seed=0, num_videos={'train': 2, 'val': 1, 'test': 1}, num_frames=4,
                 verbose=False)
    return str(root) + '/'


def test_tiny_config_trains_two_iterations(toy_root, tmp_path):
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.dataset.data_root = toy_root
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
    cfg.param_scheduler = []
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg', 'test_dataloader',
                'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert runner.iter == 2
    for name in ('train/loss', 'train/loss_cls', 'train/loss_dice', 'train/loss_node_l2'):
        assert name in scalars and math.isfinite(scalars[name].current()), name
    assert osp.exists(osp.join(cfg.work_dir, 'iter_2.pth'))
