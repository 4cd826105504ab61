import random

import pytest

from mmvmt.datasets.transforms import SeqFormerFrameSample


def video(length):
    return dict(video_id=1, video_length=length,
                images=[dict(frame_id=i, img_id=100 + i) for i in range(length)])


def test_long_video_gives_key_local_and_global_frames():
    sampler = SeqFormerFrameSample(num_frames=5, local_range=3)
    random.seed(0)
    for _ in range(50):
        out = sampler(dict(video(40), key_frame_id=20))
        ids = out['frame_id']
        assert ids == sorted(ids) and len(set(ids)) == 5
        assert [f for f, k in zip(ids, out['key_frame_flags']) if k] == [20]
        local = [f for f in ids if 0 < abs(f - 20) <= 3]
        assert len(local) >= 2 and sum(f < 20 for f in local) >= 1
        assert out['video_length'] == [5] * 5 and out['ori_video_length'] == [40] * 5
    spread = set()
    for _ in range(50):
        spread.update(sampler(dict(video(40), key_frame_id=20))['frame_id'])
    assert min(spread) < 5 and max(spread) > 35  # global frames from the whole video


@pytest.mark.parametrize('length', [1, 2, 3, 5])
def test_short_videos_still_give_full_clips(length):
    random.seed(1)
    sampler = SeqFormerFrameSample(num_frames=5)
    for _ in range(20):
        out = sampler(video(length))
        assert len(out['frame_id']) == 5 and sum(out['key_frame_flags']) == 1
        assert set(out['frame_id']) == set(range(length)) or length > 5


def test_single_frame_clip_and_reproducibility():
    sampler = SeqFormerFrameSample(num_frames=1)
    assert len(sampler(video(10))['frame_id']) == 1
    draws = []
    for _ in range(2):
        random.seed(7)
        draws.append([SeqFormerFrameSample()(video(30))['frame_id'] for _ in range(5)])
    assert draws[0] == draws[1]
    with pytest.raises(ValueError):
        SeqFormerFrameSample(num_frames=0)
    assert 'num_frames=5' in repr(SeqFormerFrameSample())

