"""GrabCut-from-coarse baseline (mmvmt/engine/grabcut_correction.py) on hand-made frames."""
import cv2
import numpy as np
import pytest

from mmvmt.engine import grabcut_correction
from mmvmt.engine.grabcut_correction import GrabCutSettings, grabcut_from_coarse, grabcut_trimap

H, W = 64, 80
YY, XX = np.mgrid[0:H, 0:W]
DISC = (YY - 30) ** 2 + (XX - 40) ** 2 <= 15 ** 2


def disc_frame(noise=0, seed=0):
    image = np.empty((H, W, 3), np.float64)
    image[:] = (40, 120, 60)
    image[DISC] = (200, 90, 180)
    image += np.random.default_rng(seed).normal(0, noise, image.shape) if noise else 0
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def grown(mask, px):
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(px) + 1,) * 2)
    m = mask.astype(np.uint8)
    return (cv2.dilate(m, disc) if px > 0 else cv2.erode(m, disc)).astype(bool)


def within_one_px(result, exact):
    """Every wrong pixel lies within 1 px (8-neighbourhood) of the exact boundary."""
    square = np.ones((3, 3), np.uint8)
    band = (cv2.dilate(exact.astype(np.uint8), square) &
            ~cv2.erode(exact.astype(np.uint8), square)).astype(bool)
    wrong = result ^ exact
    return not (wrong & ~band).any()


@pytest.mark.parametrize('halo, shift', [(3, (2, 0)), (4, (2, -2)), (2, (0, 3)), (-2, (0, 0))])
def test_a_disc_is_recovered_within_one_px_of_a_grown_shifted_or_shrunk_coarse_mask(halo, shift):
    coarse = np.roll(grown(DISC, halo), shift, (0, 1))
    assert not within_one_px(coarse, DISC)  # the coarse mask is off by more than 1 px
    assert within_one_px(grabcut_from_coarse(disc_frame(noise=3), coarse), DISC)


def test_a_thin_leg_inside_the_coarse_mask_is_kept():
    exact = DISC.copy()
    exact[30, 55:72] = True  # a 1-px leg sticking out of the disc
    image = disc_frame()
    image[exact] = (200, 90, 180)
    coarse = grown(exact, 3)
    result = grabcut_from_coarse(image, coarse)
    assert result[30, 55:72].mean() >= 0.9
    assert within_one_px(result, exact)


def test_trimap_by_hand():
    coarse = np.zeros((11, 11), bool)
    coarse[3:8, 3:8] = True  # a 5 x 5 square
    trimap = grabcut_trimap(coarse, sure_erosion=1, ring=2)
    assert (trimap[4:7, 4:7] == cv2.GC_FGD).all()  # the square eroded by 1 px
    assert trimap[3, 3] == cv2.GC_PR_FGD and trimap[3, 5] == cv2.GC_PR_FGD
    assert trimap[5, 1] == cv2.GC_PR_BGD and trimap[1, 5] == cv2.GC_PR_BGD  # 2 px ring
    assert trimap[5, 0] == cv2.GC_BGD and trimap[0, 0] == cv2.GC_BGD
    # a disc of radius 2 does not reach the corner diagonal (2, 2) -> (3, 3) needs 1.4 px only,
    # (1, 1) needs 2.8 px
    assert trimap[2, 2] == cv2.GC_PR_BGD and trimap[1, 1] == cv2.GC_BGD


def test_empty_tiny_and_frame_filling_masks_pass_through_unchanged():
    image = disc_frame(noise=3)
    empty = np.zeros((H, W), bool)
    tiny = np.zeros((H, W), bool)
    tiny[10:13, 10:13] = True  # 9 px < min_area 16
    full = np.ones((H, W), bool)  # no background in the crop
    for mask in (empty, tiny, full):
        out = grabcut_from_coarse(image, mask)
        assert out is not mask and (out == mask).all()


def test_an_empty_grabcut_result_returns_the_coarse_mask(monkeypatch):
    def everything_background(img, mask, *args):
        mask[:] = cv2.GC_BGD

    monkeypatch.setattr(grabcut_correction.cv2, 'grabCut', everything_background)
    coarse = grown(DISC, 3)
    assert (grabcut_from_coarse(disc_frame(), coarse) == coarse).all()


def test_the_same_mask_gives_the_same_result_whatever_ran_before():
    # Uniform noise with a brighter disc: colours where k-means' start changes the result.
    image = np.random.default_rng(4).integers(0, 256, (H, W, 3)).astype(np.uint8)
    image[DISC] = image[DISC] // 2 + 100
    square_halo = cv2.dilate(DISC.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    coarse = np.roll(square_halo, (3, 2), (0, 1))
    kept = coarse.copy()
    first = grabcut_from_coarse(image, coarse)
    assert (grabcut_from_coarse(image, coarse, GrabCutSettings(seed=1)) != first).any()
    for state in range(1, 6):  # OpenCV's generator left anywhere by what ran before
        cv2.setRNGSeed(state)
        cv2.randu(np.zeros((10, 10), np.float32), 0, 1)
        assert (grabcut_from_coarse(image, coarse) == first).all()
    assert (coarse == kept).all()  # the input is not modified


def test_bad_inputs_are_errors():
    with pytest.raises(ValueError, match='uint8'):
        grabcut_from_coarse(disc_frame().astype(np.float32), DISC)
    with pytest.raises(ValueError, match='shape'):
        grabcut_from_coarse(disc_frame(), DISC[:10])


def test_settings_are_described_in_the_row_name():
    text = GrabCutSettings(sure_erosion=5, ring=4, iterations=3).describe()
    assert 'eroded 5 px' in text and '4 px ring' in text and '3 it' in text
