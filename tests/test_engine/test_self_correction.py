"""The self-correction driver end to end on tiny toy data: two rounds of two iterations of
the tiny VMT, interrupted once in a correction and once in a training, then resumed."""
import hashlib
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook

from mmvmt.datasets import ToyVISDataset
from mmvmt.engine import (AnnotationCorrector, SelfCorrection, SelfCorrectionState,
                          provenance_path)
from mmvmt.registry import HOOKS
from mmvmt.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/self_correction/vmt_tiny_self-correction_toy-vis.py')


class Interrupted(RuntimeError):
    pass


@HOOKS.register_module(name='_InterruptTraining', force=True)
class InterruptTraining(Hook):
    """Raises after iteration ``at_iter`` (1-based) of round ``round``, once the
    checkpoint of that iteration is saved."""

    priority = 'LOWEST'

    def __init__(self, round, at_iter):
        self.round, self.at_iter = round, at_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if f'round_{self.round}' in runner.work_dir and runner.iter + 1 == self.at_iter:
            raise Interrupted(f'round {self.round} iteration {self.at_iter}')


def make_cfg(toy_root, work_dir, custom_hooks=()):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({
        'work_dir': str(work_dir),
        'train_dataloader.batch_size': 1,
        'train_dataloader.dataset.data_root': f'{toy_root}/',
        'self_correction.coarse_dataset.data_root': f'{toy_root}/',
        'self_correction.num_rounds': 2,
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.logger.interval': 1,
    })
    cfg.param_scheduler = []
    cfg.custom_hooks = list(custom_hooks)
    return cfg


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def train_logs(train_dir):
    """The log texts of the runs in a round's work dir, oldest first."""
    runs = sorted(d for d in os.listdir(train_dir) if osp.isdir(osp.join(train_dir, d)))
    return [open(osp.join(train_dir, d, f'{d}.log')).read() for d in runs
            if osp.isfile(osp.join(train_dir, d, f'{d}.log'))]


