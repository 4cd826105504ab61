"""Iterative self-correction of coarse video annotations (VMT, Section 3.2).

    python tools/self_correction.py CONFIG [--work-dir DIR] [--resume] [--cfg-options k=v ...]

Each round trains the refiner and writes a new corrected annotation file under
``<work_dir>/self_correction/round_<k>/``; ``--resume`` continues an interrupted run at the
round and stage it was in (see mmvmt/engine/self_correction.py).
"""
import argparse

from mmengine.config import DictAction

from mmvmt.engine import SelfCorrection
from mmvmt.utils import register_all_modules
from mmvmt.utils.launch import load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Iterative self-correction of coarse video mask annotations')
    parser.add_argument('config', help='self-correction config file path')
    parser.add_argument('--work-dir', help='the dir for checkpoints, logs, corrected files')
    parser.add_argument('--resume', action='store_true',
                        help='continue the run in the work dir at its round and stage')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, "key=value" pairs, e.g. '
        'self_correction.num_rounds=2 train_cfg.max_iters=10')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, launcher='none', cfg_options=args.cfg_options,
                      work_dir=args.work_dir)
    outputs = SelfCorrection(cfg, resume=args.resume).run()
    for round, path in enumerate(outputs, 1):
        print(f'round {round}: {path}')


if __name__ == '__main__':
    main()
