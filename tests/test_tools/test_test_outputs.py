"""What a user sees from a tiny VMT run: no registry-scope warnings, one summary naming the
masks of each row, --out predictions, --show-dir frames."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import mmengine
import pytest

from mmvmt.datasets.toy import make_toy_vis

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py')


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy') / 'toy_vis'
    make_toy_vis(str(root), seed=5, num_videos=dict(train=2, val=2, test=1), num_frames=3,
                 verbose=False)
    return str(root) + '/'


def _run(args):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def _data_options(toy_root):
    return [f'{loader}.dataset.data_root={toy_root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


@pytest.fixture(scope='module')
def trained(toy_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('work')
    code, log = _run(['tools/train.py', CONFIG, '--work-dir', str(work_dir), '--cfg-options',
                      'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
                      'default_hooks.logger.interval=1',
                      *_data_options(toy_root)])
    assert code == 0, log[-3000:]
    return work_dir, log


def test_train_log_has_no_registry_scope_warning(trained):
    _, log = trained
    assert 'Iter(train) [2/2]' in log
    assert 'Failed to search registry' not in log
    assert 'The prefix is not set in metric class' not in log


def test_test_outputs_and_one_summary(trained, toy_root, tmp_path):
    work_dir, _ = trained
    code, log = _run([
        'tools/test.py', CONFIG, str(work_dir / 'iter_2.pth'), '--work-dir', str(tmp_path),
        '--eval', 'tube_boundary_ap', 'coarse_tube_boundary_ap', '--out',
        str(tmp_path / 'preds.json'), '--show-dir', 'vis', '--cfg-options',
        *_data_options(toy_root)])
    assert code == 0, log[-3000:]
    assert 'Failed to search registry' not in log and 'WARNING' not in log, log
    assert log.count('+test metrics') == 1
    assert "Tube-Boundary AP (AP^B) of coarse masks (VMT's base detector)" in log
    assert 'Tube-Boundary AP (AP^B) of refined masks (the frames also hold coarse ones)' in log
    assert '| coarse_tube_ap boundary | pred_track_instances_coarse |' in log

    results = mmengine.load(str(tmp_path / 'preds.json'))
    val = mmengine.load(osp.join(toy_root, 'annotations', 'val_hq.json'))
    assert {r['video_id'] for r in results} == {v['id'] for v in val['videos']}
    assert all(len(r['segmentations']) == 3 for r in results)

    frames = sorted(p for p in tmp_path.rglob('vis/*/*.jpg'))
    names = sorted(osp.join(osp.basename(osp.dirname(f)), osp.basename(f))
                   for v in val['videos'] for f in v['file_names'])
    assert [osp.join(p.parent.name, p.name) for p in frames] == names
    assert cv2.imread(str(frames[0])).shape == (128, 2 * 192, 3)  # GT | prediction


def test_out_and_show_dir_onto_inputs_are_refused_before_testing(trained, toy_root, tmp_path):
    work_dir, _ = trained
    gt = osp.join(toy_root, 'annotations', 'val_hq.json')
    before = open(gt).read()
    for option, value, rule in (('--out', gt, 'refusing to overwrite an input'),
                                ('--show-dir', osp.join(toy_root, 'annotations', 'vis'),
                                 'annotation folder')):
        code, log = _run(['tools/test.py', CONFIG, str(work_dir / 'iter_2.pth'),
                          '--work-dir', str(tmp_path), option, value, '--cfg-options',
                          *_data_options(toy_root)])
        assert code != 0 and rule in log and 'Iter(test)' not in log, log[-2000:]
    assert open(gt).read() == before
    assert not osp.exists(osp.join(toy_root, 'annotations', 'vis'))


def test_dist_test_prints_one_summary(trained, toy_root, tmp_path):
    work_dir, _ = trained
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHON=sys.executable, PORT='29617')
    proc = subprocess.run(
        ['bash', 'tools/dist_test.sh', CONFIG, str(work_dir / 'iter_2.pth'), '2',
         '--work-dir', str(tmp_path), '--eval', 'tube_boundary_ap', '--cfg-options',
         *_data_options(toy_root)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert log.count('+test metrics') == 1 and log.count('| tube_ap boundary') == 1
