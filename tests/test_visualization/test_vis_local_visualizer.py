"""VISLocalVisualizer: what it draws for predictions and GT, pixel by pixel."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmvmt.visualization import VISLocalVisualizer, track_color


def square(top, left, size=20, shape=(100, 120)):
    mask = np.zeros(shape, bool)
    mask[top:top + size, left:left + size] = True
    return mask


@pytest.fixture
def visualizer():
    vis = VISLocalVisualizer.get_instance(f'vis_test_{np.random.randint(1 << 30)}',
                                          alpha=0.5, line_width=1)
    vis.dataset_meta = dict(classes=('lizard', 'beetle', 'bird'))
    return vis


def prediction(ids=(3, 7), scores=(0.9, 0.8)):
    masks = np.stack([square(30, 30), square(60, 80)])
    return InstanceData(instances_id=torch.tensor(ids), scores=torch.tensor(scores),
                        labels=torch.tensor([0, 2]), masks=torch.from_numpy(masks))


def test_masks_boundaries_and_labels_in_the_track_colour(visualizer):
    image = np.zeros((100, 120, 3), np.uint8)
    out = visualizer.draw_instances(image, prediction())
    color = np.array(track_color(3))
    assert (out[45, 45] == np.round(color * 0.5)).all()  # inside, below the label
    assert (out[49, 40] == color).all() and (out[40, 30] == color).all()  # on the outline
    assert not out[5, 5].any() and not out[95, 5].any()  # background untouched
    label = out[30:42, 30:70]
    assert (label == color).all(-1).mean() > 0.4  # a label box of the track colour
    assert (np.abs(label.astype(int) - color).sum(-1) > 150).any()  # with text on it
    assert (out[75, 95] == np.round(np.array(track_color(7)) * 0.5)).all()


def test_same_track_same_colour_across_frames(visualizer):
    image = np.zeros((100, 120, 3), np.uint8)
    first = visualizer.draw_instances(image, prediction())
    moved = prediction()
    moved.masks = torch.from_numpy(np.stack([square(50, 10), square(60, 80)]))
    second = visualizer.draw_instances(image, moved)
    assert (first[45, 45] == second[65, 25]).all()


def test_absent_tracks_are_not_drawn(visualizer):
    pred = prediction()
    pred.masks[1] = False
    out = visualizer.draw_instances(np.zeros((100, 120, 3), np.uint8), pred)
    assert not out[60:80, 80:100].any()


def test_gt_with_instances_ids_and_bitmap_masks_at_another_size(visualizer):
    # PackTrackInputs writes GT ids as `instances_ids`; mmdet's visualizer reads
    # `instances_id` and fails on it.
    masks = np.stack([square(15, 15, 10, (50, 60))]).astype(np.uint8)
    gt = InstanceData(instances_ids=torch.tensor([5]), labels=torch.tensor([1]),
                      masks=BitmapMasks(masks, 50, 60))
    out = visualizer.draw_instances(np.zeros((100, 120, 3), np.uint8), gt)
    assert (out[45, 45] == np.round(np.array(track_color(5)) * 0.5)).all()  # resized x2


def test_coarse_outline_refined_region_and_legend(visualizer):
    visualizer.draw_coarse = visualizer.draw_refined_region = visualizer.legend = True
    pred = prediction()
    region = np.zeros((2, 100, 120), bool)
    region[0, 40:50, 40:50] = True
    pred.refined_regions = torch.from_numpy(region)
    coarse = prediction()
    coarse.masks = torch.from_numpy(np.stack([square(25, 25, 30), square(60, 80)]))
    out = visualizer.draw_instances(np.zeros((100, 120, 3), np.uint8), pred, coarse)
    assert out.shape[1] > 120  # legend panel
    assert (out[25:55, 25] == 255).all(-1).any()  # dashed white coarse outline at x = 25
    hatched = (out[40:50, 40:50] == track_color(3)).all(-1)
    assert hatched.any() and not hatched.all()


def test_add_datasample_draws_gt_and_prediction_side_by_side(visualizer, tmp_path):
    sample = DetDataSample()
    sample.gt_instances = InstanceData(instances_ids=torch.tensor([3]), labels=torch.tensor([0]),
                                       masks=torch.from_numpy(square(30, 30)[None]))
    sample.pred_track_instances = prediction(scores=(0.9, 0.1))
    out_file = tmp_path / 'frame.jpg'
    visualizer.add_datasample('f', np.zeros((100, 120, 3), np.uint8), sample,
                              out_file=str(out_file), pred_score_thr=0.3)
    drawn = visualizer.get_image()
    assert drawn.shape == (100, 240, 3)
    assert (drawn[45, 45] == drawn[45, 165]).all() and drawn[45, 45].any()
    assert not drawn[75, 215].any()  # the 0.1-score track is below the threshold
    assert out_file.exists()
