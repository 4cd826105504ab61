"""mmdet's own inference API builds VMT from an mmvmt config, whatever mmdet's scope."""
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = '''
import sys
from mmdet.apis import init_track_model
if sys.argv[1] == 'mmdet':
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
model = init_track_model('configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py', device='cpu')
print(type(model).__module__, type(model.base_head).__name__,
      type(model.data_preprocessor).__name__)
'''


@pytest.mark.parametrize('scope', ['none', 'mmdet'])
def test_init_track_model_builds_vmt(scope):
    proc = subprocess.run([sys.executable, '-c', SCRIPT, scope], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-3:] == ['mmvmt.models.detectors.vmt', 'VideoQueryHead',
                                        'TrackDataPreprocessor']
