"""Steps of a distributed run that all processes take together, and fail together.

Between its mmengine runs the self-correction driver has no runner that coordinates the
processes. It needs two kinds of step: one that only the main process may take (read or
write the state, check the inputs, write the merged output) and whose result every process
needs, and one that every process takes on its own part (correct a shard of the videos).
If such a step raised on one process only, the others would wait in their next collective
until the process group's timeout; here every process learns of the failure at once and
raises too, so a distributed run stops with the same error as a single one. Without a
process group (one process) both are plain calls.
"""
from typing import Callable, Optional, TypeVar

from mmengine.dist import (all_gather_object, broadcast_object_list, get_world_size,
                           is_main_process)

T = TypeVar('T')


class PeerProcessError(RuntimeError):
    """Another process of the run failed in a step that this process took part in."""


def on_main_process(step: Callable[[], T], what: str) -> T:
    """Run ``step`` on the main process and give its result to every process.

    Args:
        step (callable): Takes no argument; its result must be picklable.
        what (str): What the step does, for the error raised on the other processes.

    Returns:
        The main process's result, on every process.

    Raises:
        PeerProcessError: On the other processes, if ``step`` raised on the main process
            (which re-raises its own exception).
    """
    if get_world_size() == 1:
        return step()
    box = [None, None]  # the result, or the main process's error message
    error: Optional[Exception] = None
    if is_main_process():
        try:
            box[0] = step()
        except Exception as e:  # shared with the other processes, then re-raised
            error = e
            box[1] = f'{type(e).__name__}: {e}'
    broadcast_object_list(box)
    if error is not None:
        raise error
    if box[1] is not None:
        raise PeerProcessError(f'{what} failed on the main process: {box[1]}')
    return box[0]


def on_every_process(step: Callable[[], T], what: str) -> T:
    """Run ``step`` on every process; if it fails anywhere, raise everywhere.

    Args:
        step (callable): Takes no argument.
        what (str): What the step does, for the error raised on the other processes.

    Returns:
        This process's result.

    Raises:
        PeerProcessError: If ``step`` raised on another process (a process whose own step
            raised re-raises its exception).
    """
    if get_world_size() == 1:
        return step()
    result, error = None, None
    try:
        result = step()
    except Exception as e:  # shared with the other processes, then re-raised
        error = e
    messages = all_gather_object(None if error is None else f'{type(error).__name__}: {error}')
    if error is not None:
        raise error
    failed = [f'rank {rank}: {msg}' for rank, msg in enumerate(messages) if msg is not None]
    if failed:
        raise PeerProcessError(f'{what} failed on another process ({"; ".join(failed)})')
    return result
