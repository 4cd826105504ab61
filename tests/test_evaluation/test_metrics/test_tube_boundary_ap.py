import json
import zipfile

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData
from ytvis_fakes import encode, random_mask

from mmvmt.evaluation.functional import evaluate_tube_ap
from mmvmt.evaluation.metrics import TubeBoundaryAP, build_eval_metrics
from mmvmt.registry import METRICS
from mmvmt.structures import YTVISFormatError

CLASSES = ('lizard', 'beetle', 'bird')


def fake_videos(seed=0, num_videos=3):
    """Per video: frames of GT instances and predictions, as plain numpy."""
    rng = np.random.default_rng(seed)
    videos = []
    for v in range(num_videos):
        h, w, length = 24 + 4 * v, 30, 3 + v % 2
        gts = [dict(instance_id=100 * v + i, label=int(rng.integers(3)), crowd=i == 2,
                    masks=[None if rng.random() < 0.2 else random_mask(rng, h, w)
                           for _ in range(length)]) for i in range(3)]
        preds = []
        for i, g in enumerate(gts):
            preds.append(dict(track_id=i, label=g['label'] if i else (g['label'] + 1) % 3,
                              scores=rng.uniform(0.2, 1, length),
                              masks=[None if m is None else random_mask(rng, h, w, near=m)
                                     for m in g['masks']]))
        preds.append(dict(track_id=7, label=1, scores=rng.uniform(0, .5, length),
                          masks=[random_mask(rng, h, w) for _ in range(length)]))
        videos.append(dict(video_id=5 + v, h=h, w=w, length=length, gts=gts, preds=preds))
    return videos


def frame_sample(video, t):
    h, w = video['h'], video['w']
    present = [p for p in video['preds'] if p['masks'][t] is not None]
    instances = [dict(instance_id=g['instance_id'], bbox_label=g['label'],
                      ignore_flag=int(g['crowd']), bbox=[0, 0, 1, 1],
                      mask=encode(g['masks'][t], 'compressed' if t % 2 else 'uncompressed'))
                 for g in video['gts'] if g['masks'][t] is not None]
    sample = DetDataSample(metainfo=dict(
        video_id=video['video_id'], frame_id=t, ori_video_length=video['length'],
        ori_shape=(h, w), img_id=1000 * video['video_id'] + t, instances=instances))
    sample.pred_track_instances = InstanceData(
        instances_id=torch.tensor([p['track_id'] for p in present], dtype=torch.long),
        scores=torch.tensor([p['scores'][t] for p in present], dtype=torch.float32),
        labels=torch.tensor([p['label'] for p in present], dtype=torch.long),
        masks=torch.from_numpy(np.stack([p['masks'][t] for p in present]).astype(bool)
                               if present else np.zeros((0, h, w), bool)))
    return sample


def expected_json(videos):
    """The same data written by hand in the YouTube-VIS format."""
    gt = dict(videos=[dict(id=v['video_id'], height=v['h'], width=v['w'], length=v['length'])
                      for v in videos],
              categories=[dict(id=i + 1, name=c) for i, c in enumerate(CLASSES)],
              annotations=[])
    results = []
    for v in videos:
        for g in v['gts']:
            if all(m is None for m in g['masks']):
                continue
            gt['annotations'].append(dict(
                id=len(gt['annotations']) + 1, video_id=v['video_id'],
                category_id=g['label'] + 1, iscrowd=int(g['crowd']),
                areas=[None if m is None else float(m.sum()) for m in g['masks']],
                segmentations=[None if m is None else encode(m, 'compressed')
                               for m in g['masks']]))
        for p in v['preds']:
            present = [t for t, m in enumerate(p['masks']) if m is not None]
            results.append(dict(
                video_id=v['video_id'], category_id=p['label'] + 1,
                score=float(np.mean(np.asarray(p['scores'], np.float32)[present])),
                segmentations=[None if m is None else encode(m, 'compressed')
                               for m in p['masks']]))
    return gt, results


def run_metric(metric, videos, per_frame=False):
    metric.dataset_meta = dict(classes=CLASSES)
    for v in videos:
        frames = [frame_sample(v, t) for t in range(v['length'])]
        if per_frame:
            for f in frames:
                metric.process({}, [TrackDataSample(video_data_samples=[f]).to_dict()])
        else:
            metric.process({}, [TrackDataSample(video_data_samples=frames)])
    return metric.evaluate(len(videos))


