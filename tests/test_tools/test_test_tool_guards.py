"""tools/test.py refuses, before any work, to write onto its inputs and to test a checkpoint
of another model (issue cases 2 and 8), with rc != 0 and no input changed."""
import hashlib
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmvmt.datasets.toy import make_toy_vis

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/mask2former_vis/mask2former_tiny-r18_1xb2-300i_toy-vis.py')


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy') / 'toy_vis'
    make_toy_vis(str(root), seed=5, num_videos=dict(train=1, val=1, test=1), num_frames=2)
    return str(root) + '/'


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_test_tool(toy_root, checkpoint, *extra, config=CONFIG):
    options = [f'{loader}.dataset.data_root={toy_root}'
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(config), str(checkpoint), *extra, '--cfg-options',
         *options], cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def test_outfile_prefix_onto_or_beside_the_ground_truth_is_refused(toy_root, tmp_path):
    gt = osp.join(toy_root, 'annotations', 'val_hq.json')
    before = sha256(gt)
    for prefix, message in ((gt[:-len('.json')], 'this is the input file'),
                            (osp.join(toy_root, 'annotations', 'results'),
                             'the annotation folder of an input dataset')):
        # The checkpoint does not even exist: nothing is loaded or built before the refusal.
        code, log = run_test_tool(toy_root, tmp_path / 'none.pth', '--work-dir',
                                  str(tmp_path / 'work'), '--outfile-prefix', prefix)
        assert code != 0 and f'--outfile-prefix {prefix}.json: ' in log, log[-2000:]
        assert message in log and 'Traceback' not in log, log[-2000:]
    assert sha256(gt) == before
    assert not osp.exists(osp.join(toy_root, 'annotations', 'results.json'))
    assert not (tmp_path / 'work').exists()


def test_checkpoint_of_another_model_is_refused_unless_allowed(toy_root, tmp_path):
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'backbone.conv1.weight': torch.zeros(8, 3, 3, 3),
                                'roi_head.fc.weight': torch.zeros(4, 4)}), other)
    code, log = run_test_tool(toy_root, other, '--work-dir', str(tmp_path / 'work'))
    assert code != 0, log[-2000:]
    assert f'error: {other} does not fit the model: ' in log, log[-2000:]
    assert 'model keys missing from the checkpoint' in log
    assert 'checkpoint keys the model does not have: roi_head.fc.weight' in log
    assert 'backbone.conv1.weight: checkpoint (8, 3, 3, 3) vs model (64, 3, 7, 7)' in log
    assert 'pass --allow-partial-checkpoint' in log and 'Traceback' not in log
    assert 'Iter(test)' not in log  # stopped before the first sample

    code, log = run_test_tool(toy_root, other, '--work-dir', str(tmp_path / 'work'),
                              '--allow-partial-checkpoint')
    assert code == 0 and 'tube_ap/segm_AP' in log, log[-3000:]


@pytest.mark.parametrize('kind', ['empty', 'text', 'truncated', 'list'])
def test_a_file_that_is_not_a_checkpoint_is_one_line_naming_it(toy_root, tmp_path, kind):
    bad = tmp_path / f'{kind}.pth'
    if kind == 'truncated':
        torch.save(dict(state_dict={'w': torch.zeros(64, 64)}), bad)
        bad.write_bytes(bad.read_bytes()[:2000])
    elif kind == 'list':
        torch.save([1, 2], bad)
    else:
        bad.write_text('' if kind == 'empty' else 'model = dict(type="VMT")\n')
    code, log = run_test_tool(toy_root, bad, '--work-dir', str(tmp_path / 'work'))
    assert code == 1 and 'Traceback' not in log, log[-2000:]
    assert log.strip().splitlines()[-1].startswith(f'error: {bad}: '), log[-2000:]
    assert not (tmp_path / 'work').exists()


def run_train_tool(toy_root, config, *extra):
    options = [f'{loader}.dataset.data_root={toy_root}'
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(config), *extra, '--cfg-options', *options],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def folder_hashes(folder):
    return {name: sha256(osp.join(folder, name)) for name in sorted(os.listdir(folder))}


@pytest.mark.parametrize('where', ['image folder', 'annotations via ../'])
def test_show_dir_into_the_inputs_is_refused(toy_root, tmp_path, where):
    images = osp.join(toy_root, 'val', 'JPEGImages')
    before = {d: folder_hashes(osp.join(images, d)) for d in os.listdir(images)}
    annotations = folder_hashes(osp.join(toy_root, 'annotations'))
    if where == 'image folder':
        extra = ['--work-dir', str(tmp_path / 'work'), '--show-dir', images]
    else:  # the hook writes to <work_dir>/<timestamp>/<show_dir>: two levels up from there
        extra = ['--work-dir', osp.join(toy_root, 'work'), '--show-dir', '../../annotations']
    code, log = run_test_tool(toy_root, tmp_path / 'none.pth', *extra)
    assert code == 1 and '--show-dir ' in log and 'lies inside' in log, log[-2000:]
    assert ("an image folder of the config's datasets" if where == 'image folder' else
            'the annotation folder of an input dataset') in log, log[-2000:]
    assert 'Traceback' not in log
    assert {d: folder_hashes(osp.join(images, d)) for d in os.listdir(images)} == before
    assert folder_hashes(osp.join(toy_root, 'annotations')) == annotations


def test_work_dir_of_the_config_itself_is_refused_by_test_and_train(toy_root, tmp_path):
    # The runner dumps the flattened config as <work_dir>/my_config.py: the input, _base_ gone.
    config = tmp_path / 'my_config.py'
    config.write_text(f'_base_ = [{CONFIG!r}]\n')
    before = config.read_bytes()
    for code, log in (run_test_tool(toy_root, tmp_path / 'none.pth', '--work-dir',
                                    str(tmp_path), config=config),
                      run_train_tool(toy_root, config, '--work-dir', str(tmp_path))):
        assert code == 1 and '--work-dir (the config dump)' in log, log[-2000:]
        assert 'this is the input file' in log and 'Traceback' not in log, log[-2000:]
    assert config.read_bytes() == before and sorted(os.listdir(tmp_path)) == ['my_config.py']


def test_train_refuses_a_work_dir_in_the_annotation_folder(toy_root, tmp_path):
    work = osp.join(toy_root, 'annotations', 'work')
    code, log = run_train_tool(toy_root, CONFIG, '--work-dir', work)
    assert code == 1 and 'the annotation folder of an input dataset' in log, log[-2000:]
    assert not osp.exists(work)
