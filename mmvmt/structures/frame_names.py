"""The rule for a video's ``file_names``: frames are read from inside the image folder only.

A YouTube-VIS file names its frames relative to an image folder (``img_root``,
``data_prefix['img_path']``). The file may come from anywhere, so its names must not reach
other files: a name is a non-empty string without NUL (the OS would cut it there), not
absolute, and none of its ``/``-separated parts is ``..``. Every reader of the format
applies the rule when it reads the videos (:func:`~.ytvis.read_ytvis_annotations`), so a
dataset, the self-correction and the result refiner refuse such a file before any work.

The rule is on the name as written, without asking the file system. Because no part may be
``..``, a name only descends from the image folder, so it cannot climb out through a link
either (``link/../..`` is refused before the OS would resolve ``link``). Symbolic links that
the user placed inside the image folder (e.g. one folder per video linked from another disk)
are followed: they are the user's set-up, which a JSON file cannot create.
"""
import os.path as osp
from typing import Any, Optional, Sequence

from .format_error import YTVISFormatError, short_repr


def file_name_problem(name: Any, inside_root: bool = True) -> Optional[str]:
    """What makes a ``file_names`` entry break the rule, or None if it follows it.

    Args:
        name: One entry of a video's ``file_names``.
        inside_root (bool): Apply the part of the rule that keeps names inside the image
            folder. False only for a caller that explicitly allows reading elsewhere (e.g.
            ``YTVISFormatDataset(allow_outside_root=True)``); names must still be
            non-empty strings without NUL. Defaults to True.

    Returns:
        str | None: The problem, saying what was expected.
    """
    if not isinstance(name, str) or not name:
        return f'must be a non-empty string, got {short_repr(name)}'
    if '\0' in name:
        return f'{short_repr(name)} holds a NUL character; expected a file name'
    if inside_root and (osp.isabs(name) or '..' in name.split('/')):
        return (f'{short_repr(name)} leads outside the image folder; expected a path '
                'relative to it without ".." parts')
    return None


def check_file_names(names: Sequence[Any], source: str, entry: str,
                     inside_root: bool = True) -> None:
    """Refuse a video's ``file_names`` unless every entry follows the rule.

    Args:
        names (Sequence): The video's ``file_names``.
        source (str): The file, for messages.
        entry (str): The video's entry, e.g. ``'videos[2] (id 7)'``; ``file_names[t]`` is
            appended.
        inside_root (bool): See :func:`file_name_problem`. Defaults to True.

    Raises:
        YTVISFormatError: Naming the first entry that breaks the rule.
    """
    for t, name in enumerate(names):
        problem = file_name_problem(name, inside_root)
        if problem is not None:
            raise YTVISFormatError(source, f'{entry} file_names[{t}]', problem)
