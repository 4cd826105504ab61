"""Which frames of a video form a clip: SeqFormer-style training clips, test-time chunks.

Training: :class:`SeqFormerFrameSample` takes the video dict of a
:class:`~mmdet.datasets.BaseVideoDataset` and returns a clip of ``num_frames`` frames.
Test: a dataset in ``test_mode`` already hands the pipeline the whole video as one clip
(mmdet's ``BaseVideoDataset.prepare_data``); the model splits it into chunks for memory
(``model.test_cfg.chunk_size``; the dataset configs define ``test_chunk_size`` for it).
"""
import random
from typing import Dict, List, Optional, Tuple

from mmdet.datasets.transforms import BaseFrameSample

from mmvmt.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SeqFormerFrameSample(BaseFrameSample):
    """Sample a training clip as SeqFormer does: a key frame, its neighbours, and frames
    spread over the rest of the video.

    The key frame is ``video_infos['key_frame_id']`` when a frame-level sampler set it, else
    uniform over the video. Up to two local frames are drawn, one before and one after the
    key frame, each at a distance uniform in ``[1, local_range]`` (clipped to the video).
    The remaining ``num_frames - 1 - num_local`` frames are drawn without replacement from
    the frames outside that local window, then from any frame not yet taken, and repeated
    only when the video is shorter than the clip. Frames are returned in temporal order,
    with ``key_frame_flags`` marking the key frame, as mmdet's ``UniformRefFrameSample``
    does (so ``PackTrackInputs`` sets ``key_frames_inds`` / ``ref_frames_inds``).

    Args:
        num_frames (int): Frames per clip. Defaults to 5 (the VMT paper).
        local_range (int): Largest distance of the local frames from the key frame.
            Defaults to 3 (SeqFormer).
        collect_video_keys (list[str]): Video-level keys copied into every frame.
    """

    def __init__(self, num_frames: int = 5, local_range: int = 3,
                 collect_video_keys: Optional[List[str]] = None) -> None:
        if num_frames < 1 or local_range < 1:
            raise ValueError(f'num_frames ({num_frames}) and local_range ({local_range}) '
                             'must be >= 1')
        self.num_frames = num_frames
        self.local_range = local_range
        super().__init__(collect_video_keys=collect_video_keys or ['video_id', 'video_length'])

    def sampling_frames(self, video_length: int, key_frame_id: int) -> Tuple[List[int],
                                                                             List[bool]]:
        """Draw the clip's frame indices.

        Args:
            video_length (int): Frames in the video, L.
            key_frame_id (int): Index of the key frame, in [0, L).

        Returns:
            tuple[list[int], list[bool]]: ``num_frames`` sorted indices in [0, L) and the
            key-frame flag of each (exactly one True).
        """
        local = []
        if self.num_frames > 1 and video_length > 1:
            before = key_frame_id - random.randint(1, self.local_range)
            after = key_frame_id + random.randint(1, self.local_range)
            local = sorted({max(0, before), min(video_length - 1, after)} - {key_frame_id})
            if len(local) > self.num_frames - 1:
                local = random.sample(local, self.num_frames - 1)
        chosen = [key_frame_id] + local
        lo, hi = min(chosen), max(chosen)
        outside = [i for i in range(video_length) if i < lo or i > hi]
        inside = [i for i in range(lo, hi + 1) if i not in chosen]
        for pool in (outside, inside):
            need = self.num_frames - len(chosen)
            chosen += random.sample(pool, min(need, len(pool)))
        while len(chosen) < self.num_frames:
            chosen.append(random.randrange(video_length))
        # The key frame sorts before its copies, so its flag is the first one.
        order = sorted(range(len(chosen)), key=lambda j: (chosen[j], j))
        return [chosen[j] for j in order], [j == 0 for j in order]

    def transform(self, video_infos: dict) -> Dict[str, List]:
        """Sample a clip from one video.

        Args:
            video_infos (dict): A video of a ``BaseVideoDataset`` (``images``,
                ``video_length``, optional ``key_frame_id``).

        Returns:
            dict: Per-frame lists of the clip's frame infos, plus ``key_frame_flags``.
        """
        length = video_infos['video_length']
        key_frame_id = video_infos.get('key_frame_id')
        if key_frame_id is None:
            key_frame_id = random.randrange(length)
        frame_ids, flags = self.sampling_frames(length, key_frame_id)
        results = self.prepare_data(video_infos, frame_ids)
        results['key_frame_flags'] = flags
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'local_range={self.local_range}, '
                f'collect_video_keys={self.collect_video_keys})')

