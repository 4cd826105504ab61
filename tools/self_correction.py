"""Iterative self-correction of coarse video annotations (VMT, Section 3.2).

    python tools/self_correction.py CONFIG [--work-dir DIR] [--resume] [--cfg-options k=v ...]

The same as ``python tools/train.py CONFIG ...`` (which runs every round of a config with a
``self_correction`` section, and is what ``tools/dist_train.sh`` / ``slurm_train.sh``
launch); kept for scripts that call it by this name. See mmvmt/engine/self_correction.py.
"""
import os.path as osp
import runpy

if __name__ == '__main__':
    runpy.run_path(osp.join(osp.dirname(osp.abspath(__file__)), 'train.py'),
                   run_name='__main__')
