import cv2
import numpy as np

from mmvmt.datasets.toy.textures import textured_image


def grey(image):
    return cv2.cvtColor(np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)


def test_bright_and_dark_bands_never_meet_and_are_textured():
    rng = np.random.default_rng(0)
    darkest_bright, brightest_dark = 255, 0
    for _ in range(30):
        bright, dark = textured_image(rng, 40, 60, True), textured_image(rng, 40, 60, False)
        assert bright.shape == dark.shape == (40, 60, 3) and bright.dtype == np.float32
        darkest_bright = min(darkest_bright, int(grey(bright).min()))
        brightest_dark = max(brightest_dark, int(grey(dark).max()))
        assert bright.std() > 3 and dark.std() > 3
    assert darkest_bright - brightest_dark >= 30


def test_seeded():
    a = textured_image(np.random.default_rng(5), 20, 30, True)
    b = textured_image(np.random.default_rng(5), 20, 30, True)
    assert (a == b).all()
