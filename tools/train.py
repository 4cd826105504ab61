"""Train a model with mmengine's Runner, the OpenMMLab 2.0 way.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [args...]

A config with a ``self_correction`` section (configs/self_correction/) runs all rounds of
the iterative self-correction (mmvmt.engine.SelfCorrection), distributed like any training
when launched by dist_train.sh / slurm_train.sh; ``--resume`` continues an interrupted run
at its round and stage.
"""
import argparse
import os
import sys

from mmengine.config import DictAction
from mmengine.runner import Runner

from mmvmt.engine import CorrectionSettingsError, SelfCorrection, SelfCorrectionStateError
from mmvmt.utils import register_all_modules
from mmvmt.utils.launch import load_config
from mmvmt.utils.output_lock import OutputLockedError
from mmvmt.utils.output_paths import OutputPathError, check_work_dir, runner_rules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a video instance segmentation model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir '
        'when no path is given')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the actual batch size (auto_scale_lr in the config)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, "key=value" pairs, e.g. '
        'train_cfg.max_iters=10 "model.backbone.depth=50"')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)

    cfg = load_config(args.config, launcher=args.launcher, cfg_options=args.cfg_options,
                      work_dir=args.work_dir)
    try:  # before any work: the runner writes the work dir and its config dump at once
        check_work_dir(cfg.work_dir, args.config, **runner_rules(cfg, inputs=[args.config]))
    except OutputPathError as e:
        raise SystemExit(f'error: {e}')

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError(f'{args.config} has no `auto_scale_lr.base_batch_size`, '
                               'which --auto-scale-lr needs.')
        cfg.auto_scale_lr.enable = True
    if cfg.get('self_correction') is not None:
        if args.resume not in (None, 'auto'):
            raise SystemExit('--resume takes no checkpoint for a self-correction config: it '
                             'continues the run in the work dir at its round and stage.')
        try:
            self_correction = SelfCorrection(cfg, resume=args.resume == 'auto')
        except CorrectionSettingsError as e:  # an argument error: one line, exit code 2
            print(f'train.py: error: self_correction.{e}', file=sys.stderr)
            raise SystemExit(2)
        try:
            outputs = self_correction.run()
        except (OutputLockedError, SelfCorrectionStateError) as e:  # a run in this work dir
            raise SystemExit(f'error: {e}')
        for round, path in enumerate(outputs, 1):
            print(f'round {round}: {path}')
        return
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
