"""mmvmt: Video Mask Transfiner and the HQ-YTVIS benchmark tools for OpenMMLab 2.0."""
from .utils.compat import apply_compat_patches
from .utils.config_package import register_config_package
from .version import __version__

apply_compat_patches()
register_config_package()

__all__ = ['__version__']
