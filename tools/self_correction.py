"""Iterative self-correction of coarse video annotations (VMT, Section 3.2).

    python tools/self_correction.py CONFIG [--work-dir DIR] [--resume] [--cfg-options k=v ...]

Each round trains the refiner and writes a new corrected annotation file under
``<work_dir>/self_correction/round_<k>/``; ``--resume`` continues an interrupted run at the
round and stage it was in (see mmvmt/engine/self_correction.py).
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction

from mmvmt.engine import SelfCorrection
from mmvmt.utils import register_all_modules
from mmvmt.utils.launch import adapt_env_cfg_to_device


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
    cfg = Config.fromfile(args.config)
    cfg.launcher = 'none'
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    adapt_env_cfg_to_device(cfg)
    outputs = SelfCorrection(cfg, resume=args.resume).run()
    for round, path in enumerate(outputs, 1):
        print(f'round {round}: {path}')


if __name__ == '__main__':
    main()
