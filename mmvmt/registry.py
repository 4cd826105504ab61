"""mmvmt's registries: children of mmdet's, in the scope ``'mmvmt'``.

Being children of mmdet's registries means two things:

* inside mmvmt configs (``default_scope='mmvmt'``) every mmdet and mmengine type resolves
  without a prefix, as the registry falls back to its parents;
* inside mmdet or mmtrack-style configs, any mmvmt class is reachable as ``type='mmvmt.X'``
  or with ``_scope_='mmvmt'``, since a parent searches its children by scope name and imports
  the modules listed in ``locations`` on demand.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmengine.registry import Registry

from .utils.compat import apply_compat_patches

# Every mmvmt module that builds or loads torch objects imports this one, and so does
# mmengine for the scope 'mmvmt': the place to fix torch's checkpoint loading once.
apply_compat_patches()

DATASETS = Registry('dataset', parent=MMDET_DATASETS, scope='mmvmt',
                    locations=['mmvmt.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMDET_DATA_SAMPLERS, scope='mmvmt',
                         locations=['mmvmt.datasets'])
TRANSFORMS = Registry('transform', parent=MMDET_TRANSFORMS, scope='mmvmt',
                      locations=['mmvmt.datasets.transforms'])
MODELS = Registry('model', parent=MMDET_MODELS, scope='mmvmt', locations=['mmvmt.models'])
TASK_UTILS = Registry('task util', parent=MMDET_TASK_UTILS, scope='mmvmt',
                      locations=['mmvmt.models'])
METRICS = Registry('metric', parent=MMDET_METRICS, scope='mmvmt',
                   locations=['mmvmt.evaluation.metrics'])
EVALUATOR = Registry('evaluator', parent=MMDET_EVALUATOR, scope='mmvmt',
                     locations=['mmvmt.evaluation.metrics'])
HOOKS = Registry('hook', parent=MMDET_HOOKS, scope='mmvmt', locations=['mmvmt.engine'])
LOOPS = Registry('loop', parent=MMDET_LOOPS, scope='mmvmt', locations=['mmvmt.engine'])
VISUALIZERS = Registry('visualizer', parent=MMDET_VISUALIZERS, scope='mmvmt',
                       locations=['mmvmt.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMDET_VISBACKENDS, scope='mmvmt',
                       locations=['mmvmt.visualization'])
