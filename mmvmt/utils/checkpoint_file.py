"""Reading a checkpoint file, with one clear error for every file that is not one.

``torch.load`` answers a bad file with whatever its reader trips over: ``EOFError`` for an
empty file, ``RuntimeError: PytorchStreamReader failed reading zip archive`` for a truncated
one, ``UnpicklingError`` or ``IndexError`` for a text file, and a pickled list only fails
later, in the loader (``'list' object has no attribute 'get'``). Every tool and API that
loads weights (``tools/test.py``, the inferencer and ``demo/video_demo.py``, ``refine_results``,
the converters, the benchmarks) reads them through :func:`read_checkpoint`, which turns each
of those into :class:`CheckpointFileError` naming the file and what was expected. Whether the
weights fit the model is checked afterwards by :mod:`mmvmt.utils.checkpoint_keys`.
"""
import os.path as osp
import pickle
from contextlib import nullcontext
from typing import Any, Mapping, Optional, Sequence

import torch

from .compat import apply_compat_patches


class CheckpointFileError(ValueError):
    """A checkpoint file that is missing, empty, unreadable or not laid out as expected."""


def read_checkpoint(path: str, *, state_key: Optional[str] = 'state_dict',
                    require_state_key: bool = False, weights_only: bool = True,
                    safe_globals: Sequence[Any] = ()) -> dict:
    """Load a checkpoint on the CPU and check that it holds a state dict of tensors.

    Args:
        path (str): The checkpoint file (``torch.save`` output).
        state_key (str, optional): Key of the state dict in the checkpoint (mmengine:
            ``'state_dict'``, SeqFormer and the VMT release: ``'model'``). None: the file is
            the state dict itself.
        require_state_key (bool): If False, a file without ``state_key`` is taken for a bare
            state dict, as mmengine's loader does.
        weights_only (bool): torch's safe loader (default); False only for files that pickle
            other objects (SeqFormer's argparse namespace) and that the user trusts.
        safe_globals (Sequence): Classes the safe loader may rebuild besides tensors.

    Returns:
        dict: The loaded checkpoint, as ``torch.load`` returns it.

    Raises:
        CheckpointFileError: If the file is missing, a folder, empty, truncated, not a
            torch file, not a dict, or without a state dict of tensors.
    """
    if not osp.exists(path):
        raise CheckpointFileError(f'{path}: no such checkpoint file')
    if not osp.isfile(path):
        raise CheckpointFileError(f'{path}: is a folder, not a checkpoint file')
    if osp.getsize(path) == 0:
        raise CheckpointFileError(f'{path}: is empty; expected a checkpoint written by '
                                  'torch.save (.pth)')
    apply_compat_patches()  # mmengine's own checkpoints pass the safe loader
    allowed = torch.serialization.safe_globals(list(safe_globals)) if safe_globals \
        else nullcontext()
    try:
        with allowed:
            checkpoint = torch.load(path, map_location='cpu', weights_only=weights_only)
    except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError, IndexError,
            KeyError, AttributeError, ImportError, TypeError, OSError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CheckpointFileError(
            f'{path}: cannot be read as a torch checkpoint (truncated, or not written by '
            f'torch.save?): {type(err).__name__}: {reason[:200]}') from None
    if not isinstance(checkpoint, dict):
        raise CheckpointFileError(f'{path}: holds a {type(checkpoint).__name__}; expected a '
                                  'dict (a checkpoint or a state dict)')
    if state_key is not None and state_key in checkpoint:
        state, where = checkpoint[state_key], f'its {state_key!r} entry'
    elif state_key is not None and require_state_key:
        raise CheckpointFileError(f'{path}: has no {state_key!r} entry (keys: '
                                  f'{sorted(map(str, checkpoint))[:8]}); expected the state '
                                  f'dict there')
    else:
        state, where = checkpoint, 'it'
    _check_state_dict(state, path, where)
    return checkpoint


def _check_state_dict(state: Any, path: str, where: str) -> None:
    if not isinstance(state, Mapping):
        raise CheckpointFileError(f'{path}: {where} is a {type(state).__name__}; expected a '
                                  'state dict (parameter name -> tensor)')
    bad = next((k for k, v in state.items()
                if not isinstance(k, str) or not isinstance(v, torch.Tensor)), None)
    if bad is not None or not state:
        what = 'is empty' if not state else (
            f'maps {bad!r} to a {type(state[bad]).__name__}')
        raise CheckpointFileError(f'{path}: {where} {what}; expected a state dict '
                                  '(parameter name -> tensor)')
