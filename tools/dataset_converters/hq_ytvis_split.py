"""Re-split a YouTube-VIS 2019 train JSON into HQ-YTVIS-style train / val / test files.

HQ-YTVIS re-splits the 2238 videos of YouTube-VIS 2019 train into 1678 / 280 / 280 videos
(75 / 12.5 / 12.5 %). This tool does the same split on any file in that layout (for users
who rebuild the benchmark on their own annotations): videos are shuffled by ``--seed``,
every video keeps its id and its annotations (with their ids), and the three files are
written next to each other as ``ytvis_hq-{train,val,test}.json``.

    python tools/dataset_converters/hq_ytvis_split.py \
        data/youtube_vis_2019/train.json data/hq_ytvis --seed 0

The input is checked (the YouTube-VIS format) before anything is written, and never written
to: the outputs may not be the input nor lie in its folder (the source dataset's annotation
folder). Existing outputs are kept unless ``--overwrite``.
"""
import argparse
import json
import os
import os.path as osp
import random
import sys
from typing import Dict, Sequence

from mmvmt.structures import YTVISFormatError, load_json, read_ytvis_annotations
from mmvmt.utils.output_paths import OutputPathError, check_output_path

SPLITS = ('train', 'val', 'test')


def split_ytvis(ann: dict, seed: int = 0,
                fractions: Sequence[float] = (0.75, 0.125, 0.125)) -> Dict[str, dict]:
    """Split a YouTube-VIS-style annotation dict by videos.

    Args:
        ann (dict): ``videos``, ``annotations``, ``categories`` (and any other top-level
            keys, copied to every split).
        seed (int): Seed of the shuffle; the same seed gives the same split.
        fractions (Sequence[float]): Shares of train, val and test; val and test get
            ``round(n * share)`` videos, train the rest.

    Returns:
        dict: ``{'train': ann, 'val': ann, 'test': ann}``; videos keep the input's order
        within a split, ids are unchanged.
    """
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6 or min(fractions) < 0:
        raise ValueError(f'fractions must be three non-negative shares summing to 1, '
                         f'got {fractions}')
    ids = [v['id'] for v in ann['videos']]
    if len(set(ids)) != len(ids):
        raise ValueError('the input has duplicate video ids')
    shuffled = list(ids)
    random.Random(seed).shuffle(shuffled)
    n_val, n_test = (round(len(ids) * f) for f in fractions[1:])
    chosen = dict(val=set(shuffled[:n_val]), test=set(shuffled[n_val:n_val + n_test]),
                  train=set(shuffled[n_val + n_test:]))
    annotations = ann.get('annotations') or []
    out = {}
    for split in SPLITS:
        part = {k: v for k, v in ann.items() if k not in ('videos', 'annotations')}
        part['videos'] = [v for v in ann['videos'] if v['id'] in chosen[split]]
        part['annotations'] = [a for a in annotations if a['video_id'] in chosen[split]]
        out[split] = part
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('input', help='YouTube-VIS 2019 style train JSON')
    parser.add_argument('out_dir', help='folder for ytvis_hq-{train,val,test}.json')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing output files (never the input)')
    args = parser.parse_args(argv)

    outputs = {s: osp.join(args.out_dir, f'ytvis_hq-{s}.json') for s in SPLITS}
    try:
        for path in outputs.values():
            check_output_path(path, inputs=[args.input],
                              protected_dirs=[osp.dirname(osp.abspath(args.input))],
                              option='out_dir')
            if osp.exists(path) and not args.overwrite:
                raise SystemExit(f'{path} exists; pass --overwrite to replace it')
        ann = load_json(args.input)
        read_ytvis_annotations(ann, args.input)
    except (OutputPathError, YTVISFormatError, OSError) as e:
        sys.exit(f'error: {e}')
    os.makedirs(args.out_dir, exist_ok=True)
    for split, part in split_ytvis(ann, seed=args.seed).items():
        with open(outputs[split], 'w') as f:
            json.dump(part, f)
        print(f'{split}: {len(part["videos"])} videos, {len(part["annotations"])} '
              f'annotations -> {outputs[split]}')


if __name__ == '__main__':
    main()
