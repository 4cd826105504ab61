"""Evaluation: pure functions (``functional``) and the mmengine metrics over them (``metrics``).

Only the pure functions are imported here, so that the offline tools start without torch or
mmdet; the metrics register themselves when :mod:`mmvmt.evaluation.metrics` is imported
(``mmvmt.registry`` lists it in the metric registry's ``locations``).
"""
from .functional import evaluate_tube_ap

__all__ = ['evaluate_tube_ap']
