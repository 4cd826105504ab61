import importlib.util
import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.datasets.toy import generator

SPLITS = ('train', 'val', 'test')
H, W = 128, 192
REPO = Path(__file__).resolve().parents[3]


def tiny(out, seed=0, **kwargs):
    return make_toy_vis(out, seed=seed, num_videos=dict(train=2, val=1, test=1), num_frames=3,
                        verbose=False, **kwargs)


def files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def load(root, split, kind):
    return json.loads((root / 'annotations' / f'{split}_{kind}.json').read_text())


def decode_polygons(polygons):
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, H, W))).astype(bool)


def bbox_of(mask):
    """[x, y, w, h] of a non-empty mask, computed without pycocotools."""
    ys, xs = np.nonzero(mask)
    return [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]


def split_thin(mask):
    """(thin, thick) parts of a mask: thin ones cannot hold a 3 x 3 square (legs, antennae)."""
    square = np.ones((3, 3), np.uint8)
    thick = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, square).astype(bool)
    return mask & ~thick, thick


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """A small dataset: enough instances for statistics, a fraction of a second to make."""
    root = tmp_path_factory.mktemp('toy') / 'toy_vis'
    summary = make_toy_vis(root, seed=3, num_videos=dict(train=5, val=2, test=2), num_frames=5,
                           verbose=False)
    return root, summary


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    tiny(tmp_path / 'a', seed=7)
    tiny(tmp_path / 'b', seed=7)
    tiny(tmp_path / 'c', seed=8)
    a, b, c = files(tmp_path / 'a'), files(tmp_path / 'b'), files(tmp_path / 'c')
    assert a.keys() == b.keys() and a == b
    assert c.keys() == a.keys() and c != a
    assert load(tmp_path / 'a', 'train', 'hq') != load(tmp_path / 'c', 'train', 'hq')


def test_a_video_does_not_depend_on_the_number_of_videos(tmp_path):
    tiny(tmp_path / 'small')
    make_toy_vis(tmp_path / 'big', seed=0, num_videos=dict(train=3, val=1, test=1), num_frames=3,
                 verbose=False)
    frame = Path('train/JPEGImages/toy_0001/00002.jpg')
    assert (tmp_path / 'small' / frame).read_bytes() == (tmp_path / 'big' / frame).read_bytes()


def test_layout_and_youtube_vis_2019_structure(toy):
    root, summary = toy
    assert sorted(p.name for p in root.iterdir()) == ['annotations', 'test', 'train', 'val']
    assert sorted(p.name for p in (root / 'annotations').iterdir()) == sorted(
        f'{s}_{k}.json' for s in SPLITS for k in ('hq', 'coarse'))
    for split in SPLITS:
        for kind in ('hq', 'coarse'):
            data = load(root, split, kind)
            assert data['categories'] == [
                dict(id=1, name='lizard', supercategory='animal'),
                dict(id=2, name='beetle', supercategory='animal'),
                dict(id=3, name='bird', supercategory='animal')]
            videos = {v['id']: v for v in data['videos']}
            assert len(videos) == len(data['videos']) == summary[split]['videos']
            anns = data['annotations']
            assert len({a['id'] for a in anns}) == len(anns) == summary[split]['instances']
            for video in data['videos']:
                assert set(video) == {'id', 'width', 'height', 'length', 'file_names'}
                assert (video['height'], video['width'], video['length']) == (H, W, 5)
                assert video['file_names'] == [
                    f'{video["file_names"][0].split("/")[0]}/{t:05d}.jpg' for t in range(5)]
            for ann in anns:
                assert set(ann) == {'id', 'video_id', 'category_id', 'iscrowd', 'areas',
                                    'bboxes', 'segmentations', 'height', 'width'}
                assert ann['video_id'] in videos and ann['category_id'] in (1, 2, 3)
                assert (ann['iscrowd'], ann['height'], ann['width']) == (0, H, W)
                length = videos[ann['video_id']]['length']
                assert len(ann['segmentations']) == len(ann['areas']) == len(ann['bboxes']) \
                    == length
                for seg, area, box in zip(ann['segmentations'], ann['areas'], ann['bboxes']):
                    assert (seg is None) == (area is None) == (box is None)


def test_frames_are_jpegs_of_the_right_size(toy):
    root, _ = toy
    for split in SPLITS:
        for video in load(root, split, 'hq')['videos']:
            for name in video['file_names']:
                path = root / split / 'JPEGImages' / name
                assert path.read_bytes()[:2] == b'\xff\xd8'
                image = cv2.imread(str(path))
                assert image.shape == (H, W, 3)
                assert image.std() > 10  # textured, not blank


