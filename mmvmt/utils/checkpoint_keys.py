"""Does a checkpoint fit the model it is loaded into?

mmengine loads test checkpoints with ``strict=False``: a checkpoint of another model only
logs a warning, and the metrics that follow are those of a randomly initialised network.
:class:`~mmvmt.engine.CheckpointKeysHook` stops the run instead when, after the ``module.``
prefix is stripped as mmengine does, the checkpoint lacks keys of the model, holds keys the
model does not have, or holds a tensor of another shape -- unless the key matches one of the allowed
patterns (``fnmatch`` style, e.g. ``'refine_head.*'``), which a config gives as::

    allow_checkpoint_mismatch = dict(missing=['refine_head.*'], unexpected=[])
"""
import fnmatch
from typing import Any, Dict, List, Mapping, Sequence


class CheckpointMismatchError(ValueError):
    """A checkpoint whose keys or shapes do not match the model."""


def checkpoint_mismatch(model_state: Mapping[str, Any], ckpt_state: Mapping[str, Any],
                        allow_missing: Sequence[str] = (),
                        allow_unexpected: Sequence[str] = ()) -> Dict[str, List[str]]:
    """Compare a model's state dict with a checkpoint's.

    Args:
        model_state (Mapping): The model's ``state_dict()`` (tensors have ``.shape``).
        ckpt_state (Mapping): The checkpoint's state dict, prefixes already stripped.
        allow_missing (Sequence[str]): Patterns of model keys the checkpoint may lack.
        allow_unexpected (Sequence[str]): Patterns of checkpoint keys the model may lack.

    Returns:
        dict: ``missing`` (model keys not in the checkpoint), ``unexpected`` (checkpoint
        keys not in the model) and ``shape`` (common keys whose shapes differ, as
        ``'key: checkpoint (..) vs model (..)'``), each sorted, allowed keys left out.
    """
    def allowed(key: str, patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(key, p) for p in patterns)

    shape = [f'{k}: checkpoint {tuple(ckpt_state[k].shape)} vs model '
             f'{tuple(model_state[k].shape)}'
             for k in sorted(set(model_state) & set(ckpt_state))
             if hasattr(ckpt_state[k], 'shape')
             and tuple(ckpt_state[k].shape) != tuple(model_state[k].shape)]
    return dict(missing=sorted(k for k in set(model_state) - set(ckpt_state)
                               if not allowed(k, allow_missing)),
                unexpected=sorted(k for k in set(ckpt_state) - set(model_state)
                                  if not allowed(k, allow_unexpected)),
                shape=shape)


def format_mismatch(mismatch: Dict[str, List[str]], source: str, shown: int = 5) -> str:
    """A message listing the first few keys of each kind of mismatch."""
    parts = []
    for kind, what in (('missing', 'model keys missing from the checkpoint'),
                       ('unexpected', 'checkpoint keys the model does not have'),
                       ('shape', 'tensors of another shape')):
        keys = mismatch[kind]
        if keys:
            more = f' (+{len(keys) - shown} more)' if len(keys) > shown else ''
            parts.append(f'{len(keys)} {what}: {", ".join(keys[:shown])}{more}')
    return f'{source} does not fit the model: ' + '; '.join(parts)
