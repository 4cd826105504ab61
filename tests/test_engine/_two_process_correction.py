"""Run by test_sharded_correction.py under torchrun with 2 CPU processes (gloo).

    python -m torch.distributed.run --nproc_per_node 2 _two_process_correction.py \
        IN_FILE IMG_ROOT OUT_DIR

1. Both processes correct IN_FILE into OUT_DIR/sharded.json with a deterministic stand-in
   refiner; the main process then corrects it alone (AnnotationCorrector.run) into
   OUT_DIR/single.json, for the test to compare.
2. The refiner fails on process 1 only: both processes must raise (process 0 with
   PeerProcessError) and OUT_DIR/failed.json must not be written. Each process records
   what it raised in OUT_DIR/failure_rank<r>.txt.
"""
import os.path as osp
import sys

import torch
import torch.distributed as torch_dist

from mmvmt.engine import AnnotationCorrector, correct_sharded
from mmvmt.models.data import RefinedMasks


class ShiftRefiner:
    """Moves every mask one pixel right, with confidence 0.9 (so the labels change)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def refine_masks(self, frames, coarse):
        if self.fail:
            raise RuntimeError('refiner failed on purpose')
        return RefinedMasks.from_labels(torch.roll(coarse, 1, dims=-1),
                                        torch.full(coarse.shape, 0.9), torch.ones_like(coarse))

    def eval(self):
        return self


def main() -> None:
    in_file, img_root, out_dir = sys.argv[1:4]
    torch_dist.init_process_group('gloo')
    rank = torch_dist.get_rank()
    corrector = AnnotationCorrector(max_tracks_per_pass=1)
    correct_sharded(corrector, ShiftRefiner(), in_file, img_root,
                    osp.join(out_dir, 'sharded.json'), dict(note='test'))
    if rank == 0:
        corrector.run(ShiftRefiner(), in_file, img_root, osp.join(out_dir, 'single.json'))
    torch_dist.barrier()

    try:
        correct_sharded(corrector, ShiftRefiner(fail=rank == 1), in_file, img_root,
                        osp.join(out_dir, 'failed.json'))
        raised = 'nothing'
    except Exception as e:  # recorded for the test
        raised = f'{type(e).__name__}: {e}'
    with open(osp.join(out_dir, f'failure_rank{rank}.txt'), 'w') as f:
        f.write(raised)
    torch_dist.destroy_process_group()


if __name__ == '__main__':
    main()
