"""Write a static HTML page to review a correction, track by track, and decide on it.

    python tools/analysis_tools/review_corrections.py COARSE.json CORRECTED.json \\
        --img-root DIR --out report/ [--provenance P] [--thumb-height 96] [--page-size 50]

Open ``report/index.html`` from disk (no server). Tracks are sorted by how much the
correction changed them; accept or reject tracks or single frames, then "download
decisions" and merge with ``tools/analysis_tools/apply_review.py``. See docs/review.md.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmvmt.engine import provenance_path
from mmvmt.structures import YTVISFormatError
from mmvmt.utils.output_paths import (OutputPathError, annotation_folders,
                                      check_output_path)
from mmvmt.visualization.review_report import write_review_report


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('coarse', help='annotations before the correction (only read)')
    parser.add_argument('corrected', help='the corrected annotations (only read)')
    parser.add_argument('--img-root', required=True, help='folder of the frames')
    parser.add_argument('--out', required=True, help='report folder (new or without a report)')
    parser.add_argument('--provenance', help='the correction provenance (default: the one '
                        'beside CORRECTED, if any)')
    parser.add_argument('--segm-key', default='segmentations', help='the masks key')
    parser.add_argument('--thumb-height', type=int, default=96, help='thumbnail height (px)')
    parser.add_argument('--page-size', type=int, default=50, help='tracks per page')
    args = parser.parse_args(argv)
    for name, path in (('coarse', args.coarse), ('corrected', args.corrected),
                       ('--provenance', args.provenance)):
        if path is not None and not osp.isfile(path):
            parser.error(f'{name} {path}: no such file')
    if not osp.isdir(args.img_root):
        parser.error(f'--img-root {args.img_root}: no such folder')
    if args.thumb_height < 8 or args.page_size < 1:
        parser.error('--thumb-height must be >= 8 and --page-size >= 1')
    inputs = [args.coarse, args.corrected, args.provenance, provenance_path(args.corrected)]
    try:
        check_output_path(args.out, inputs=inputs, is_dir=True, option='--out',
                          protected_dirs={args.img_root: 'the folder of the input frames',
                                          **dict.fromkeys(annotation_folders([args.coarse]),
                                                          'the folder of the coarse file')})
    except OutputPathError as err:
        parser.error(str(err))
    if osp.exists(osp.join(args.out, 'index.html')):
        parser.error(f'--out {args.out}: holds a report (index.html); choose a new folder')
    try:
        summary = write_review_report(args.coarse, args.corrected, args.img_root, args.out,
                                      provenance_file=args.provenance,
                                      segm_key=args.segm_key, thumb_height=args.thumb_height,
                                      page_size=args.page_size)
    except (YTVISFormatError, FileNotFoundError, ValueError) as err:
        print(f'\nreview_corrections: {err}', file=sys.stderr)
        return 1
    print(f'\n{summary["index"]}: {summary["changed_tracks"]} of {summary["tracks"]} tracks '
          f'changed, {summary["thumbnails"]} thumbnails')
    return 0


if __name__ == '__main__':
    sys.exit(main())
