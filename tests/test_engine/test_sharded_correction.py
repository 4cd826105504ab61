"""correct_sharded: two CPU processes (gloo, torchrun) give the file one process gives, and
a failure on one process stops both without an output."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pycocotools.mask as mask_utils

from mmvmt.engine import provenance_path
from mmvmt.structures import segmentation_to_rle

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def decoded(official):
    sizes = {v['id']: (v['height'], v['width']) for v in official['videos']}
    return [[None if s is None else mask_utils.decode(segmentation_to_rle(s, *sizes[a['video_id']]))
             for s in a['segmentations']] for a in official['annotations']]


def test_two_processes_write_what_one_writes(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    videos = json.loads(in_file.read_text())['videos']
    assert len(videos) == 3  # an uneven split: process 0 gets 2 videos, process 1 one
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
         '--master_port', str(free_port()), osp.join(HERE, '_two_process_correction.py'),
         str(in_file), str(img_root), str(out_dir)],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    sharded, single = out_dir / 'sharded.json', out_dir / 'single.json'
    assert sharded.read_bytes() == single.read_bytes()
    corrected = json.loads(sharded.read_text())
    coarse = json.loads(in_file.read_text())
    # The stand-in refiner moved the masks, so the comparison is not between two copies.
    assert any(not np.array_equal(a, b)
               for track_a, track_b in zip(decoded(corrected), decoded(coarse))
               for a, b in zip(track_a, track_b) if a is not None)
    prov = json.loads(open(provenance_path(str(sharded))).read())
    assert prov['num_processes'] == 2 and prov['note'] == 'test'
    single_prov = json.loads(open(provenance_path(str(single))).read())
    assert prov['videos'] == single_prov['videos']
    assert [v['video_id'] for v in prov['videos']] == [v['id'] for v in videos]
    assert not [p for p in os.listdir(out_dir) if p.endswith('.parts')]

    failures = {r: (out_dir / f'failure_rank{r}.txt').read_text() for r in (0, 1)}
    assert failures[1] == 'RuntimeError: refiner failed on purpose'
    assert failures[0].startswith('PeerProcessError: correcting')
    assert 'rank 1: RuntimeError: refiner failed on purpose' in failures[0]
    assert not (out_dir / 'failed.json').exists()
