"""The realscale and camouflage validation styles (mmvmt/datasets/toy/hard_styles.py)."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvmt.datasets.toy import make_hard_vis
from mmvmt.datasets.toy.hard_styles import (CAMOUFLAGE_MAX_OFFSET, camouflage_textures,
                                            scale_for_coverage)
from mmvmt.datasets.toy.shapes import Pose, draw_mask

REPO = Path(__file__).resolve().parents[3]


def files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def load(root, kind):
    return json.loads((root / 'annotations' / f'val_{kind}.json').read_text())


def decode(segm, height, width):
    if isinstance(segm, list):  # coarse polygons
        segm = mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    return mask_utils.decode(segm).astype(bool)


@pytest.fixture(scope='module')
def realscale(tmp_path_factory):
    root = tmp_path_factory.mktemp('realscale') / 'set'
    make_hard_vis(root, 'realscale', seed=0, num_videos=2, verbose=False)
    return root


@pytest.fixture(scope='module')
def camouflage(tmp_path_factory):
    root = tmp_path_factory.mktemp('camouflage') / 'set'
    make_hard_vis(root, 'camouflage', seed=0, num_videos=6, verbose=False)
    return root


@pytest.mark.parametrize('category_id, coverage', [(1, 0.05), (2, 0.2), (3, 0.4)])
def test_scale_for_coverage_covers_the_target(category_id, coverage):
    pose = Pose(640, 360, 0.3, 1.0, 1.0)
    scale = scale_for_coverage(category_id, pose, coverage, 720, 1280)
    area = draw_mask(category_id, Pose(640, 360, 0.3, scale, 1.0), 720, 1280).sum()
    assert area / (720 * 1280) == pytest.approx(coverage, rel=0.011)


def test_realscale_frames_lengths_and_object_sizes(realscale):
    hq = load(realscale, 'hq')
    for video in hq['videos']:
        assert (video['height'], video['width']) == (720, 1280)
        assert 24 <= video['length'] <= 36
        first = cv2.imread(str(realscale / 'val' / 'JPEGImages' / video['file_names'][0]))
        assert first.shape == (720, 1280, 3)
        assert len(list((realscale / 'val' / 'JPEGImages' /
                         Path(video['file_names'][0]).parent).iterdir())) == video['length']
        # At frame 0 each object covers 5-40% of the frame; the front one is not occluded,
        # the others may be.
        shares = [a['areas'][0] / (720 * 1280) for a in hq['annotations']
                  if a['video_id'] == video['id'] and a['areas'][0]]
        assert shares and max(shares) >= 0.05 * 0.99 and max(shares) <= 0.40 * 1.01


def test_realscale_coarse_polygons_are_simplified_and_lose_thin_parts(realscale):
    hq, coarse = load(realscale, 'hq'), load(realscale, 'coarse')
    for a, c in zip(hq['annotations'], coarse['annotations']):
        t = next(t for t, s in enumerate(a['segmentations']) if s is not None)
        exact = decode(a['segmentations'][t], 720, 1280)
        rough = decode(c['segmentations'][t], 720, 1280)
        contour = cv2.findContours(exact.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)[0]
        boundary = sum(len(p) for p in contour)
        vertices = sum(len(p) // 2 for p in c['segmentations'][t])
        assert vertices < boundary / 10
        thin = exact & ~cv2.morphologyEx(exact.astype(np.uint8), cv2.MORPH_OPEN,
                                         np.ones((3, 3), np.uint8)).astype(bool)
        assert thin.any()  # 1-2 px legs, antennae, feathers at any scale
        inter = (exact & rough).sum() / (exact | rough).sum()
        assert 0.7 < inter < 1


def ring(mask, inner, outer):
    def grow(px):
        return cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (2 * px + 1,) * 2)).astype(bool)
    return grow(outer) & ~grow(inner)


def test_camouflage_objects_have_the_colour_of_their_surroundings(camouflage):
    hq = load(camouflage, 'hq')
    videos = {v['id']: v for v in hq['videos']}
    differences = []
    for video in hq['videos']:
        frame = cv2.imread(str(camouflage / 'val' / 'JPEGImages' /
                               video['file_names'][0])).astype(np.float64)
        masks = [decode(a['segmentations'][0], 240, 320) for a in hq['annotations']
                 if a['video_id'] == video['id'] and a['segmentations'][0] is not None]
        anything = np.any(masks, 0)
        for mask in masks:
            around = ring(mask, 3, 10) & ~anything
            differences.append(np.abs(frame[mask].mean(0) - frame[around].mean(0)))
    assert videos and differences
    # the colour offset (<= 30 per channel) plus at most the texture amplitude (<= 25) that
    # the local means of object and surroundings may differ by
    assert np.max(differences) <= CAMOUFLAGE_MAX_OFFSET + 25
    assert np.mean(differences) < 20


def test_camouflage_textures_by_construction():
    rng = np.random.default_rng(0)
    for _ in range(20):
        base = rng.uniform(60, 195, 3)
        background, texture = camouflage_textures(rng, base, 20.0, 100, 120)
        assert background.shape == (100, 120, 3) and texture.shape == (96, 96, 3)
        # same amplitude and kind of pattern: the means differ by the offset (<= 30) and
        # what the patterns' means differ by (<= 20 / 4)
        assert np.abs(texture.mean((0, 1)) - background.mean((0, 1))).max() <= 30 + 5


def test_camouflage_objects_move_against_the_background(camouflage):
    hq = load(camouflage, 'hq')
    speeds = []
    for video in hq['videos']:
        def frame(t):
            return cv2.imread(str(camouflage / 'val' / 'JPEGImages' / video['file_names'][t]),
                              cv2.IMREAD_GRAYSCALE).astype(np.float64)
        # The background fills most of the frame: phase correlation finds its shift.
        (dx, dy), _ = cv2.phaseCorrelate(frame(0), frame(4))
        for a in hq['annotations']:
            if a['video_id'] != video['id'] or None in (a['segmentations'][0],
                                                        a['segmentations'][4]):
                continue
            m0, m4 = (decode(a['segmentations'][t], 240, 320) for t in (0, 4))
            if m0.sum() < 0.8 * m4.sum() or m4.sum() < 0.8 * m0.sum():
                continue  # occluded or leaving the frame: the centroid moves for other reasons
            c0, c4 = (np.argwhere(m)[:, ::-1].mean(0) for m in (m0, m4))
            speeds.append(np.linalg.norm(c4 - c0 - (dx, dy)) / 4)
    assert len(speeds) >= 3 and min(speeds) >= 1.0  # >= 2 px / frame, less the gait's sway


def test_same_seed_same_bytes_other_seed_other_videos(tmp_path):
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        make_hard_vis(tmp_path / name, 'camouflage', seed=seed, num_videos=2, verbose=False)
    a, b, c = (files(tmp_path / n) for n in 'abc')
    assert a == b and a.keys() == c.keys() and a != c
    make_hard_vis(tmp_path / 'd', 'camouflage', seed=3, num_videos=3, verbose=False)
    frame = Path('val/JPEGImages/camouflage_0002/00005.jpg')
    assert (tmp_path / 'a' / frame).read_bytes() == (tmp_path / 'd' / frame).read_bytes()


def test_bad_style_or_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match='unknown style'):
        make_hard_vis(tmp_path / 'x', 'garden', verbose=False)
    with pytest.raises(ValueError, match='num_videos'):
        make_hard_vis(tmp_path / 'x', 'camouflage', num_videos=-1, verbose=False)


def test_cli_styles_and_num_videos(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'make_toy_vis_cli', REPO / 'tools' / 'dataset_converters' / 'make_toy_vis.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / 'camo'
    assert cli.main(['--style', 'camouflage', '--num-videos', '1', '--out', str(out)]) == 0
    assert len(load(out, 'hq')['videos']) == 1
    assert cli.main(['--style', 'toy', '--num-videos', '1', '--out', str(tmp_path / 't')]) == 2
    assert '--num-videos' in capsys.readouterr().err
