"""COCO-style images as pseudo-clips next to a video dataset: the joint base config on tiny
files, label mapping and errors, and a few training iterations of the tiny VMT on toy videos
+ toy images (the toy frames written as a COCO-format image file)."""
import copy
import json
import math
import os.path as osp

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmvmt.datasets import PseudoVideoDataset
from mmvmt.datasets.toy import make_toy_vis
from mmvmt.registry import DATASETS
from mmvmt.utils import register_all_modules

register_all_modules()
CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')

# COCO's ids of the 20 categories the joint config maps (the file must list them all).
COCO_IDS = {'person': 1, 'bicycle': 2, 'car': 3, 'motorcycle': 4, 'airplane': 5, 'train': 7,
            'truck': 8, 'boat': 9, 'cat': 17, 'dog': 18, 'horse': 19, 'cow': 21,
            'elephant': 22, 'bear': 23, 'zebra': 24, 'giraffe': 25, 'snowboard': 36,
            'skateboard': 41, 'surfboard': 42, 'tennis racket': 43}


def write_coco(path, img_dir, images, categories):
    """images: [(file name, HxWx3 array, [(category id, binary mask, iscrowd), ...])]."""
    out = dict(images=[], annotations=[], categories=[
        dict(id=i, name=n, supercategory='') for n, i in categories])
    for k, (name, img, anns) in enumerate(images, start=1):
        cv2.imwrite(osp.join(img_dir, name), img)
        h, w = img.shape[:2]
        out['images'].append(dict(id=k, file_name=name, height=h, width=w))
        for cat, mask, crowd in anns:
            rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
            x, y, bw, bh = mask_utils.toBbox(rle).tolist()
            out['annotations'].append(dict(
                id=len(out['annotations']) + 1, image_id=k, category_id=cat, iscrowd=crowd,
                bbox=[x, y, bw, bh], area=float(mask.sum()),
                segmentation=dict(size=[h, w], counts=rle['counts'].decode('ascii'))))
    path.write_text(json.dumps(out))
    return str(path)


def square(h, w, y0, x0, side):
    m = np.zeros((h, w), np.uint8)
    m[y0:y0 + side, x0:x0 + side] = 1
    return m


@pytest.fixture
def tiny_coco(tmp_path):
    img_dir = tmp_path / 'coco_img'
    img_dir.mkdir()
    rng = np.random.default_rng(0)
    h, w = 48, 64
    images = [
        ('a.jpg', rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
         [(1, square(h, w, 5, 5, 20), 0), (18, square(h, w, 20, 30, 15), 0)]),
        ('b.jpg', rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
         [(3, square(h, w, 10, 10, 25), 0), (1, square(h, w, 0, 40, 10), 1)]),
        ('c.jpg', rng.integers(0, 255, (h, w, 3), dtype=np.uint8), []),  # no object
    ]
    ann = write_coco(tmp_path / 'coco.json', str(img_dir), images, sorted(
        COCO_IDS.items(), key=lambda kv: kv[1]))
    return dict(ann_file=ann, img_dir=str(img_dir) + '/')


@pytest.mark.parametrize('name', ['youtubevis2019_coco-joint.py', 'hq_ytvis_coco-joint.py'])
def test_joint_config_concatenates_frames_and_relabelled_pseudo_clips(
        tiny_coco, ytvis, ytvis_root, name):
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'datasets', name))
    joint = copy.deepcopy(cfg.train_dataloader.dataset)
    assert joint.type == 'ConcatDataset'
    video, coco = joint.datasets
    assert video.type == 'FrameLevelDataset' and coco.type == 'PseudoVideoDataset'
    ann = ytvis.official()
    del ann['categories']  # the official YouTube-VIS 2019 classes
    video.dataset.update(data_root='', ann_file=ytvis_root(ann),
                         data_prefix=dict(img_path=ytvis_root.img_prefix))
    coco.dataset.update(data_root='', ann_file=tiny_coco['ann_file'],
                        data_prefix=dict(img=tiny_coco['img_dir']))
    dataset = DATASETS.build(joint)
    # 3 frames of the one annotated video + the 2 images with objects (c.jpg filtered).
    assert len(dataset) == 3 + 2
    classes = cfg.ytvis_classes
    np.random.seed(0)
    seen = {}
    for i in (3, 4):
        clip = dataset[i]
        assert clip['inputs'].shape[:2] == (5, 3)
        for frame in clip['data_samples']:
            ids = frame.gt_instances.instances_ids.tolist()
            labels = frame.gt_instances.labels.tolist()
            assert 288 <= min(clip['inputs'].shape[2:]) <= 512
            for i_, l_ in zip(ids, labels):
                seen.setdefault(frame.img_path, {})[i_] = classes[l_]
    by_image = {osp.basename(k): v for k, v in seen.items()}
    assert set(by_image['a.jpg'].values()) <= {'person', 'dog'}
    assert set(by_image['b.jpg'].values()) <= {'sedan'}  # COCO car; the crowd is ignored
    assert 'sedan' in by_image['b.jpg'].values()


