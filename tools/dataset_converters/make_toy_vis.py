"""Generate the embedded toy video instance segmentation dataset (YouTube-VIS 2019 format).

    python tools/dataset_converters/make_toy_vis.py [--out data/toy_vis] [--seed 0] [--force]

The generator itself is ``mmvmt.datasets.toy.make_toy_vis``; see docs/conventions.md for
the layout it writes.
"""
import argparse
import sys

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.utils.output_paths import OutputPathError, check_output_path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/toy_vis', help='target folder')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same files)')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing toy dataset in --out')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        check_output_path(args.out, is_dir=True, option='--out')
        make_toy_vis(args.out, seed=args.seed, overwrite=args.force)
    except (FileExistsError, OutputPathError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
