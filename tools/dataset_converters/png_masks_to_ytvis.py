"""Import a folder of per-frame PNGs of instance ids (``ytvis_to_png_masks.py``) to YouTube-VIS.

    python tools/dataset_converters/png_masks_to_ytvis.py DIR --out ANN.json

Reads ``DIR/masks.json`` and every PNG it lists (maybe edited in a mask editor); masks come
back as compressed RLE with ``areas`` and ``bboxes`` recomputed. A missing PNG, one of the
wrong size or one holding a label ``masks.json`` does not list is an error naming the PNG.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmvmt.engine import dump_json_atomic
from mmvmt.structures import YTVISFormatError, png_masks_to_ytvis
from mmvmt.utils.output_paths import OutputPathError, check_output_path


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('folder', help='folder with masks.json and the PNGs (only read)')
    parser.add_argument('--out', required=True, help='new YouTube-VIS annotation JSON')
    args = parser.parse_args(argv)
    if not osp.isdir(args.folder):
        parser.error(f'folder {args.folder}: no such folder')
    try:
        check_output_path(args.out, protected_dirs=[args.folder], option='--out')
    except OutputPathError as err:
        parser.error(str(err))
    if osp.exists(args.out):
        parser.error(f'--out {args.out}: exists; it is never overwritten')
    try:
        ann = png_masks_to_ytvis(args.folder)
    except YTVISFormatError as err:
        print(f'png_masks_to_ytvis: {err}', file=sys.stderr)
        return 1
    dump_json_atomic(ann, args.out)
    print(f'{args.out}: {len(ann["videos"])} videos, {len(ann["annotations"])} tracks')
    return 0


if __name__ == '__main__':
    sys.exit(main())
