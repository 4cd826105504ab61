"""VideoTestPipeline takes every shipped config's test pipeline apart and runs it on arrays."""
import glob
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmvmt.apis import VideoTestPipeline
from mmvmt.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    path for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path and 'self_correction' not in path)


@pytest.mark.parametrize('config', CONFIGS, ids=[osp.basename(c) for c in CONFIGS])
def test_shipped_test_pipelines_run_on_raw_frames(config):
    register_all_modules()
    cfg = Config.fromfile(config)
    pipeline = VideoTestPipeline(cfg.test_dataloader.dataset.pipeline)
    frames = [pipeline.frame(np.full((72, 96, 3), 10 * t, np.uint8), t, 3) for t in range(3)]
    packed = pipeline(frames)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.shape[0] == 3 and inputs.shape[1] == 3
    assert [f.frame_id for f in sample.video_data_samples] == [0, 1, 2]
    assert all(tuple(f.ori_shape) == (72, 96) for f in sample.video_data_samples)
    assert 'gt_instances' not in sample[0] or len(sample[0].gt_instances) == 0


def test_a_pipeline_without_loader_or_packer_is_refused():
    with pytest.raises(ValueError, match='packing transform'):
        VideoTestPipeline([dict(type='PackTrackInputs')])
    with pytest.raises(ValueError, match='no image loader'):
        VideoTestPipeline([dict(type='Resize', scale=(8, 8)), dict(type='PackTrackInputs')])
