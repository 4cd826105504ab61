import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'benchmark_input_bounds',
    osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_input_bounds.py'))
benchmark_input_bounds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark_input_bounds)


def test_every_case_is_timed_through_every_reader(capsys):
    assert benchmark_input_bounds.main(['--kb', '1']) == 0
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith('| ') and 'KB' not in line]
    names = [name for name, _, _ in benchmark_input_bounds.cases(1024)]
    assert len(rows) == len(names) == 6
    for row, name in zip(rows, names):
        cells = row.strip('|').split(' | ')
        assert cells[0].strip() == name and len(cells) == 2 + 4
        assert all('(' in cell and 'refused' not in cell for cell in cells[2:])


def test_bad_size_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as info:
        benchmark_input_bounds.main(['--kb', '0'])
    assert info.value.code == 2
    assert '--kb must be >= 1, got 0' in capsys.readouterr().err
