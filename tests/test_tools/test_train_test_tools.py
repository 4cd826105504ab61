"""tools/train.py, tools/test.py and tools/dist_train.sh on the toy data, as a user runs them.

The stand-in model is an existing mmdet VIS model (Mask2Former-VIS, tiny, random init): it
proves that mmdet pipelines train and test through mmvmt's datasets, transforms and metrics.
"""
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmvmt.datasets.toy import make_toy_vis

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/mask2former_vis/mask2former_tiny-r18_1xb2-300i_toy-vis.py')
VMT_CONFIG = osp.join(ROOT, 'configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py')


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy') / 'toy_vis'
    make_toy_vis(str(root), seed=3, num_videos=dict(train=2, val=2, test=1), num_frames=3)
    return str(root) + '/'


def _run(args, cwd=ROOT, timeout=600):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', PYTHON=sys.executable)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def _data_options(toy_root):
    return [f'{loader}.dataset.data_root={toy_root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def _train(toy_root, work_dir, max_iters, extra=()):
    return _run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir), *extra,
        '--cfg-options', f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=1000',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
        *_data_options(toy_root)
    ])


def test_train_resume_then_test_with_eval(toy_root, tmp_path):
    code, log = _train(toy_root, tmp_path, max_iters=2)
    assert code == 0, log
    assert osp.exists(tmp_path / 'iter_2.pth')

    code, log = _train(toy_root, tmp_path, max_iters=4, extra=['--resume'])
    assert code == 0, log
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    assert osp.exists(tmp_path / 'iter_4.pth')

    code, log = _run([
        sys.executable, 'tools/test.py', CONFIG, str(tmp_path / 'iter_4.pth'),
        '--work-dir', str(tmp_path / 'test'), '--eval', 'tube_boundary_ap',
        '--cfg-options', *_data_options(toy_root)
    ])
    assert code == 0, log
    for key in ('tube_ap/boundary_AP', 'tube_ap/segm_AP', 'Tube-Boundary AP'):
        assert key in log, log[-3000:]


def test_unknown_eval_name_lists_the_known_ones(tmp_path):
    code, log = _run([
        sys.executable, 'tools/test.py', CONFIG, str(tmp_path / 'none.pth'), '--eval',
        'no_such_metric'
    ])
    assert code != 0
    assert 'no_such_metric' in log and 'tube_boundary_ap' in log


def test_dist_train_two_cpu_processes(toy_root, tmp_path):
    # VMT: some parameters get no gradient in a step (DDP needs find_unused_parameters).
    code, log = _run([
        'bash', 'tools/dist_train.sh', VMT_CONFIG, '2', '--work-dir', str(tmp_path),
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=1000',
        'default_hooks.logger.interval=1', *_data_options(toy_root)
    ], timeout=300)
    assert code == 0, log[-3000:]
    # mmengine logs the world size as 'GPU number' whatever the device.
    assert 'Distributed training: True' in log and 'GPU number: 2' in log, log[-3000:]
    assert osp.exists(tmp_path / 'iter_2.pth')
