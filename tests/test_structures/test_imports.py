"""The import arrows (structures <- everything; datasets and evaluation apart) and the fast
start of the offline tools (no torch, mmdet or mmengine behind the format and the metric)."""
import ast
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / 'mmvmt'


def mmvmt_imports(folder):
    """(file, imported mmvmt module) for every absolute mmvmt import below ``folder``."""
    for path in sorted((PACKAGE / folder).rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ''] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            for name in names:
                if name.startswith('mmvmt'):
                    yield path.relative_to(ROOT), name


@pytest.mark.parametrize('folder, forbidden', [
    ('structures', ('mmvmt.',)),
    ('datasets', ('mmvmt.evaluation', 'mmvmt.engine', 'mmvmt.models')),
    ('evaluation', ('mmvmt.datasets', 'mmvmt.engine', 'mmvmt.models')),
])
def test_import_arrows_run_one_way(folder, forbidden):
    wrong = [(str(f), name) for f, name in mmvmt_imports(folder)
             if name.startswith(forbidden)]
    assert not wrong


def test_format_and_metric_functions_import_nothing_heavy():
    script = ('import sys; import mmvmt, mmvmt.structures, mmvmt.evaluation, '
              'mmvmt.evaluation.functional, mmvmt.utils.output_paths; '
              "print(sorted(m for m in ('torch', 'mmdet', 'mmengine', 'mmcv', 'bdd100k', "
              "'scalabel') if m in sys.modules))")
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                         env=dict(PYTHONPATH=str(ROOT)), check=True).stdout
    assert out.strip() == '[]'


def test_metrics_register_through_the_registry_location():
    script = ('from mmvmt.registry import METRICS; '
              "print(METRICS.get('TubeBoundaryAP').__module__, "
              "METRICS.get('BDD100KMOTSMetric').__name__)")
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                         env=dict(PYTHONPATH=str(ROOT)), check=True, cwd=osp.dirname(ROOT))
    assert out.stdout.split() == ['mmvmt.evaluation.metrics.tube_boundary_ap',
                                  'BDD100KMOTSMetric']
