"""mmdet's own inference API builds VMT from an mmvmt config, whatever mmdet's scope."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# A fresh interpreter: no default scope at first (a plain script), then mmdet's (what
# mmdet's demos set with register_all_modules()).
SCRIPT = '''
from mmdet.apis import init_track_model
from mmdet.utils import register_all_modules
from mmengine.registry import DefaultScope
for scope in ('none', 'mmdet'):
    if scope == 'mmdet':
        register_all_modules(init_default_scope=True)
        assert DefaultScope.get_current_instance().scope_name == 'mmdet'
    model = init_track_model('configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py', device='cpu')
    print(scope, type(model).__module__, type(model.bbox_head).__name__,
          type(model.data_preprocessor).__name__)
'''


def test_init_track_model_builds_vmt_with_and_without_mmdet_scope():
    proc = subprocess.run([sys.executable, '-c', SCRIPT], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()[-2:]
    assert [line.split() for line in lines] == [
        [scope, 'mmvmt.models.detectors.vmt', 'VideoQueryHead', 'TrackDataPreprocessor']
        for scope in ('none', 'mmdet')]
