"""The validation score of annotation files (AP^B against exact masks) and the stop rule."""
import json

import pytest

from mmvmt.engine import annotation_boundary_ap, annotations_as_results, ap_saturated
from mmvmt.structures import YTVISFormatError


def test_exact_masks_score_one_and_coarse_ones_less(toy_root):
    hq = str(toy_root / 'annotations/val_hq.json')
    coarse = str(toy_root / 'annotations/val_coarse.json')
    assert annotation_boundary_ap(hq, hq, use_refined_segm=False) == pytest.approx(1.0)
    assert 0 < annotation_boundary_ap(coarse, hq, use_refined_segm=False) < 1


def test_tracks_become_results_of_their_class_except_crowd(coarse_file):
    in_file, _ = coarse_file
    official = json.loads(in_file.read_text())
    results = annotations_as_results(official, source=str(in_file))
    not_crowd = [a for a in official['annotations'] if not a.get('iscrowd')]
    assert 0 < len(not_crowd) < len(official['annotations'])  # the fixture has a crowd track
    assert [(r['video_id'], r['category_id'], r['score']) for r in results] == \
        [(a['video_id'], a['category_id'], 1.0) for a in not_crowd]
    for res, ann in zip(results, not_crowd):
        assert [s is None for s in res['segmentations']] == \
            [s is None for s in ann['segmentations']]
        assert all(isinstance(s['counts'], str) for s in res['segmentations'] if s)


def test_tracks_of_videos_the_gt_lacks_are_an_error(toy_root):
    train = str(toy_root / 'annotations/train_coarse.json')
    with pytest.raises(YTVISFormatError, match='train_coarse.json: entry 0'):
        annotation_boundary_ap(train, str(toy_root / 'annotations/val_hq.json'))


@pytest.mark.parametrize('previous, current, min_delta, expected', [
    (0.30, 0.31, 0.005, False),  # gained 0.01
    (0.30, 0.303, 0.005, True),  # gained 0.003
    (0.30, 0.29, 0.0, True),  # got worse
    (0.30, 0.30, 0.0, False),  # no gain, and none asked for
    (0.30, 0.10, -1.0, False),  # never stops
])
def test_saturation_rule(previous, current, min_delta, expected):
    assert ap_saturated(previous, current, min_delta) is expected
