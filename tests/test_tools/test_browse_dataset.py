import importlib.util
import os.path as osp

import cv2
import numpy as np

from mmvmt.datasets.toy import make_toy_vis

ROOT = osp.join(osp.dirname(__file__), '..', '..')
spec = importlib.util.spec_from_file_location(
    'browse_dataset', osp.join(ROOT, 'tools', 'analysis_tools', 'browse_dataset.py'))
browse_dataset = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browse_dataset)


def test_overlay_colours_masks_and_outlines_coarse_ones():
    image = np.zeros((10, 12, 3), np.uint8)
    masks = np.zeros((1, 10, 12), np.uint8)
    masks[0, 2:6, 2:6] = 1
    coarse = np.zeros_like(masks)
    coarse[0, 1:8, 1:8] = 1
    out = browse_dataset.overlay_frame(image, masks, np.array([4]), coarse)
    assert out[3, 3].any() and not out[9, 11].any()
    assert tuple(out[1, 4]) == browse_dataset.color_of(4)  # on the coarse outline
    assert browse_dataset.color_of(4) == browse_dataset.color_of(4) != \
        browse_dataset.color_of(5)


def test_cli_writes_train_and_val_frames_of_the_toy_config(tmp_path):
    data = tmp_path / 'toy_vis'
    make_toy_vis(data, seed=0, num_videos=dict(train=1, val=1, test=1), num_frames=5,
                 verbose=False)
    config = osp.join(ROOT, 'configs', '_base_', 'datasets', 'toy_vis.py')
    for split in ('train', 'val'):
        browse_dataset.main([config, '--output-dir', str(tmp_path / 'out'), '--split', split,
                             '--cfg-options', f'{split}_dataloader.dataset.data_root={data}'])
        files = sorted((tmp_path / 'out' / split).rglob('*.jpg'))
        assert len(files) == 5
        assert cv2.imread(str(files[0])).shape == (128, 192, 3)
