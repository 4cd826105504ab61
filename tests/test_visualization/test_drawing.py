"""Drawing primitives, checked pixel by pixel on hand-made masks."""
import numpy as np

from mmvmt.visualization import (add_legend, draw_boundary, draw_dashed_boundary, draw_label,
                                 fill_mask, hatch, track_color)
from mmvmt.visualization.palette import text_color


def square(h=20, w=24, top=5, left=6, size=8):
    mask = np.zeros((h, w), bool)
    mask[top:top + size, left:left + size] = True
    return mask


def test_track_colours_are_stable_bright_and_distinct():
    assert track_color(3) == track_color(3)
    colours = {track_color(i) for i in range(20)}
    assert len(colours) == 20
    assert all(max(c) == 255 for c in colours)  # full value: bright on dark frames


def test_fill_mask_blends_inside_only():
    image = np.full((20, 24, 3), 100, np.uint8)
    out = fill_mask(image, square(), (200, 0, 50), alpha=0.5)
    assert tuple(out[8, 9]) == (150, 50, 75)  # (100 + 200) / 2, 100 / 2, (100 + 50) / 2
    assert tuple(out[0, 0]) == (100, 100, 100)
    assert tuple(image[8, 9]) == (100, 100, 100)  # input untouched


def test_boundary_is_opaque_on_the_edge_and_absent_inside():
    image = np.zeros((20, 24, 3), np.uint8)
    out = draw_boundary(image, square(), (10, 220, 30), thickness=1)
    edge = [(5, 6), (5, 13), (12, 6), (12, 13), (5, 9), (9, 6)]
    assert all(tuple(out[y, x]) == (10, 220, 30) for y, x in edge)
    assert not out[8, 9].any() and not out[0, 0].any()


def test_dashed_boundary_alternates_on_the_outline():
    image = np.zeros((20, 24, 3), np.uint8)
    out = draw_dashed_boundary(image, square(), (255, 255, 255), dash=2)
    outline = draw_boundary(image, square(), (255, 255, 255), thickness=1)
    on = out.any(-1)
    assert on.sum() > 0 and (on <= outline.any(-1)).all()
    assert on.sum() < outline.any(-1).sum()  # gaps


def test_hatch_marks_every_fourth_antidiagonal_of_the_region():
    image = np.zeros((20, 24, 3), np.uint8)
    out = hatch(image, square(), (1, 2, 3), step=4)
    ys, xs = np.nonzero(out.any(-1))
    assert ((ys + xs) % 4 == 0).all() and square()[ys, xs].all()
    assert len(ys) == sum((y + x) % 4 == 0 for y in range(5, 13) for x in range(6, 14))


def test_label_writes_text_on_a_box_of_the_track_colour():
    image = np.zeros((40, 120, 3), np.uint8)
    out = draw_label(image, 'lizard #3 0.87', (10, 5), (255, 255, 0), scale=0.4)
    box = out[5:20, 10:60]
    is_box = (box == (255, 255, 0)).all(-1)
    assert is_box.mean() > 0.5  # mostly the box colour...
    assert (box.sum(-1) < 200).any()  # ...with dark text (black reads on yellow)
    assert text_color((255, 255, 0)) == (0, 0, 0) and text_color((0, 0, 255)) == (255, 255, 255)
    moved = draw_label(image, 'x', (500, 500), (0, 0, 255), scale=0.4)  # kept inside
    assert (moved[-1, -1] == (0, 0, 255)).all()


def test_legend_appends_a_panel_with_swatches():
    image = np.zeros((60, 30, 3), np.uint8)
    out = add_legend(image, [((255, 0, 0), 'a #1'), ((0, 255, 0), 'b #2')], scale=0.35)
    assert out.shape[0] == 60 and out.shape[1] > 30
    assert (out[:, :30] == 0).all()
    panel = out[:, 30:]
    assert (panel == (255, 0, 0)).all(-1).any() and (panel == (0, 255, 0)).all(-1).any()
    assert add_legend(image, [], 0.35) is image
