import copy

import numpy as np
import pytest
from plain_tube_ap import plain_evaluate
from ytvis_fakes import encode, random_dataset

from mmvmt.evaluation.functional import evaluate_tube_ap


def values(out, iou_type):
    return np.array(list(out[iou_type]['stats'].values()))


@pytest.mark.parametrize('seed', range(20))
def test_all_24_numbers_equal_the_plain_evaluator(seed):
    gt, results = random_dataset(seed, num_videos=5)
    max_dets = (1, 2, 3) if seed % 4 == 3 else (1, 10, 100)
    out = evaluate_tube_ap(gt, results, max_dets=max_dets)
    for iou_type in ('boundary', 'segm'):
        np.testing.assert_allclose(values(out, iou_type),
                                   plain_evaluate(gt, results, iou_type, max_dets=max_dets),
                                   rtol=0, atol=1e-9)


def test_other_boundary_ratio_equals_the_plain_evaluator():
    gt, results = random_dataset(7, num_videos=5)
    out = evaluate_tube_ap(gt, results, iou_types=['boundary'], boundary_ratio=0.05)
    np.testing.assert_allclose(values(out, 'boundary'),
                               plain_evaluate(gt, results, 'boundary', ratio=0.05), atol=1e-9)


def test_two_processes_give_the_same_numbers():
    gt, results = random_dataset(3, num_videos=6)
    one = evaluate_tube_ap(gt, results, nproc=1)
    two = evaluate_tube_ap(gt, results, nproc=2)
    for iou_type in ('boundary', 'segm'):
        np.testing.assert_array_equal(values(one, iou_type), values(two, iou_type))
        np.testing.assert_array_equal(one[iou_type]['precision'], two[iou_type]['precision'])


def perfect_results(gt):
    return [dict(video_id=a['video_id'], category_id=a['category_id'], score=0.5 + 0.01 * i,
                 segmentations=a['segmentations']) for i, a in enumerate(gt['annotations'])
            if not a['iscrowd']]


def test_perfect_results_give_one():
    gt, _ = random_dataset(11, num_videos=6)
    for ann in gt['annotations']:  # polygons are GT-only; results are RLE
        ann['segmentations'] = [s if s is None or isinstance(s, dict) else
                                {'size': [1, 1], 'counts': [1]} for s in ann['segmentations']]
        ann['iscrowd'] = 0
    gt['annotations'] = [a for a in gt['annotations']
                         if all(s is None or s['size'] != [1, 1] for s in a['segmentations'])
                         and any(a['areas'])]
    out = evaluate_tube_ap(gt, perfect_results(gt))
    for iou_type in ('boundary', 'segm'):
        stats = out[iou_type]['stats']
        for name in ('AP', 'AP50', 'AP75', 'AR100'):
            assert stats[name] == pytest.approx(1.0, abs=1e-9), (iou_type, name)


def test_result_order_does_not_matter():
    gt, results = random_dataset(5, num_videos=6, tie_scores=False)
    out = evaluate_tube_ap(gt, results)
    shuffled = [results[i] for i in np.random.default_rng(0).permutation(len(results))]
    again = evaluate_tube_ap(gt, shuffled)
    for iou_type in ('boundary', 'segm'):
        np.testing.assert_array_equal(values(out, iou_type), values(again, iou_type))


def test_empty_results_give_zero_ap_and_minus_one_where_no_gt():
    gt, _ = random_dataset(0, num_videos=5)
    out = evaluate_tube_ap(gt, [])
    for iou_type in ('boundary', 'segm'):
        got = values(out, iou_type)
        np.testing.assert_allclose(got, plain_evaluate(gt, [], iou_type), atol=1e-9)
        assert set(got.tolist()) <= {0.0, -1.0} and got[0] == 0.0


def single_video(gt_masks, dt_masks, crowd=False, h=None, w=None):
    h, w = h or gt_masks[0].shape[0], w or gt_masks[0].shape[1]
    gt = dict(videos=[dict(id=1, height=h, width=w, length=len(gt_masks))],
              categories=[dict(id=1, name='a')],
              annotations=[dict(id=1, video_id=1, category_id=1, iscrowd=int(crowd),
                                areas=[None if m is None else float(m.sum()) for m in gt_masks],
                                segmentations=[None if m is None else encode(m, 'compressed')
                                               for m in gt_masks])])
    results = [dict(video_id=1, category_id=1, score=0.9,
                    segmentations=[None if m is None else encode(m, 'compressed')
                                   for m in dt_masks])]
    return gt, results


