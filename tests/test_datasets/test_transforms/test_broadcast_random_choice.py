"""BroadcastRandomChoice: one branch per clip under shared random parameters, where mmcv's
RandomChoice raises once mmdet (whose RandAugment re-decorates its method) is imported."""
import numpy as np
import pytest
from mmcv.transforms import RandomChoice, TransformBroadcaster

from mmvmt.datasets.transforms import BroadcastRandomChoice
from mmvmt.utils import register_all_modules

register_all_modules()


def clip(n=4):
    return dict(img=[np.zeros((10, 20, 3), np.uint8) for _ in range(n)],
                img_shape=[(10, 20)] * n)


def branches():
    return [[dict(type='Resize', scale=(40, 20), keep_ratio=True)],
            [dict(type='Resize', scale=(10, 5), keep_ratio=True)]]


def test_one_branch_for_all_frames_of_a_clip():
    broadcaster = TransformBroadcaster(
        transforms=[BroadcastRandomChoice(transforms=branches())], share_random_params=True)
    shapes = set()
    for seed in range(12):
        np.random.seed(seed)
        out = broadcaster(clip())
        per_clip = {img.shape for img in out['img']}
        assert len(per_clip) == 1
        shapes |= per_clip
    assert shapes == {(20, 40, 3), (5, 10, 3)}


def test_mmcvs_random_choice_fails_there():
    assert RandomChoice._methods_with_randomness.count('random_pipeline_index') > 1
    broadcaster = TransformBroadcaster(
        transforms=[RandomChoice(transforms=branches())], share_random_params=True)
    with pytest.raises(RuntimeError, match='at most once'):
        broadcaster(clip())
