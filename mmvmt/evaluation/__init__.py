"""Evaluation: pure functions (``functional``) and the mmengine metrics over them."""
from .functional import evaluate_tube_ap
from .metrics import METRIC_SHORT_NAMES, TubeBoundaryAP, build_eval_metrics

__all__ = ['METRIC_SHORT_NAMES', 'TubeBoundaryAP', 'build_eval_metrics', 'evaluate_tube_ap']
