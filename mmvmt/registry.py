"""mmvmt's registries: children of mmdet's, in the scope ``'mmvmt'``.

Being children of mmdet's registries means two things:

* inside mmvmt configs (``default_scope='mmvmt'``) every mmdet and mmengine type resolves
  without a prefix, as the registry falls back to its parents;
* inside mmdet or mmtrack-style configs, any mmvmt class is reachable as ``type='mmvmt.X'``
  or with ``_scope_='mmvmt'``, since a parent searches its children by scope name and imports
  the modules listed in ``locations`` on demand.

Every registry of mmengine's root has a child here, also those mmvmt registers nothing in
(runners, optimizers, schedulers, ...): with the default scope ``'mmvmt'``, mmengine looks for
the ``'mmvmt'`` child of each registry it builds from, and warns ("Failed to search registry
with scope "mmvmt" ...") for every one it does not find.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import Registry

from .utils.compat import apply_compat_patches

# The one deliberate import-time side effect of mmvmt. mmengine's Runner loads checkpoints
# itself (``resume``, ``load_from``, ``CheckpointHook``) with ``torch.load``, and only this
# module is imported before each of those, in every process (mmengine imports it for the
# scope 'mmvmt', DDP workers included); mmvmt's own reader (utils/checkpoint_file.py)
# applies the fix again, idempotently. See utils/compat.py for what is patched and why.
apply_compat_patches()

# Where mmvmt registers classes.
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
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS, scope='mmvmt',
                       locations=['mmvmt.apis'])

# Children only, so that the scope 'mmvmt' resolves everywhere (see the module docstring).
RUNNERS = Registry('runner', parent=MMDET_RUNNERS, scope='mmvmt')
RUNNER_CONSTRUCTORS = Registry('runner constructor', parent=MMDET_RUNNER_CONSTRUCTORS,
                               scope='mmvmt')
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMDET_MODEL_WRAPPERS, scope='mmvmt')
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMDET_WEIGHT_INITIALIZERS,
                               scope='mmvmt')
OPTIMIZERS = Registry('optimizer', parent=MMDET_OPTIMIZERS, scope='mmvmt')
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMDET_OPTIM_WRAPPERS, scope='mmvmt')
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer constructor',
                                      parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS, scope='mmvmt')
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMDET_PARAM_SCHEDULERS,
                            scope='mmvmt')
LOG_PROCESSORS = Registry('log_processor', parent=MMDET_LOG_PROCESSORS, scope='mmvmt')
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, scope='mmvmt')
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope='mmvmt')