def test_whole_videos_equal_the_offline_evaluation():
    videos = fake_videos()
    got = run_metric(TubeBoundaryAP(), videos)
    gt, results = expected_json(videos)
    want = evaluate_tube_ap(gt, results)
    assert len(got) == 24
    for iou_type in ('boundary', 'segm'):
        for name, value in want[iou_type]['stats'].items():
            assert got[f'tube_ap/{iou_type}_{name}'] == pytest.approx(value, abs=1e-9)
    assert got['tube_ap/boundary_AP'] != got['tube_ap/segm_AP']


def test_frame_by_frame_gives_the_same_and_mask_only():
    videos = fake_videos(1)
    whole = run_metric(TubeBoundaryAP(), videos)
    frames = run_metric(TubeBoundaryAP(), videos, per_frame=True)
    assert whole == frames
    mask_only = run_metric(METRICS.build(build_eval_metrics(['tube_mask_ap'])[0]), videos)
    assert set(mask_only) == {k for k in whole if k.startswith('tube_ap/segm_')}
    assert all(mask_only[k] == whole[k] for k in mask_only)


def two_ranks():
    rank0, rank1 = TubeBoundaryAP(), TubeBoundaryAP()
    for metric in (rank0, rank1):
        metric.dataset_meta = dict(classes=CLASSES)
    return rank0, rank1


def evaluate_on_two_ranks(monkeypatch, rank0, rank1):
    """rank0.evaluate() as in a 2-process run, rank1 having processed its own samples."""
    part1 = rank1.results + [dict(partial=True, frames=f) for f in rank1._frames.values()]
    module = 'mmvmt.evaluation.metrics.tube_boundary_ap'
    monkeypatch.setattr(f'{module}.get_world_size', lambda: 2)
    monkeypatch.setattr(f'{module}.all_gather_object', lambda obj: [obj, part1])
    return rank0.evaluate(0)


def test_frames_of_a_video_split_across_ranks_are_joined(monkeypatch):
    videos = fake_videos(2, num_videos=2)
    expected = run_metric(TubeBoundaryAP(), videos)
    rank0, rank1 = two_ranks()
    for v in videos:
        for t in range(v['length']):
            target = rank0 if t % 2 == 0 else rank1
            target.process({}, [TrackDataSample(video_data_samples=[frame_sample(v, t)])])
    assert evaluate_on_two_ranks(monkeypatch, rank0, rank1) == expected


def test_videos_repeated_by_a_padding_sampler_count_once(monkeypatch):
    # mmengine's DefaultSampler (round_up=True) pads the last batch of a distributed run by
    # repeating samples: a whole video on one rank, single frames of another on the other.
    videos = fake_videos(4, num_videos=3)
    expected = run_metric(TubeBoundaryAP(), videos)
    rank0, rank1 = two_ranks()
    for v in videos:
        rank0.process({}, [TrackDataSample(
            video_data_samples=[frame_sample(v, t) for t in range(v['length'])])])
    rank1.process({}, [TrackDataSample(
        video_data_samples=[frame_sample(videos[0], t) for t in range(videos[0]['length'])])])
    rank1.process({}, [TrackDataSample(video_data_samples=[frame_sample(videos[1], 0)])])
    assert evaluate_on_two_ranks(monkeypatch, rank0, rank1) == expected


def test_missing_frames_are_an_error(monkeypatch):
    videos = fake_videos(0, num_videos=1)
    metric = TubeBoundaryAP()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [TrackDataSample(video_data_samples=[frame_sample(videos[0], 0)])])
    with pytest.raises(RuntimeError, match='video 5 has predictions for 1 of its 3 frames'):
        metric.evaluate(1)


def test_ann_file_with_refined_masks_and_class_names(tmp_path):
    videos = fake_videos(3, num_videos=2)
    gt, _ = expected_json(videos)
    # categories in the file in another order and with other ids: mapped by class name
    gt['categories'] = [dict(id=30, name='bird'), dict(id=10, name='lizard'),
                        dict(id=20, name='beetle')]
    for ann in gt['annotations']:
        ann['category_id'] = {1: 10, 2: 20, 3: 30}[ann['category_id']]
        ann['segmentations_refined'] = ann['segmentations']
        ann['segmentations'] = [None] * len(ann['segmentations'])
    ann_file = tmp_path / 'gt.json'
    ann_file.write_text(json.dumps(gt))
    from_file = run_metric(TubeBoundaryAP(ann_file=str(ann_file)), videos)
    from_samples = run_metric(TubeBoundaryAP(), videos)
    assert from_file == pytest.approx(from_samples, abs=1e-12)
    unrefined = run_metric(TubeBoundaryAP(ann_file=str(ann_file), use_refined_segm=False),
                           videos)
    assert unrefined['tube_ap/segm_AP'] == 0.0


