"""tools/analysis_tools/browse_dataset.py: the GT of a pipeline drawn with track colours,
labels and a legend."""
import hashlib
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.visualization import track_color

ROOT = osp.join(osp.dirname(__file__), '..', '..')
spec = importlib.util.spec_from_file_location(
    'browse_dataset', osp.join(ROOT, 'tools', 'analysis_tools', 'browse_dataset.py'))
browse_dataset = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browse_dataset)
CONFIG = osp.join(ROOT, 'configs', '_base_', 'datasets', 'toy_vis.py')


def test_gt_to_draw_keeps_ids_and_passes_coarse_masks_and_regions():
    masks = np.zeros((2, 8, 8), np.uint8)
    masks[0, 1:4, 1:4] = masks[1, 4:7, 4:7] = 1
    gt = InstanceData(instances_ids=torch.tensor([7, 9]), labels=torch.tensor([0, 2]),
                      masks=BitmapMasks(masks, 8, 8),
                      coarse_masks=BitmapMasks(1 - masks, 8, 8),
                      refine_regions=BitmapMasks(masks, 8, 8))
    drawn, coarse = browse_dataset.gt_to_draw(gt)
    assert drawn.instances_ids.tolist() == coarse.instances_id.tolist() == [7, 9]
    assert np.array_equal(coarse.masks, 1 - masks)
    assert np.array_equal(drawn.refined_regions, masks)


def test_cli_draws_tracks_in_their_colours_with_a_legend(tmp_path):
    data = tmp_path / 'toy_vis'
    make_toy_vis(data, seed=0, num_videos=dict(train=1, val=1, test=1), num_frames=5,
                 verbose=False)
    browse_dataset.main([CONFIG, '--output-dir', str(tmp_path / 'out'), '--split', 'val',
                         '--cfg-options', f'val_dataloader.dataset.data_root={data}'])
    files = sorted((tmp_path / 'out' / 'val').rglob('*.jpg'))
    assert len(files) == 5
    image = cv2.imread(str(files[0]))[..., ::-1].astype(int)
    assert image.shape[0] == 128 and image.shape[1] > 192  # frame + legend panel
    gt = json.loads((data / 'annotations' / 'val_hq.json').read_text())
    frame = cv2.imread(str(data / 'val' / 'JPEGImages' / gt['videos'][0]['file_names'][0]))
    frame = frame[..., ::-1].astype(int)
    for track, ann in enumerate(a for a in gt['annotations']
                                if a['video_id'] == gt['videos'][0]['id']):
        segm = ann['segmentations'][0]
        if segm is None:
            continue
        mask = mask_utils.decode(dict(segm, counts=segm['counts'].encode())).astype(bool)
        inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        color = np.array(track_color(ann['id']))
        blended = np.round(frame[inner] * 0.5 + color * 0.5)
        close = (np.abs(image[:, :192][inner] - blended) <= 12).all(-1)
        assert close.mean() > 0.6  # the fill (JPEG; labels cover some pixels)
        legend = image[:, 192:]
        assert (np.abs(legend - color) <= 12).all(-1).sum() > 20  # its swatch


@pytest.mark.parametrize('inside, what', [
    ('annotations', 'the annotation folder of an input dataset'),
    ('annotations/browse', 'the annotation folder of an input dataset'),
    ('val/JPEGImages', "an image folder of the config's datasets")])
def test_output_dir_in_a_dataset_folder_is_refused_before_any_work(tmp_path, capsys, inside,
                                                                   what):
    data = tmp_path / 'toy_vis'
    make_toy_vis(data, seed=0, num_videos=dict(train=1, val=1, test=1), num_frames=2,
                 verbose=False)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.rglob('*')
              if p.is_file()}
    out = data / inside
    with pytest.raises(SystemExit) as info:
        browse_dataset.main([CONFIG, '--output-dir', str(out), '--split', 'val',
                             '--cfg-options', f'val_dataloader.dataset.data_root={data}/'])
    err = capsys.readouterr().err
    assert info.value.code == 2 and f'--output-dir {out}: lies inside ' in err and what in err
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.rglob('*')
            if p.is_file()} == before

