"""Compatibility of the pinned OpenMMLab stack (mmengine 0.10.7, mmcv 2.1, mmdet 3.3) with
current torch and numpy, fixed once here instead of by every user.

* torch >= 2.6 loads checkpoints with ``weights_only=True``. mmengine's checkpoints hold the
  runner's message hub (``HistoryBuffer`` objects with numpy arrays and scalars), so resuming a
  training run fails with "Weights only load failed ... Unsupported global". We allow-list
  exactly the classes that mmengine itself writes, which keeps the safe loader for everything
  else.
"""
from typing import List

import numpy as np

_PATCHED = False


def _numpy_globals() -> List[object]:
    """The numpy callables and classes that pickled arrays, dtypes and scalars refer to."""
    multiarray = getattr(np, '_core', None) or np.core
    found = [np.ndarray, np.dtype, multiarray.multiarray._reconstruct,
             multiarray.multiarray.scalar]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    return found


def _mmengine_globals() -> List[object]:
    """The mmengine classes that ``Runner.save_checkpoint`` puts into a checkpoint."""
    from mmengine.logging import HistoryBuffer
    from mmengine.config import ConfigDict
    return [HistoryBuffer, ConfigDict]


def _history_buffer_state(self) -> dict:
    """``HistoryBuffer.__getstate__`` without the statistics functions: plain data only."""
    return {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}


def apply_compat_patches() -> None:
    """Apply the fixes above; safe to call any number of times."""
    global _PATCHED
    if _PATCHED:
        return
    import torch
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(_numpy_globals() + _mmengine_globals())
    from mmengine.logging import HistoryBuffer
    HistoryBuffer.__getstate__ = _history_buffer_state
    _PATCHED = True
