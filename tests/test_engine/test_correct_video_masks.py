"""correct_video_masks with a real (untrained) tiny VMT: do no harm, whatever the refiner."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmvmt.engine import correct_video_masks
from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.refine_head.max_nodes_per_frame = (4, 8, 16)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def coarse_with_legs(num_frames=3, height=60, width=90):
    coarse = torch.zeros(2, num_frames, height, width, dtype=torch.bool)
    coarse[0, :, 10:30, 10:40] = True
    coarse[0, :, 20, 40:80] = True  # a 1-px leg, 40 px long
    coarse[1, :, 35:55, 50:70] = True
    coarse[1, :, 36:54, 70] = True  # a 1-px antenna
    coarse[1, 1] = False  # track 1 absent from frame 1
    return coarse


def test_thin_structures_outside_the_refined_region_survive_bit_for_bit(model):
    torch.manual_seed(0)
    frames = torch.randint(0, 255, (3, 3, 60, 90), dtype=torch.uint8)
    coarse = coarse_with_legs()
    refined, confidence, region = model.refine_masks(frames, coarse)
    corrected, out_region = correct_video_masks(model, frames, coarse, conf_thr=0.5)
    assert corrected.shape == coarse.shape and corrected.dtype == torch.bool
    assert torch.equal(out_region, region & coarse.flatten(2).any(-1)[..., None, None])
    # outside the region: the coarse mask, bit for bit
    assert torch.equal(corrected[~out_region], coarse[~out_region])
    legs = torch.zeros_like(coarse)
    legs[0, :, 20, 40:80] = legs[1, :, 36:54, 70] = True
    legs &= coarse
    # the refiner's own mask, seen at H/8 outside its nodes, loses the legs; the rule keeps
    # every leg pixel it did not refine
    assert (legs & ~region & ~refined).any()
    assert (corrected[legs & ~out_region]).all()
    # inside it, only confident disagreements changed
    changed = corrected != coarse
    assert not (changed & ~(out_region & (refined != coarse) & (confidence > 0.5))).any()
    assert not corrected[1, 1].any()  # an absent track stays absent


def test_conf_thr_and_shapes_are_checked(model):
    frames = torch.zeros(3, 3, 60, 90, dtype=torch.uint8)
    with pytest.raises(ValueError, match='conf_thr'):
        correct_video_masks(model, frames, coarse_with_legs(), conf_thr=0.3)
    with pytest.raises(ValueError, match='T = 3'):
        correct_video_masks(model, frames, coarse_with_legs(num_frames=2))
