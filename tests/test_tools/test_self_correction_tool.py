"""tools/self_correction.py as a user runs it: a bad corrector setting is one line with exit
code 2, a work dir inside the training set's annotation folder is refused before any work."""
import hashlib
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmvmt.datasets.toy import make_toy_vis

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/self_correction/vmt_tiny_self-correction_toy-vis.py'


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('sc_tool') / 'toy_vis'
    make_toy_vis(str(root), seed=4, num_videos=dict(train=1, val=1, test=1), num_frames=2,
                 verbose=False)
    return root


def run_tool(toy_root, work_dir, *options):
    data = [f'{key}.data_root={toy_root}/' for key in (
        'train_dataloader.dataset', 'self_correction.coarse_dataset')]
    proc = subprocess.run(
        [sys.executable, 'tools/self_correction.py', CONFIG, '--work-dir', str(work_dir),
         *[o for o in options if o.startswith('--')], '--cfg-options', *data,
         *[o for o in options if not o.startswith('--')]],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stderr.strip()


@pytest.mark.parametrize('option, message', [
    ('self_correction.conf_thr=nan', 'conf_thr must be a number in [0.5, 1), got nan'),
    ('self_correction.max_tracks_per_pass=0',
     'max_tracks_per_pass must be a whole number >= 1, got 0')])
def test_a_bad_corrector_setting_is_one_line_and_exit_code_2(toy_root, tmp_path, option,
                                                             message):
    code, err = run_tool(toy_root, tmp_path / 'work', option)
    assert code == 2, err
    assert err.splitlines() == [err] and \
        err.startswith(f'train.py: error: self_correction.{message}'), err
    assert not osp.exists(tmp_path / 'work' / 'self_correction')


def test_a_work_dir_in_the_training_sets_annotation_folder_is_refused(toy_root):
    annotations = toy_root / 'annotations'
    before = {f: hashlib.sha256((annotations / f).read_bytes()).hexdigest()
              for f in os.listdir(annotations)}
    code, err = run_tool(toy_root, annotations / 'work')
    assert code == 1 and err.splitlines() == [err], err
    assert err.startswith(f'error: --work-dir {annotations}/work: lies inside ') and \
        'annotation folder of an input dataset' in err, err
    assert {f: hashlib.sha256((annotations / f).read_bytes()).hexdigest()
            for f in os.listdir(annotations)} == before


def test_a_damaged_state_file_is_one_line_on_resume(toy_root, tmp_path):
    state = tmp_path / 'work' / 'self_correction' / 'state.json'
    state.parent.mkdir(parents=True)
    state.write_text('{"version": 2, "round": 1, "stage": "tra')  # cut off
    code, err = run_tool(toy_root, tmp_path / 'work', '--resume')
    assert code == 1 and err.splitlines() == [err], err
    assert err.startswith(f'error: {state}: is not JSON'), err
    assert state.read_text() == '{"version": 2, "round": 1, "stage": "tra'
