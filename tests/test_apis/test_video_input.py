"""read_video: video files, folders and lists of frames, in order, with clear errors."""
import cv2
import numpy as np
import pytest

from mmvmt.apis import read_video


def frame(value, h=16, w=24):
    return np.full((h, w, 3), value, np.uint8)


def test_folder_frames_in_natural_order(tmp_path):
    for i in (10, 2, 1):
        cv2.imwrite(str(tmp_path / f'frame_{i}.png'), frame(i * 10))
    (tmp_path / 'notes.txt').write_text('not a frame')
    video = read_video(str(tmp_path))
    assert video.names == ['frame_1.png', 'frame_2.png', 'frame_10.png']
    assert [int(video.image(t)[0, 0, 0]) for t in range(3)] == [10, 20, 100]
    assert video.fps is None


def test_video_file_frames_and_fps(tmp_path):
    path = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 7, (32, 16))
    for value in (0, 120, 250):
        writer.write(frame(value, 16, 32))
    writer.release()
    video = read_video(path)
    assert len(video) == 3 and video.fps == pytest.approx(7)
    assert video.names == ['00000.jpg', '00001.jpg', '00002.jpg']
    means = [video.image(t).mean() for t in range(3)]
    assert means == pytest.approx([0, 120, 250], abs=8)  # lossy codec


def test_list_of_arrays_and_paths(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), frame(5))
    video = read_video([frame(1), str(tmp_path / 'a.png')])
    assert video.names == ['00000.jpg', 'a.png']
    assert int(video.image(1)[0, 0, 0]) == 5


@pytest.mark.parametrize('bad, error, match', [
    ([], ValueError, 'no frames'),
    ([np.zeros((4, 4), np.uint8)], ValueError, r'\(H, W, 3\) uint8'),
    ([np.zeros((4, 4, 3), np.float32)], ValueError, 'uint8'),
    ([3], TypeError, 'file path or an array'),
])
def test_bad_lists(bad, error, match):
    with pytest.raises(error, match=match):
        read_video(bad)


def test_missing_and_empty_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such video'):
        read_video(str(tmp_path / 'nope.mp4'))
    with pytest.raises(ValueError, match='no image files'):
        read_video(str(tmp_path))
    (tmp_path / 'broken.mp4').write_bytes(b'not a video')
    with pytest.raises(ValueError, match='no frame could be decoded'):
        read_video(str(tmp_path / 'broken.mp4'))
    with pytest.raises(FileNotFoundError, match='frame 0'):
        read_video([str(tmp_path / 'missing.jpg')])
