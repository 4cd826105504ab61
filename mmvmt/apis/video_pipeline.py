"""A VIS config's test pipeline, taken apart so it runs on raw frames without annotations."""
import copy
from typing import List, Sequence

from mmengine.dataset import Compose

from mmvmt.registry import TRANSFORMS

# Transforms that read annotations; an inferencer has none.
ANNOTATION_LOADERS = ('LoadTrackAnnotations', 'LoadAnnotations')
IMAGE_LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'InferencerLoader')


def _type_name(transform: dict) -> str:
    return str(transform.get('type', '')).split('.')[-1]


class VideoTestPipeline:
    """Run a VIS test pipeline frame by frame, then pack the frames into one video sample.

    VIS test pipelines are ``[TransformBroadcaster(transforms=[load, resize, load
    annotations]), PackTrackInputs-like]`` (the broadcaster may be left out, then every
    transform but the last is a per-frame one). Here the per-frame transforms run one frame at
    a time (so a progress bar can follow them), with the image loader replaced by mmdet's
    ``InferencerLoader`` (it takes a file path or an array) and the annotation loaders left
    out; the last transform packs the list of frames.

    Args:
        pipeline (Sequence[dict]): The config's test pipeline.

    Raises:
        ValueError: If the pipeline has no image loader or nothing after the per-frame part.
    """

    def __init__(self, pipeline: Sequence[dict]) -> None:
        pipeline = copy.deepcopy(list(pipeline))
        if len(pipeline) < 2:
            raise ValueError('VideoTestPipeline: the test pipeline needs per-frame transforms '
                             f'and a packing transform, got {pipeline}')
        *frame_part, pack = pipeline
        frame_transforms: List[dict] = []
        for transform in frame_part:
            if _type_name(transform) == 'TransformBroadcaster':
                frame_transforms += list(transform['transforms'])
            else:
                frame_transforms.append(transform)
        kept = []
        for transform in frame_transforms:
            name = _type_name(transform)
            if name in ANNOTATION_LOADERS:
                continue
            if name in IMAGE_LOADERS:
                args = {k: v for k, v in transform.items() if k != 'type'}
                transform = dict(type='mmdet.InferencerLoader', **args)
            kept.append(transform)
        if not any(_type_name(t) == 'InferencerLoader' for t in kept):
            raise ValueError('VideoTestPipeline: the test pipeline has no image loader '
                             f'({", ".join(IMAGE_LOADERS)}): {pipeline}')
        self.frame_transforms = Compose([TRANSFORMS.build(t) for t in kept])
        self.pack = TRANSFORMS.build(pack)

    def frame(self, frame, t: int, num_frames: int, video_id=0) -> dict:
        """Run the per-frame transforms on frame ``t`` (a file path or a BGR array)."""
        results = dict(img_path=frame) if isinstance(frame, str) else dict(img=frame)
        results.update(img_id=t, frame_id=t, video_id=video_id, video_length=num_frames,
                       ori_video_length=num_frames)
        return self.frame_transforms(results)

    def __call__(self, frames: Sequence[dict]) -> dict:
        """Pack per-frame results (from :meth:`frame`) into one ``TrackDataSample``.

        Returns:
            dict: ``inputs`` (T, C, H, W) and ``data_samples`` (``TrackDataSample``).
        """
        keys = set().union(*(f.keys() for f in frames))
        return self.pack({key: [f.get(key) for f in frames] for key in keys})
