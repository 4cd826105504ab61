"""The self-correction state file: what save writes, load reads; a damaged one is one clear
error naming the file and the entry."""
import json

import pytest

from mmvmt.engine import SelfCorrectionState, SelfCorrectionStateError


@pytest.fixture
def saved(tmp_path):
    path = str(tmp_path / 'state.json')
    state = SelfCorrectionState(path, '/data/coarse.json', {'/data/coarse.json': 'ab' * 32},
                                round=2, stage='correct',
                                rounds=[dict(round=1, checkpoint='c1.pth'), dict(round=2)],
                                validation_baseline=0.25)
    state.save()
    return path


def test_what_is_saved_is_loaded(saved):
    state = SelfCorrectionState.load(saved)
    assert (state.input_ann_file, state.round, state.stage, state.validation_baseline) == \
        ('/data/coarse.json', 2, 'correct', 0.25)
    assert state.rounds == [dict(round=1, checkpoint='c1.pth'), dict(round=2)]
    assert state.inputs == {'/data/coarse.json': 'ab' * 32} and state.stopped_after is None


def edited(data, **changes):
    data = dict(data, **changes)
    return {k: v for k, v in data.items() if v is not DROP}


DROP = object()


@pytest.mark.parametrize('damage, message', [
    (lambda d: '{"version": 2, "round"', r'is not JSON \(.*\); expected the state'),
    (lambda d: '', r'is not JSON'),
    (lambda d: [d], r'expected a JSON object, got list'),
    (lambda d: edited(d, version=7), r'unsupported state version 7, expected 2'),
    (lambda d: edited(d, input_ann_file=DROP), r'"input_ann_file" must be a path, got None'),
    (lambda d: edited(d, inputs=['a']), r'"inputs" must be a map of input files'),
    (lambda d: edited(d, inputs={'a': 1}), r'"inputs" must map file paths to SHA-256'),
    (lambda d: edited(d, round=DROP), r'"round" must be the round in progress, >= 1, got None'),
    (lambda d: edited(d, round='2'), r'"round" must be .* got \'2\''),
    (lambda d: edited(d, round=0), r'"round" must be >= 1, got 0'),
    (lambda d: edited(d, stage='done'), r'"stage" must be one of .*, got \'done\''),
    (lambda d: edited(d, rounds=DROP), r'"rounds" must be one record per started round'),
    (lambda d: edited(d, rounds=[dict(round=2)]), r'rounds\[0\] must be the record of round 1'),
    (lambda d: edited(d, rounds=[dict(round=1), 'x']), r'rounds\[1\] must be the record'),
    (lambda d: edited(d, stopped_after='1'), r'"stopped_after" must be a number or null'),
    (lambda d: edited(d, validation_baseline=True), r'"validation_baseline" must be a number'),
    (lambda d: edited(d, version=1), r'"input_sha256" must be a SHA-256, got None')])
def test_a_damaged_state_file_is_one_clear_error(saved, damage, message):
    with open(saved) as f:
        data = json.load(f)
    content = damage(data)
    with open(saved, 'w') as f:
        f.write(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(SelfCorrectionStateError, match=rf'^{saved}: {message}'):
        SelfCorrectionState.load(saved)
