"""Stop a run whose loaded checkpoint does not fit the model (see
:mod:`mmvmt.utils.checkpoint_keys` for the comparison)."""
import re
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmvmt.registry import HOOKS
from mmvmt.utils.checkpoint_keys import (CheckpointMismatchError, checkpoint_mismatch,
                                         format_mismatch)


@HOOKS.register_module()
class CheckpointKeysHook(Hook):
    """Raise :class:`CheckpointMismatchError` when a loaded checkpoint does not fit.

    Runs in ``after_load_checkpoint``, i.e. before the weights are copied into the model
    and before any sample is processed.

    Args:
        allow_missing (Sequence[str]): Patterns of model keys the checkpoint may lack.
        allow_unexpected (Sequence[str]): Patterns of checkpoint keys the model may lack.
        source (str, optional): The checkpoint's name, for the message.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_missing: Sequence[str] = (), allow_unexpected: Sequence[str] = (),
                 source: Optional[str] = None) -> None:
        self.allow_missing = tuple(allow_missing)
        self.allow_unexpected = tuple(allow_unexpected)
        self.source = source or 'the checkpoint'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Compare ``checkpoint['state_dict']`` (or the whole dict) with the model's keys."""
        state = checkpoint.get('state_dict', checkpoint)
        # The revision mmengine's Runner.load_checkpoint applies by default.
        state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        mismatch = checkpoint_mismatch(model.state_dict(), state, self.allow_missing,
                                       self.allow_unexpected)
        if any(mismatch.values()):
            raise CheckpointMismatchError(format_mismatch(mismatch, self.source))
