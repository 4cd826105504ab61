"""FrameLevelDataset: one item per frame (SeqFormer's epoch), and the epoch length that the
paper configs then have, against SeqFormer's sampler and batching (main.py)."""
import copy
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch.utils.data import BatchSampler, DistributedSampler

from mmvmt.datasets import FrameLevelDataset, HQYTVISDataset
from mmvmt.engine import EpochLengthHook
from mmvmt.utils import register_all_modules

register_all_modules()
CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')
H, W = 24, 32
LENGTHS = (3, 5, 2, 7)  # annotated videos; one more without annotations (skipped)


@pytest.fixture
def videos(tmp_path, ytvis):
    """An HQ-YTVIS-format file: 4 annotated videos of LENGTHS frames + 1 unannotated."""
    vids, anns = [], []
    for v, length in enumerate(LENGTHS + (4, ), start=1):
        names = [f'v{v}/{t:05d}.jpg' for t in range(length)]
        for name in names:
            path = tmp_path / 'img' / name
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), np.full((H, W, 3), 40 * v, np.uint8))
        vids.append(dict(id=v, width=W, height=H, length=length, file_names=names))
        if v <= len(LENGTHS):
            seg = ytvis.compressed_rle(ytvis.box_mask(4, 4, 12, 12))
            anns.append(dict(id=v, video_id=v, category_id=1, iscrowd=0, height=H, width=W,
                             segmentations=[seg] * length, bboxes=[[4, 4, 8, 8]] * length,
                             areas=[64] * length))
    ann = dict(videos=vids, annotations=anns,
               categories=[dict(id=1, name='person', supercategory='')])
    (tmp_path / 'train.json').write_text(json.dumps(ann))
    return dict(ann_file=str(tmp_path / 'train.json'), img_prefix=str(tmp_path / 'img'))


def video_dataset(videos, pipeline=()):
    return dict(type='HQYTVISDataset', data_root='', ann_file=videos['ann_file'],
                data_prefix=dict(img_path=videos['img_prefix']), pipeline=list(pipeline))


def test_one_item_per_frame_with_the_frame_as_key_frame(videos):
    dataset = FrameLevelDataset(video_dataset(videos))
    assert len(dataset) == sum(LENGTHS) == 17
    expected = [(v, f) for v, n in enumerate(LENGTHS) for f in range(n)]
    for i, (v, f) in enumerate(expected):
        assert dataset.frame_of(i) == (v, f)
        item = dataset[i]  # no pipeline: the video dict the clip sampler would get
        assert item['key_frame_id'] == f and item['video_length'] == LENGTHS[v]
        assert item['video_id'] == v + 1
    assert dataset.metainfo['classes'] == ('person', )
    assert dataset.get_data_info(4)['video_id'] == 2


def test_lazy_init_and_bad_inputs(videos):
    lazy = FrameLevelDataset(video_dataset(videos), lazy_init=True)
    assert len(lazy) == 17
    with pytest.raises(TypeError, match='video dataset'):
        FrameLevelDataset(dict(type='CocoDataset', ann_file='x.json', lazy_init=True))
    with pytest.raises(ValueError, match='test_mode'):
        FrameLevelDataset(HQYTVISDataset(ann_file=videos['ann_file'], data_root='',
                                         data_prefix=dict(img_path=videos['img_prefix']),
                                         test_mode=True))


def seqformer_iterations(num_samples, num_gpus, batch_size):
    """SeqFormer main.py: DistributedSampler + BatchSampler(drop_last=True), per process."""
    sampler = DistributedSampler(range(num_samples), num_replicas=num_gpus, rank=0)
    return len(BatchSampler(sampler, batch_size, drop_last=True))


@pytest.mark.parametrize('num_gpus', [1, 2, 8])
def test_hq_ytvis_config_epoch_has_seqformers_iterations(videos, monkeypatch, num_gpus):
    cfg = Config.fromfile(osp.join(CONFIGS, 'vmt', 'vmt_r50_8xb2-12e_hq-ytvis.py'))
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    assert loader_cfg.dataset.type == 'FrameLevelDataset' and loader_cfg.batch_size == 2
    loader_cfg.dataset.dataset.update(data_root='', ann_file=videos['ann_file'],
                                      data_prefix=dict(img_path=videos['img_prefix']))
    loader_cfg.update(num_workers=0, persistent_workers=False)
    monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info', lambda: (0, num_gpus))
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    frames = sum(LENGTHS)
    assert len(loader) == seqformer_iterations(frames, num_gpus, 2)
    assert len(loader) == math.ceil(frames / num_gpus) // 2
    assert len(list(iter(loader.batch_sampler))) == len(loader)

    class FakeRunner:
        train_dataloader = loader
    lines = []
    monkeypatch.setattr('mmvmt.engine.epoch_length_hook.print_log',
                        lambda msg, *a, **k: lines.append(msg))
    monkeypatch.setattr('mmvmt.engine.epoch_length_hook.get_world_size', lambda: num_gpus)
    EpochLengthHook().before_train(FakeRunner())
    assert lines == [
        f'An epoch is {len(loader)} iterations: 17 samples of '
        f'FrameLevelDataset(HQYTVISDataset, one per frame) / {num_gpus} '
        f'process{"es" if num_gpus > 1 else ""} / '
        'batch 2 (drop_last=True)']


class _Redraw(Exception):
    """Raised instead of mmengine's redraw of another random item."""


def test_frame_level_clip_is_sampled_around_its_frame(videos, monkeypatch):
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'datasets', 'hq_ytvis.py'))
    pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    dataset = FrameLevelDataset(video_dataset(videos, pipeline))

    # A random crop may leave a clip without instances; SkipEmptyClip then makes mmengine
    # draw another random item (as SeqFormer does), which is another frame. Such a draw is
    # retried here, so every clip checked below is the one sampled around its own frame.
    def no_redraw():
        raise _Redraw

    monkeypatch.setattr(dataset.dataset, '_rand_another', no_redraw)

    def clip_of(idx):
        for _ in range(50):
            try:
                return dataset[idx]
            except _Redraw:
                continue
        pytest.fail(f'item {idx}: 50 clips in a row came out empty')

    for i in (0, 9, 16):
        v, f = dataset.frame_of(i)
        clip = clip_of(i)
        samples = clip['data_samples']
        key = samples.key_frames_inds[0]
        assert samples[key].frame_id == f and samples[key].video_id == v + 1
        assert clip['inputs'].shape[:2] == (5, 3)
        assert isinstance(clip['inputs'], torch.Tensor)
