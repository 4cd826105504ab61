import numpy as np

from mmvmt.evaluation.functional import IOU_THRESHOLDS, match_video

ALL = (0, 1e10)


def run(ious, scores, gt_crowd=None, gt_areas=None, dt_areas=None, area=ALL, max_det=100):
    ious = np.asarray(ious, dtype=float)
    d, g = ious.shape
    return match_video(ious, np.asarray(scores, float),
                       np.asarray(dt_areas if dt_areas is not None else [100.] * d),
                       np.asarray(gt_crowd if gt_crowd is not None else [False] * g),
                       np.asarray(gt_areas if gt_areas is not None else [100.] * g, float),
                       IOU_THRESHOLDS, area, max_det)


def test_higher_score_takes_the_gt_first():
    out = run([[0.8], [0.9]], [0.2, 0.7])
    np.testing.assert_array_equal(out['dt_scores'], [0.7, 0.2])
    # result 1 (score 0.7, IoU 0.9) matches up to threshold 0.9; result 0 never (GT taken)
    np.testing.assert_array_equal(out['dt_matched'][:, 0], IOU_THRESHOLDS <= 0.9)
    assert not out['dt_matched'][:, 1].any()
    assert not out['dt_ignore'].any()


def test_best_iou_wins_and_ties_go_to_the_later_gt():
    out = run([[0.6, 0.7, 0.7]], [1.0])
    assert out['dt_matched'][0, 0]
    taken = run([[0.6, 0.7, 0.7], [0.7, 0.7, 0.0]], [1.0, 0.9])
    # result 0 takes GT 2 (later of the tie), result 1 then takes GT 1 (later of its tie)
    assert taken['dt_matched'][:5].all()


def test_crowd_gt_is_ignored_and_can_be_matched_many_times():
    out = run([[0.0, 0.9], [0.0, 0.8], [0.95, 0.99]], [0.9, 0.8, 0.7],
              gt_crowd=[False, True])
    np.testing.assert_array_equal(out['gt_ignore'], [False, True])
    # results 0 and 1 land on the crowd: matched but ignored, neither TP nor FP
    assert out['dt_matched'][0, :2].all() and out['dt_ignore'][0, :2].all()
    # result 2 prefers the regular GT over the crowd of higher IoU
    assert out['dt_matched'][0, 2] and not out['dt_ignore'][0, 2]


def test_area_range_ignores_gt_and_unmatched_results():
    out = run([[0.9], [0.0]], [0.9, 0.8], gt_areas=[5000.], dt_areas=[10., 10.],
              area=(0, 128 ** 2))
    assert not out['gt_ignore'].any() and not out['dt_ignore'].any()
    out = run([[0.9], [0.0]], [0.9, 0.8], gt_areas=[5000.], dt_areas=[10., 10.],
              area=(128 ** 2, 256 ** 2))
    assert out['gt_ignore'].all()
    # matched to an ignored GT -> ignored; unmatched and out of range -> ignored
    assert out['dt_ignore'].all()


def test_range_bounds_are_inclusive_and_max_det_cuts_by_score():
    out = run([[0.9]], [0.5], gt_areas=[128. ** 2], area=(128 ** 2, 256 ** 2))
    assert not out['gt_ignore'].any()
    out = run([[0.1], [0.2], [0.9]], [0.1, 0.3, 0.2], max_det=2)
    np.testing.assert_array_equal(out['dt_scores'], [0.3, 0.2])
    assert out['dt_matched'].shape == (10, 2)
    assert out['dt_matched'][0].tolist() == [False, True]


def test_no_gt_or_no_results():
    out = run(np.zeros((2, 0)), [0.5, 0.4])
    assert out['dt_matched'].shape == (10, 2) and not out['dt_matched'].any()
    out = run(np.zeros((0, 1)), [])
    assert out['dt_matched'].shape == (10, 0) and out['gt_ignore'].tolist() == [False]
