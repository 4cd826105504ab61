"""JSON files written all at once: a reader sees the old file or the new one, never half.

The data goes to a temporary file in the target's folder and is flushed to disk; then it
takes the target's name in one step. With ``overwrite=False`` that step is a hard link, which
fails if the name exists, so an existing file (an earlier round's annotations, the input) can
never be replaced, not even by a concurrent writer. The file gets the mode an ordinary
``open(path, 'w')`` would give (``0o666`` less the umask), not ``mkstemp``'s ``0o600``.
"""
import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Any


def dump_json_atomic(obj: Any, path: str, overwrite: bool = False) -> None:
    """Write ``obj`` as JSON to ``path`` atomically.

    Args:
        obj: JSON-serialisable object.
        path (str): Target file; its folder is created.
        overwrite (bool): Replace an existing file (state files). Defaults to False.

    Raises:
        FileExistsError: If ``path`` exists and ``overwrite`` is False.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if not overwrite and osp.exists(path):
        raise FileExistsError(f'{path} exists; it is never overwritten.')
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, 'w') as f:
            json.dump(obj, f)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        if osp.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    """The process's umask, read without changing it where the system allows.

    ``os.umask`` can only be read by setting it, which races with threads creating files;
    Linux reports it in ``/proc/self/status``. Elsewhere it is set and restored at once.
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_sha256(path: str, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk_size), b''):
            digest.update(block)
    return digest.hexdigest()