def test_hq_masks_are_rle_and_match_recorded_areas_and_boxes(toy):
    root, _ = toy
    for split in SPLITS:
        for ann in load(root, split, 'hq')['annotations']:
            for seg, area, box in zip(ann['segmentations'], ann['areas'], ann['bboxes']):
                if seg is None:
                    continue
                assert seg['size'] == [H, W] and isinstance(seg['counts'], str)
                mask = mask_utils.decode(seg).astype(bool)
                assert mask.sum() == area > 0
                assert box == bbox_of(mask)


def test_coarse_polygons_match_recorded_areas_and_boxes(toy):
    root, _ = toy
    for split in SPLITS:
        hq, coarse = load(root, split, 'hq'), load(root, split, 'coarse')
        assert coarse['videos'] == hq['videos']
        for h, c in zip(hq['annotations'], coarse['annotations']):
            assert (h['id'], h['video_id'], h['category_id']) == (
                c['id'], c['video_id'], c['category_id'])
            for hseg, seg, area, box in zip(h['segmentations'], c['segmentations'],
                                            c['areas'], c['bboxes']):
                assert (hseg is None) == (seg is None)
                if seg is None:
                    continue
                assert all(len(p) >= 6 and len(p) % 2 == 0 for p in seg)
                mask = decode_polygons(seg)
                assert mask.sum() == area > 0
                assert box == bbox_of(mask)


def test_instances_of_a_frame_do_not_overlap_in_hq(toy):
    root, _ = toy
    overlapping_frames = 0
    for split in SPLITS:
        hq, coarse = load(root, split, 'hq'), load(root, split, 'coarse')
        for video in hq['videos']:
            tracks = [(a, c) for a, c in zip(hq['annotations'], coarse['annotations'])
                      if a['video_id'] == video['id']]
            for t in range(video['length']):
                present = [(a['segmentations'][t], c['segmentations'][t]) for a, c in tracks
                           if a['segmentations'][t] is not None]
                if len(present) < 2:
                    continue
                exact = sum(mask_utils.decode(s).astype(int) for s, _ in present)
                assert exact.max() == 1
                # The coarse ones of neighbours may overlap (halos), as in YouTube-VIS.
                overlapping_frames += sum(decode_polygons(p).astype(int)
                                          for _, p in present).max() > 1
    assert overlapping_frames > 0


def test_occluded_instance_mask_excludes_the_occluder():
    """An object drawn behind another loses exactly the pixels the front one covers."""
    rng = np.random.default_rng(0)
    tracks, _ = generator._make_tracks(rng, 2, False, force_crossing=False)
    while len(tracks) < 2:
        tracks, _ = generator._make_tracks(rng, 2, False, force_crossing=False)
    back, front = tracks[:2]
    back.start, back.velocity = np.array([96.0, 64.0]), np.zeros(2)
    front.start, front.velocity = np.array([100.0, 66.0]), np.zeros(2)
    _, visible = generator._render_video(rng, [back, front], [0, 1], 2, False)
    _, alone = generator._render_video(rng, [back], [0], 2, False)
    _, front_alone = generator._render_video(rng, [front], [0], 2, False)
    assert (visible[1] == front_alone[0]).all()
    assert (visible[0] == (alone[0] & ~front_alone[0])).all()
    assert visible[0].sum() < alone[0].sum()


def test_coarse_is_coarse_but_mostly_overlaps_and_loses_thin_parts(toy):
    root, _ = toy
    ious, differs = [], 0
    covered = dict(thin=0, thick=0)
    total = dict(thin=0, thick=0)
    for split in SPLITS:
        hq, coarse = load(root, split, 'hq'), load(root, split, 'coarse')
        for h, c in zip(hq['annotations'], coarse['annotations']):
            inter = union = 0
            for hseg, seg in zip(h['segmentations'], c['segmentations']):
                if hseg is None:
                    continue
                exact, rough = mask_utils.decode(hseg).astype(bool), decode_polygons(seg)
                inter, union = inter + (exact & rough).sum(), union + (exact | rough).sum()
                for part, pixels in zip(('thin', 'thick'), split_thin(exact)):
                    covered[part] += (pixels & rough).sum()
                    total[part] += pixels.sum()
                differs += bool((exact != rough).any())
            ious.append(inter / union)
    assert 0.55 < np.mean(ious) < 0.95
    assert min(ious) > 0.2
    assert differs > 0.9 * sum(s['instances'] for s in toy[1].values())
    # Thin parts are mostly left out (halos still cover where legs join the body).
    assert total['thin'] > 0.05 * total['thick']
    assert covered['thin'] / total['thin'] < 0.35
    assert covered['thick'] / total['thick'] > 0.85


