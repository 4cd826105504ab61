"""Tiny toy data and hand-made annotation files for the self-correction tests."""
import copy
import json

import pytest

from mmvmt.datasets.toy import make_toy_vis


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A tiny toy dataset: 2 train videos of 3 frames (128 x 192)."""
    root = tmp_path_factory.mktemp('sc_toy') / 'toy_vis'
    make_toy_vis(root, seed=1, num_videos=dict(train=2, val=1, test=1), num_frames=3,
                 verbose=False)
    return root


def with_edge_cases(official: dict) -> dict:
    """The toy coarse file plus what a real file has: null frames, a video without
    annotations, an untouched extra field, a crowd track, non-contiguous ids."""
    out = copy.deepcopy(official)
    out['info'] = dict(out.get('info') or {}, note='kept as is')
    out['extra_top_level'] = [1, 2, 3]
    first = out['annotations'][0]
    first['segmentations'][1] = None
    first['areas'][1] = None
    first['bboxes'][1] = None
    first['extra_field'] = {'annotator': 'x'}
    out['annotations'][-1]['iscrowd'] = 1
    for i, ann in enumerate(out['annotations']):
        ann['id'] = 100 + 7 * i
    video = copy.deepcopy(out['videos'][0])
    video['id'] = max(v['id'] for v in out['videos']) + 10
    out['videos'].append(video)
    return out


@pytest.fixture
def coarse_file(toy_root, tmp_path):
    """An input file (edge cases added) in its own folder, and its image root."""
    official = json.loads((toy_root / 'annotations/train_coarse.json').read_text())
    path = tmp_path / 'input' / 'train_coarse.json'
    path.parent.mkdir()
    path.write_text(json.dumps(with_edge_cases(official)))
    return path, toy_root / 'train/JPEGImages'
