"""A data root with frames for the ``ytvis`` files of tests/conftest.py."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest


@pytest.fixture
def ytvis_root(tmp_path, ytvis):
    """A data root with the frames of ``ytvis.official()`` under ``train/JPEGImages``.

    Returns a function ``write(ann, name='train.json') -> ann_file`` dumping the JSON."""
    rng = np.random.default_rng(0)
    for video in ytvis.official()['videos']:
        for name in video['file_names']:
            path = tmp_path / 'train' / 'JPEGImages' / name
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path),
                        rng.integers(0, 255, (ytvis.H, ytvis.W, 3), dtype=np.uint8))

    def write(ann, name='train.json'):
        path = tmp_path / 'annotations' / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(ann))
        return str(path)

    write.root = str(tmp_path)
    write.img_prefix = osp.join(str(tmp_path), 'train', 'JPEGImages')
    return write
