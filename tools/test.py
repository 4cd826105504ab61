"""Test (and evaluate) a checkpoint with mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--eval tube_boundary_ap tube_mask_ap ...]
        [--out preds.pkl|results.json] [--show-dir DIR] [--show]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [args...]

``--eval`` picks registered metrics by short name and replaces the config's test evaluator
(the habit of mmtrack 0.x, kept on the mmengine runner); ``--format-only`` writes the
YouTube-VIS results JSON (and zip) without evaluating, e.g. for a challenge server.
``--out`` also dumps the predictions (``.pkl``: per-frame instances with RLE masks;
``.json``: YouTube-VIS results); ``--show-dir`` draws the predicted frames with
``VISLocalVisualizer`` into ``<work_dir>/<timestamp>/<DIR>/<video>/<frame>.jpg``.

Before any work: output paths that are an input (the config, the checkpoint, an annotation
file) or lie in a dataset's annotation folder are refused, and so is a checkpoint whose keys
do not fit the model (beyond the config's ``allow_checkpoint_mismatch = dict(missing=[...],
unexpected=[...])`` patterns) unless ``--allow-partial-checkpoint``.
"""
import argparse
import os
import os.path as osp
from typing import Dict, Optional

from mmengine.config import DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner
from terminaltables import AsciiTable

from mmvmt.engine import CheckpointKeysHook
from mmvmt.evaluation.metrics import TubeBoundaryAP
from mmvmt.evaluation.metrics.short_names import build_eval_metrics
from mmvmt.utils import register_all_modules
from mmvmt.utils.checkpoint_file import CheckpointFileError, read_checkpoint
from mmvmt.utils.checkpoint_keys import CheckpointMismatchError
from mmvmt.utils.launch import load_config
from mmvmt.utils.output_paths import (OutputPathError, check_output_path, check_work_dir,
                                      runner_rules)


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
        '--out', help='dump the predictions: .pkl (per-frame instances, RLE masks) or .json '
        '(YouTube-VIS results)')
    parser.add_argument(
        '--show-dir', help='draw the predictions into <work_dir>/<timestamp>/SHOW_DIR')
    parser.add_argument('--show', action='store_true', help='show the predictions in a window')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds a frame is shown')
    parser.add_argument(
        '--frame-interval', type=int,
        help='draw every N-th frame of a video (default 1 with --show-dir / --show)')
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
    if args.out is not None and not args.out.endswith(DUMP_SUFFIXES):
        parser.error(f'--out must end with one of {DUMP_SUFFIXES}, got {args.out}')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


DUMP_SUFFIXES = ('.pkl', '.pickle', '.json')
# mmdet 3.3's track visualization hook and visualizer fail on VIS predictions; mmvmt's replace
# them (see VISVisualizationHook), named with their scope so that mmdet configs find them.
VIS_REPLACEMENTS = {'TrackVisualizationHook': 'mmvmt.VISVisualizationHook',
                    'TrackLocalVisualizer': 'mmvmt.VISLocalVisualizer'}


def trigger_visualization_hook(cfg, args: argparse.Namespace) -> None:
    """Turn on drawing for ``--show`` / ``--show-dir`` (mmdet's ``tools/test.py`` habit).

    The config's ``default_hooks.visualization`` is switched on; mmdet's track hook and
    visualizer, which fail on VIS predictions, are replaced by mmvmt's.

    Raises:
        RuntimeError: If the config has no visualization hook.
    """
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise RuntimeError(f'{args.config}: --show/--show-dir need default_hooks.visualization'
                           " = dict(type='VISVisualizationHook') in the config.")
    hook['type'] = VIS_REPLACEMENTS.get(hook['type'].split('.')[-1], hook['type'])
    hook['draw'] = True
    hook['frame_interval'] = args.frame_interval or 1
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        hook['test_out_dir'] = args.show_dir
    visualizer = cfg.get('visualizer') or dict(vis_backends=[dict(type='LocalVisBackend')],
                                               name='visualizer')
    visualizer['type'] = VIS_REPLACEMENTS.get(str(visualizer.get('type', '')).split('.')[-1],
                                              visualizer.get('type', 'mmvmt.VISLocalVisualizer'))
    cfg.visualizer = visualizer


def show_dir_path(work_dir: str, show_dir: str) -> str:
    """Where mmengine's visualization hook writes ``show_dir``, as a normalised path.

    The hook joins it with the runner's log dir, ``<work_dir>/<timestamp>``; the timestamp
    folder does not exist yet, so a placeholder of the same depth stands for it.
    """
    return osp.normpath(osp.join(osp.abspath(work_dir), '<timestamp>', show_dir))


