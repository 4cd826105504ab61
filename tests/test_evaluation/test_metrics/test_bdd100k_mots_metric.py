"""BDD100KMOTSMetric gives the official toolkit's numbers on a tiny hand-made case."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData
from PIL import Image

from mmvmt.evaluation.metrics.bdd100k_mots_metric import BDD100KMOTSMetric

H, W = 24, 32
CAR, PED, BICYCLE = 3, 1, 8  # bitmask category ids (1-based)


def box(x0, y0, x1, y1):
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def write_bitmask(path, objects):
    """objects: (mask, category id, instance id, attribute bits) as in the release."""
    bitmask = np.zeros((H, W, 4), np.uint8)
    for mask, cat, iid, attr in objects:
        bitmask[mask.astype(bool)] = (cat, attr, iid >> 8, iid & 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(bitmask, mode='RGBA').save(path)


def gt_objects(t):
    objects = [(box(2 + t, 2, 10 + t, 8), CAR, 300, 0),
               (box(20, 14, 28, 22), PED, 9, 2)]  # a crowd
    if t == 1:
        objects.append((box(12, 12, 16, 20), PED, 7, 0))
    return objects


def pred_objects(t):
    """The car tracked with an id switch at t=2, the pedestrian missed, a false bicycle
    at t=0, a pedestrian on the crowd (ignored). (mask, category, id, score)."""
    objects = [(box(2 + t, 2, 10 + t, 7), CAR, 1 if t < 2 else 2, 0.9),
               (box(21, 15, 27, 21), PED, 5, 0.6)]
    if t == 0:
        objects.append((box(0, 18, 6, 24), BICYCLE, 3, 0.4))
    return objects


@pytest.fixture
def case(tmp_path):
    names = [f'vid-a-{t + 1:07d}' for t in range(3)]
    for t, name in enumerate(names):
        write_bitmask(tmp_path / 'gt' / 'vid-a' / f'{name}.png', gt_objects(t))
        write_bitmask(tmp_path / 'pred' / 'vid-a' / f'{name}.png',
                      [o[:3] + (0, ) for o in pred_objects(t)])
    return tmp_path, names


def track_sample(names, objects_of):
    frames = []
    for t, name in enumerate(names):
        objects = objects_of(t)
        frame = DetDataSample(metainfo=dict(img_path=f'/x/images/vid-a/{name}.jpg',
                                            ori_video_length=len(names), frame_id=t))
        frame.pred_track_instances = InstanceData(
            masks=torch.from_numpy(np.stack([o[0] for o in objects]).astype(bool)),
            labels=torch.tensor([o[1] - 1 for o in objects]),
            instances_id=torch.tensor([o[2] for o in objects]),
            scores=torch.tensor([o[3] for o in objects]))
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return sample


def evaluate(ann_file, names, objects_of):
    metric = BDD100KMOTSMetric(ann_file=str(ann_file))
    # As mmengine's Evaluator hands them over: data samples as dicts.
    metric.process({}, [track_sample(names, objects_of).to_dict()])
    return metric.evaluate(1)


def test_tracking_numbers_equal_the_toolkits_bitmask_evaluator(case):
    from bdd100k.eval.mots import evaluate_seg_track

    from mmvmt.structures import bdd100k_mots_config
    root, names = case
    got = evaluate(root / 'gt', names, pred_objects)
    gts = [[str(root / 'gt' / 'vid-a' / f'{n}.png') for n in names]]
    preds = [[str(root / 'pred' / 'vid-a' / f'{n}.png') for n in names]]
    ref = evaluate_seg_track(gts, preds, bdd100k_mots_config().scalabel, nproc=1).summary()
    assert got['bdd_mots/IDSw'] == ref['IDSw'] == 1
    for ours, theirs in [('mMOTSA', 'mMOTA'), ('mMOTSP', 'mMOTP'), ('mIDF1', 'mIDF1')]:
        assert got[f'bdd_mots/{ours}'] == pytest.approx(ref[theirs])
    # By hand, all classes together: 4 GT (3 car, 1 pedestrian; the crowd ignored),
    # 1 miss, 1 false positive (the bicycle; the prediction on the crowd is ignored),
    # 1 switch: MOTSA = 1 - 3 / 4.
    assert got['bdd_mots/MOTSA'] == pytest.approx(25.0)
    assert 0 <= got['bdd_mots/mAP'] < 100


def test_perfect_predictions_score_100(case):
    root, names = case

    def perfect(t):
        return [(m, c, i, 1.0) for m, c, i, attr in gt_objects(t) if not attr]

    got = evaluate(root / 'gt', names, perfect)
    assert got['bdd_mots/MOTSA'] == pytest.approx(100)
    assert got['bdd_mots/IDF1'] == pytest.approx(100)
    # The toolkit's class means run over all 8 classes; 2 have GT here.
    assert got['bdd_mots/mMOTSA'] == pytest.approx(100 * 2 / 8)
    assert got['bdd_mots/IDSw'] == 0
    assert got['bdd_mots/mAP'] == pytest.approx(100)


def test_predicted_frames_without_labels_are_an_error(case):
    """A prediction whose (video, frame name) has no GT frame would be dropped silently
    and lower the scores; it is reported instead."""
    root, names = case
    misnamed = names[:2] + ['vid-a-0000009']

    def perfect(t):
        return [(m, c, i, 1.0) for m, c, i, attr in gt_objects(t) if not attr]

    with pytest.raises(ValueError, match=r"1 predicted frames .*vid-a-0000009"):
        evaluate(root / 'gt', misnamed, perfect)
