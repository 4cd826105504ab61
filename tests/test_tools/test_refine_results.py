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
from mmvmt.models.data import RefinedMasks
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
        return RefinedMasks.from_labels(~coarse, torch.full(coarse.shape, 0.9), region)


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


@pytest.fixture(scope='module')
def interrupted(inputs, tmp_path_factory):
    """The reference output, and the progress file of a run killed in its second video."""
    tmp = tmp_path_factory.mktemp('interrupted')
    with pytest.MonkeyPatch.context() as m:
        m.setattr(refine_results, 'build_refiner', lambda *a, **k: StopAfter())
        refine_results.main(argv(inputs, str(tmp / 'reference.json')))
        m.setattr(refine_results, 'build_refiner', lambda *a, **k: StopAfter(fail_at=2))
        with pytest.raises(KeyboardInterrupt):
            refine_results.main(argv(inputs, str(tmp / 'out.json')))
    progress = (tmp / ('out.json' + refine_results.PROGRESS_SUFFIX)).read_bytes()
    return dict(reference=(tmp / 'reference.json').read_bytes(), progress=progress)


def damaged(lines):
    """Edits of the progress lines [settings, record of video 1] and the message they get."""
    settings, record = (json.loads(line) for line in lines)
    no_id = {k: v for k, v in record.items() if k != 'video_id'}
    yield [lines[0], json.dumps(no_id)], \
        r"line 2: expected a record with the keys \['pixels_changed', 'pixels_refined', " \
        r"'segmentations', 'video_id'\], got \['pixels_changed', 'pixels_refined', " \
        r"'segmentations'\]"
    index = next(iter(record['segmentations']))
    moved = dict(record, segmentations={'99': record['segmentations'][index]})
    yield [lines[0], json.dumps(moved)], r"line 2: segmentations must map the results " \
        rf"\['{index}'.*got \['99'\]"
    yield [lines[0], lines[1], json.dumps(settings)], r'line 3: a second settings line'
    yield [lines[0], json.dumps(dict(record, video_id=12345))], \
        r'line 2: video_id 12345 is not a video whose results this run refines'
    yield [lines[0], json.dumps(dict(record, video_id='1'))], r"line 2: video_id '1' is not"
    yield [lines[0], 'garbage', lines[1]], r'line 2: expected one JSON object, the line is ' \
        'not JSON'
    yield [lines[0], lines[1], lines[1]], r'line 3: a second record of video \d+ \(the ' \
        'first on line 2\\)'
    yield [json.dumps(record), lines[1]], r'line 1: expected the settings line'
    yield [lines[0], '[1, 2]'], r'line 2: expected a JSON object, got list'
    yield [lines[0], json.dumps(dict(record, pixels_changed=-1))], \
        r'line 2: pixels_changed must be a count >= 0, got -1'
    short = dict(record, segmentations={index: record['segmentations'][index][:-1]})
    yield [lines[0], json.dumps(short)], rf'line 2: segmentations\["{index}"\] must be a ' \
        'list of 3 frames'
    bad_rle = [dict(s, counts='!!') if s else s for s in record['segmentations'][index]]
    yield [lines[0], json.dumps(dict(record, segmentations={index: bad_rle}))], \
        rf'line 2: segmentations\["{index}"\]\[0\]: '


def test_a_damaged_progress_file_is_refused_naming_the_line(inputs, interrupted, tmp_path,
                                                            monkeypatch):
    lines = interrupted['progress'].decode().splitlines()
    assert len(lines) == 2
    refiner = StopAfter()
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: refiner)
    cases = list(damaged(lines))
    for n, (edited, message) in enumerate(cases):
        out = str(tmp_path / f'out{n}.json')
        progress = out + refine_results.PROGRESS_SUFFIX
        text = '\n'.join(edited) + '\n'
        open(progress, 'w').write(text)
        with pytest.raises(SystemExit) as info:
            refine_results.main(argv(inputs, out) + ['--resume'])
        assert re.match(rf'refine_results: {re.escape(progress)} {message}', str(info.value)), \
            (n, str(info.value))
        assert '\n' not in str(info.value) and str(info.value).endswith(
            'this progress file cannot be resumed (delete it to start again)')
        assert open(progress).read() == text and not osp.exists(out)  # nothing half used
    assert refiner.calls == 0 and len(cases) == 12


