"""SeqFormer's clip augmentation (configs/_base_/datasets/youtube_vis_2019.py) on a hand-made
clip: a square that moves from frame to frame over a static background. Every geometric
step must treat all frames alike (same flip, scale and crop) and keep masks, boxes, ids and
the coarse masks on the drawn square of their own frame."""
import copy
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config

from mmvmt.registry import TRANSFORMS
from mmvmt.utils import register_all_modules

register_all_modules()
DATASETS_DIR = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', '_base_',
                        'datasets')
T, H, W = 5, 90, 120
SIDE = 30


def square_x(t):
    return 10 + 14 * t


def hand_made_clip():
    """Channel 0: the moving square (255 on 0). Channel 1: a static pattern, the same in
    every frame. Instance 3 is the square, instance 8 a static bar."""
    yy, xx = np.mgrid[:H, :W]
    static = ((xx // 7 + yy // 5) % 2 * 200 + 20).astype(np.uint8)
    clip = {k: [] for k in ('img', 'img_shape', 'ori_shape', 'gt_masks', 'gt_bboxes',
                            'gt_bboxes_labels', 'gt_instances_ids', 'gt_ignore_flags',
                            'img_id', 'frame_id', 'img_path')}
    for t in range(T):
        img = np.zeros((H, W, 3), np.uint8)
        x0 = square_x(t)
        img[20:20 + SIDE, x0:x0 + SIDE, 0] = 255
        img[..., 1] = static
        masks = np.zeros((2, H, W), np.uint8)
        masks[0, 20:20 + SIDE, x0:x0 + SIDE] = 1
        masks[1, 70:80, 5:115] = 1
        clip['img'].append(img)
        clip['img_shape'].append((H, W))
        clip['ori_shape'].append((H, W))
        clip['gt_masks'].append(BitmapMasks(masks, H, W))
        clip['gt_bboxes'].append(HorizontalBoxes(np.array(
            [[x0, 20, x0 + SIDE, 20 + SIDE], [5, 70, 115, 80]], np.float32)))
        clip['gt_bboxes_labels'].append(np.array([0, 1]))
        clip['gt_instances_ids'].append(np.array([3, 8]))
        clip['gt_ignore_flags'].append(np.array([False, False]))
        clip['img_id'].append(t)
        clip['frame_id'].append(t)
        clip['img_path'].append(f'{t}.jpg')
    return clip


def config_pipelines(name='ovis.py'):
    """The config's clip augmentation, without and with its photometric step, followed by
    the config's mask degradation (OVIS) so that the coarse masks are checked too."""
    cfg = Config.fromfile(osp.join(DATASETS_DIR, name))
    steps = cfg.train_dataloader.dataset.dataset.pipeline
    types = [s['type'] for s in steps]
    # sample, load, the clip augmentation (one Compose), [degradation], pack
    assert types[0] == 'SeqFormerFrameSample' and types[-1] == 'PackVMTInputs'
    augmentation = steps[2]
    assert augmentation['type'] == 'Compose'
    after = steps[3:-1]
    photometric = [s for s in augmentation['transforms']
                   if s['type'] == 'TransformBroadcaster'
                   and s['transforms'][0]['type'] == 'PhotoMetricDistortion']
    assert len(photometric) == 1 and photometric[0]['share_random_params'] is False
    geometric = copy.deepcopy(augmentation)
    geometric['transforms'] = [s for s in geometric['transforms'] if s not in photometric]
    return (Compose([TRANSFORMS.build(geometric)] + [TRANSFORMS.build(s) for s in after]),
            Compose([TRANSFORMS.build(augmentation)]))


def iou(a, b):
    a, b = a.astype(bool), b.astype(bool)
    return (a & b).sum() / max((a | b).sum(), 1)


def test_geometry_is_shared_and_masks_boxes_ids_coarse_masks_stay_on_the_square():
    geometric, _ = config_pipelines()
    seen_crop = seen_plain = seen_flip = 0
    for seed in range(16):
        np.random.seed(seed)
        out = geometric(hand_made_clip())
        assert out is not None
        shapes = {img.shape for img in out['img']}
        assert len(shapes) == 1
        h, w = shapes.pop()[:2]
        assert 288 <= min(h, w) <= 512 and max(h, w) <= 768
        # The static channel is identical in every frame: one flip, scale and crop.
        for img in out['img'][1:]:
            np.testing.assert_array_equal(img[..., 1], out['img'][0][..., 1])
        aspect_kept = abs(w / h - W / H) < 0.02
        seen_crop += not aspect_kept
        seen_plain += aspect_kept
        flipped = out['flip'][0]
        assert set(out['flip']) == {flipped}
        seen_flip += flipped
        centres = {}
        for t in range(T):
            ids = list(out['gt_instances_ids'][t])
            masks = out['gt_masks'][t].to_ndarray()
            boxes = out['gt_bboxes'][t].numpy()
            assert len(ids) == len(masks) == len(boxes) == len(out['gt_bboxes_labels'][t])
            assert [int(x) for x in out['gt_bboxes_labels'][t]] == [
                {3: 0, 8: 1}[i] for i in ids]
            coarse = out['gt_coarse_masks'][t].to_ndarray()
            assert coarse.shape == masks.shape
            for i, mask in zip(ids, masks):
                if mask.sum() < 20:
                    continue  # cropped down to a sliver
                ys, xs = np.nonzero(mask)
                # The box is the mask's box (to a pixel of resampling).
                box = boxes[ids.index(i)]
                np.testing.assert_allclose(box, [xs.min(), ys.min(), xs.max() + 1,
                                                 ys.max() + 1], atol=2.5)
                j = ids.index(i)
                # The coarse mask degrades this frame's mask, in place.
                assert iou(coarse[j], mask) > 0.3
                if i == 3:
                    # The image's square is where the mask is, in this very frame.
                    assert iou(out['img'][t][..., 0] > 127, mask) > 0.85
                    centres[t] = (xs.mean(), xs.max() + 1 - xs.min(),
                                  ys.max() + 1 - ys.min())
        # The square steps 14 px x the scale per frame (leftwards if flipped), in the mask
        # as in the image (checked above). Scale: the width of the uncut square / SIDE.
        full_w = max(c[1] for c in centres.values())
        full_h = max(c[2] for c in centres.values())
        uncut = sorted(t for t, c in centres.items()
                       if c[1] >= full_w - 1 and c[2] >= full_h - 1)
        for a, b in zip(uncut, uncut[1:]):
            step = (centres[b][0] - centres[a][0]) / (b - a)
            assert abs(abs(step) - 14 * full_w / SIDE) < 1.5, (seed, step, full_w)
            assert (step < 0) == bool(flipped)
    assert seen_crop and seen_plain and seen_flip


def test_photometric_distortion_is_drawn_per_frame_as_seqformer_does():
    _, full = config_pipelines()
    clip = hand_made_clip()
    for t in range(T):  # identical frames in, frames out differ only by colour
        clip['img'][t] = clip['img'][0].copy()
        clip['gt_masks'][t] = clip['gt_masks'][0]
        clip['gt_bboxes'][t] = clip['gt_bboxes'][0].clone()
    np.random.seed(3)
    out = full(clip)
    imgs = out['img']
    assert len({img.shape for img in imgs}) == 1
    assert any(not np.allclose(imgs[0], img) for img in imgs[1:])
    for t in range(T):  # geometry still shared
        np.testing.assert_array_equal(out['gt_masks'][t].to_ndarray(),
                                      out['gt_masks'][0].to_ndarray())


@pytest.mark.parametrize('name', ['youtube_vis_2019.py', 'hq_ytvis.py', 'youtube_vis_2021.py',
                                  'ovis.py'])
def test_every_ytvis_family_config_uses_the_seqformer_recipe(name):
    cfg = Config.fromfile(osp.join(DATASETS_DIR, name))
    loader = cfg.train_dataloader
    assert loader.dataset.type == 'FrameLevelDataset'
    assert loader.batch_sampler is None and loader.drop_last is True
    steps = loader.dataset.dataset.pipeline
    assert steps[2]['type'] == 'Compose'
    assert [s['type'] for s in steps[2]['transforms']][-1] == 'SkipEmptyClip'
    assert cfg.train_short_sides == (288, 320, 352, 392, 416, 448, 480, 512)
