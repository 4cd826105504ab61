"""The paper schedule decays the lr where SeqFormer's `--lr_drop 4 10` does.

SeqFormer (main.py): torch ``MultiStepLR(optimizer, milestones=[4, 10])`` (gamma 0.1),
stepped once after every epoch, lr 2e-4. Hand-computed, 0-based epochs: 0-3 at 2e-4,
4-9 at 2e-5, 10-11 at 2e-6 ("x0.1 at the 5th and the 11th epoch").
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from mmvmt.utils import register_all_modules

register_all_modules()
CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'schedules',
                  'schedule_12e.py')
PAPER_LR = [2e-4] * 4 + [2e-5] * 6 + [2e-6] * 2


class TinyModel(BaseModel):
    """A 'backbone' (lr x0.1 in the config) and a 'head'."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(2, 2)
        self.head = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='loss'):
        return dict(loss=self.head(self.backbone(inputs)).pow(2).mean())


class LrRecorder(Hook):
    """The lr of every parameter group at every training iteration, by epoch."""

    def __init__(self):
        self.by_epoch = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        lrs = [g['lr'] for g in runner.optim_wrapper.optimizer.param_groups]
        self.by_epoch.setdefault(runner.epoch, []).append(lrs)


def test_hand_computed_sequence_is_torchs_multisteplr_of_seqformer():
    # The reference itself: SeqFormer's scheduler, stepped after each epoch.
    opt = torch.optim.AdamW([nn.Parameter(torch.zeros(1))], lr=2e-4)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, [4, 10])
    seen = []
    for _ in range(12):
        seen.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    assert seen == pytest.approx(PAPER_LR)


def test_config_schedule_in_mmengines_loop_gives_the_papers_lr_every_epoch(tmp_path):
    cfg = Config.fromfile(CONFIG)
    assert cfg.train_cfg.max_epochs == 12
    recorder = LrRecorder()
    data = [dict(inputs=torch.ones(2)) for _ in range(3)]
    runner = Runner(
        model=TinyModel(), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=1, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        train_cfg=cfg.train_cfg, optim_wrapper=cfg.optim_wrapper,
        param_scheduler=cfg.param_scheduler, custom_hooks=[recorder],
        default_hooks=dict(checkpoint=None, logger=None), default_scope='mmvmt')
    runner.train()
    assert sorted(recorder.by_epoch) == list(range(12))
    for epoch, iters in recorder.by_epoch.items():
        assert len(iters) == 3
        for lrs in iters:  # constant within an epoch; backbone group at x0.1
            assert max(lrs) == pytest.approx(PAPER_LR[epoch], rel=1e-9), epoch
            assert min(lrs) == pytest.approx(PAPER_LR[epoch] * 0.1, rel=1e-9), epoch
