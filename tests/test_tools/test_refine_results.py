"""tools/refine_results.py with a tiny VMT (random weights) on toy results."""
import copy
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'vmt', 'vmt_tiny_r18_1xb2-toy_vis.py')
spec = importlib.util.spec_from_file_location('refine_results',
                                              osp.join(ROOT, 'tools', 'refine_results.py'))
refine_results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(refine_results)
HOLDER = osp.join(osp.dirname(osp.abspath(__file__)), '_refine_results_holder.py')
spec = importlib.util.spec_from_file_location('_refine_results_holder', HOLDER)
holder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(holder)


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('refine')
    data = tmp / 'toy_vis'
    make_toy_vis(data, seed=2, num_videos=dict(train=1, val=2, test=1), num_frames=3,
                 verbose=False)
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    ckpt = tmp / 'vmt.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    gt = json.loads((data / 'annotations' / 'val_hq.json').read_text())
    results = [dict(video_id=a['video_id'], category_id=a['category_id'], score=0.9 - 0.1 * i,
                    segmentations=copy.deepcopy(a['segmentations']))
               for i, a in enumerate(gt['annotations'])]
    results_file = tmp / 'results.json'
    results_file.write_text(json.dumps(results))
    return dict(ckpt=str(ckpt), results=str(results_file),
                videos=str(data / 'annotations' / 'val_hq.json'),
                img_root=str(data / 'val' / 'JPEGImages'), tmp=tmp)


def argv(inputs, out):
    return [CONFIG, inputs['ckpt'], inputs['results'], '--videos', inputs['videos'],
            '--img-root', inputs['img_root'], '--out', out, '--device', 'cpu']


def test_refined_file_keeps_every_entry(inputs):
    out = str(inputs['tmp'] / 'refined.json')
    stats = refine_results.main(argv(inputs, out))
    before = json.loads(open(inputs['results']).read())
    after = json.loads(open(out).read())
    assert len(after) == len(before) == stats['results'] == stats['refined_results']
    for a, b in zip(before, after):
        assert {k: a[k] for k in ('video_id', 'category_id', 'score')} == \
            {k: b[k] for k in ('video_id', 'category_id', 'score')}
        assert [s is None for s in a['segmentations']] == [s is None for s in b['segmentations']]
        assert all(s['size'] == [128, 192] for s in b['segmentations'] if s is not None)


def test_outputs_that_are_inputs_or_exist_are_refused(inputs):
    for out, rule in ((inputs['results'], 'refusing to overwrite an input'),
                      (inputs['videos'], 'refusing to overwrite an input'),
                      (osp.join(osp.dirname(inputs['videos']), 'new.json'),
                       'annotation folder')):
        with pytest.raises(SystemExit, match=rule):
            refine_results.main(argv(inputs, out))
        assert not osp.exists(osp.join(osp.dirname(inputs['videos']), 'new.json'))
    existing = inputs['tmp'] / 'existing.json'
    existing.write_text('[]')
    with pytest.raises(SystemExit, match='exists'):
        refine_results.main(argv(inputs, str(existing)))
    assert existing.read_text() == '[]'


def test_a_malformed_results_file_is_a_clear_error(inputs):
    bad = inputs['tmp'] / 'bad_results.json'
    results = json.loads(open(inputs['results']).read())
    results[1]['segmentations'][0] = [[1, 2, 3, 4, 5, 6]]  # a polygon: results hold RLEs
    bad.write_text(json.dumps(results))
    args = argv(inputs, str(inputs['tmp'] / 'never.json'))
    args[2] = str(bad)
    with pytest.raises(SystemExit,
                       match=r'bad_results\.json: entry 1 segmentations\[0\]: must be an RLE'):
        refine_results.main(args)
    assert not (inputs['tmp'] / 'never.json').exists()


class StopAfter:
    """A refiner that flips labels in a box and fails on its `fail_at`-th video."""

    def __init__(self, fail_at=None):
        self.calls, self.fail_at = 0, fail_at

    def eval(self):
        return self

    def refine_masks(self, frames, coarse):
        self.calls += 1
        if self.calls == self.fail_at:
            raise KeyboardInterrupt
        region = torch.zeros_like(coarse)
        region[..., 20:60, 30:90] = True
        return ~coarse, torch.full(coarse.shape, 0.9), region


def test_an_interrupted_run_resumes_where_it_stopped(inputs, monkeypatch):
    out = str(inputs['tmp'] / 'resumed.json')
    reference = str(inputs['tmp'] / 'reference.json')
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: StopAfter())
    refine_results.main(argv(inputs, reference))

    first = StopAfter(fail_at=2)
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: first)
    with pytest.raises(KeyboardInterrupt):
        refine_results.main(argv(inputs, out))
    progress = out + refine_results.PROGRESS_SUFFIX
    assert not osp.exists(out) and len(open(progress).read().splitlines()) == 2
    with pytest.raises(SystemExit, match='--resume'):
        refine_results.main(argv(inputs, out))
    with pytest.raises(SystemExit, match='conf_thr'):
        refine_results.main(argv(inputs, out) + ['--resume', '--conf-thr', '0.7'])

    second = StopAfter()
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: second)
    stats = refine_results.main(argv(inputs, out) + ['--resume'])
    assert second.calls == 1 and stats['videos_resumed'] == 1  # only the second video
    assert open(out).read() == open(reference).read()
    assert not osp.exists(progress)


def test_a_second_run_on_the_same_out_refuses_before_any_work(inputs, monkeypatch, tmp_path):
    BoxFlip = holder.BoxFlip
    reference = str(tmp_path / 'reference.json')
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: BoxFlip())
    refine_results.main(argv(inputs, reference))

    out = str(tmp_path / 'refined.json')
    started, go = tmp_path / 'started', tmp_path / 'go'
    first = subprocess.Popen(
        [sys.executable, HOLDER, str(started), str(go), '--', *argv(inputs, out)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not started.exists() and first.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert started.exists(), first.stderr.read() if first.poll() is not None else ''
        progress = out + refine_results.PROGRESS_SUFFIX
        before = open(progress).read()
        second = BoxFlip()
        monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: second)
        for extra in ([], ['--resume']):
            with pytest.raises(SystemExit, match=rf'{re.escape(out)}\.lock is held by process '
                                                 rf'{first.pid}\b'):
                refine_results.main(argv(inputs, out) + extra)
        assert second.calls == 0 and open(progress).read() == before  # refused before work
        go.touch()
        assert first.wait(120) == 0, first.stderr.read()
    finally:
        go.touch()
        first.wait(120)
    assert open(out, 'rb').read() == open(reference, 'rb').read()
    assert not osp.exists(progress) and not osp.exists(out + '.lock')
