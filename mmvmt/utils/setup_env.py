"""Registration of every mmvmt module and the default scope."""
import datetime
import warnings


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmvmt module so its classes are registered, and mmdet's too.

    Args:
        init_default_scope (bool): Whether to make ``'mmvmt'`` the default scope, so that
            types in configs resolve in mmvmt's registries first, then in mmdet's and
            mmengine's. Defaults to True.
    """
    from mmdet.utils import register_all_modules as register_mmdet_modules
    from mmengine import DefaultScope
    register_mmdet_modules(init_default_scope=False)

    import mmvmt.apis  # noqa: F401
    import mmvmt.datasets  # noqa: F401
    import mmvmt.engine  # noqa: F401
    import mmvmt.evaluation.metrics  # noqa: F401
    import mmvmt.models  # noqa: F401
    import mmvmt.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmvmt', scope_name='mmvmt')
    elif current.scope_name != 'mmvmt':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "mmvmt"; '
                      '`register_all_modules` forces it to be "mmvmt".')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'mmvmt-{stamp}', scope_name='mmvmt')
