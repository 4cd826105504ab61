"""The paper configs train with SeqFormer's recipe: frame-level epochs, 12 epochs with the lr
decayed at [4, 10], 8 GPUs x 2 clips; the tiny toy config stays video-level and fast."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

VMT = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'vmt')
PAPER = sorted(p for p in glob.glob(osp.join(VMT, 'vmt_*_8xb2-12e_*.py')))


def video_parts(dataset):
    """The video datasets of a train dataset config (through ConcatDataset)."""
    if dataset.type == 'ConcatDataset':
        return [d for d in dataset.datasets if d.type != 'PseudoVideoDataset']
    return [dataset]


@pytest.mark.parametrize('path', PAPER, ids=osp.basename)
def test_paper_config_follows_seqformers_recipe(path):
    cfg = Config.fromfile(path)
    assert cfg.train_cfg.max_epochs == 12
    (scheduler, ) = cfg.param_scheduler
    assert scheduler.type == 'MultiStepLR' and scheduler.by_epoch
    assert scheduler.milestones == [4, 10]
    assert cfg.optim_wrapper.optimizer.lr == 2e-4
    loader = cfg.train_dataloader
    assert loader.batch_size == 2 and loader.drop_last and loader.batch_sampler is None
    for part in video_parts(loader.dataset):
        assert part.type == 'FrameLevelDataset'
    assert {'type': 'EpochLengthHook'} in [dict(h) for h in cfg.custom_hooks]
    if 'coco-joint' in path:
        assert loader.dataset.type == 'ConcatDataset'
        assert [d.type for d in loader.dataset.datasets] == ['FrameLevelDataset',
                                                              'PseudoVideoDataset']


def test_at_least_the_papers_configs_are_checked():
    names = {osp.basename(p) for p in PAPER}
    assert {'vmt_r50_8xb2-12e_hq-ytvis.py', 'vmt_r101_8xb2-12e_hq-ytvis.py',
            'vmt_swin-l_8xb2-12e_hq-ytvis.py', 'vmt_r50_8xb2-12e_hq-ytvis-coco-joint.py',
            'vmt_r50_8xb2-12e_youtubevis2019-coco-joint.py'} <= names


def test_tiny_config_stays_video_level():
    cfg = Config.fromfile(osp.join(VMT, 'vmt_tiny_r18_1xb2-toy_vis.py'))
    assert cfg.train_dataloader.dataset.type == 'ToyVISDataset'
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
