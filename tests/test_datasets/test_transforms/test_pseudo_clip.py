"""ImageToPseudoClip on a toy image: every frame is one warp of the image, applied alike to
the pixels and to each instance's mask; boxes are the warped masks' boxes."""
import cv2
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from mmvmt.datasets.transforms import ImageToPseudoClip, random_homography

H, W = 80, 100


def toy_image(with_crowd=False):
    img = np.zeros((H, W, 3), np.uint8)
    masks = np.zeros((3 if with_crowd else 2, H, W), np.uint8)
    img[20:45, 30:60, 0] = 255  # instance 0: a square in channel 0
    masks[0, 20:45, 30:60] = 1
    img[50:70, 10:25, 1] = 255  # instance 1: a bar in channel 1
    masks[1, 50:70, 10:25] = 1
    if with_crowd:
        masks[2, 0:10, 80:100] = 1
    n = len(masks)
    return dict(img=img, img_shape=(H, W), ori_shape=(H, W), img_path='x.jpg', img_id=42,
                gt_masks=BitmapMasks(masks, H, W),
                gt_bboxes=HorizontalBoxes(np.zeros((n, 4), np.float32)),
                gt_bboxes_labels=np.array([4, 7, 1][:n]),
                gt_ignore_flags=np.array([False, False, True][:n]),
                instances=[{}] * n, height=H, width=W)


def iou(a, b):
    a, b = a.astype(bool), b.astype(bool)
    return (a & b).sum() / max((a | b).sum(), 1)


def test_every_frame_warps_pixels_and_masks_alike():
    out = ImageToPseudoClip(num_frames=5, seed=0)(toy_image())
    assert len(out['img']) == 5 and sum(out['key_frame_flags']) == 1
    assert out['frame_id'] == list(range(5))
    assert out['video_length'] == [5] * 5 and out['img_id'] == [42] * 5
    assert 'instances' not in out and out['img_path'] == ['x.jpg'] * 5
    key = out['key_frame_flags'].index(True)
    np.testing.assert_array_equal(out['img'][key], toy_image()['img'])
    moved = 0
    for t in range(5):
        ids = list(out['gt_instances_ids'][t])
        masks = out['gt_masks'][t].to_ndarray()
        assert masks.shape[1:] == (H, W) and len(masks) == len(ids)
        assert [int(x) for x in out['gt_bboxes_labels'][t]] == [[4, 7][i] for i in ids]
        for mask, i in zip(masks, ids):
            # The image's drawn shape is where the mask is, in this frame.
            assert iou(out['img'][t][..., i] > 127, mask) > 0.9
            ys, xs = np.nonzero(mask)
            assert isinstance(out['gt_bboxes'][t], np.ndarray)
            box = out['gt_bboxes'][t][ids.index(i)]
            np.testing.assert_allclose(box, [xs.min(), ys.min(), xs.max() + 1,
                                             ys.max() + 1], atol=1)
        if t != key:
            moved += not np.array_equal(masks[0], toy_image()['gt_masks'].masks[0])
    assert moved >= 3


def test_homography_matches_an_independent_affine_warp():
    rng = np.random.RandomState(5)
    matrix = random_homography(W, H, rng, 20, 0.1, (1.0, 1.0), 0.0)
    # Without perspective it is a rotation about the centre plus a shift: lengths kept.
    p = np.array([[[0, 0], [W, 0], [0, H]]], np.float64)
    q = cv2.perspectiveTransform(p, matrix)[0]
    assert np.linalg.norm(q[1] - q[0]) == pytest.approx(W, rel=1e-6)
    assert np.linalg.norm(q[2] - q[0]) == pytest.approx(H, rel=1e-6)
    rng2 = np.random.RandomState(5)
    angle = rng2.uniform(-20, 20)
    rng2.uniform(1.0, 1.0)
    shift = rng2.uniform(-0.1, 0.1, 2) * (W, H)
    theta = np.deg2rad(angle)
    centre = np.array([W / 2, H / 2])
    rot = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    expected = (p[0] - centre) @ rot.T + centre + shift
    np.testing.assert_allclose(q, expected, atol=1e-6)


def test_absent_instances_crowds_polygons_and_skips():
    # A shift that pushes instance 1 out of the frame leaves it absent there.
    t = ImageToPseudoClip(num_frames=3, max_rotate=0, max_translate=0.9, max_perspective=0,
                          seed=1)
    found_absent = False
    for _ in range(20):
        out = t(toy_image(with_crowd=True))
        for ids, flags in zip(out['gt_instances_ids'], out['gt_ignore_flags']):
            assert [bool(f) for f in flags] == [i == 2 for i in ids]
            found_absent |= len(ids) < 3
    assert found_absent
    poly = toy_image()
    poly['gt_masks'] = PolygonMasks([[np.array([30, 20, 60, 20, 60, 45, 30, 45], float)],
                                     [np.array([10, 50, 25, 50, 25, 70, 10, 70], float)]],
                                    H, W)
    out = ImageToPseudoClip(num_frames=2, seed=0)(poly)
    assert isinstance(out['gt_masks'][0], BitmapMasks)
    assert ImageToPseudoClip(max_instances=1, seed=0)(toy_image()) is None
    empty = toy_image()
    empty['gt_ignore_flags'] = np.array([True, True])
    assert ImageToPseudoClip(seed=0)(empty) is None
    with pytest.raises(KeyError, match='LoadAnnotations'):
        ImageToPseudoClip()(dict(img=np.zeros((4, 4, 3), np.uint8), img_path='a.jpg'))
