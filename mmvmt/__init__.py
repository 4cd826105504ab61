"""mmvmt: Video Mask Transfiner and the HQ-YTVIS benchmark tools for OpenMMLab 2.0.

Importing the package is cheap (no torch, mmdet or mmengine): the offline tools that need
only the YouTube-VIS format and the metric's pure functions start in a fraction of a second.
The modules that register classes are imported through :mod:`mmvmt.registry` (its
``locations``) or :func:`mmvmt.utils.register_all_modules`. ``mmvmt::`` config paths
resolve once mmvmt is imported (:mod:`mmvmt.utils.config_package`).
"""
from .utils.config_package import register_config_package
from .version import __version__

register_config_package()

__all__ = ['__version__']
