"""One writer per output: an exclusive lock taken before any work, released when the writer ends.

Two processes started on one output (``tools/refine_results.py --out X`` twice, or two
self-correction runs in one work dir) would otherwise both append to its progress or state
file and leave a file that neither run can resume. A writer holds :func:`output_lock` on
the output for as long as it works; a second one refuses at once, naming the lock file and
the holder's process id.

The lock of an output ``X`` is the file ``X.lock``, locked with ``fcntl.flock``. The kernel
releases such a lock when its holder exits, however it exits (killed, out of memory, power
cut of the machine), so there are no stale locks to clean up: a lock file left behind by a
dead process names a pid that holds nothing, and the next writer simply takes it and writes
its own pid. The file is removed when its holder releases the lock normally.

Notes:
    Processes forked by the holder (e.g. dataloader workers) share its lock until they exit.
    On NFS, Linux maps ``flock`` onto the server's byte-range locks, which hold between
    machines only where the server supports them (NFSv4 does).
"""
import fcntl
import os
import os.path as osp
from contextlib import contextmanager, suppress
from typing import Iterator

LOCK_SUFFIX = '.lock'


class OutputLockedError(RuntimeError):
    """Another process holds the lock of the output."""


def lock_path(output: str) -> str:
    """The lock file of ``output``: ``<output>.lock``."""
    return output + LOCK_SUFFIX


@contextmanager
def output_lock(output: str) -> Iterator[str]:
    """Hold the exclusive lock of ``output`` for the ``with`` block.

    Args:
        output (str): The output file or folder; the folder it lies in is created if
            missing.

    Yields:
        str: The lock file.

    Raises:
        OutputLockedError: At once, if another process holds the lock (the message names
            the lock file and that process's id).
    """
    path = lock_path(output)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd = _acquire(path)
    try:
        yield path
    finally:
        # Removed before it is unlocked: a process that opened it meanwhile finds, once it
        # holds the lock, that the file is no longer the one at ``path`` and opens again.
        # (Removed by hand while held, it is simply gone.)
        with suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _acquire(path: str) -> int:
    """Lock ``path`` (created if missing) and write this process's id into it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode('ascii', 'replace').strip() or 'unknown'
            os.close(fd)
            raise OutputLockedError(f'{path} is held by process {holder}: another run is '
                                    'writing this output; wait for it to end or choose '
                                    'another output') from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f'{os.getpid()}\n'.encode())
            return fd
        os.close(fd)  # the holder removed the file between our open and our lock
