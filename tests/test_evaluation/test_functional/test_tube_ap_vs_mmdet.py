"""The standard tube mask AP (AP^M) against mmdet's own YouTube-VIS evaluator.

mmdet 3.3's ``YTVISeval`` (a copy of the YouTube-VIS cocoapi) uses ``np.float``, removed in
numpy 1.24; it is patched back for this test only. Its ``loadRes`` takes compressed RLE
results only and fails on an empty result list, so the results here are compressed and
never empty; every other feature of the random data (null frames on both sides, polygon and
uncompressed GT, crowd GT, area ranges, tied scores) is kept.
"""
import contextlib
import copy
import io

import numpy as np
import pytest
from ytvis_fakes import encode, random_dataset

from mmvmt.evaluation.functional import evaluate_tube_ap


def compressed_results(results):
    import pycocotools.mask as mask_utils
    out = copy.deepcopy(results)
    for res in out:
        res['segmentations'] = [
            None if s is None else encode(mask_utils.decode(mask_utils.frPyObjects(
                s, *s['size'])) if isinstance(s['counts'], list) else mask_utils.decode(s),
                'compressed') for s in res['segmentations']]
    return out


def mmdet_stats(gt, results, max_dets=(1, 10, 100)):
    from mmdet.evaluation.functional.ytvis import YTVIS
    from mmdet.evaluation.functional.ytviseval import YTVISeval
    with contextlib.redirect_stdout(io.StringIO()):  # it prints progress
        ytvis = YTVIS(copy.deepcopy(gt))
        evaluator = YTVISeval(ytvis, ytvis.loadRes(copy.deepcopy(results)), 'segm')
        evaluator.params.maxDets = list(max_dets)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats


@pytest.mark.parametrize('seed', range(8))
def test_tube_mask_ap_equals_mmdet_ytviseval(seed, monkeypatch):
    monkeypatch.setattr(np, 'float', float, raising=False)
    gt, results = random_dataset(100 + seed, num_videos=5, num_categories=3)
    results = compressed_results(results)
    if not results:
        pytest.skip('mmdet cannot load an empty result list')
    ours = evaluate_tube_ap(gt, results, iou_types=('segm', ))['segm']['stats']
    np.testing.assert_allclose(list(ours.values()), mmdet_stats(gt, results), atol=1e-12)
