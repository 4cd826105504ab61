"""Every base dataset config loads, and its datasets and pipelines run on tiny files."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.registry import DATASETS, METRICS
from mmvmt.utils import register_all_modules

register_all_modules()
CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')


def load(name):
    return Config.fromfile(osp.join(CONFIGS, name))


def with_files(dataset_cfg, ann_file, img_prefix):
    cfg = copy.deepcopy(dataset_cfg)
    cfg.update(data_root='', ann_file=ann_file, data_prefix=dict(img_path=img_prefix))
    return cfg


@pytest.mark.parametrize('name, classes', [
    ('youtube_vis_2019.py', 40), ('youtube_vis_2021.py', 40), ('hq_ytvis.py', 40),
    ('ovis.py', 25)])
def test_ytvis_family_configs_run_on_tiny_files(ytvis, ytvis_root, name, classes):
    cfg = load(name)
    # Epochs over frames (FrameLevelDataset around the video dataset), as SeqFormer counts.
    assert cfg.train_dataloader.dataset.type == 'FrameLevelDataset'
    videos = cfg.train_dataloader.dataset.dataset
    assert cfg.test_chunk_size and videos.pipeline[0].num_frames == 5
    ann = ytvis.official()
    del ann['categories']  # so the config's dataset uses its official class list
    ann_file = ytvis_root(ann)
    train = DATASETS.build(dict(type='FrameLevelDataset', dataset=with_files(
        videos, ann_file, ytvis_root.img_prefix)))
    assert len(train) == 3  # the frames of the one annotated video
    assert len(train.metainfo['classes']) == classes
    clip = train[0]
    assert clip['inputs'].shape[:2] == (5, 3)
    # Resized so the shorter side is 288..512 with the longer side <= 768.
    assert 288 <= min(clip['inputs'].shape[2:]) <= 512
    gt = clip['data_samples'][0].gt_instances
    assert ('coarse_masks' in gt) == ('refine_regions' in gt) == (name == 'ovis.py')
    val = DATASETS.build(with_files(cfg.val_dataloader.dataset, ann_file,
                                    ytvis_root.img_prefix))
    video = val[1]
    assert video['inputs'].shape[0] == 2
    assert video['data_samples'][0].ori_shape == (ytvis.H, ytvis.W)


def test_hq_ytvis_evaluators_read_the_split_files_gt():
    cfg = load('hq_ytvis.py')
    for split in ('val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        evaluator = cfg[f'{split}_evaluator']
        assert evaluator.type == 'TubeBoundaryAP' and evaluator.use_refined_segm
        # The metric's ann_file is a plain path: it must carry the dataset's data_root.
        assert evaluator.ann_file == osp.join(dataset.data_root, dataset.ann_file)
        assert evaluator.ann_file.endswith(f'hq_ytvis/ytvis_hq-{split}.json')
        assert METRICS.build(evaluator).ann_file == evaluator.ann_file
    vmt = Config.fromfile(osp.join(CONFIGS, '..', '..', 'vmt', 'vmt_r50_8xb2-12e_hq-ytvis.py'))
    assert vmt.test_evaluator.ann_file == 'data/hq_ytvis/ytvis_hq-test.json'


def test_toy_config_builds_a_training_dataloader(tmp_path):
    root = tmp_path / 'toy_vis'
    make_toy_vis(root, seed=0, num_videos=dict(train=2, val=1, test=1), num_frames=6,
                 verbose=False)
    cfg = load('toy_vis.py')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(root)
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
    assert cfg.val_evaluator == dict(type='TubeBoundaryAP')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch = next(iter(loader))
    assert len(batch['inputs']) == 2 and tuple(batch['inputs'][0].shape) == (5, 3, 128, 192)
    gt = batch['data_samples'][0][0].gt_instances
    assert {'masks', 'coarse_masks', 'refine_regions'} <= set(gt.keys())
    coarse_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    coarse_cfg.ann_file = 'annotations/train_coarse.json'
    assert len(DATASETS.build(coarse_cfg)) == 2
    test = Runner.build_dataloader(cfg.test_dataloader, seed=0)
    video = next(iter(test))
    assert tuple(video['inputs'][0].shape) == (6, 3, 128, 192)


def test_bdd100k_mots_config_runs_on_tiny_bitmasks(tmp_path):
    import cv2
    import numpy as np
    from PIL import Image
    bitmask = np.zeros((24, 32, 4), np.uint8)
    bitmask[2:9, 3:12] = (3, 0, 1, 44)  # a car, instance id 300
    for t in range(3):
        name = f'v-{t + 1:07d}'
        (tmp_path / 'bm' / 'v').mkdir(parents=True, exist_ok=True)
        (tmp_path / 'img' / 'v').mkdir(parents=True, exist_ok=True)
        Image.fromarray(bitmask, mode='RGBA').save(tmp_path / 'bm' / 'v' / f'{name}.png')
        cv2.imwrite(str(tmp_path / 'img' / 'v' / f'{name}.jpg'), np.zeros((24, 32, 3), np.uint8))
    cfg = load('bdd100k_mots.py')
    assert cfg.val_evaluator.type == 'BDD100KMOTSMetric'
    clip = DATASETS.build(with_files(cfg.train_dataloader.dataset, str(tmp_path / 'bm'),
                                     str(tmp_path / 'img')))[0]
    assert clip['inputs'].shape[0] == 5
    assert clip['data_samples'][0].gt_instances.instances_ids.tolist() == [300]
