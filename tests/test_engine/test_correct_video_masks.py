"""correct_video_masks with a real (untrained) tiny VMT: do no harm, whatever the refiner."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmvmt.engine import correct_video_masks
from mmvmt.models.data import RefinedMasks
from mmvmt.registry import MODELS
from mmvmt.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py'))
    cfg.model.type = 'GivenMaskRefiner'  # the tiny VMT's modules, refining given masks
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
    answer = model.refine_masks(frames, coarse)
    refined, confidence, region = answer.masks, answer.confidence, answer.region
    corrected, out_region = correct_video_masks(model, frames, coarse, conf_thr=0.5)
    assert corrected.shape == coarse.shape and corrected.dtype == torch.bool
    assert torch.equal(out_region, region & coarse.flatten(2).any(-1)[..., None, None])
    # outside the region: the coarse mask, bit for bit
    assert torch.equal(corrected[~out_region], coarse[~out_region])
    legs = torch.zeros_like(coarse)
    legs[0, :, 20, 40:80] = legs[1, :, 36:54, 70] = True
    legs &= coarse
    # the rule keeps every leg pixel the refiner did not refine (its own mask there is one
    # value per 8 x 8 or 4 x 4 cell of a leaf node, which may drop them)
    assert (legs & ~out_region).any()
    assert (corrected[legs & ~out_region]).all()
    # inside it, only confident disagreements changed
    changed = corrected != coarse
    assert not (changed & ~(out_region & (refined != coarse) & (confidence > 0.5))).any()
    assert not corrected[1, 1].any()  # an absent track stays absent


def test_conf_thr_and_shapes_are_checked(model):
    frames = torch.zeros(3, 3, 60, 90, dtype=torch.uint8)
    with pytest.raises(ValueError, match='conf_thr'):
        correct_video_masks(model, frames, coarse_with_legs(), conf_thr=0.3)
    with pytest.raises(ValueError, match='remove_thr'):
        correct_video_masks(model, frames, coarse_with_legs(), remove_thr=1.0)
    with pytest.raises(ValueError, match='T = 3'):
        correct_video_masks(model, frames, coarse_with_legs(num_frames=2))


class FakeRefiner:
    """refine_masks with a fixed answer: ``refined`` (K, T, h, w) bool, ``confidence`` and
    ``region``, whatever the frames; the rule alone decides what changes."""

    def __init__(self, refined_fn, confidence=0.99, region_fn=None):
        self.refined_fn, self.confidence, self.region_fn = refined_fn, confidence, region_fn

    def refine_masks(self, frames, coarse):
        refined = self.refined_fn(coarse)
        confidence = torch.full(coarse.shape, float(self.confidence))
        return RefinedMasks.from_labels(refined, confidence, self.region_fn(coarse))


def h8_round_trip(coarse):
    """What the refiner's mask is outside its nodes: the mask at H/8, bilinearly back up."""
    small = torch.nn.functional.avg_pool2d(coarse.float(), 8, ceil_mode=True)
    up = torch.nn.functional.interpolate(small, scale_factor=8., mode='bilinear')
    return up[..., :coarse.shape[-2], :coarse.shape[-1]] > 0.5


def test_thin_structure_outside_every_node_survives_bit_for_bit():
    """A refiner that is confident everywhere and erases the 1-px legs (its H/8 view of the
    mask) changes nothing outside its region: the legs outside it stay, bit for bit."""
    coarse = coarse_with_legs()
    assert (coarse & ~h8_round_trip(coarse)).any()  # the round trip does erase the legs

    def region_fn(masks):  # nodes over the bodies only, none over the legs
        region = torch.zeros_like(masks)
        region[0, :, 8:24, 8:42] = True
        region[1, :, 33:57, 48:70] = True
        return region

    frames = torch.zeros(3, 3, 60, 90, dtype=torch.uint8)
    corrected, region = correct_video_masks(FakeRefiner(h8_round_trip, region_fn=region_fn),
                                            frames, coarse, conf_thr=0.65)
    legs = torch.zeros_like(coarse)
    legs[0, :, 20, 42:80] = legs[1, :, 36:54, 70] = True
    legs &= coarse
    assert legs.any() and torch.equal(corrected[legs], coarse[legs])
    outside = ~region_fn(coarse)
    assert torch.equal(corrected[outside], coarse[outside])
    assert not torch.equal(corrected, coarse)  # inside, the refiner's labels were taken


@pytest.mark.parametrize('size', [(60, 90), (120, 180)])
def test_relabel_touches_only_the_region(size):
    """A refiner that flips every label with confidence 0.99: exactly the region's pixels
    (of present tracks) change, at the masks' resolution too when the frames are smaller."""
    gen = torch.Generator().manual_seed(0)
    scale = size[0] // 60
    coarse = torch.rand(2, 3, 60, 90, generator=gen) > 0.5  # nearest-resized: same labels
    coarse = coarse.repeat_interleave(scale, -2).repeat_interleave(scale, -1)
    coarse[1, 1] = False  # absent: stays absent

    def region_fn(masks):
        region = torch.zeros_like(masks)
        region[..., 4:20, 10:30] = True
        region[..., 40:44, 60:62] = True
        return region

    frames = torch.zeros(3, 3, 60, 90, dtype=torch.uint8)
    corrected, region = correct_video_masks(FakeRefiner(lambda c: ~c, region_fn=region_fn),
                                            frames, coarse, conf_thr=0.65)
    expected = region_fn(torch.zeros(2, 3, 60, 90, dtype=torch.bool))
    expected = expected.repeat_interleave(scale, -2).repeat_interleave(scale, -1)
    expected[1, 1] = False
    assert torch.equal(region, expected)
    changed = corrected != coarse
    assert not (changed & ~expected).any()
    if scale == 1:
        assert torch.equal(changed, expected)
    else:  # bilinear resizing of the probabilities leaves some flips unsure near edges
        assert changed.sum() > 0.5 * expected.sum()
    # below the threshold nothing changes at all
    unsure, _ = correct_video_masks(
        FakeRefiner(lambda c: ~c, confidence=0.6, region_fn=region_fn), frames, coarse)
    assert torch.equal(unsure, coarse)
