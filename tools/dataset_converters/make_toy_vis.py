"""Generate the embedded toy video instance segmentation dataset (YouTube-VIS 2019 format).

    python tools/dataset_converters/make_toy_vis.py [--out data/toy_vis] [--seed 0] [--force]
    python tools/dataset_converters/make_toy_vis.py --style garden --out data/toy_vis_garden
    python tools/dataset_converters/make_toy_vis.py --style variety --out data/toy_vis_variety

``--style toy`` (default) writes the train / val / test splits that models train on;
``--style garden`` writes held-out validation videos of another style (other objects,
textures, frame size, camera motion, occluders and coarse annotations) that nothing trains
on, to measure whether a refiner generalizes; ``--style variety`` writes train / val / test
splits of the toy animals with free brightness, contrast, textures, scales and coarse halos
of 1-6 px, to train refiners that must work on other styles. The generators are
``mmvmt.datasets.toy.make_toy_vis`` and ``make_garden_vis``; see docs/dataset_prepare.md for
the layout.
"""
import argparse
import sys

from mmvmt.datasets.toy import make_garden_vis, make_toy_vis
from mmvmt.utils.output_paths import OutputPathError, check_output_path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=None,
                        help='target folder (default data/toy_vis, data/toy_vis_garden or '
                        'data/toy_vis_variety)')
    parser.add_argument('--style', choices=('toy', 'garden', 'variety'), default='toy',
                        help='toy: train/val/test splits; garden: held-out validation videos; '
                        'variety: train/val/test splits of free looks (for refiners)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same files)')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing dataset of this generator in --out')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        out = args.out or dict(toy='data/toy_vis', garden='data/toy_vis_garden',
                               variety='data/toy_vis_variety')[args.style]
        check_output_path(out, is_dir=True, option='--out')
        if args.style == 'garden':
            make_garden_vis(out, seed=args.seed, overwrite=args.force)
        else:
            make_toy_vis(out, seed=args.seed, overwrite=args.force,
                         variety=args.style == 'variety')
    except (FileExistsError, OutputPathError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
