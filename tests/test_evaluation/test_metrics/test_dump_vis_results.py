"""DumpVISResults: every frame of every video, masks as RLE, tracks merged for JSON."""
import pickle

import mmengine
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from mmvmt.evaluation.metrics import DumpVISResults


def video(video_id, num_frames=3, height=6, width=8):
    """Two tracks per frame; track 5 moves right, track 9 has a score per frame."""
    frames = []
    for t in range(num_frames):
        masks = np.zeros((2, height, width), bool)
        masks[0, 1:3, t:t + 2] = True
        masks[1, 4:6, 5:8] = True
        frame = DetDataSample(metainfo=dict(video_id=video_id, frame_id=t, ori_shape=(height,
                                                                                      width),
                                            video_length=num_frames, img_path=f'{t}.jpg'))
        frame.pred_track_instances = InstanceData(
            instances_id=torch.tensor([5, 9]), scores=torch.tensor([0.8, 0.2 + 0.1 * t]),
            labels=torch.tensor([1, 2 if t else 0]), masks=torch.from_numpy(masks),
            bboxes=torch.zeros(2, 4))
        frame.pred_track_instances_coarse = frame.pred_track_instances.clone()
        frames.append(frame)
    return TrackDataSample(video_data_samples=frames)


def decode(rle):
    return mask_utils.decode(dict(rle, counts=rle['counts'].encode())).astype(bool)


def run(path, videos):
    metric = DumpVISResults(str(path))
    for v in videos:
        metric.process({}, [v])
    assert metric.evaluate(len(videos)) == {}


def test_pickle_has_every_frame_of_every_video(tmp_path):
    videos = [video(3), video(1)]
    run(tmp_path / 'preds.pkl', videos)
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        dumped = pickle.load(f)
    assert [v['video_id'] for v in dumped] == [1, 3]
    for entry, source in zip(dumped, videos[::-1]):
        assert [f['frame_id'] for f in entry['frames']] == [0, 1, 2]
        for frame, sample in zip(entry['frames'], source.video_data_samples):
            pred = sample.pred_track_instances
            for key in ('pred_track_instances', 'pred_track_instances_coarse'):
                got = frame[key]
                assert got['instances_id'] == [5, 9]
                assert got['scores'] == pytest.approx(pred.scores.tolist())
                assert np.array_equal(np.stack([decode(r) for r in got['masks']]),
                                      pred.masks.numpy())


def test_json_merges_frames_into_tracks(tmp_path):
    run(tmp_path / 'res.json', [video(3), video(1)])
    results = mmengine.load(str(tmp_path / 'res.json'))
    assert len(results) == 4 and sorted({r['video_id'] for r in results}) == [1, 3]
    by_score = sorted(results, key=lambda r: r['score'])
    track_9 = by_score[0]
    assert track_9['score'] == pytest.approx(np.mean([0.2, 0.3, 0.4]))
    assert track_9['category_id'] == 3  # labels 0, 2, 2: the most frequent, + 1
    track_5 = by_score[-1]
    assert track_5['category_id'] == 2 and len(track_5['segmentations']) == 3
    assert decode(track_5['segmentations'][2])[1:3, 2:4].all()


def test_other_suffixes_are_refused():
    with pytest.raises(ValueError, match='.pkl, .pickle or .json'):
        DumpVISResults('preds.txt')
