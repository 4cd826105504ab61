"""AnnotationCorrector with fake refiners on tiny toy files: the rule end to end, new
versioned files, the input never modified, nothing of the input lost."""
import hashlib
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmvmt.engine import AnnotationCorrector, provenance_path
from mmvmt.models.data import RefinedMasks
from mmvmt.structures import YTVISFormatError, segmentation_to_rle
from mmvmt.utils import register_all_modules

register_all_modules()
THR = 0.65


def column_confidence(shape):
    """(K, T, H, W) confidence rising from 0.5 (left) to 1.0 (right)."""
    width = shape[-1]
    ramp = 0.5 + 0.5 * torch.arange(width, dtype=torch.float32) / (width - 1)
    return ramp.expand(*shape).clone()


def striped_region(shape):
    """(K, T, H, W) bool: the refiner 'refined' every column but each third one."""
    region = torch.ones(shape, dtype=torch.bool)
    region[..., ::3] = False
    return region


class FlipRefiner:
    """Predicts the opposite of every coarse label, surer towards the right, and says it
    refined all columns but each third one."""

    def __init__(self):
        self.calls = []

    def refine_masks(self, frames, coarse):
        assert frames.dtype == torch.uint8 and frames.shape[1] == 3
        assert coarse.dtype == torch.bool and coarse.shape[1] == frames.shape[0]
        assert coarse.shape[-2:] == frames.shape[-2:]
        self.calls.append((tuple(frames.shape), tuple(coarse.shape)))
        return RefinedMasks.from_labels(~coarse, column_confidence(coarse.shape),
                                        striped_region(coarse.shape))


class EraseRefiner:
    """Predicts empty masks with full confidence everywhere."""

    def refine_masks(self, frames, coarse):
        return RefinedMasks.from_labels(torch.zeros_like(coarse), torch.ones(coarse.shape),
                                        torch.ones_like(coarse))


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode(segm, h, w):
    return mask_utils.decode(segmentation_to_rle(segm, h, w)).astype(bool)


def test_flip_refiner_changes_exactly_the_confident_pixels(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    before = sha256(in_file)
    official = json.loads(in_file.read_text())
    out_file = tmp_path / 'round_1' / 'train_coarse.json'
    model = FlipRefiner()
    prov = AnnotationCorrector(conf_thr=THR, max_tracks_per_pass=1).run(
        model, str(in_file), str(img_root), str(out_file), dict(round=1, checkpoint='ck.pth'))

    assert sha256(in_file) == before
    out = json.loads(out_file.read_text())
    # Nothing lost: every top-level key, video, category; annotations in order with ids.
    assert set(out) == set(official)
    for key in official:
        if key != 'annotations':
            assert out[key] == official[key], key
    assert [a['id'] for a in out['annotations']] == [a['id'] for a in official['annotations']]
    # One pass per track (max_tracks_per_pass=1), whole videos at the frame size.
    assert len(model.calls) == len(official['annotations'])

    videos = {v['id']: v for v in official['videos']}
    changed_per_video = {v: 0 for v in videos}
    for ann_in, ann_out in zip(official['annotations'], out['annotations']):
        untouched = {k: v for k, v in ann_in.items()
                     if k not in ('segmentations', 'areas', 'bboxes')}
        assert {k: ann_out[k] for k in untouched} == untouched
        video = videos[ann_in['video_id']]
        h, w = video['height'], video['width']
        conf = column_confidence((h, w)).numpy()
        region = striped_region((h, w)).numpy()
        for t, segm in enumerate(ann_in['segmentations']):
            out_segm = ann_out['segmentations'][t]
            if segm is None:
                assert out_segm is None
                assert ann_out['areas'][t] is None and ann_out['bboxes'][t] is None
                continue
            assert isinstance(out_segm['counts'], str) and out_segm['size'] == [h, w]
            coarse = decode(segm, h, w)
            expected = np.where((conf > THR) & region, ~coarse, coarse)
            got = mask_utils.decode(out_segm).astype(bool)
            assert np.array_equal(got, expected)
            changed_per_video[video['id']] += int((got != coarse).sum())
            ys, xs = np.nonzero(got)
            assert ann_out['areas'][t] == got.sum()
            assert ann_out['bboxes'][t] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                            ys.max() - ys.min() + 1]

    assert prov == json.loads(open(provenance_path(str(out_file))).read())
    assert prov['conf_thr'] == THR and prov['checkpoint'] == 'ck.pth' and prov['round'] == 1
    assert prov['input_sha256'] == before
    assert {v['video_id']: v['pixels_changed'] for v in prov['videos']} == changed_per_video
    assert prov['pixels_changed'] == sum(changed_per_video.values()) > 0


