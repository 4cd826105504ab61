"""The one rule for every path a tool writes: never onto an input, never where it cannot write.

Tools call :func:`check_output_path` for each file or folder they will write, before any
work starts, so that a mistyped option fails in a second with a clear message instead of
replacing the ground truth with results, or raising a traceback after an hour's evaluation.

An output path is refused when

* it is, or resolves to (through symbolic links, or as a hard link to the same file), one of
  the input files;
* it lies inside one of the protected folders (a dataset's annotation folder given as input);
* an existing file stands where a folder is needed (the output itself when a folder is
  wanted, or one of its parents), or a folder stands where a file is wanted;
* the deepest existing folder on its way is not writable.

Nothing is created here; the tool creates its folders when it writes. For a tool driven by a
config, :func:`config_annotation_paths` lists the annotation files it reads,
:func:`annotation_folders` the folders to protect and :func:`config_image_folders` the image
folders its datasets read (drawn frames are named after the input frames).
"""
import os
import os.path as osp
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union


class OutputPathError(ValueError):
    """An output path that would overwrite an input or cannot be written."""


def check_output_path(path: str, *, inputs: Iterable[Optional[str]] = (),
                      protected_dirs: Union[Iterable[Optional[str]], Mapping[str, str]] = (),
                      is_dir: bool = False,
                      option: str = 'output') -> str:
    """Check, before any work, that ``path`` can be written without touching an input.

    Args:
        path (str): The file (or, with ``is_dir``, the folder) the tool will write.
        inputs (Iterable[str]): Files the tool reads; None entries are skipped.
        protected_dirs (Iterable[str] | Mapping[str, str]): Folders nothing may be written
            into, e.g. the annotation folders of the datasets the tool reads; None entries
            are skipped. A mapping gives each folder its description for the message
            (default: ``'the annotation folder of an input dataset'``).
        is_dir (bool): ``path`` is a folder the tool writes files into. Defaults to False.
        option (str): How the user gave the path (e.g. ``'--out'``), for the message.

    Returns:
        str: The absolute, link-resolved path.

    Raises:
        OutputPathError: Saying which rule ``path`` breaks.
    """
    real = osp.realpath(path)
    for inp in inputs:
        if inp is None:
            continue
        if real == osp.realpath(inp) or (osp.exists(path) and osp.exists(inp)
                                         and osp.samefile(path, inp)):
            raise OutputPathError(f'{option} {path}: this is the input file {inp}; refusing '
                                  'to overwrite an input (choose another output path)')
    described = protected_dirs if isinstance(protected_dirs, Mapping) else \
        {f: 'the annotation folder of an input dataset' for f in protected_dirs}
    for folder, what in described.items():
        if folder is None:
            continue
        real_folder = osp.realpath(folder)
        if osp.commonpath([real, real_folder]) == real_folder:
            raise OutputPathError(f'{option} {path}: lies inside {folder}, {what}; outputs '
                                  'are never written there (choose another output path)')
    if osp.exists(real):
        if is_dir != osp.isdir(real):
            raise OutputPathError(f'{option} {path}: is an existing '
                                  f'{"file" if is_dir else "folder"}; give a '
                                  f'{"folder" if is_dir else "file"} path')
        if not os.access(real, os.W_OK | (os.X_OK if is_dir else 0)):
            raise OutputPathError(f'{option} {path}: exists and is not writable')
        return real
    existing = osp.dirname(real)
    while not osp.exists(existing):
        existing = osp.dirname(existing)
    if not osp.isdir(existing):
        raise OutputPathError(f'{option} {path}: {existing} is a file, so nothing can be '
                              'written below it')
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f'{option} {path}: the folder {existing} is not writable')
    return real


def config_annotation_paths(cfg: Mapping) -> List[str]:
    """Every ``ann_file`` a config reads (its datasets' and metrics'), as given on disk.

    A dataset's ``ann_file`` is joined with its ``data_root`` when relative, as mmengine's
    ``BaseDataset`` does; a metric's is taken as it is.

    Args:
        cfg (Mapping | mmengine.Config): The full config.

    Returns:
        list[str]: The paths, without repeats, in the order found.
    """
    return _rooted_paths(cfg, lambda node: [node.get('ann_file')])


def config_image_folders(cfg: Mapping) -> List[str]:
    """Every image folder a config's datasets read: ``data_root`` + ``data_prefix``.

    Both ``img_path`` (mmengine's key) and ``img`` (mmdet's COCO configs) are read; a
    relative prefix is joined with the dataset's ``data_root`` as ``BaseDataset`` does.

    Args:
        cfg (Mapping | mmengine.Config): The full config.

    Returns:
        list[str]: The folders, without repeats, in the order found.
    """
    def prefixes(node: Mapping) -> list:
        prefix = node.get('data_prefix')
        return [prefix.get(k) for k in ('img_path', 'img')] if isinstance(prefix, Mapping) \
            else []

    return _rooted_paths(cfg, prefixes)


def _rooted_paths(cfg: Mapping, pick: Callable[[Mapping], list]) -> List[str]:
    """The non-empty strings ``pick`` finds in any section of ``cfg``, each joined with the
    ``data_root`` of its section (if any), without repeats, in the order found."""
    found: List[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            root = node.get('data_root')
            for value in pick(node):
                if isinstance(value, str) and value:
                    path = osp.join(root, value) if isinstance(root, str) else value
                    if path not in found:
                        found.append(path)
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    # An mmengine Config is not a Mapping (its sections are).
    walk(cfg if isinstance(cfg, Mapping) else dict(cfg.items()))
    return found


def annotation_folders(ann_paths: Iterable[str]) -> List[str]:
    """The folders that hold the given annotation files (a folder given stands for itself).

    Args:
        ann_paths (Iterable[str]): Annotation files or label folders.

    Returns:
        list[str]: One folder per path, to pass as ``protected_dirs``.
    """
    return [p if osp.isdir(p) else osp.dirname(osp.abspath(p)) for p in ann_paths]


def runner_rules(cfg: Mapping, inputs: Iterable[Optional[str]] = ()) -> dict:
    """The ``inputs`` / ``protected_dirs`` of :func:`check_output_path` for a config's run.

    Inputs: every annotation file the config reads and ``inputs`` (the config file, a
    checkpoint). Protected: the folders of those annotation files and the image folders.
    """
    ann_paths = config_annotation_paths(cfg)
    protected: Dict[str, str] = {
        f: "an image folder of the config's datasets" for f in config_image_folders(cfg)}
    protected.update({f: 'the annotation folder of an input dataset'
                      for f in annotation_folders(ann_paths)})
    return dict(inputs=ann_paths + [p for p in inputs if p], protected_dirs=protected)


def check_work_dir(work_dir: str, config_file: str, **rules: Any) -> None:
    """Refuse a runner's work dir that would replace an input or lie in a protected folder.

    mmengine's ``Runner`` writes into ``work_dir`` and, as soon as it is built, dumps the
    flattened config as ``<work_dir>/<config file name>``: with the config's own folder as
    work dir, that dump would replace the config (its ``_base_`` gone).

    Args:
        work_dir (str): The runner's work dir.
        config_file (str): The config file the run was started with.
        **rules: ``inputs`` and ``protected_dirs``, as :func:`runner_rules` gives them.

    Raises:
        OutputPathError: Naming ``--work-dir`` and the rule it breaks.
    """
    check_output_path(work_dir, is_dir=True, option='--work-dir', **rules)
    check_output_path(osp.join(work_dir, osp.basename(config_file)),
                      option='--work-dir (the config dump)', **rules)