def test_some_instances_are_absent_in_some_frames(toy):
    root, summary = toy
    for split in SPLITS:
        anns = load(root, split, 'hq')['annotations']
        nulls = sum(a['segmentations'].count(None) for a in anns)
        assert nulls == summary[split]['null_frames'] > 0
        assert all(any(s is not None for s in a['segmentations']) for a in anns)


def test_refuses_a_non_empty_folder_and_keeps_its_files(tmp_path):
    out = tmp_path / 'toy_vis'
    out.mkdir()
    (out / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='toy_vis.*not empty'):
        tiny(out)
    with pytest.raises(FileExistsError, match="notes.txt"):
        tiny(out, overwrite=True)  # not a toy dataset: not deleted even when forced
    assert [p.name for p in out.iterdir()] == ['notes.txt']


def test_empty_folder_is_used_and_overwrite_replaces_a_toy_dataset(tmp_path):
    out = tmp_path / 'toy_vis'
    out.mkdir()
    tiny(out, seed=1)
    first = load(out, 'train', 'hq')
    with pytest.raises(FileExistsError):
        tiny(out, seed=2)
    assert load(out, 'train', 'hq') == first
    tiny(out, seed=2, overwrite=True)
    assert load(out, 'train', 'hq') != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ['toy_vis']  # nothing left behind


def test_interrupted_run_leaves_no_half_dataset(tmp_path, monkeypatch):
    calls = []
    write_split = generator._write_split

    def fail_on_second_split(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return write_split(*args, **kwargs)

    monkeypatch.setattr(generator, '_write_split', fail_on_second_split)
    with pytest.raises(KeyboardInterrupt):
        tiny(tmp_path / 'toy_vis')
    assert calls == ['train', 'val']
    assert list(tmp_path.iterdir()) == []


def test_bad_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match='unknown splits'):
        make_toy_vis(tmp_path / 'x', num_videos=dict(valid=1), verbose=False)
    with pytest.raises(ValueError, match='num_frames'):
        make_toy_vis(tmp_path / 'x', num_frames=0, verbose=False)
    assert not (tmp_path / 'x').exists()


def test_cli_makes_the_default_dataset_quickly(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'make_toy_vis_cli', REPO / 'tools' / 'dataset_converters' / 'make_toy_vis.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / 'toy_vis'
    start = time.perf_counter()
    assert cli.main(['--out', str(out), '--seed', '0']) == 0
    assert time.perf_counter() - start < 30
    printed = capsys.readouterr().out
    assert str(out) in printed and 'train: 48 videos, 480 frames' in printed
    for split, n in (('train', 48), ('val', 4), ('test', 4)):
        videos = load(out, split, 'hq')['videos']
        assert len(videos) == n and {v['length'] for v in videos} == {10}
        assert len(list((out / split / 'JPEGImages').glob('*/*.jpg'))) == 10 * n
    assert cli.main(['--out', str(out)]) == 1
    assert '--force' in capsys.readouterr().err
    below_a_file = out / 'annotations' / 'train_hq.json' / 'toy'
    assert cli.main(['--out', str(below_a_file)]) == 1
    assert 'train_hq.json is a file, so nothing can be written below it' in \
        capsys.readouterr().err
    assert cli.main(['--out', str(out), '--force', '--seed', '1']) == 0


def test_variety_style_frees_brightness_and_keeps_the_toy_style(tmp_path):
    toy_a, toy_b, var = tmp_path / 'a', tmp_path / 'b', tmp_path / 'v'
    tiny(toy_a)
    tiny(toy_b, variety=False)
    tiny(var, variety=True)
    assert files(toy_a) == files(toy_b)  # the toy style does not change with the option
    assert files(var).keys() == files(toy_a).keys()  # same layout
    assert files(var) != files(toy_a)


def test_variety_objects_differ_from_background_but_not_by_bands():
    rng = np.random.default_rng(3)
    gaps = []
    for _ in range(200):
        look = generator.VarietyLook.sample(rng)
        texture = look.object_texture(rng)
        gaps.append(texture.mean() - look.background_grey)
    gaps = np.abs(gaps)
    # the toy style keeps >= ~85 grey levels between the bands; here small gaps occur
    assert gaps.min() < 30 and np.median(gaps) < 80
