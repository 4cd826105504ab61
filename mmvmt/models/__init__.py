"""VMT models: detector, heads, refinement layers and matchers; importing registers them."""
from .detectors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
