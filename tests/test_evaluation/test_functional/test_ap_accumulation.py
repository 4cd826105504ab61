import numpy as np
import pytest

from mmvmt.evaluation.functional import (IOU_THRESHOLDS, accumulate, format_summary,
                                         match_video, per_category_ap, summarize,
                                         summary_names)


def matches(ious, scores, areas=100.):
    ious = np.asarray(ious, float)
    d, g = ious.shape
    return [match_video(ious, np.asarray(scores, float), np.full(d, areas), np.zeros(g, bool),
                        np.full(g, areas), IOU_THRESHOLDS, rng, 100)
            for rng in ((0, 1e10), (0, 128 ** 2), (128 ** 2, 256 ** 2), (256 ** 2, 1e10))]


def test_perfect_results_give_one_and_empty_areas_minus_one():
    per_area = matches(np.eye(3), [0.9, 0.8, 0.7])
    prec, rec = accumulate({(0, a): [m] for a, m in enumerate(per_area)}, 1)
    stats = summarize(prec, rec)
    np.testing.assert_allclose(stats, [1, 1, 1, 1, -1, -1, 1 / 3, 1, 1, 1, -1, -1])


def test_hand_computed_precision_recall():
    # 2 GT, results by score: TP (IoU 0.6), FP, TP (IoU 0.8)
    per_area = matches([[0.6, 0.0], [0.0, 0.0], [0.0, 0.8]], [0.9, 0.8, 0.7])
    prec, rec = accumulate({(0, 0): [per_area[0]]}, 1)
    # at IoU 0.5: precision 1, 1/2, 2/3 -> monotone 1, 2/3, 2/3; recall 1/2, 1/2, 1
    expected = np.where(np.linspace(0, 1, 101) <= 0.5, 1.0, 2 / 3)
    np.testing.assert_allclose(prec[0, :, 0, 0, 2], expected)
    assert rec[0, 0, 0, 2] == 1.0
    # at IoU 0.7 only the last result is a TP: precision 1/3 up to recall 1/2
    np.testing.assert_allclose(prec[4, :, 0, 0, 2], np.where(
        np.linspace(0, 1, 101) <= 0.5, 1 / 3, 0.0))
    # maxDets=1 keeps the first result only
    assert rec[0, 0, 0, 0] == 0.5


def test_no_results_give_zero():
    per_area = matches(np.zeros((0, 2)), [])
    prec, rec = accumulate({(0, a): [m] for a, m in enumerate(per_area)}, 2)
    stats = summarize(prec, rec)
    np.testing.assert_array_equal(stats, [0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1])
    np.testing.assert_array_equal(per_category_ap(prec), [0, -1])


def test_summary_names_and_table():
    assert summary_names() == ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10',
                               'AR100', 'ARs', 'ARm', 'ARl']
    lines = format_summary(np.arange(12) / 12).splitlines()
    assert lines[0] == (' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | '
                        'maxDets=100 ] = 0.000')
    assert lines[2] == (' Average Precision  (AP) @[ IoU=0.75      | area=   all | '
                        'maxDets=100 ] = 0.167')
    assert lines[6] == (' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | '
                        'maxDets=  1 ] = 0.500')
    assert lines[11].startswith(' Average Recall     (AR) @[ IoU=0.50:0.95 | area= large')


def test_ties_across_videos_keep_video_order():
    # Equal scores: the API concatenates videos in order and sorts stably, so a FP of the
    # first video ranks before a TP of the second.
    fp = matches([[0.0]], [0.5])[0]
    tp = matches([[0.9]], [0.5])[0]
    prec, _ = accumulate({(0, 0): [fp, tp]}, 1)
    assert prec[0, 0, 0, 0, 2] == pytest.approx(0.5, abs=1e-12)
    prec, _ = accumulate({(0, 0): [tp, fp]}, 1)
    assert prec[0, 0, 0, 0, 2] == pytest.approx(1.0, abs=1e-12)