def check_outputs(args: argparse.Namespace, cfg) -> None:
    """Refuse, before any work, output paths that would replace an input or cannot be written.

    Raises:
        OutputPathError: Naming the option and the rule it breaks.
    """
    rules = runner_rules(cfg, inputs=[args.config, args.checkpoint])
    evaluators = cfg.get('test_evaluator') or []
    for metric in evaluators if isinstance(evaluators, list) else [evaluators]:
        if metric.get('out_file_path'):
            check_output_path(metric['out_file_path'], option='--out', **rules)
        # --outfile-prefix has been put into every metric; a config may set its own.
        prefix = metric.get('outfile_prefix')
        for suffix in ('.json', '.submission_file.zip') if prefix else ():
            check_output_path(prefix + suffix, option='--outfile-prefix', **rules)
    if args.show_dir:
        # The hook writes into <work_dir>/<timestamp>/<show_dir> (show_dir if absolute); the
        # timestamp is one folder level, which a relative '../' show_dir climbs out of.
        check_output_path(show_dir_path(cfg.work_dir, args.show_dir), is_dir=True,
                          option='--show-dir', **rules)
    check_work_dir(cfg.work_dir, args.config, **rules)


def mask_sources(evaluators) -> Dict[str, str]:
    """Metric prefix -> the predictions' field it scores, for the Tube-Boundary AP metrics."""
    metrics = evaluators if isinstance(evaluators, list) else [evaluators] if evaluators else []
    return {m.get('prefix') or TubeBoundaryAP.default_prefix:
            m.get('pred_key', TubeBoundaryAP.default_pred_key)
            for m in metrics if str(m.get('type', '')).split('.')[-1] == 'TubeBoundaryAP'}


# What a configured metric knows of the dataset, kept when --eval replaces the evaluator.
DATASET_KEYS = ('ann_file', 'use_refined_segm', 'backend_args')


def _dataset_settings(configured, metric_type: str) -> dict:
    """The dataset settings of the config's first test metric of ``metric_type``."""
    metrics = configured if isinstance(configured, list) else [configured] if configured else []
    for metric in metrics:
        if metric.get('type') == metric_type:
            return {k: metric[k] for k in DATASET_KEYS if k in metric}
    return {}


def metrics_table(metrics: Dict[str, float], sources: Optional[Dict[str, str]] = None) -> str:
    """All metrics of a test run in one table: a row per metric prefix and family.

    ``{'tube_ap/boundary_AP': 0.3, 'coarse_tube_ap/segm_AP': 0.5, ...}`` gives rows
    ``tube_ap boundary``, ``coarse_tube_ap segm``, ... with a column per name (AP, AP50, ...).
    With ``sources`` (prefix -> predictions field), a first column names the masks a row
    scores, e.g. ``pred_track_instances_coarse`` for VMT's coarse masks.
    """
    sources = sources or {}
    rows: Dict[str, Dict[str, float]] = {}
    prefixes: Dict[str, str] = {}
    for key, value in metrics.items():
        prefix, _, name = key.rpartition('/')
        family, _, stat = name.partition('_') if '_' in name else ('', '', name)
        row_name = f'{prefix} {family}'.strip()
        rows.setdefault(row_name, {})[stat] = value
        prefixes[row_name] = prefix
    columns = list(dict.fromkeys(stat for row in rows.values() for stat in row))
    with_source = any(prefixes[r] in sources for r in rows)
    table = [['metric'] + (['masks'] if with_source else []) + columns]
    for row_name, row in rows.items():
        source = [sources.get(prefixes[row_name], '')] if with_source else []
        table.append([row_name] + source + [_fmt(row.get(c)) for c in columns])
    return AsciiTable(table, title='test metrics').table


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

    if args.out:
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = (evaluators if isinstance(evaluators, list) else [evaluators]) + [
            dict(type='DumpVISResults', out_file_path=args.out)]
    if args.show or args.show_dir:
        trigger_visualization_hook(cfg, args)
    try:
        check_outputs(args, cfg)
        read_checkpoint(args.checkpoint)  # a bad file is one line here, not a traceback later
    except (OutputPathError, CheckpointFileError) as e:
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
    # Every rank gets the metrics; one summary is enough.
    if metrics and is_main_process():
        print(metrics_table(metrics, mask_sources(cfg.test_evaluator)))


if __name__ == '__main__':
    main()
