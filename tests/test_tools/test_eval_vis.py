import importlib.util
import json
import os.path as osp
import sys

import numpy as np
import pytest

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(__file__)), 'test_evaluation'))
from ytvis_fakes import random_dataset  # noqa: E402

from mmvmt.evaluation.functional import evaluate_tube_ap  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'eval_vis', osp.join(ROOT, 'tools', 'analysis_tools', 'eval_vis.py'))
eval_vis = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eval_vis)


@pytest.fixture
def files(tmp_path):
    gt, results = random_dataset(2, num_videos=5)
    gt_file, res_file = tmp_path / 'gt.json', tmp_path / 'res.json'
    gt_file.write_text(json.dumps(gt))
    res_file.write_text(json.dumps(results))
    return gt, results, str(gt_file), str(res_file)


def test_prints_both_tables_and_writes_the_json(files, tmp_path, capsys):
    gt, results, gt_file, res_file = files
    out_file = tmp_path / 'out' / 'metrics.json'
    assert eval_vis.main([gt_file, res_file, '--out', str(out_file), '--per-category',
                          '--nproc', '2']) == 0
    printed = capsys.readouterr().out
    assert 'Tube-Boundary AP (AP^B)' in printed and 'Tube mask AP (AP^M)' in printed
    assert printed.count('Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all') == 2
    assert 'cat1' in printed
    written = json.loads(out_file.read_text())
    want = evaluate_tube_ap(gt, results)
    assert list(written) == ['boundary', 'segm']
    for iou_type in written:
        assert list(written[iou_type]) == ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1',
                                           'AR10', 'AR100', 'ARs', 'ARm', 'ARl']
        np.testing.assert_allclose(list(written[iou_type].values()),
                                   list(want[iou_type]['stats'].values()), atol=1e-12)


def test_options_and_bad_input(files, tmp_path, capsys):
    gt, results, gt_file, res_file = files
    out_file = tmp_path / 'm.json'
    assert eval_vis.main([gt_file, res_file, '--mask-only', '--max-dets', '1', '5', '20',
                          '--boundary-ratio', '0.05', '--out', str(out_file)]) == 0
    written = json.loads(out_file.read_text())
    assert list(written) == ['segm'] and 'AR20' in written['segm']
    results[0]['category_id'] = 99
    (tmp_path / 'bad.json').write_text(json.dumps(results))
    assert eval_vis.main([gt_file, str(tmp_path / 'bad.json')]) == 1
    assert f'{tmp_path / "bad.json"}: entry 0: unknown category_id 99' in capsys.readouterr().err


def test_benchmark_runs_on_a_tiny_load(tmp_path):
    import subprocess
    out = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_metric.py'),
         '--videos', '2', '--frames', '3', '--height', '90', '--width', '120', '--gt-tracks',
         '3', '--result-tracks', '6', '--nproc', '2', '--out-dir', str(tmp_path)],
        capture_output=True, text=True, check=True).stdout
    assert 'fast (2 proc)' in out and 'plain (1 proc, per pair)' in out
    assert 'largest difference of the 24 summary numbers: 0.0e+00' in out
    assert len(json.loads((tmp_path / 'results.json').read_text())) == 6
