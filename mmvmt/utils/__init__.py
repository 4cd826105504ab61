from .compat import apply_compat_patches
from .config_package import register_config_package
from .setup_env import register_all_modules

__all__ = ['apply_compat_patches', 'register_all_modules', 'register_config_package']