def test_existing_output_is_never_overwritten(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    out_file = tmp_path / 'out.json'
    corrector = AnnotationCorrector(conf_thr=THR)
    corrector.run(FlipRefiner(), str(in_file), str(img_root), str(out_file))
    first = sha256(out_file)
    with pytest.raises(FileExistsError, match='never overwritten'):
        corrector.run(EraseRefiner(), str(in_file), str(img_root), str(out_file))
    assert sha256(out_file) == first
    # Nor is the input, even when asked to write onto it.
    before = sha256(in_file)
    with pytest.raises(FileExistsError):
        corrector.run(FlipRefiner(), str(in_file), str(img_root), str(in_file))
    assert sha256(in_file) == before


def test_a_frame_is_never_emptied(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    official = json.loads(in_file.read_text())
    out_file = tmp_path / 'out.json'
    prov = AnnotationCorrector(conf_thr=THR).run(EraseRefiner(), str(in_file), str(img_root),
                                                 str(out_file))
    out = json.loads(out_file.read_text())
    videos = {v['id']: v for v in official['videos']}
    non_empty = 0
    for ann_in, ann_out in zip(official['annotations'], out['annotations']):
        h, w = videos[ann_in['video_id']]['height'], videos[ann_in['video_id']]['width']
        for segm, out_segm in zip(ann_in['segmentations'], ann_out['segmentations']):
            if segm is None:
                continue
            coarse = decode(segm, h, w)
            non_empty += int(coarse.any())
            assert np.array_equal(mask_utils.decode(out_segm).astype(bool), coarse)
    assert non_empty > 0
    assert prov['pixels_changed'] == 0 and sum(v['pixels_refined'] for v in prov['videos']) > 0


def test_resizing_frame_pipeline_maps_back_to_the_annotation_size(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    model = FlipRefiner()
    corrector = AnnotationCorrector(conf_thr=THR, frame_pipeline=[
        dict(type='LoadImageFromFile'), dict(type='Resize', scale=(96, 64), keep_ratio=True)])
    corrector.run(model, str(in_file), str(img_root), str(tmp_path / 'out.json'))
    assert all(frames[-2:] == (64, 96) for frames, _ in model.calls)
    out = json.loads((tmp_path / 'out.json').read_text())
    sizes = {tuple(s['size']) for a in out['annotations'] for s in a['segmentations'] if s}
    assert sizes == {(128, 192)}


class RecordingRefiner:
    def __init__(self):
        self.calls = 0

    def refine_masks(self, frames, coarse):
        self.calls += 1
        return RefinedMasks.from_labels(coarse.clone(), torch.ones(coarse.shape),
                                        torch.ones_like(coarse))


@pytest.mark.parametrize('length', [2, 4])
def test_bad_per_frame_lists_fail_before_any_refinement(coarse_file, tmp_path, length):
    in_file, img_root = coarse_file
    official = json.loads(in_file.read_text())
    last = official['annotations'][-1]
    assert len(last['segmentations']) == 3
    last['segmentations'] = (last['segmentations'] * 2)[:length]
    bad_file = tmp_path / 'bad.json'
    bad_file.write_text(json.dumps(official))
    model = RecordingRefiner()
    out_file = tmp_path / 'out.json'
    with pytest.raises(YTVISFormatError, match=rf'bad\.json: annotations\[\d+\] \(id '
                       rf'{last["id"]}\): "segmentations" has {length} entries'):
        AnnotationCorrector(conf_thr=THR).run(model, str(bad_file), str(img_root),
                                              str(out_file))
    assert model.calls == 0 and not out_file.exists()


def test_a_file_without_categories_is_corrected(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    official = json.loads(in_file.read_text())
    del official['categories']
    path = tmp_path / 'no_categories.json'
    path.write_text(json.dumps(official))
    AnnotationCorrector(conf_thr=THR).run(RecordingRefiner(), str(path), str(img_root),
                                          str(tmp_path / 'out.json'))
    assert 'categories' not in json.loads((tmp_path / 'out.json').read_text())
