"""Make ``_base_ = 'mmvmt::vmt/<config>.py'`` resolve, as ``'mmdet::...'`` does for mmdet.

mmengine 0.10.7 follows ``<package>::<config>`` only for the packages of its fixed table
``MODULE2PACKAGE`` (it asserts "mmengine does not support to load mmvmt config" otherwise),
then reads ``<installed package>/.mim/configs/<config>`` (setup.py puts the configs there).
Two steps make that work for mmvmt:

* mmvmt is added to the table;
* for an editable install made by pip's PEP 660 backend (what ``make setup`` does),
  mmengine's ``get_installed_path`` answers ``site-packages/mmvmt``, which does not exist
  (the package stays in the source tree); there the path of the imported package is used.

``import mmvmt`` asks for both, yet must not import mmengine (the offline tools start
without it): when mmengine's config module is not loaded yet, the steps are taken the moment
it is. So a config that starts from an mmvmt config can be read after ``import mmvmt``, in
whichever order the two packages are imported.
"""
import importlib.util
import os.path as osp
import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from typing import Optional, Sequence

PACKAGE = 'mmvmt'
CONFIG_MODULE = 'mmengine.config.config'
_REGISTERED = False


def register_config_package() -> None:
    """Register mmvmt with mmengine's config loader, now or when mmengine's config module is
    imported; safe to call any number of times."""
    if CONFIG_MODULE in sys.modules:
        _register()
    elif not any(isinstance(finder, _RegisterOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterOnImport())


class _RegisterOnImport(MetaPathFinder):
    """Finds mmengine's config module as the path finder does, and registers mmvmt once the
    module has run."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: object = None) -> Optional[ModuleSpec]:
        if fullname != CONFIG_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_register(module):
            exec_module(module)
            _register()

        spec.loader.exec_module = exec_and_register
        return spec


def _register() -> None:
    """Add mmvmt to mmengine's package table and fix its path for editable installs."""
    global _REGISTERED
    if _REGISTERED:
        return
    config_module = sys.modules[CONFIG_MODULE]
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
