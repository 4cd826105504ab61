"""mmcv's ``RandomChoice`` that works inside ``TransformBroadcaster(share_random_params=True)``."""
from mmcv.transforms import RandomChoice

from mmvmt.registry import TRANSFORMS


@TRANSFORMS.register_module()
class BroadcastRandomChoice(RandomChoice):
    """mmcv's ``RandomChoice``, usable with shared random parameters across a clip.

    mmcv records a class's ``@cache_randomness`` methods in a list inherited by subclasses;
    mmdet's ``RandAugment`` (a ``RandomChoice``) re-decorates ``random_pipeline_index`` and
    so appends it to ``RandomChoice``'s own list a second time. Under
    ``cache_random_params`` (``TransformBroadcaster(share_random_params=True)``) every call
    is then counted twice and mmcv raises "should be invoked at most once". This class
    only gives itself a list without the duplicate; choosing works as in ``RandomChoice``
    (one branch per clip, the same for all its frames).

    Args:
        transforms (list[list]): Candidate transform sequences.
        prob (list[float], optional): Probability of each; uniform if None.
    """

    _methods_with_randomness = ['random_pipeline_index']
