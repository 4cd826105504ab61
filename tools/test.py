"""Test (and evaluate) a checkpoint with mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--eval tube_boundary_ap tube_mask_ap ...]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [args...]

``--eval`` picks registered metrics by short name and replaces the config's test evaluator
(the habit of mmtrack 0.x, kept on the mmengine runner); ``--format-only`` writes the
YouTube-VIS results JSON (and zip) without evaluating, e.g. for a challenge server.

Before any work: output paths that are an input (the config, the checkpoint, an annotation
file) or lie in a dataset's annotation folder are refused, and so is a checkpoint whose keys
do not fit the model (beyond the config's ``allow_checkpoint_mismatch = dict(missing=[...],
unexpected=[...])`` patterns) unless ``--allow-partial-checkpoint``.
"""
import argparse
import os
from typing import Dict

from mmengine.config import DictAction
from mmengine.runner import Runner
from terminaltables import AsciiTable

from mmvmt.evaluation.metrics.short_names import build_eval_metrics
from mmvmt.utils import register_all_modules
from mmvmt.utils.checkpoint_keys import CheckpointKeysHook, CheckpointMismatchError
from mmvmt.utils.launch import load_config
from mmvmt.utils.output_paths import (OutputPathError, annotation_folders, check_output_path,
                                      config_annotation_paths)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a VIS model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation logs')
    parser.add_argument(
        '--eval', nargs='+', metavar='METRIC',
        help='short names of the metrics to compute, e.g. tube_boundary_ap tube_mask_ap; '
        'they replace the test evaluator of the config')
    parser.add_argument(
        '--format-only', action='store_true',
        help='only write the results file(s) (with --outfile-prefix), do not evaluate')
    parser.add_argument('--outfile-prefix', help='prefix of the written results files')
    parser.add_argument(
        '--allow-partial-checkpoint', action='store_true',
        help='test even if the checkpoint lacks keys of the model, holds others or tensors '
        'of other shapes (by default the run stops before testing)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, "key=value" pairs')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


# What a configured metric knows of the dataset, kept when --eval replaces the evaluator.
DATASET_KEYS = ('ann_file', 'use_refined_segm', 'backend_args')


def _dataset_settings(configured, metric_type: str) -> dict:
    """The dataset settings of the config's first test metric of ``metric_type``."""
    metrics = configured if isinstance(configured, list) else [configured] if configured else []
    for metric in metrics:
        if metric.get('type') == metric_type:
            return {k: metric[k] for k in DATASET_KEYS if k in metric}
    return {}


def metrics_table(metrics: Dict[str, float]) -> str:
    """All metrics of a test run in one table: a row per metric prefix and family.

    ``{'tube_ap/boundary_AP': 0.3, 'coarse_tube_ap/segm_AP': 0.5, ...}`` gives rows
    ``tube_ap boundary``, ``coarse_tube_ap segm``, ... with a column per name (AP, AP50, ...).
    """
    rows: Dict[str, Dict[str, float]] = {}
    for key, value in metrics.items():
        prefix, _, name = key.rpartition('/')
        family, _, stat = name.partition('_') if '_' in name else ('', '', name)
        rows.setdefault(f'{prefix} {family}'.strip(), {})[stat] = value
    columns = list(dict.fromkeys(stat for row in rows.values() for stat in row))
    table = [['metric'] + columns]
    for row_name, row in rows.items():
        table.append([row_name] + [_fmt(row.get(c)) for c in columns])
    return AsciiTable(table, title='test metrics').table


def check_outputs(args: argparse.Namespace, cfg) -> None:
    """Refuse, before any work, output paths that would replace an input or cannot be written.

    Raises:
        OutputPathError: Naming the option and the rule it breaks.
    """
    ann_paths = config_annotation_paths(cfg)
    rules = dict(inputs=ann_paths + [args.config, args.checkpoint],
                 protected_dirs=annotation_folders(ann_paths))
    evaluators = cfg.get('test_evaluator') or []
    for metric in evaluators if isinstance(evaluators, list) else [evaluators]:
        # --outfile-prefix has been put into every metric; a config may set its own.
        prefix = metric.get('outfile_prefix')
        for suffix in ('.json', '.submission_file.zip') if prefix else ():
            check_output_path(prefix + suffix, option='--outfile-prefix', **rules)
    check_output_path(cfg.work_dir, is_dir=True, option='--work-dir', **rules)


def _fmt(value) -> str:
    if value is None:
        return ''
    return f'{value:.3f}' if isinstance(value, float) else str(value)


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)

    cfg = load_config(args.config, launcher=args.launcher, cfg_options=args.cfg_options,
                      work_dir=args.work_dir)
    cfg.load_from = args.checkpoint

    if args.eval:
        cfg.test_evaluator = [dict(_dataset_settings(cfg.get('test_evaluator'), m['type']), **m)
                              for m in build_eval_metrics(args.eval)]
    if args.format_only or args.outfile_prefix:
        evaluators = cfg.test_evaluator
        for metric in evaluators if isinstance(evaluators, list) else [evaluators]:
            metric['format_only'] = args.format_only
            if args.outfile_prefix:
                metric['outfile_prefix'] = args.outfile_prefix

    try:
        check_outputs(args, cfg)
    except OutputPathError as e:
        raise SystemExit(f'error: {e}')

    runner = Runner.from_cfg(cfg)
    if not args.allow_partial_checkpoint:
        allowed = cfg.get('allow_checkpoint_mismatch') or {}
        runner.register_hook(CheckpointKeysHook(allowed.get('missing', ()),
                                                allowed.get('unexpected', ()),
                                                source=args.checkpoint))
    try:
        metrics = runner.test()
    except CheckpointMismatchError as e:
        raise SystemExit(f'error: {e}; pass --allow-partial-checkpoint to test it anyway')
    if metrics:
        print(metrics_table(metrics))


if __name__ == '__main__':
    main()
