import hashlib
import importlib.util
import json
import os
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
    (tmp_path / 'annotations').mkdir()  # the GT's folder: no output goes there
    gt_file, res_file = tmp_path / 'annotations' / 'gt.json', tmp_path / 'res.json'
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
    assert 'eval_vis.py (2 proc)' in out and 'eval_vis.py whole process: ' in out
    assert 'eval_vis.py and fast agree: largest difference 0.0e+00' in out
    assert 'largest difference of the 24 summary numbers: 0.0e+00' in out
    assert len(json.loads((tmp_path / 'results.json').read_text())) == 6


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.parametrize('which', ['gt', 'results', 'gt-link'])
def test_out_onto_an_input_is_refused_before_any_work(files, tmp_path, capsys, which):
    # Issue case 1: `--out GT` used to exit 0 and replace the ground truth with metrics.
    _, _, gt_file, res_file = files
    out = {'gt': gt_file, 'results': res_file, 'gt-link': str(tmp_path / 'link.json')}[which]
    if which == 'gt-link':
        os.symlink(gt_file, out)
    before = sha256(gt_file), sha256(res_file)
    with pytest.raises(SystemExit) as info:
        eval_vis.main([gt_file, res_file, '--out', out])
    assert info.value.code != 0
    err = capsys.readouterr()
    assert f'--out {out}: this is the input file' in err.err
    assert 'evaluated in' not in err.out  # refused before the evaluation
    assert (sha256(gt_file), sha256(res_file)) == before


@pytest.mark.parametrize('args, message', [
    (['--out', '{tmp}'], 'is an existing folder; give a file path'),
    (['--out', '{res}/metrics.json'], 'is a file, so nothing can be written below it'),
    (['--out', '{tmp}/annotations/x.json'], '--out {tmp}/annotations/x.json: lies inside '
     '{tmp}/annotations, the annotation folder of an input dataset'),
    (['--boundary-ratio', 'nan'], "argument --boundary-ratio: expected a number in (0, 1), "
     "got 'nan'"),
    (['--boundary-ratio', '0'], 'expected a number in (0, 1)'),
    (['--boundary-ratio', 'inf'], 'expected a number in (0, 1)'),
    (['--max-dets', '0', '0', '0'], "argument --max-dets: expected a positive integer, "
     "got '0'"),
    (['--max-dets', '100', '10', '1'], 'argument --max-dets: expected ascending numbers'),
    (['--max-dets', '1', '1e3', '5'], "expected a positive integer, got '1e3'"),
    (['--nproc', '-1'], "argument --nproc: expected a positive integer, got '-1'"),
])
def test_bad_options_give_a_clear_error_before_any_work(files, tmp_path, capsys, args,
                                                        message):
    # Issue case 6: these raised tracebacks, --out ones after the whole evaluation.
    _, _, gt_file, res_file = files
    args = [a.format(tmp=tmp_path, res=res_file) for a in args]
    before = sha256(gt_file), sha256(res_file)
    with pytest.raises(SystemExit) as info:
        eval_vis.main([gt_file, res_file, *args])
    assert info.value.code == 2
    err = capsys.readouterr()
    assert message.format(tmp=tmp_path) in err.err and 'Traceback' not in err.err
    assert (sha256(gt_file), sha256(res_file)) == before
    assert os.listdir(osp.dirname(gt_file)) == ['gt.json']
    assert 'evaluated in' not in err.out


def test_zero_frame_video_is_refused_as_the_datasets_do(files, tmp_path, capsys):
    # Issue case 7: the same file must not be an error here and silently shorter there.
    gt, results, _, res_file = files
    gt['videos'].append(dict(id=999, height=9, width=9, length=0, file_names=[]))
    (tmp_path / 'gt0.json').write_text(json.dumps(gt))
    assert eval_vis.main([str(tmp_path / 'gt0.json'), res_file]) == 1
    assert 'gt0.json: videos[5] (id 999): has no frames; a video needs at least one' in \
        capsys.readouterr().err
