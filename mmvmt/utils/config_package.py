"""Make ``_base_ = 'mmvmt::vmt/<config>.py'`` resolve, as ``'mmdet::...'`` does for mmdet.

mmengine 0.10.7 follows ``<package>::<config>`` only for the packages of its fixed table
``MODULE2PACKAGE`` (it asserts "mmengine does not support to load mmvmt config" otherwise),
then reads ``<installed package>/.mim/configs/<config>`` (setup.py puts the configs there).
Two steps make that work for mmvmt, done when mmvmt is imported:

* mmvmt is added to the table;
* for an editable install made by pip's PEP 660 backend (what ``make setup`` does),
  mmengine's ``get_installed_path`` answers ``site-packages/mmvmt``, which does not exist
  (the package stays in the source tree); there the path of the imported package is used.

So a config that starts from an mmvmt config must be read after ``import mmvmt`` (mmvmt's
tools and ``register_all_modules`` import it first).
"""
import importlib.util
import os.path as osp

PACKAGE = 'mmvmt'
_REGISTERED = False


def register_config_package() -> None:
    """Register mmvmt with mmengine's config loader; safe to call any number of times."""
    global _REGISTERED
    if _REGISTERED:
        return
    import mmengine.config.config as config_module
    from mmengine.config.utils import MODULE2PACKAGE

    MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    installed_path = config_module.get_installed_path

    def get_installed_path(package: str) -> str:
        path = installed_path(package)
        if package == PACKAGE and not osp.isdir(path):
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.origin is not None:
                return osp.dirname(spec.origin)
        return path

    config_module.get_installed_path = get_installed_path
    _REGISTERED = True