@pytest.mark.parametrize('content, message', [
    ('"gt.json"', 'expected a JSON object or list, got str'),
    ('{"videos": [], "categories": [{"name": "x"}]}', r"categories\[0\]: missing required"),
])
def test_a_bad_ann_file_is_the_format_error_even_in_format_only_mode(tmp_path, content,
                                                                     message):
    ann_file = tmp_path / 'gt.json'
    ann_file.write_text(content)
    videos = fake_videos(4, num_videos=1)
    for format_only in (False, True):
        with pytest.raises(YTVISFormatError, match=message):
            run_metric(TubeBoundaryAP(ann_file=str(ann_file), format_only=format_only),
                       videos)


def test_format_only_writes_the_results_and_the_zip(tmp_path):
    videos = fake_videos(4, num_videos=2)
    prefix = str(tmp_path / 'sub' / 'results')
    assert run_metric(TubeBoundaryAP(format_only=True, outfile_prefix=prefix), videos) == {}
    written = json.loads((tmp_path / 'sub' / 'results.json').read_text())
    _, results = expected_json(videos)
    assert len(written) == len(results)
    assert {(r['video_id'], r['category_id']) for r in written} == \
        {(r['video_id'], r['category_id']) for r in results}
    with zipfile.ZipFile(f'{prefix}.submission_file.zip') as zf:
        assert zf.namelist() == ['results.json']
        assert json.loads(zf.read('results.json')) == written


def test_wrong_mask_size_is_an_error():
    videos = fake_videos(0, num_videos=1)
    sample = frame_sample(videos[0], 0)
    sample.set_metainfo(dict(ori_shape=(10, 10)))
    with pytest.raises(ValueError, match=r'predicted masks have shape \(\d+, 24, 30\), '
                       r'expected \(K, 10, 10\)'):
        TubeBoundaryAP().process({}, [TrackDataSample(video_data_samples=[sample])])


def test_bad_settings_are_refused_when_the_metric_is_built():
    # Not after a whole test run, when compute_metrics would first use them.
    with pytest.raises(ValueError, match='boundary_ratio must be in'):
        TubeBoundaryAP(boundary_ratio=float('nan'))
    with pytest.raises(ValueError, match='max_dets must be three ascending positive'):
        TubeBoundaryAP(max_dets=(0, 0, 0))
    assert TubeBoundaryAP(max_dets=[1, 5, 20]).max_dets == (1, 5, 20)


def test_unknown_short_name():
    with pytest.raises(ValueError, match=r"unknown metric name\(s\) \['nope'\]; known: .*"
                       r"'tube_boundary_ap'"):
        build_eval_metrics(['tube_boundary_ap', 'nope'])


def test_table_titles_say_what_masks_are_scored():
    # Issue 21: with mmdet's Mask2Former-VIS the table was titled 'of predicted masks (VMT:
    # refined)'. Plain model masks are the model's masks; they are called refined only
    # where the frames also hold VMT's coarse masks.
    video = fake_videos(num_videos=1)[0]
    plain = TubeBoundaryAP()
    plain.process({}, [TrackDataSample(video_data_samples=[frame_sample(video, 0)])])
    assert plain.table_title('boundary') == \
        "Tube-Boundary AP (AP^B) of the model's masks [pred_track_instances -> tube_ap]"
    assert plain.table_title('segm').startswith("Tube mask AP (AP^M) of the model's masks")

    frame = frame_sample(video, 0)
    frame.pred_track_instances_coarse = frame.pred_track_instances.clone()
    refined, coarse = TubeBoundaryAP(), TubeBoundaryAP(pred_key='pred_track_instances_coarse',
                                                       prefix='coarse_tube_ap')
    for metric in (refined, coarse):
        metric.process({}, [TrackDataSample(video_data_samples=[frame])])
    assert refined.table_title('boundary') == (
        'Tube-Boundary AP (AP^B) of refined masks (the frames also hold coarse ones) '
        '[pred_track_instances -> tube_ap]')
    assert coarse.table_title('boundary') == (
        "Tube-Boundary AP (AP^B) of coarse masks (VMT's base detector) "
        '[pred_track_instances_coarse -> coarse_tube_ap]')
