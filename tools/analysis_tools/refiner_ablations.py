"""VMT's Tables 1-2 ablations on the toy data, one command: train each variant of the refiner,
correct the held-out garden-style coarse annotations once with it, score them.

    python tools/analysis_tools/refiner_ablations.py [--work-dir work_dirs/refiner_ablations]
        [--iters 300] [--variants paper qsg_off ...] [--config CONFIG] [--seed 0]
    # test-time switches only, on one checkpoint trained in the paper's setting
    python tools/analysis_tools/refiner_ablations.py --checkpoint CKPT [--variants ...]

Every variant is the class-agnostic refiner of CONFIG (default: the variety-style
self-correction config) with a few settings switched by ``--cfg-options``; it trains
``--iters`` iterations (``tools/train.py``, round 1 of self-correction only) and then
corrects ``data/toy_vis_garden``'s coarse file once (the Table 3 protocol,
``correction_rounds.py``). Variants (VARIANTS below):

* ``paper``: Quadtree Sequence Grouping over all frames, 3-frame training clips, the
  incoherence detector conditioned on the video-level instance embedding, nodes at the
  detector's incoherent cells;
* ``qsg_off``: one node sequence per frame (``group_frames=1``);
* ``clip1`` / ``clip5`` / ``clip_all``: training clips of 1, 5 or all 10 frames (nodes grouped
  over that many frames at test too; ``clip_all`` groups the whole video);
* ``det_frame`` / ``det_fixed``: the detector's weights from each frame's own embedding, or
  one learned embedding for every instance (a fixed FCN);
* ``region_boundary``: nodes in a band around the coarse mask's boundary instead of the
  detector's incoherent cells.

With ``--checkpoint`` nothing trains: every variant that is a switch of inference
(``TEST_TIME`` below: grouping, clip length at test, detector condition, node region) corrects
the garden file with that checkpoint's weights; variants that need their own weights
(``det_fixed``, training clip lengths) are left out. A variant whose final checkpoint or
corrected file exists is not redone (delete its folder to redo it). Prints a markdown
table; ``--out`` writes the numbers as JSON.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from correction_rounds import correct_once  # noqa: E402
from eval_correction import evaluate_candidate  # noqa: E402

from mmvmt.structures import load_json  # noqa: E402
from mmvmt.utils.output_paths import OutputPathError, check_output_path  # noqa: E402

CONFIG = 'configs/self_correction/vmt_tiny_self-correction_toy-vis-variety.py'
GARDEN = 'data/toy_vis_garden'
_FRAMES = 'train_dataloader.dataset.pipeline.0.num_frames'
_GROUP = 'model.refine_head.group_frames'
VARIANTS: Dict[str, Dict[str, object]] = {
    'paper': {},
    'qsg_off': {_GROUP: 1},
    'clip1': {_FRAMES: 1, _GROUP: 1},
    'clip5': {_FRAMES: 5, _GROUP: 5},
    'clip_all': {_FRAMES: 10},
    'det_frame': {'model.refine_head.detector_condition': 'frame'},
    'det_fixed': {'model.refine_head.detector_condition': 'fixed'},
    'region_boundary': {'model.refine_head.node_region': 'boundary'},
}
# Variants that change inference only (the weights of 'paper' serve them all); clip lengths
# at test are the frames grouped into one sequence.
TEST_TIME: Dict[str, Dict[str, object]] = {
    'paper': {},
    'qsg_off': {_GROUP: 1},
    'group3': {_GROUP: 3},
    'group5': {_GROUP: 5},
    'det_frame': {'model.refine_head.detector_condition': 'frame'},
    'region_boundary': {'model.refine_head.node_region': 'boundary'},
    # not ablations of the paper: the node budget per frame at test (the configs' test caps
    # are 4x the training caps at H/2): the training caps, and twice the test caps
    'train_caps': {'model.refine_head.test_max_nodes_per_frame': None},
    'caps_x2': {'model.refine_head.test_max_nodes_per_frame': (128, 384, 1024)},
}
MEASURES = (('ap_boundary', 'AP^B'), ('ap_mask', 'AP^M'), ('boundary_iou', 'boundary IoU'),
            ('thin_recall', 'thin-part recall'), ('frame_iou', 'frame IoU'))


def cfg_options(variant: str, iters: int, seed: int) -> List[str]:
    """The ``--cfg-options`` of one variant's training."""
    options = {'self_correction': None, 'train_cfg.max_iters': iters,
               'train_cfg.val_interval': iters, 'default_hooks.checkpoint.interval': iters,
               'randomness.seed': seed, **VARIANTS[variant]}
    return [f'{k}={v}' for k, v in options.items()]


