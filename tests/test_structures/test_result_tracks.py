"""Per-frame predictions -> YouTube-VIS result tracks, on hand-made frames."""
import pytest

from mmvmt.structures import frames_to_tracks, track_results

A, B, C = (dict(size=[2, 2], counts=c) for c in ('04', '13', '22'))


def test_tracks_average_scores_take_the_most_frequent_label_and_fill_nulls():
    frames = {2: dict(ids=[7], scores=[0.2], labels=[1], rles=[C]),
              0: dict(ids=[7, 9], scores=[0.8, 0.5], labels=[1, 0], rles=[A, B]),
              1: dict(ids=[7], scores=[0.5], labels=[2], rles=[B])}
    tracks = frames_to_tracks(frames, length=4)
    # Order of first appearance (frame 0: 7 then 9), whatever the dict's order.
    assert [t['track_id'] for t in tracks] == [7, 9]
    seven, nine = tracks
    assert seven['score'] == pytest.approx((0.8 + 0.5 + 0.2) / 3)
    assert seven['label'] == 1  # labels 1, 2, 1
    assert seven['segmentations'] == [A, B, C, None]
    assert (nine['score'], nine['label'], nine['segmentations']) == (0.5, 0, [B, None, None,
                                                                              None])


def test_label_tie_takes_the_smallest_label():
    frames = {0: dict(ids=[1], scores=[1.0], labels=[3], rles=[A]),
              1: dict(ids=[1], scores=[1.0], labels=[2], rles=[A])}
    assert frames_to_tracks(frames, 2)[0]['label'] == 2


def test_results_entries_number_categories_from_one_or_by_a_mapping():
    tracks = frames_to_tracks({0: dict(ids=[4], scores=[0.9], labels=[0], rles=[A])}, 1)
    assert track_results(tracks, video_id=5) == [
        dict(video_id=5, category_id=1, score=0.9, segmentations=[A])]
    assert track_results(tracks, 5, label_to_category={0: 40}.get)[0]['category_id'] == 40


@pytest.mark.parametrize('frames, message', [
    ({3: dict(ids=[1], scores=[1.0], labels=[0], rles=[A])}, 'frame index 3 is outside'),
    ({0: dict(ids=[1, 2], scores=[1.0], labels=[0], rles=[A])}, 'lists of different lengths'),
])
def test_bad_frames_are_named(frames, message):
    with pytest.raises(ValueError, match=message):
        frames_to_tracks(frames, length=3)
