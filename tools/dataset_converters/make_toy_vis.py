"""Generate the embedded toy video instance segmentation dataset (YouTube-VIS 2019 format).

    python tools/dataset_converters/make_toy_vis.py [--out data/toy_vis] [--seed 0] [--force]
    python tools/dataset_converters/make_toy_vis.py --style garden --out data/toy_vis_garden

``--style toy`` (default) writes the train / val / test splits that models train on;
``--style garden`` writes held-out validation videos of another style (other objects,
textures, frame size, camera motion, occluders and coarse annotations) that nothing trains
on, to measure whether a refiner generalizes. The generators are
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
                        help='target folder (default data/toy_vis, or data/toy_vis_garden)')
    parser.add_argument('--style', choices=('toy', 'garden'), default='toy',
                        help='toy: train/val/test splits; garden: held-out validation videos')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same files)')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing dataset of this generator in --out')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        garden = args.style == 'garden'
        out = args.out or ('data/toy_vis_garden' if garden else 'data/toy_vis')
        check_output_path(out, is_dir=True, option='--out')
        (make_garden_vis if garden else make_toy_vis)(out, seed=args.seed,
                                                      overwrite=args.force)
    except (FileExistsError, OutputPathError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
