"""ResultRefiner on a results file of 'another model': every entry kept, masks changed only
inside the refined region and only where the refiner is confident."""
import copy
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmvmt.engine import ResultRefiner
from mmvmt.models.data import RefinedMasks
from mmvmt.structures import YTVISFormatError

THR = 0.65


def box_region(shape):
    """(K, T, H, W) bool: rows 30..79, columns 40..139 'refined'."""
    region = torch.zeros(shape, dtype=torch.bool)
    region[..., 30:80, 40:140] = True
    return region


def half_confidence(shape):
    """(K, T, H, W): sure (0.9) on the left half, unsure (0.6) on the right half."""
    conf = torch.full(shape, 0.9)
    conf[..., shape[-1] // 2:] = 0.6
    return conf


class FlipRefiner:
    """Flips every label, says it refined a fixed box."""

    def __init__(self):
        self.calls = 0

    def refine_masks(self, frames, coarse):
        assert frames.dtype == torch.uint8 and coarse.shape[-2:] == frames.shape[-2:]
        self.calls += 1
        return RefinedMasks.from_labels(~coarse, half_confidence(coarse.shape),
                                        box_region(coarse.shape))


def decode(rle):
    return mask_utils.decode(dict(rle, counts=rle['counts'].encode())).astype(bool)


@pytest.fixture
def results_file(toy_root, tmp_path):
    """Results made from the toy GT: one per track, a null frame, a low-score duplicate,
    an extra key, a video without results."""
    gt = json.loads((toy_root / 'annotations' / 'train_hq.json').read_text())
    results = [dict(video_id=a['video_id'], category_id=a['category_id'],
                    score=0.5 + 0.1 * i, segmentations=copy.deepcopy(a['segmentations']),
                    note=f'model output {i}')
               for i, a in enumerate(gt['annotations'])]
    results[0]['segmentations'][1] = None
    low = copy.deepcopy(results[1])
    low['score'] = 0.01
    results.insert(1, low)
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(results))
    return path, toy_root / 'annotations' / 'train_hq.json', toy_root / 'train' / 'JPEGImages'


def expected_mask(before):
    """The do-no-harm rule written out for one (H, W) mask: flipped inside the box where the
    confidence > THR; a frame that would be emptied keeps its mask."""
    shape = (1, 1) + before.shape
    changed = (box_region(shape) & (half_confidence(shape) > THR))[0, 0].numpy()
    after = np.where(changed, ~before, before)
    return after if after.any() else before


def test_refine_keeps_every_entry_and_changes_only_inside_the_region(results_file):
    path, videos, img_root = results_file
    before = json.loads(path.read_text())
    model = FlipRefiner()
    refined, stats = ResultRefiner(THR, score_thr=0.05).refine_results(
        model, str(videos), str(img_root), str(path))
    assert json.loads(path.read_text()) == before  # input untouched
    assert len(refined) == len(before)
    assert stats['refined_results'] == len(before) - 1 and stats['results'] == len(before)
    assert model.calls == stats['videos'] == 2  # one pass per video (<= 8 tracks)
    changed_somewhere = False
    for old, new in zip(before, refined):
        for key in ('video_id', 'category_id', 'score', 'note'):
            assert new[key] == old[key]
        if old['score'] < 0.05:
            assert new['segmentations'] == old['segmentations']
            continue
        for t, (a, b) in enumerate(zip(old['segmentations'], new['segmentations'])):
            assert (a is None) == (b is None)
            if a is None:
                continue
            mask_a, mask_b = decode(a), decode(b)
            assert np.array_equal(mask_b, expected_mask(mask_a))
            outside = ~box_region(mask_a.shape).numpy()
            assert np.array_equal(mask_a[outside], mask_b[outside])
            changed_somewhere |= not np.array_equal(mask_a, mask_b)
    assert changed_somewhere and stats['pixels_changed'] > 0


def test_unknown_video_and_wrong_length_are_named(results_file, tmp_path):
    path, videos, img_root = results_file
    results = json.loads(path.read_text())
    bad = copy.deepcopy(results)
    bad[2]['video_id'] = 999
    (tmp_path / 'bad.json').write_text(json.dumps(bad))
    with pytest.raises(YTVISFormatError, match='entry 2'):
        ResultRefiner().refine_results(FlipRefiner(), str(videos), str(img_root),
                                       str(tmp_path / 'bad.json'))
    bad = copy.deepcopy(results)
    bad[3]['segmentations'] = bad[3]['segmentations'][:-1]
    (tmp_path / 'bad.json').write_text(json.dumps(bad))
    with pytest.raises(YTVISFormatError, match='entry 3'):
        ResultRefiner().refine_results(FlipRefiner(), str(videos), str(img_root),
                                       str(tmp_path / 'bad.json'))
