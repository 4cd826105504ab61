"""demo/video_demo.py: one command from a folder of frames to a drawn video and a JSON."""
import importlib.util
import os.path as osp

import cv2
import mmengine
import pytest

from mmvmt.datasets.toy import make_toy_vis

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location('video_demo',
                                              osp.join(ROOT, 'demo', 'video_demo.py'))
video_demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(video_demo)
CONFIG = 'vmt_tiny_r18_1xb2-toy_vis'


@pytest.fixture(scope='module')
def frames(tmp_path_factory):
    data = tmp_path_factory.mktemp('demo') / 'toy_vis'
    make_toy_vis(data, seed=4, num_videos=dict(train=1, val=1, test=1), num_frames=3,
                 verbose=False)
    video = mmengine.load(str(data / 'annotations' / 'val_hq.json'))['videos'][0]
    return str(data / 'val' / 'JPEGImages' / osp.dirname(video['file_names'][0]))


def test_folder_to_video_and_json(frames, tmp_path):
    result = video_demo.main([frames, CONFIG, '--out', str(tmp_path / 'out.mp4'), '--json',
                              str(tmp_path / 'out.json'), '--device', 'cpu', '--video-id',
                              '3'])
    assert mmengine.load(str(tmp_path / 'out.json')) == result['results']
    assert all(r['video_id'] == 3 for r in result['results'])
    capture = cv2.VideoCapture(str(tmp_path / 'out.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 3


def test_outputs_onto_inputs_are_refused_before_any_work(frames, tmp_path):
    with pytest.raises(SystemExit):
        video_demo.main([frames, CONFIG, '--out', osp.join(frames, 'drawn')])
    with pytest.raises(SystemExit):
        video_demo.main([frames, CONFIG, '--json', osp.join(frames, '00000.jpg')])
    with pytest.raises(SystemExit):
        video_demo.main([frames, CONFIG])  # nothing to do
    assert not osp.exists(osp.join(frames, 'drawn'))
