"""mmengine metrics of mmvmt (registered in ``mmvmt.registry.METRICS``)."""
from .bdd100k_mots_metric import BDD100KMOTSMetric  # noqa: F401
from .dump_vis_results import DumpVISResults
from .short_names import METRIC_SHORT_NAMES, build_eval_metrics
from .tube_boundary_ap import TubeBoundaryAP

__all__ = ['BDD100KMOTSMetric', 'DumpVISResults', 'METRIC_SHORT_NAMES', 'TubeBoundaryAP',
           'build_eval_metrics']