def run_variant(variant: str, args: argparse.Namespace) -> Dict[str, float]:
    """Train (unless done), correct the garden coarse file (unless done), score it."""
    work = osp.join(args.work_dir, variant)
    ckpt = args.checkpoint or osp.join(work, f'iter_{args.iters}.pth')
    switches = (TEST_TIME if args.checkpoint else VARIANTS)[variant]
    corrected = osp.join(work, 'garden_round1.json')
    if not osp.exists(corrected):
        if not osp.exists(ckpt):
            cmd = [sys.executable, 'tools/train.py', args.config, '--work-dir', work,
                   '--cfg-options', *cfg_options(variant, args.iters, args.seed)]
            print('[ablation]', ' '.join(cmd), flush=True)
            subprocess.run(cmd, check=True)
        os.makedirs(work, exist_ok=True)
        opts = {k: v for k, v in switches.items() if k.startswith('model.')}
        correct_once(args.config, ckpt, osp.join(GARDEN, 'annotations', 'val_coarse.json'),
                     osp.join(GARDEN, 'val', 'JPEGImages'), corrected, cfg_options=opts)
    exact = load_json(osp.join(GARDEN, 'annotations', 'val_hq.json'))
    return evaluate_candidate(exact, load_json(corrected), corrected)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/refiner_ablations')
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS) + list(TEST_TIME),
                        help='default: all (all of TEST_TIME with --checkpoint)')
    parser.add_argument('--checkpoint', help='no training: test-time switches on these weights')
    parser.add_argument('--out', help='write the numbers to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.out:
        try:  # refused before any training when it would replace an input
            check_output_path(args.out, inputs=[args.config, args.checkpoint],
                              protected_dirs=[osp.join(GARDEN, 'annotations')],
                              option='--out')
        except OutputPathError as e:
            print(f'error: {e}', file=sys.stderr)
            return 2
    names = TEST_TIME if args.checkpoint else VARIANTS
    args.variants = args.variants or list(names)
    unknown = [v for v in args.variants if v not in names]
    if unknown:
        print(f'error: {unknown} need their own training; without --checkpoint they train',
              file=sys.stderr)
        return 1
    exact = load_json(osp.join(GARDEN, 'annotations', 'val_hq.json'))
    coarse_file = osp.join(GARDEN, 'annotations', 'val_coarse.json')
    rows = {'coarse (no refiner)': evaluate_candidate(exact, load_json(coarse_file),
                                                      coarse_file)}
    for variant in args.variants:
        rows[variant] = run_variant(variant, args)
        print(f'[ablation] {variant}: ' + ', '.join(
            f'{title} {rows[variant][key]:.3f}' for key, title in MEASURES), flush=True)
    how = (f'test-time switches on {args.checkpoint}' if args.checkpoint else
           f'{args.iters} iterations per variant')
    print(f'\n{how}; garden-style coarse annotations corrected once (Table 3 protocol)\n')
    print('| variant | ' + ' | '.join(t for _, t in MEASURES) + ' |')
    print('|---|' + '---|' * len(MEASURES))
    for name, row in rows.items():
        print(f'| {name} | ' + ' | '.join(f'{row[k]:.3f}' for k, _ in MEASURES) + ' |')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(iters=args.iters, seed=args.seed, rows=rows), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
