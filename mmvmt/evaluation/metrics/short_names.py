"""Short metric names for ``tools/test.py --eval NAME ...``.

Each name maps to the config of a registered metric. Add an entry here when adding a metric
that users should reach from the command line.
"""
from typing import Dict, List

METRIC_SHORT_NAMES: Dict[str, dict] = {
    'tube_boundary_ap': dict(type='TubeBoundaryAP'),
    'tube_mask_ap': dict(type='TubeBoundaryAP', mask_only=True),
    # VideoMaskTransfiner's base (coarse, upsampled H/8) masks, next to the refined ones.
    'coarse_tube_boundary_ap': dict(
        type='TubeBoundaryAP', pred_key='pred_track_instances_coarse', prefix='coarse_tube_ap'),
    'bdd_mots': dict(type='BDD100KMOTSMetric'),
}


def build_eval_metrics(names: List[str], **common_kwargs) -> List[dict]:
    """Metric configs for short names, e.g. for ``cfg.test_evaluator``.

    Args:
        names (list[str]): Short names (keys of :data:`METRIC_SHORT_NAMES`).
        **common_kwargs: Arguments added to every metric config (e.g. ``ann_file``).

    Returns:
        list[dict]: One metric config per name, in order.

    Raises:
        ValueError: For an unknown name, listing the known ones.
    """
    unknown = [name for name in names if name not in METRIC_SHORT_NAMES]
    if unknown:
        raise ValueError(f'unknown metric name(s) {unknown}; known: '
                         f'{sorted(METRIC_SHORT_NAMES)}')
    return [dict(METRIC_SHORT_NAMES[name], **common_kwargs) for name in names]
