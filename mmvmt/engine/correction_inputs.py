"""Check an annotation file that a correction will read, before any training starts.

A self-correction round trains for hours before it corrects; a bad entry in the coarse file
or a missing frame found only then costs the whole training. :func:`check_correction_input`
does up front everything the correction will need of the file: it parses it in full as the
corrector does (ids, per-frame list lengths, mask sizes, every polygon and RLE) and looks
for every frame file.
"""
import os.path as osp

from mmvmt.structures import YTVISFormatError, load_json
from .annotation_corrector import AnnotationCorrector


def check_correction_input(corrector: AnnotationCorrector, ann_file: str,
                           img_root: str) -> None:
    """Check that ``corrector`` can correct ``ann_file`` with the frames under ``img_root``.

    Args:
        corrector (AnnotationCorrector): The corrector that will read the file (its mask
            key is checked).
        ann_file (str): The annotation file.
        img_root (str): Folder that its ``file_names`` are relative to.

    Raises:
        FileNotFoundError: If the file or any frame file is missing (the message counts
            them and names the first few).
        YTVISFormatError: If it is not JSON or breaks the format; names the file and the
            entry.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'{ann_file} does not exist.')
    official = load_json(ann_file)
    if not isinstance(official, dict):
        raise YTVISFormatError(ann_file, None, 'expected a JSON object with "videos" and '
                               f'"annotations", got {type(official).__name__}')
    corrector.check_format(official, ann_file)
    missing = [f'video {video["id"]}: {osp.join(img_root, name)}'
               for video in official['videos'] for name in video['file_names']
               if not osp.isfile(osp.join(img_root, name))]
    if missing:
        raise FileNotFoundError(f'{ann_file}: {len(missing)} frame files are missing under '
                                f'{img_root}, e.g. {"; ".join(missing[:3])}.')
