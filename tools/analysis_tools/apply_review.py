"""Merge a correction by a reviewer's decisions: accepted -> corrected, rejected -> coarse.

    python tools/analysis_tools/apply_review.py COARSE.json CORRECTED.json DECISIONS.json \\
        --out MERGED.json

DECISIONS.json is what the review page (``review_corrections.py``) downloads; its schema is
in ``mmvmt/structures/review_decisions.py`` and docs/review.md. A track it does not list
keeps its coarse masks. MERGED.json is new (never an input, never overwritten) and gets
``MERGED.provenance.json`` beside it.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmvmt.engine import apply_review, provenance_path
from mmvmt.structures import YTVISFormatError
from mmvmt.utils.output_paths import OutputPathError, check_output_path


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('coarse', help='annotations before the correction (only read)')
    parser.add_argument('corrected', help='the corrected annotations (only read)')
    parser.add_argument('decisions', help="the reviewer's decisions JSON (only read)")
    parser.add_argument('--out', required=True, help='the merged annotation file (new)')
    parser.add_argument('--segm-key', default='segmentations', help='the masks key')
    args = parser.parse_args(argv)
    inputs = [args.coarse, args.corrected, args.decisions]
    for name, path in zip(('coarse', 'corrected', 'decisions'), inputs):
        if not osp.isfile(path):
            parser.error(f'{name} {path}: no such file')
    try:
        for path, option in ((args.out, '--out'),
                             (provenance_path(args.out), '--out (its provenance)')):
            check_output_path(path, inputs=inputs + [provenance_path(args.corrected)],
                              option=option)
    except OutputPathError as err:
        parser.error(str(err))
    if osp.exists(args.out):
        parser.error(f'--out {args.out}: exists; it is never overwritten')
    try:
        prov = apply_review(args.coarse, args.corrected, args.decisions, args.out,
                            args.segm_key)
    except YTVISFormatError as err:
        print(f'apply_review: {err}', file=sys.stderr)
        return 1
    print(f'{args.out}: {prov["tracks_accepted"]} tracks accepted, {prov["tracks_rejected"]} '
          f'rejected, {prov["tracks_mixed"]} mixed ({prov["frames_accepted"]} frames '
          f'accepted, {prov["frames_rejected"]} rejected)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
