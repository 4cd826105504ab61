"""ResultRefinementHook: any model's predictions refined inside the test loop."""
import json
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

import mmvmt.engine.result_refinement_hook as hook_module
from mmvmt.engine import ResultRefinementHook
from .test_result_refiner import THR, FlipRefiner, box_region, expected_mask


def predictions(toy_root):
    """A 'model's' prediction of toy train video 0: its GT tracks, track 1 absent in frame 1,
    one track with a low score."""
    gt = json.loads((toy_root / 'annotations' / 'train_hq.json').read_text())
    video = gt['videos'][0]
    anns = [a for a in gt['annotations'] if a['video_id'] == video['id']]
    frames = []
    for t, name in enumerate(video['file_names']):
        masks, ids = [], []
        for k, ann in enumerate(anns):
            segm = ann['segmentations'][t]
            if segm is None or (k == 1 and t == 1):
                continue
            masks.append(mask_utils.decode(dict(segm, counts=segm['counts'].encode())))
            ids.append(10 + k)
        frame = DetDataSample(metainfo=dict(
            img_path=str(toy_root / 'train' / 'JPEGImages' / name), frame_id=t,
            video_id=video['id'], ori_shape=(video['height'], video['width'])))
        frame.pred_track_instances = InstanceData(
            instances_id=torch.tensor(ids), labels=torch.zeros(len(ids), dtype=torch.long),
            scores=torch.tensor([0.9 if i != 10 else 0.01 for i in ids]),
            masks=torch.from_numpy(np.stack(masks)).bool(),
            bboxes=torch.zeros(len(ids), 4))
        frames.append(frame)
    return TrackDataSample(video_data_samples=frames)


class FakeModel(torch.nn.Module):
    """Stands for any VIS model: test_step gives fixed predictions."""

    def __init__(self, outputs):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.outputs = outputs

    def test_step(self, data):
        return self.outputs


def test_refines_in_the_test_step_and_keeps_the_model_output(toy_root, monkeypatch):
    monkeypatch.setattr(hook_module, 'build_refiner', lambda *args, **kwargs: FlipRefiner())
    sample = predictions(toy_root)
    before = [f.pred_track_instances.clone() for f in sample.video_data_samples]
    model = FakeModel([sample])
    runner = SimpleNamespace(model=model)
    hook = ResultRefinementHook('refiner.py', 'refiner.pth', conf_thr=THR, score_thr=0.05)
    hook.before_test(runner)
    out = model.test_step({})  # what the test loop calls, before the evaluator sees it
    hook.after_test(runner)
    assert model.test_step({}) is model.outputs  # the model's own test_step is back

    changed = False
    for frame, old in zip(out[0].video_data_samples, before):
        new = frame.pred_track_instances
        kept = frame.pred_track_instances_unrefined
        assert torch.equal(kept.masks, old.masks)
        for key in ('instances_id', 'scores', 'labels'):
            assert torch.equal(new[key], old[key])
        for i, tid in enumerate(old.instances_id.tolist()):
            a, b = old.masks[i].numpy(), new.masks[i].numpy()
            if tid == 10:  # score below score_thr: unrefined
                assert np.array_equal(a, b) and not new.refined_regions[i].any()
                continue
            assert np.array_equal(b, expected_mask(a))
            assert torch.equal(new.refined_regions[i], box_region(a.shape))
            changed |= not np.array_equal(a, b)
            ys, xs = np.nonzero(b)
            assert new.bboxes[i].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    assert changed


def test_frames_come_from_the_predictions_img_paths(toy_root, monkeypatch):
    seen = []

    class Recording(FlipRefiner):
        def refine_masks(self, frames, coarse):
            seen.append((tuple(frames.shape), tuple(coarse.shape)))
            return super().refine_masks(frames, coarse)

    monkeypatch.setattr(hook_module, 'build_refiner', lambda *args, **kwargs: Recording())
    sample = predictions(toy_root)
    hook = ResultRefinementHook('refiner.py', 'refiner.pth')
    hook.before_test(SimpleNamespace(model=FakeModel([sample])))
    hook.refine_predictions([sample])
    num_frames = len(sample)
    num_tracks = len({i for f in sample.video_data_samples
                      for i in f.pred_track_instances.instances_id.tolist()})
    assert seen == [((num_frames, 3, 128, 192), (num_tracks, num_frames, 128, 192))]
    assert osp.isfile(sample[0].img_path)
