"""Generate the embedded toy video instance segmentation dataset (YouTube-VIS 2019 format).

    python tools/dataset_converters/make_toy_vis.py [--out data/toy_vis] [--seed 0] [--force]
    python tools/dataset_converters/make_toy_vis.py --style garden --out data/toy_vis_garden
    python tools/dataset_converters/make_toy_vis.py --style variety --out data/toy_vis_variety
    python tools/dataset_converters/make_toy_vis.py --style realscale [--num-videos 4]
    python tools/dataset_converters/make_toy_vis.py --style camouflage [--num-videos 12]

``--style toy`` (default) writes the train / val / test splits that models train on;
``--style garden`` writes held-out validation videos of another style (other objects,
textures, frame size, camera motion, occluders and coarse annotations) that nothing trains
on, to measure whether a refiner generalizes; ``--style variety`` writes train / val / test
splits of the toy animals with free brightness, contrast, textures, scales and coarse halos
of 1-6 px, to train refiners that must work on other styles; ``--style realscale`` and
``--style camouflage`` write harder held-out validation videos (720 x 1280 frames with large
objects; objects coloured like their background that only motion tells apart), also never
trained on. The generators are ``mmvmt.datasets.toy.make_toy_vis``, ``make_garden_vis`` and
``make_hard_vis``; see docs/dataset_prepare.md for the layout.
"""
import argparse
import sys

from mmvmt.datasets.toy import make_garden_vis, make_hard_vis, make_toy_vis
from mmvmt.utils.output_paths import OutputPathError, check_output_path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=None,
                        help='target folder (default data/toy_vis_<style>, data/toy_vis for '
                        'the toy style)')
    parser.add_argument('--style', choices=('toy', 'garden', 'variety', 'realscale',
                                            'camouflage'), default='toy',
                        help='toy: train/val/test splits; garden, realscale, camouflage: '
                        'held-out validation videos; variety: train/val/test splits of free '
                        'looks (for refiners)')
    parser.add_argument('--num-videos', type=int,
                        help='videos of a realscale or camouflage set (default 4 / 12)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same files)')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing dataset of this generator in --out')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.num_videos is not None and (args.style not in ('realscale', 'camouflage')
                                        or args.num_videos < 0):
        print(f'error: --num-videos is a non-negative number of realscale or camouflage '
              f'videos, got {args.num_videos} for --style {args.style}', file=sys.stderr)
        return 2
    try:
        out = args.out or ('data/toy_vis' if args.style == 'toy'
                           else f'data/toy_vis_{args.style}')
        check_output_path(out, is_dir=True, option='--out')
        if args.style in ('realscale', 'camouflage'):
            make_hard_vis(out, args.style, seed=args.seed, num_videos=args.num_videos,
                          overwrite=args.force)
        elif args.style == 'garden':
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
