import hashlib
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'benchmark_metric', osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_metric.py'))
benchmark_metric = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark_metric)


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.parametrize('name', ['gt.json', 'results.json'])
def test_out_dir_holding_a_file_it_would_write_is_refused_before_any_work(
        tmp_path, capsys, name):
    # Issue 23 point 0: `--out-dir DIR` replaced an existing DIR/gt.json with generated data.
    existing = tmp_path / name
    existing.write_text('{"my": "ground truth"}')
    before = sha256(existing)
    with pytest.raises(SystemExit) as info:
        benchmark_metric.main(['--out-dir', str(tmp_path), '--videos', '1'])
    assert info.value.code == 2
    err = capsys.readouterr()
    assert f'--out-dir {tmp_path}: {existing} exists; the benchmark never overwrites' in err.err
    assert 'generated' not in err.out  # refused before generating anything
    assert sha256(existing) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_out_dir_that_is_a_file_and_half_given_inputs_are_refused(tmp_path, capsys):
    a_file = tmp_path / 'file'
    a_file.write_text('x')
    with pytest.raises(SystemExit) as info:
        benchmark_metric.parse_args(['--out-dir', str(a_file)])
    assert info.value.code == 2
    assert 'is an existing file; give a folder path' in capsys.readouterr().err
    # --gt alone used to be ignored silently (data were generated instead).
    with pytest.raises(SystemExit) as info:
        benchmark_metric.parse_args(['--gt', str(a_file)])
    assert info.value.code == 2
    assert 'give both --gt and --results, or neither' in capsys.readouterr().err


def test_an_empty_or_new_out_dir_is_accepted(tmp_path):
    assert benchmark_metric.parse_args(['--out-dir', str(tmp_path)]).out_dir == str(tmp_path)
    new = str(tmp_path / 'new' / 'dir')
    assert benchmark_metric.parse_args(['--out-dir', new]).out_dir == new
