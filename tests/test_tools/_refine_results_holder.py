"""Run by test_refine_results.py: tools/refine_results.py with a stand-in refiner that, on
its first video, waits until the test has tried a second run on the same --out.

    python _refine_results_holder.py STARTED GO -- REFINE_RESULTS_ARGS...

The refiner touches STARTED when its first video begins (the lock and the progress file are
then the run's), and goes on once GO exists.
"""
import importlib.util
import os.path as osp
import sys
import time

import torch

from mmvmt.models.data import RefinedMasks

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class BoxFlip:
    """Flips the labels in a box, with confidence 0.9 (so the labels change there)."""

    def __init__(self, started=None, go=None):
        self.calls, self.started, self.go = 0, started, go

    def eval(self):
        return self

    def refine_masks(self, frames, coarse):
        self.calls += 1
        if self.calls == 1 and self.started is not None:
            open(self.started, 'w').close()
            deadline = time.time() + 120
            while not osp.exists(self.go) and time.time() < deadline:
                time.sleep(0.05)
        region = torch.zeros_like(coarse)
        region[..., 20:60, 30:90] = True
        return RefinedMasks.from_labels(~coarse, torch.full(coarse.shape, 0.9), region)


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'refine_results', osp.join(ROOT, 'tools', 'refine_results.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


if __name__ == '__main__':
    started, go, sep, *argv = sys.argv[1:]
    assert sep == '--'
    tool = load_tool()
    refiner = BoxFlip(started, go)
    tool.build_refiner = lambda *a, **k: refiner
    tool.main(argv)
