"""VISInferencer on a few toy frames with a tiny, randomly initialised VMT."""
import os.path as osp

import cv2
import mmengine
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmvmt.apis import VISInferencer, find_config
from mmvmt.datasets.toy import make_toy_vis
from mmvmt.registry import DATASETS

ROOT = osp.join(osp.dirname(__file__), '..', '..')
CONFIG = 'vmt_tiny_r18_1xb2-toy_vis'


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    data = tmp_path_factory.mktemp('toy') / 'toy_vis'
    make_toy_vis(data, seed=0, num_videos=dict(train=1, val=1, test=1), num_frames=4,
                 verbose=False)
    return data


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    return VISInferencer(CONFIG, device='cpu', show_progress=False)


def frames_dir(toy):
    video = mmengine.load(str(toy / 'annotations' / 'val_hq.json'))['videos'][0]
    folder = toy / 'val' / 'JPEGImages' / osp.dirname(video['file_names'][0])
    return folder, video


def test_config_names_resolve_to_shipped_configs():
    found = find_config(CONFIG)
    assert found is not None and osp.samefile(
        found, osp.join(ROOT, 'configs', 'vmt', f'{CONFIG}.py'))
    assert find_config('no_such_config') is None
    with pytest.raises(FileNotFoundError, match='no_such_config'):
        VISInferencer('no_such_config')


def test_folder_gives_what_the_dataset_pipeline_gives(inferencer, toy):
    # The inferencer's frame-by-frame pipeline on raw files must feed the model exactly what
    # the config's test pipeline feeds it through the dataset.
    folder, video = frames_dir(toy)
    out = inferencer(str(folder), return_datasamples=True)
    dataset_cfg = dict(inferencer.cfg.test_dataloader.dataset, data_root=str(toy))
    dataset = DATASETS.build(dataset_cfg)
    expected = inferencer.model.test_step(pseudo_collate([dataset[0]]))[0]
    got = out['predictions'][0]
    assert len(got) == len(expected) == video['length'] == 4
    for t in range(4):
        a, b = got[t].pred_track_instances, expected[t].pred_track_instances
        assert torch.equal(a.masks, b.masks) and torch.allclose(a.scores, b.scores)
        assert torch.equal(a.instances_id, b.instances_id)


def test_results_json_and_folder_output(inferencer, toy, tmp_path):
    folder, video = frames_dir(toy)
    out = inferencer(str(folder), out=str(tmp_path / 'drawn'),
                     out_json=str(tmp_path / 'res.json'), video_id=7, pred_score_thr=0)
    preds, results = out['predictions'], out['results']
    assert len(preds) == 4 and mmengine.load(str(tmp_path / 'res.json')) == results
    num_tracks = len(preds[0]['instances_id'])
    assert len(results) == num_tracks > 0
    for k, res in enumerate(results):
        assert res['video_id'] == 7 and len(res['segmentations']) == 4
        frame_scores = [p['scores'][p['instances_id'].index(k)] for p in preds]
        assert res['score'] == pytest.approx(np.mean(frame_scores))
        assert res['category_id'] == preds[0]['labels'][k] + 1
        for t in range(4):
            assert res['segmentations'][t] == preds[t]['masks'][k]
            mask = mask_utils.decode(res['segmentations'][t])
            assert mask.shape == (video['height'], video['width'])
    drawn = sorted((tmp_path / 'drawn').glob('*.jpg'))
    assert [p.name for p in drawn] == sorted(osp.basename(f) for f in video['file_names'])
    assert cv2.imread(str(drawn[0])).shape == (video['height'], video['width'], 3)


def test_mp4_input_and_output(inferencer, toy, tmp_path):
    folder, video = frames_dir(toy)
    src = str(tmp_path / 'in.mp4')
    writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (video['width'], video['height']))
    for name in video['file_names']:
        writer.write(cv2.imread(str(toy / 'val' / 'JPEGImages' / name)))
    writer.release()
    out = inferencer(src, out=str(tmp_path / 'out.mp4'), return_vis=True)
    assert len(out['predictions']) == 4 and len(out['visualization']) == 4
    capture = cv2.VideoCapture(str(tmp_path / 'out.mp4'))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    assert len(frames) == 4 and frames[0].shape == (video['height'], video['width'], 3)
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(5)


def test_list_of_arrays_equals_folder(inferencer, toy):
    folder, video = frames_dir(toy)
    arrays = [cv2.imread(str(toy / 'val' / 'JPEGImages' / n)) for n in video['file_names']]
    a = inferencer(arrays)['predictions']
    b = inferencer(str(folder))['predictions']
    assert [p['masks'] for p in a] == [p['masks'] for p in b]
