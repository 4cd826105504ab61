import numpy as np
import pycocotools.mask as mask_utils
import pytest
from plain_tube_ap import plain_boundary, plain_tube_iou
from ytvis_fakes import random_mask

from mmvmt.evaluation.functional import track_areas, tube_boundary_iou, tube_mask_iou
from mmvmt.structures import boundary_width


def rle(mask):
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))


def random_tracks(rng, n, h, w, t, base=None):
    tracks = []
    for i in range(n):
        frames = []
        for f in range(t):
            if rng.random() < 0.25:
                frames.append(None)
                continue
            near = base[i % len(base)][f] if base and base[i % len(base)][f] is not None \
                and rng.random() < 0.7 else None
            frames.append(random_mask(rng, h, w, near=None if near is None
                                      else mask_utils.decode(near)))
        tracks.append([None if m is None else rle(m) for m in frames])
    return tracks


@pytest.mark.parametrize('seed', range(8))
def test_tube_ious_equal_the_plain_per_pair_loops(seed):
    rng = np.random.default_rng(seed)
    h, w = [(7, 9), (30, 41), (120, 90)][seed % 3]
    t = int(rng.integers(1, 5))
    gts = random_tracks(rng, int(rng.integers(1, 4)), h, w, t)
    dts = random_tracks(rng, int(rng.integers(1, 5)), h, w, t, base=gts)
    mask = tube_mask_iou(dts, gts)
    band = tube_boundary_iou(dts, gts, boundary_width(h, w))
    for i, d in enumerate(dts):
        for j, g in enumerate(gts):
            assert mask[i, j] == pytest.approx(plain_tube_iou(d, g, h, w, False, 0.02),
                                               abs=1e-12)
            assert band[i, j] == pytest.approx(plain_tube_iou(d, g, h, w, True, 0.02),
                                               abs=1e-12)


def test_one_frame_equals_image_boundary_iou():
    a = np.zeros((40, 50), np.uint8)
    a[5:30, 10:45] = 1
    b = np.zeros((40, 50), np.uint8)
    b[8:35, 5:40] = 1
    ba, bb = plain_boundary(a), plain_boundary(b)
    image_biou = (ba & bb).sum() / (ba | bb).sum()
    assert boundary_width(40, 50) == 1
    got = tube_boundary_iou([[rle(a)]], [[rle(b)]], 1)
    assert got[0, 0] == pytest.approx(image_biou, abs=1e-15)
    assert tube_mask_iou([[rle(a)]], [[rle(b)]])[0, 0] == pytest.approx(
        (a & b).sum() / (a | b).sum(), abs=1e-15)


def test_hand_computed_two_frames_with_null_frames_on_either_side():
    # 4 x 4 frames, band width 1 -> on masks this small the band is the whole mask except
    # interior pixels at Chebyshev distance >= 2 from background / border.
    d0 = np.zeros((4, 4), np.uint8)
    d0[0:2, 0:2] = 1                      # 4 px
    g0 = np.zeros((4, 4), np.uint8)
    g0[0:2, 1:3] = 1                      # 4 px, overlap 2
    g1 = np.zeros((4, 4), np.uint8)
    g1[2:4, 2:4] = 1                      # 4 px, result null here
    d2 = np.ones((4, 4), np.uint8)        # 16 px, GT null here
    dt = [[rle(d0), None, rle(d2)]]
    gt = [[rle(g0), rle(g1), None]]
    # inter = 2; union = (4 + 4 - 2) + 4 + 16 = 26
    assert tube_mask_iou(dt, gt)[0, 0] == pytest.approx(2 / 26)
    # 4x4 full mask with d = 1: band = border ring of 12 px; 2x2 masks are all band.
    assert tube_boundary_iou(dt, gt, 1)[0, 0] == pytest.approx(2 / (6 + 4 + 12))


def test_union_zero_gives_zero_and_pairs_limit_the_work():
    empty = rle(np.zeros((5, 5), np.uint8))
    dt = [[empty, None], [None, None]]
    gt = [[None, empty]]
    assert np.array_equal(tube_mask_iou(dt, gt), np.zeros((2, 1)))
    assert np.array_equal(tube_boundary_iou(dt, gt, 1), np.zeros((2, 1)))
    full = rle(np.ones((5, 5), np.uint8))
    out = tube_boundary_iou([[full], [full]], [[full]], 1, pairs=np.array([[True], [False]]))
    assert out[0, 0] == 1.0 and np.isnan(out[1, 0])


def test_track_areas_and_empty_inputs():
    m = np.zeros((3, 3), np.uint8)
    m[1, 1:] = 1
    assert track_areas([[rle(m), None]]).tolist() == [[2, 0]]
    assert tube_mask_iou([], [[rle(m)]]).shape == (0, 1)
    assert tube_boundary_iou([[rle(m)]], [], 1).shape == (1, 0)
    with pytest.raises(ValueError, match='same number of frames'):
        tube_mask_iou([[rle(m)]], [[rle(m), None]])


def test_track_areas_of_more_than_255_frames():
    # pycocotools' area() fails on 256 RLEs at once under numpy 2; a 300-frame track is
    # common in long videos.
    m = np.zeros((3, 3), np.uint8)
    m[0, :] = 1
    assert track_areas([[rle(m)] * 300 + [None]]).tolist() == [[3] * 300 + [0]]


@pytest.mark.parametrize('block_pixels', [1, 2 * 31 * 42, 10 ** 9])
def test_boundary_iou_does_not_depend_on_the_strip_blocks(monkeypatch, block_pixels):
    # The bands of a track are computed for blocks of frames side by side: one frame per
    # block, two, or all frames in one block give the plain per-frame numbers.
    from mmvmt.evaluation.functional import tube_iou
    monkeypatch.setattr(tube_iou, 'BLOCK_PIXELS', block_pixels)
    rng = np.random.default_rng(3)
    h, w, t = 31, 41, 5
    gts = random_tracks(rng, 2, h, w, t)
    dts = random_tracks(rng, 3, h, w, t, base=gts)
    band = tube_boundary_iou(dts, gts, boundary_width(h, w))
    for i, d in enumerate(dts):
        for j, g in enumerate(gts):
            assert band[i, j] == pytest.approx(plain_tube_iou(d, g, h, w, True, 0.02),
                                               abs=1e-12)
