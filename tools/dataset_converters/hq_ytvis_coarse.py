"""The original (coarse) YouTube-VIS 2019 annotations of the HQ-YTVIS split videos.

HQ-YTVIS re-splits the 2238 videos of YouTube-VIS 2019 train into 1678 / 280 / 280 videos
(train / val / test). The paper's self-correction corrects the coarse YouTube-VIS masks of
the *train* split only: correcting all of YouTube-VIS 2019 train would make later rounds
train on the val and test videos. Its early stop scores the corrected val-split videos
against their exact HQ-YTVIS masks. Both need the coarse annotations of a split's videos,
which this tool writes::

    python tools/dataset_converters/hq_ytvis_coarse.py \
        data/youtube_vis_2019/train.json data/hq_ytvis data/hq_ytvis_coarse

gives ``data/hq_ytvis_coarse/ytvis_hq-{train,val}_coarse.json``: each split's videos as the
HQ-YTVIS file has them (ids, sizes, frame names), with YouTube-VIS's own annotations of
those videos (their ids kept, ``video_id`` set to the HQ-YTVIS video id) and YouTube-VIS's
categories. Videos are matched by their frame folder (the first part of ``file_names``),
whose frames must be the same in both files. Inputs are only read; existing outputs are
kept, and the output folder may not be an input's folder.
"""
import argparse
import json
import os
import os.path as osp
from typing import Any, Optional, Sequence

from mmvmt.structures import YTVISFormatError, load_json
from mmvmt.structures.format_error import json_kind, short_repr
from mmvmt.utils.output_paths import check_output_path


def coarse_split(ytvis: dict, hq: dict, ytvis_source: str = 'YouTube-VIS',
                 hq_source: str = 'HQ-YTVIS') -> dict:
    """YouTube-VIS annotations of the videos of one HQ-YTVIS split.

    Args:
        ytvis (dict): YouTube-VIS 2019 train (official layout).
        hq (dict): One HQ-YTVIS split file.
        ytvis_source (str): Name of ``ytvis`` for messages.
        hq_source (str): Name of ``hq`` for messages.

    Returns:
        dict: ``info`` / ``licenses`` / ``categories`` of ``ytvis``, ``videos`` of ``hq``
        and the ``ytvis`` annotations of those videos, in ``ytvis`` order.

    Raises:
        YTVISFormatError: If a video of ``hq`` is missing from ``ytvis`` or has other
            frames there.
    """
    _check_layout(ytvis, ytvis_source, 'video_id')
    _check_layout(hq, hq_source)
    by_folder = {_folder(v, ytvis_source, i): v for i, v in enumerate(ytvis['videos'])}
    hq_id_of = {}
    for i, video in enumerate(hq['videos']):
        entry = f'videos[{i}] (id {video.get("id")})'
        folder = _folder(video, hq_source, i)
        source_video = by_folder.get(folder)
        if source_video is None:
            raise YTVISFormatError(hq_source, entry, f'a video of {ytvis_source} in the '
                                   f'folder {folder!r}; there is none')
        if list(source_video['file_names']) != list(video['file_names']):
            raise YTVISFormatError(hq_source, entry, f'the frames of {ytvis_source} video '
                                   f'{source_video["id"]} ({folder!r}); they differ')
        hq_id_of[source_video['id']] = video['id']
    annotations = [dict(ann, video_id=hq_id_of[ann['video_id']])
                   for ann in ytvis.get('annotations') or [] if ann['video_id'] in hq_id_of]
    out = {k: v for k, v in ytvis.items() if k not in ('videos', 'annotations')}
    return dict(out, videos=hq['videos'], annotations=annotations)


def _check_layout(obj: Any, source: str, annotation_key: Optional[str] = None) -> None:
    """Refuse what this tool would index blindly: the top level, videos and annotations.

    The masks are copied as they are, so only the keys read here are checked (the full
    check of a file is :func:`mmvmt.structures.read_ytvis_annotations`).
    """
    if not isinstance(obj, dict):
        raise YTVISFormatError(source, None, 'a YouTube-VIS file is a JSON object with '
                               f'"videos", got {json_kind(obj)}')
    for key in ('videos', 'annotations'):
        if not isinstance(obj.get(key, []), list):
            raise YTVISFormatError(source, key, f'must be a list, got {json_kind(obj[key])}')
    if 'videos' not in obj:
        raise YTVISFormatError(source, None, 'missing required key "videos"')
    for i, video in enumerate(obj['videos']):
        if not isinstance(video, dict) or 'id' not in video:
            raise YTVISFormatError(source, f'videos[{i}]', 'a JSON object with "id", got '
                                   f'{short_repr(video)}')
    for i, ann in enumerate(obj.get('annotations') or []):
        if not isinstance(ann, dict) or (annotation_key and annotation_key not in ann):
            raise YTVISFormatError(source, f'annotations[{i}]', 'a JSON object with '
                                   f'"{annotation_key or "id"}", got {short_repr(ann)}')


def _folder(video: dict, source: str, index: int) -> str:
    names = video.get('file_names') or []
    if not names or not isinstance(names[0], str) or '/' not in names[0]:
        raise YTVISFormatError(source, f'videos[{index}] (id {video.get("id")})',
                               '"file_names" as "<video folder>/<frame>"')
    return names[0].split('/')[0]


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ytvis', help='YouTube-VIS 2019 train.json')
    parser.add_argument('hq_dir', help='folder of ytvis_hq-{split}.json')
    parser.add_argument('out_dir', help='folder for ytvis_hq-{split}_coarse.json')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val', 'test'])
    args = parser.parse_args(argv)

    hq_files = {s: osp.join(args.hq_dir, f'ytvis_hq-{s}.json') for s in args.splits}
    outputs = {s: osp.join(args.out_dir, f'ytvis_hq-{s}_coarse.json') for s in args.splits}
    inputs = [args.ytvis, *hq_files.values()]
    for path in outputs.values():
        check_output_path(path, inputs=inputs,
                          protected_dirs=[osp.dirname(p) for p in inputs], option='out_dir')
        if osp.exists(path):
            raise SystemExit(f'{path} exists; it is kept (remove it to write it again)')
    try:
        ytvis = load_json(args.ytvis)
        parts = {split: coarse_split(ytvis, load_json(hq_file), args.ytvis, hq_file)
                 for split, hq_file in hq_files.items()}
    except YTVISFormatError as err:  # one line naming the file and the entry, no traceback
        raise SystemExit(f'hq_ytvis_coarse: {err}')
    os.makedirs(args.out_dir, exist_ok=True)
    for split, part in parts.items():
        with open(outputs[split], 'x') as f:
            json.dump(part, f)
        print(f'{outputs[split]}: {len(part["videos"])} videos, '
              f'{len(part["annotations"])} tracks')


if __name__ == '__main__':
    main()
