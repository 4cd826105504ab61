"""Training resumes from an mmengine checkpoint on torch >= 2.6 (weights_only loading)."""
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmvmt.registry  # noqa: F401  (applies the compatibility patches)


class _LinearModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets, mode='tensor'):
        pred = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=((pred.squeeze(1) - torch.stack(targets))**2).mean())
        return pred


class _PointsDataset(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        x = torch.tensor([float(idx), 1.0])
        return dict(inputs=x, targets=x.sum())


def _runner(work_dir, max_iters, resume):
    return Runner(
        model=_LinearModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_PointsDataset(), sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        resume=resume,
        default_scope='mmvmt',
        # Unique per test: mmengine keeps one MessageHub per experiment name per process.
        experiment_name=f'{work_dir.name}_{max_iters}_{resume}')


def test_checkpoint_loads_with_weights_only(tmp_path):
    runner = _runner(tmp_path, max_iters=2, resume=False)
    runner.train()
    ckpt = torch.load(tmp_path / 'iter_2.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    assert 'message_hub' in ckpt


def test_train_resume_and_train_on(tmp_path):
    first = _runner(tmp_path, max_iters=2, resume=False)
    first.train()
    weights_at_2 = first.model.linear.weight.detach().clone()

    second = _runner(tmp_path, max_iters=4, resume=True)
    second.train()
    assert second.iter == 4
    assert (tmp_path / 'iter_4.pth').exists()
    # The resumed run started from the saved weights and momentum, and kept on learning.
    resumed = torch.load(tmp_path / 'iter_2.pth', weights_only=True)
    assert torch.equal(resumed['state_dict']['linear.weight'], weights_at_2)
    assert not torch.equal(second.model.linear.weight.detach(), weights_at_2)
    # The loss history of the first two iterations came back with the checkpoint.
    assert len(second.message_hub.get_scalar('train/loss').data[0]) == 4
