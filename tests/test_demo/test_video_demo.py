"""demo/video_demo.py: one command from a folder of frames to a drawn video and a JSON."""
import hashlib
import importlib.util
import os
import os.path as osp
import shutil

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


def _sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_an_image_input_is_not_replaced_by_its_drawing(frames, tmp_path, capsys):
    image = tmp_path / 'frame.jpg'
    shutil.copy(osp.join(frames, sorted(os.listdir(frames))[0]), image)
    before = _sha256(image)
    with pytest.raises(SystemExit) as exit_info:
        video_demo.main([str(image), CONFIG, '--out', str(tmp_path), '--device', 'cpu'])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert 'lies inside' in err and 'the folder of the input frames' in err, err
    assert _sha256(image) == before and sorted(os.listdir(tmp_path)) == ['frame.jpg']


def test_frames_that_share_a_stem_get_a_drawing_each(frames, tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    names = sorted(os.listdir(frames))[:2]
    shutil.copy(osp.join(frames, names[0]), folder / 'a.jpg')
    cv2.imwrite(str(folder / 'a.png'), cv2.imread(osp.join(frames, names[1])))
    video_demo.main([str(folder), CONFIG, '--out', str(tmp_path / 'drawn'), '--device', 'cpu',
                     '--score-thr', '0'])
    assert sorted(os.listdir(tmp_path / 'drawn')) == ['00000_a.jpg', '00001_a.jpg']


@pytest.mark.parametrize('content', [b'', b'a text file\n', b'PK\x03\x04truncated'])
def test_a_file_that_is_not_a_checkpoint_is_one_line(frames, tmp_path, content):
    weights = tmp_path / 'weights.pth'
    weights.write_bytes(content)
    with pytest.raises(SystemExit, match=f'^video_demo: {weights}: (is empty|cannot be read '
                       'as a torch checkpoint)'):
        video_demo.main([frames, CONFIG, '--weights', str(weights), '--json',
                         str(tmp_path / 'out.json'), '--device', 'cpu'])
    assert not (tmp_path / 'out.json').exists()
