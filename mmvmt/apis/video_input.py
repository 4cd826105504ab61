"""What users give the inferencer as "a video": a video file, a folder of frames, or a list of
frames (file paths or arrays), turned into one ordered list of frames."""
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

import cv2
import mmcv
import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpeg', '.mpg', '.m4v')

Frame = Union[str, np.ndarray]
VideoInput = Union[str, Sequence[Frame]]


@dataclass
class VideoFrames:
    """An input video as an ordered list of frames.

    Attributes:
        frames (list): Per frame, a file path or an (H, W, 3) uint8 BGR array (OpenCV's
            channel order, as ``mmcv.imread`` and ``cv2.VideoCapture`` give).
        names (list[str]): Per frame, a file name for outputs (``00000.jpg``, ... or the
            frame files' own names).
        fps (float, optional): Frame rate of a video file; None for frames.
        source (str): What the frames came from, for messages.
    """
    frames: List[Frame]
    names: List[str]
    fps: Optional[float]
    source: str

    def __len__(self) -> int:
        return len(self.frames)

    def image(self, t: int) -> np.ndarray:
        """Frame ``t`` as an (H, W, 3) uint8 BGR array."""
        frame = self.frames[t]
        if isinstance(frame, np.ndarray):
            return frame
        image = mmcv.imread(frame)
        if image is None:
            raise ValueError(f'{frame}: not a readable image (frame {t} of {self.source})')
        return image


def natural_key(name: str) -> list:
    """Sort key that orders ``frame_2`` before ``frame_10``."""
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r'(\d+)', name)]


def read_video(video: VideoInput) -> VideoFrames:
    """Turn a video file, a folder of frames or a list of frames into :class:`VideoFrames`.

    Args:
        video (str | Sequence): A video file (``.mp4``, ``.avi``, ...; decoded into memory
            with OpenCV), a folder of image files (in natural order of their names), or a
            list of frames: image file paths or (H, W, 3) uint8 BGR arrays.

    Returns:
        VideoFrames: The frames in order.

    Raises:
        FileNotFoundError: If a path does not exist.
        ValueError: If the input has no frames, a frame array is not (H, W, 3) uint8, or
            the video file cannot be decoded.
    """
    if isinstance(video, (str, os.PathLike)):
        path = os.fspath(video)
        if osp.isdir(path):
            return _read_folder(path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: no such video file or folder of frames')
        if path.lower().endswith(IMG_EXTENSIONS):
            return _from_list([path], path)
        return _read_video_file(path)
    return _from_list(list(video), f'a list of {len(video)} frames')


def _read_folder(path: str) -> VideoFrames:
    files = sorted((f for f in os.listdir(path) if f.lower().endswith(IMG_EXTENSIONS)
                    and osp.isfile(osp.join(path, f))), key=natural_key)
    if not files:
        raise ValueError(f'{path}: the folder has no image files ({", ".join(IMG_EXTENSIONS)})')
    return VideoFrames([osp.join(path, f) for f in files], files, None, path)


def _read_video_file(path: str) -> VideoFrames:
    capture = cv2.VideoCapture(path)
    fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0
    frames = []
    while capture.isOpened():
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise ValueError(f'{path}: no frame could be decoded (is it a video file OpenCV '
                         f'can read? extensions: {", ".join(VIDEO_EXTENSIONS)})')
    return VideoFrames(frames, [f'{t:05d}.jpg' for t in range(len(frames))],
                       float(fps) if fps and fps > 0 else None, path)


def _from_list(frames: List[Frame], source: str) -> VideoFrames:
    if not frames:
        raise ValueError(f'{source}: the video has no frames')
    names = []
    for t, frame in enumerate(frames):
        if isinstance(frame, (str, os.PathLike)):
            frame = os.fspath(frame)
            if not osp.isfile(frame):
                raise FileNotFoundError(f'{frame}: frame {t} of {source} does not exist')
            names.append(osp.basename(frame))
            frames[t] = frame
        elif isinstance(frame, np.ndarray):
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(f'frame {t} of {source}: expected an (H, W, 3) uint8 BGR '
                                 f'array, got shape {frame.shape} dtype {frame.dtype}')
            names.append(f'{t:05d}.jpg')
        else:
            raise TypeError(f'frame {t} of {source}: expected a file path or an array, got '
                            f'{type(frame).__name__}')
    return VideoFrames(frames, names, None, source)