def test_class_map_errors(tiny_coco):
    coco = dict(type='CocoDataset', data_root='', ann_file=tiny_coco['ann_file'],
                data_prefix=dict(img=tiny_coco['img_dir']),
                metainfo=dict(classes=('person', 'car', 'dog')),
                pipeline=[dict(type='LoadImageFromFile'),
                          dict(type='LoadAnnotations', with_bbox=True, with_mask=True)])
    with pytest.raises(ValueError, match=r"no entry in class_map"):
        PseudoVideoDataset(coco, classes=('person', 'sedan'), class_map={'person': 'person'},
                           pipeline=[])
    with pytest.raises(ValueError, match='not in classes'):
        PseudoVideoDataset(coco, classes=('person', ), class_map={'car': 'sedan'},
                           pipeline=[])
    missing = copy.deepcopy(coco)
    missing['metainfo'] = dict(classes=('person', 'giant_panda'))
    with pytest.raises(ValueError, match='has 1 of the 2 classes'):
        PseudoVideoDataset(missing, classes=('person', 'panda'),
                           class_map={'person': 'person', 'giant_panda': 'panda'}, pipeline=[])
    ok = PseudoVideoDataset(coco, classes=('dog', 'sedan', 'person'),
                            class_map={'person': 'person', 'car': 'sedan', 'dog': 'dog'},
                            pipeline=[])
    assert ok.metainfo == dict(classes=('dog', 'sedan', 'person'))
    first = ok[0]  # a.jpg: person, dog -> labels 2, 0 of our classes
    assert sorted(first['gt_bboxes_labels'].tolist()) == [0, 2]
    unloaded = copy.deepcopy(coco)
    unloaded['pipeline'] = [dict(type='LoadImageFromFile')]
    with pytest.raises(KeyError, match='must load the annotations'):
        PseudoVideoDataset(unloaded, classes=('person', 'sedan', 'dog'),
                           class_map={'person': 'person', 'car': 'sedan', 'dog': 'dog'},
                           pipeline=[])[0]
    never = PseudoVideoDataset(coco, classes=('person', 'sedan', 'dog'),
                               class_map={'person': 'person', 'car': 'sedan', 'dog': 'dog'},
                               pipeline=[lambda results: None], max_refetch=2)
    with pytest.raises(RuntimeError, match='gave None for 3 images'):
        never[0]


@pytest.fixture(scope='module')
def toy_with_images(tmp_path_factory):
    """Toy videos and, as a COCO-format file, frames of the toy train videos."""
    root = tmp_path_factory.mktemp('joint') / 'toy_vis'
    make_toy_vis(root, seed=0, num_videos={'train': 3, 'val': 1, 'test': 1}, num_frames=4,
                 verbose=False)
    vis = json.loads((root / 'annotations' / 'train_hq.json').read_text())
    names = {c['id']: c['name'] for c in vis['categories']}
    images = []
    for video in vis['videos']:
        t = len(video['file_names']) // 2
        img = cv2.imread(str(root / 'train' / 'JPEGImages' / video['file_names'][t]))
        anns = []
        for ann in vis['annotations']:
            seg = ann['segmentations'][t] if ann['video_id'] == video['id'] else None
            if seg is not None:
                anns.append((ann['category_id'], mask_utils.decode(seg), 0))
        images.append((f'img{video["id"]}.jpg', img, anns))
    # Image class names differ from the video ones, so the map is exercised.
    categories = [(f'image_{names[i]}', i) for i in sorted(names)]
    img_dir = root / 'coco_img'
    img_dir.mkdir()
    ann_file = write_coco(root / 'coco.json', str(img_dir), images, categories)
    return dict(root=str(root) + '/', ann_file=ann_file, img_dir=str(img_dir) + '/',
                class_map={f'image_{n}': n for n in names.values()},
                image_classes=tuple(f'image_{names[i]}' for i in sorted(names)))


def test_tiny_vmt_trains_on_toy_videos_joint_with_toy_pseudo_clips(toy_with_images, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, 'vmt', 'vmt_tiny_r18_1xb2-toy_vis.py'))
    cfg.work_dir = str(tmp_path / 'work')
    videos = copy.deepcopy(cfg.train_dataloader.dataset)
    videos.data_root = toy_with_images['root']
    # The pseudo-clips go through the paper configs' clip augmentation (flip, per-frame
    # photometric distortion, resize or resize-crop-resize): float frames of 288..512 px
    # batched with the toy videos' 128 x 192 uint8 ones.
    paper = Config.fromfile(osp.join(CONFIGS, '_base_', 'datasets', 'youtube_vis_2019.py'))
    images = dict(
        type='PseudoVideoDataset',
        classes=('lizard', 'beetle', 'bird'),
        class_map=toy_with_images['class_map'],
        dataset=dict(
            type='CocoDataset', data_root='', ann_file=toy_with_images['ann_file'],
            data_prefix=dict(img=toy_with_images['img_dir']),
            metainfo=dict(classes=toy_with_images['image_classes']),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations', with_bbox=True, with_mask=True)]),
        pipeline=[
            dict(type='ImageToPseudoClip', num_frames=3, max_perspective=0.05),
            dict(type='Compose', transforms=paper.clip_augmentation),
            dict(type='PackVMTInputs')
        ])
    # Unshuffled, batch 2: [video, video], then [video, image]: a mixed batch.
    cfg.train_dataloader.dataset = dict(type='ConcatDataset', datasets=[videos, images])
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
    cfg.param_scheduler = []
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg', 'test_dataloader',
                'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = [dict(type='EpochLengthHook')]
    runner = Runner.from_cfg(cfg)
    assert len(runner.train_dataloader.dataset) == 3 + 3
    runner.train()
    assert runner.iter == 2
    scalars = runner.message_hub.log_scalars
    for name in ('train/loss', 'train/loss_cls', 'train/loss_dice'):
        assert name in scalars and math.isfinite(scalars[name].current()), name