def test_interrupted_run_resumes_at_its_round_and_stage(toy_root, tmp_path, monkeypatch):
    input_file = str(toy_root / 'annotations/train_coarse.json')
    input_sha = sha256(input_file)
    sc = tmp_path / 'self_correction'

    # Run 1 dies in round 1's correction, after round 1's training.
    def crash(*args, **kwargs):
        raise Interrupted('correction')

    with monkeypatch.context() as m:
        m.setattr(AnnotationCorrector, 'correct_video', crash)
        with pytest.raises(Interrupted):
            SelfCorrection(make_cfg(toy_root, tmp_path)).run()
    state = SelfCorrectionState.load(str(sc / 'state.json'))
    assert (state.round, state.stage) == (1, 'correct')
    assert state.rounds[0]['checkpoint'] == str(sc / 'round_1/train/iter_2.pth')
    assert not (sc / 'round_1/train_coarse.json').exists()

    # Without resume, an existing run is never touched.
    with pytest.raises(FileExistsError, match='--resume'):
        SelfCorrection(make_cfg(toy_root, tmp_path)).run()

    # Run 2 resumes: round 1 is only corrected (not retrained); it dies in round 2's
    # training after iteration 1.
    interrupt = dict(type='_InterruptTraining', round=2, at_iter=1)
    with pytest.raises(Interrupted):
        SelfCorrection(make_cfg(toy_root, tmp_path, [interrupt]), resume=True).run()
    assert len(train_logs(sc / 'round_1/train')) == 1
    round1_out = sc / 'round_1/train_coarse.json'
    round1_sha, round1_mtime = sha256(round1_out), os.stat(round1_out).st_mtime_ns
    state = SelfCorrectionState.load(str(sc / 'state.json'))
    assert (state.round, state.stage) == (2, 'train')
    assert (sc / 'round_2/train/iter_1.pth').exists()

    # Run 3 resumes round 2's training at iteration 2 (mmengine's resume) and finishes.
    outputs = SelfCorrection(make_cfg(toy_root, tmp_path), resume=True).run()
    assert outputs == [str(round1_out), str(sc / 'round_2/train_coarse.json')]
    logs = train_logs(sc / 'round_2/train')
    assert len(logs) == 2 and 'Iter(train) [1/2]' in logs[0]
    assert 'Iter(train) [2/2]' in logs[1] and 'Iter(train) [1/2]' not in logs[1]
    assert len(train_logs(sc / 'round_1/train')) == 1

    # Every file kept: the input, round 1's output; round 2 trained on and corrected
    # round 1's output, from its own final checkpoint.
    assert sha256(input_file) == input_sha
    assert (sha256(round1_out), os.stat(round1_out).st_mtime_ns) == (round1_sha, round1_mtime)
    state = SelfCorrectionState.load(str(sc / 'state.json'))
    assert (state.round, state.stage) == (3, 'train')
    assert state.rounds[1]['train_ann_file'] == str(round1_out)
    assert state.rounds[1]['input_ann_file'] == str(round1_out)
    prov = json.loads((sc / 'round_2/train_coarse.provenance.json').read_text())
    assert prov['round'] == 2 and prov['conf_thr'] == 0.65
    assert prov['checkpoint'] == str(sc / 'round_2/train/iter_2.pth')
    assert prov['input_sha256'] == round1_sha

    # The corrected files are datasets again, with every video and track of the input.
    official = json.loads(open(input_file).read())
    for path in outputs:
        out = json.loads(open(path).read())
        assert out['videos'] == official['videos']
        assert [a['id'] for a in out['annotations']] == [a['id'] for a in official['annotations']]
        dataset = ToyVISDataset(ann_file=path, data_root=f'{toy_root}/',
                                data_prefix=dict(img_path='train/JPEGImages'),
                                test_mode=True, pipeline=[])
        assert len(dataset) == len(official['videos'])


@pytest.mark.parametrize('change', [None, 'checkpoint', 'conf_thr', 'frame_pipeline'])
def test_existing_output_is_kept_only_with_the_same_settings(toy_root, tmp_path, change):
    """An output left before the state update is kept on resume only if its provenance
    has this run's checkpoint, threshold and frame pipeline; else a clear error, the file
    untouched."""
    sc = SelfCorrection(make_cfg(toy_root, tmp_path), resume=True)
    state = SelfCorrectionState(sc.state_file, sc.input_ann_file, 'sha', stage='correct')
    state.record(1)['checkpoint'] = 'round_1/train/iter_2.pth'
    out_file = sc.output_file(1)
    os.makedirs(osp.dirname(out_file))
    with open(out_file, 'w') as f:
        f.write('{"kept": true}')
    prov = dict(checkpoint='round_1/train/iter_2.pth', conf_thr=sc.corrector.conf_thr,
                frame_pipeline=json.loads(json.dumps(sc.corrector.frame_pipeline)),
                segm_key='segmentations', round=1)
    if change == 'checkpoint':
        prov['checkpoint'] = 'elsewhere/iter_2.pth'
    elif change == 'conf_thr':
        prov['conf_thr'] = 0.9
    elif change == 'frame_pipeline':
        prov['frame_pipeline'] = prov['frame_pipeline'] + [
            dict(type='Resize', scale=(64, 96), keep_ratio=True)]
    with open(provenance_path(out_file), 'w') as f:
        json.dump(prov, f)

    if change is None:
        sc._correct(1, state, runner=None)
        assert (state.round, state.stage) == (2, 'train')
        assert state.output_of(1) == out_file
    else:
        with pytest.raises(FileExistsError, match=f'{change}: .* it is not overwritten'):
            sc._correct(1, state, runner=None)
        assert (state.round, state.stage) == (1, 'correct')
    assert open(out_file).read() == '{"kept": true}'