def test_boundary_decides_where_mask_iou_is_high():
    # A big square and the same square with a notch: mask IoU ~0.97, boundary IoU lower.
    g = np.zeros((60, 60), np.uint8)
    g[5:55, 5:55] = 1
    d = g.copy()
    d[5:15, 5:15] = 0
    gt, results = single_video([g, None, g], [d, None, g])
    out = evaluate_tube_ap(gt, results)
    assert out['segm']['stats']['AP50'] == pytest.approx(1.0, abs=1e-9)
    assert out['boundary']['stats']['AP'] < out['segm']['stats']['AP']
    for iou_type in ('boundary', 'segm'):
        np.testing.assert_allclose(values(out, iou_type), plain_evaluate(gt, results, iou_type),
                                   atol=1e-9)


def test_crowd_gt_scores_with_mask_iou_and_is_ignored():
    g = np.zeros((60, 60), np.uint8)
    g[5:55, 5:55] = 1
    d = g.copy()
    d[5:15, 5:15] = 0
    gt, results = single_video([g], [d], crowd=True)
    out = evaluate_tube_ap(gt, results)
    # only crowd GT: nothing to recall -> every number undefined
    assert set(values(out, 'boundary').tolist()) == {-1.0}
    gt['annotations'].append(dict(copy.deepcopy(gt['annotations'][0]), id=2, iscrowd=0))
    out = evaluate_tube_ap(gt, results)
    np.testing.assert_allclose(values(out, 'boundary'), plain_evaluate(gt, results, 'boundary'),
                               atol=1e-9)


def test_tiny_frames_with_d_1_and_masks_touching_the_border():
    g = np.ones((3, 4), np.uint8)
    d = np.ones((3, 4), np.uint8)
    d[:, 3] = 0
    gt, results = single_video([g, g, None], [d, None, d])
    out = evaluate_tube_ap(gt, results)
    # d = 1: every pixel of these masks is boundary -> boundary IoU = mask IoU = 9 / 33
    for iou_type in ('boundary', 'segm'):
        assert out[iou_type]['stats']['AP'] == 0.0
        np.testing.assert_allclose(values(out, iou_type), plain_evaluate(gt, results, iou_type),
                                   atol=1e-9)


def test_refined_segmentations_are_read_by_default():
    g = np.zeros((20, 20), np.uint8)
    g[2:8, 2:8] = 1
    gt, results = single_video([g], [g])
    ann = gt['annotations'][0]
    ann['segmentations_refined'] = ann['segmentations']
    ann['segmentations'] = [encode(np.roll(g, 10, axis=1), 'compressed')]
    coarse = evaluate_tube_ap(gt, results, use_refined_segm=False)
    assert coarse['segm']['stats']['AP'] == 0.0
    out = evaluate_tube_ap(gt, results)
    assert out['segm']['stats']['AP'] == pytest.approx(1.0, abs=1e-9)


def test_bad_arguments():
    gt, results = random_dataset(0, num_videos=2)
    with pytest.raises(ValueError, match='iou_types'):
        evaluate_tube_ap(gt, results, iou_types=['bbox'])
    for max_dets in ([10, 1, 100], [0, 0, 0], [1, 10], [1, 2.5, 10], [True, 2, 3]):
        with pytest.raises(ValueError, match='max_dets must be three ascending positive'):
            evaluate_tube_ap(gt, results, max_dets=max_dets)
    for ratio in (float('nan'), 0, 1.5, '0.02'):
        with pytest.raises(ValueError, match='boundary_ratio must be in'):
            evaluate_tube_ap(gt, results, boundary_ratio=ratio)


def test_workers_do_not_hang_after_the_parent_used_opencv_threads():
    # A forked child that touches OpenCV's thread pool settings hangs once the parent has
    # run OpenCV in parallel (seen when a test of a data pipeline ran first).
    import os.path as osp
    import subprocess
    import sys
    script = f'''
import sys
sys.path.insert(0, {osp.dirname(osp.dirname(osp.abspath(__file__)))!r})
import cv2, numpy as np
frame = np.random.rand(2000, 2000).astype(np.float32)
cv2.resize(cv2.GaussianBlur(frame, (31, 31), 5), (4000, 4000))
from ytvis_fakes import random_dataset
from mmvmt.evaluation.functional import evaluate_tube_ap
gt, results = random_dataset(1, num_videos=4)
print('AP', evaluate_tube_ap(gt, results, nproc=2)['segm']['stats']['AP'])
'''
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and 'AP ' in proc.stdout, proc.stderr[-2000:]
