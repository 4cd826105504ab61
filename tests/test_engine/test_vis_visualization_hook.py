"""VISVisualizationHook + VISLocalVisualizer draw VIS test predictions where mmdet 3.3's
TrackVisualizationHook + TrackLocalVisualizer fail."""
import os
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmdet.engine.hooks import TrackVisualizationHook
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.visualization import TrackLocalVisualizer
from mmengine.structures import InstanceData
from mmengine.visualization import Visualizer

from mmvmt.engine import VISVisualizationHook
from mmvmt.visualization import VISLocalVisualizer, track_color


def video_sample(root, name, video_id, num_frames=2):
    """A whole-video prediction as VIS models give it, GT packed by PackTrackInputs."""
    frames = []
    for t in range(num_frames):
        path = osp.join(root, 'JPEGImages', name, f'{t:05d}.jpg')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, np.zeros((40, 50, 3), np.uint8))
        mask = torch.zeros(1, 40, 50, dtype=torch.bool)
        mask[0, 10:30, 10:30] = True
        frame = DetDataSample(metainfo=dict(img_path=path, frame_id=t, video_id=video_id,
                                            ori_shape=(40, 50), video_length=num_frames))
        frame.gt_instances = InstanceData(instances_ids=torch.tensor([4]),
                                          labels=torch.tensor([0]), masks=mask)
        frame.pred_track_instances = InstanceData(
            instances_id=torch.tensor([4]), scores=torch.tensor([0.9]),
            labels=torch.tensor([0]), masks=mask, bboxes=torch.tensor([[10., 10., 29., 29.]]))
        frames.append(frame)
    return TrackDataSample(video_data_samples=frames)


@pytest.fixture(autouse=True)
def forget_visualizers():
    """Drop the visualizers a test creates: mmengine keeps them per process, and the latest
    one is what hooks of later runners in this process would draw with."""
    classes = (Visualizer, TrackLocalVisualizer, VISLocalVisualizer)
    before = {cls: set(cls._instance_dict) for cls in classes}
    yield
    for cls in classes:
        for name in set(cls._instance_dict) - before[cls]:
            cls._instance_dict.pop(name)


def fake_runner(tmp_path):
    return SimpleNamespace(work_dir=str(tmp_path / 'work'), timestamp='20260101_000000',
                           test_dataloader=SimpleNamespace(sampler=None), iter=0)


def test_mmdet_track_hook_fails_on_vis_predictions(tmp_path):
    # The bug this module works around (mmdet 3.3): if this starts passing, mmdet fixed it.
    TrackLocalVisualizer.get_instance('mmdet_track_vis_probe')
    hook = TrackVisualizationHook(draw=True, frame_interval=1, test_out_dir='vis')
    with pytest.raises(AttributeError, match='instances_id'):
        hook.after_test_iter(fake_runner(tmp_path), 0, {},
                             [video_sample(str(tmp_path / 'data'), 'a', 1)])


def test_vis_hook_writes_every_video_into_its_own_folder(tmp_path):
    vis = VISLocalVisualizer.get_instance('vis_hook_probe')
    vis.dataset_meta = dict(classes=('lizard', ))
    hook = VISVisualizationHook(draw=True, frame_interval=1, test_out_dir='vis')
    runner = fake_runner(tmp_path)
    hook.before_test(runner)
    data = str(tmp_path / 'data')
    for i, name in enumerate(['a', 'b']):
        hook.after_test_iter(runner, i, {}, [video_sample(data, name, i + 1)])
    out_dir = tmp_path / 'work' / '20260101_000000' / 'vis'
    written = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob('*.jpg'))
    assert written == ['a/00000.jpg', 'a/00001.jpg', 'b/00000.jpg', 'b/00001.jpg']
    drawn = cv2.imread(str(out_dir / 'b' / '00001.jpg'))[..., ::-1]
    assert drawn.shape == (40, 100, 3)  # GT | prediction
    color = np.array(track_color(4))
    assert np.abs(drawn[25, 25].astype(int) - color * 0.5).max() <= 8  # JPEG
    assert np.abs(drawn[25, 75].astype(int) - color * 0.5).max() <= 8


def test_vis_hook_draws_frames_by_frame_id_interval(tmp_path):
    VISLocalVisualizer.get_instance('vis_hook_interval_probe')
    hook = VISVisualizationHook(draw=True, frame_interval=2, test_out_dir='vis')
    runner = fake_runner(tmp_path)
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, {}, [video_sample(str(tmp_path / 'data'), 'a', 1, 5)])
    out_dir = tmp_path / 'work' / '20260101_000000' / 'vis' / 'a'
    assert sorted(p.name for p in out_dir.glob('*.jpg')) == ['00000.jpg', '00002.jpg',
                                                             '00004.jpg']


def test_vis_hook_needs_the_vis_visualizer_to_draw():
    TrackLocalVisualizer.get_instance('mmdet_track_vis_probe_2')
    with pytest.raises(TypeError, match='VISLocalVisualizer'):
        VISVisualizationHook(draw=True)
    VISVisualizationHook(draw=False)  # a config that never draws is not refused
