"""Export a YouTube-VIS annotation file as per-frame PNGs of instance ids (for mask editors).

    python tools/dataset_converters/ytvis_to_png_masks.py ANN.json --out DIR [--segm-key K]

Writes ``DIR/<video>/<frame>.png`` (16-bit, one label per track of a video, 0 background)
and ``DIR/masks.json`` (labels -> track id, category, video, frame names, and everything
else of the file); ``png_masks_to_ytvis.py`` reads it back. Overlapping masks are refused.
The layout is described in ``mmvmt/structures/png_masks.py`` and docs/review.md.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmvmt.structures import YTVISFormatError, ytvis_to_png_masks
from mmvmt.utils.output_paths import OutputPathError, check_output_path


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='YouTube-VIS annotation JSON (only read)')
    parser.add_argument('--out', required=True, help='new (or empty) folder for the PNGs')
    parser.add_argument('--segm-key', default='segmentations', help='the masks key')
    args = parser.parse_args(argv)
    if not osp.isfile(args.ann_file):
        parser.error(f'ann_file {args.ann_file}: no such file')
    try:
        check_output_path(args.out, inputs=[args.ann_file],
                          protected_dirs=[osp.dirname(osp.abspath(args.ann_file))],
                          is_dir=True, option='--out')
    except OutputPathError as err:
        parser.error(str(err))
    try:
        index = ytvis_to_png_masks(args.ann_file, args.out, segm_key=args.segm_key)
    except (YTVISFormatError, FileExistsError) as err:
        print(f'ytvis_to_png_masks: {err}', file=sys.stderr)
        return 1
    frames = sum(len(v['png_files']) for v in index['videos'])
    print(f'{args.out}: {frames} PNGs of {len(index["videos"])} videos, '
          f'{len(index["tracks"])} tracks')
    return 0


if __name__ == '__main__':
    sys.exit(main())