def test_a_cut_off_last_line_is_refined_again(inputs, interrupted, tmp_path, monkeypatch):
    lines = interrupted['progress'].splitlines(keepends=True)
    out = str(tmp_path / 'out.json')
    progress = out + refine_results.PROGRESS_SUFFIX
    for kept in (lines, lines[:1]):
        # A record cut short by the kill: dropped, that video refined again (and the next
        # record is not appended to the cut-off text).
        with open(progress, 'wb') as f:
            f.write(b''.join(kept) + lines[1][:25])
        refiner = StopAfter()
        monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: refiner)
        refine_results.main(argv(inputs, out) + ['--resume'])
        assert refiner.calls == 3 - len(kept)
        assert open(out, 'rb').read() == interrupted['reference']
        os.remove(out)


@pytest.mark.parametrize('content', [b'', b'{"settings": {"resul'])
@pytest.mark.parametrize('resume', [False, True])
def test_a_run_killed_before_its_first_line_is_no_dead_end(inputs, interrupted, tmp_path,
                                                           monkeypatch, content, resume):
    out = str(tmp_path / 'out.json')
    with open(out + refine_results.PROGRESS_SUFFIX, 'wb') as f:
        f.write(content)
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: StopAfter())
    refine_results.main(argv(inputs, out) + (['--resume'] if resume else []))
    assert open(out, 'rb').read() == interrupted['reference']


def test_the_settings_line_is_written_before_the_first_video(inputs, tmp_path, monkeypatch):
    out = str(tmp_path / 'out.json')
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: StopAfter(fail_at=1))
    with pytest.raises(KeyboardInterrupt):
        refine_results.main(argv(inputs, out))
    lines = open(out + refine_results.PROGRESS_SUFFIX).read().splitlines()
    assert len(lines) == 1 and list(json.loads(lines[0])) == ['settings']


@pytest.mark.parametrize('options, message', [
    (['--conf-thr', '2.0'], r'--conf-thr: conf_thr must be a number in \[0.5, 1\), got 2.0'),
    (['--conf-thr', 'nan'], r'--conf-thr: conf_thr must be a number in \[0.5, 1\), got nan'),
    (['--remove-thr', '0.3'], r'--remove-thr: remove_thr must be a number'),
    (['--max-tracks-per-pass', '0'],
     r'--max-tracks-per-pass: max_tracks_per_pass must be a whole number >= 1, got 0'),
    (['--score-thr', 'nan'], r'--score-thr must be a number, got nan'),
    (['--img-root', '{tmp}/nowhere'], r'--img-root {tmp}/nowhere is not a folder'),
    (['--img-root', '{tmp}'], r'--img-root {tmp}: no frame {tmp}/[^ ]+\.jpg \(video \d+ of '
     r'.*val_hq\.json\)')])
def test_argument_errors_are_one_line_and_exit_code_2(inputs, tmp_path, capsys, monkeypatch,
                                                      options, message):
    refiner = StopAfter()
    monkeypatch.setattr(refine_results, 'build_refiner', lambda *a, **k: refiner)
    out = str(tmp_path / 'out.json')
    options = [o.format(tmp=tmp_path) for o in options]
    with pytest.raises(SystemExit) as info:
        refine_results.main(argv(inputs, out) + options)
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count('\n') == 1, err
    expected = message.format(tmp=tmp_path)
    assert re.fullmatch(rf'refine_results: error: {expected}[^\n]*\n', err), err
    assert refiner.calls == 0 and os.listdir(tmp_path) == []
