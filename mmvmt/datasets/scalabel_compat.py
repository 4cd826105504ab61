"""Make the BDD100K toolkit's label types work under pydantic 2.

scalabel 0.3.1 (pulled by ``bdd100k`` 1.0.1) declares its label types for pydantic 1, where
an ``Optional[X]`` field without a default is optional. pydantic 2 makes such fields
required, so ``scalabel.label.io.load`` refuses every official BDD100K label file ("box2d
Field required") and ``Label(id=..., rle=...)`` fails. :func:`patch_scalabel_types` gives
those fields the default ``None`` they had under pydantic 1; nothing else changes. It is a
no-op under pydantic 1.
"""
import importlib
import typing

_MODULES = ('scalabel.label.typing', 'bdd100k.common.typing')
_PATCHED = False


def patch_scalabel_types() -> None:
    """Default ``Optional`` fields of the toolkit's pydantic models to None; idempotent."""
    global _PATCHED
    if _PATCHED:
        return
    import pydantic
    if int(pydantic.VERSION.split('.')[0]) < 2:
        _PATCHED = True
        return
    for name in _MODULES:
        module = importlib.import_module(name)
        # Definition order, so a model is rebuilt after the models its fields refer to.
        for obj in list(vars(module).values()):
            if not (isinstance(obj, type) and issubclass(obj, pydantic.BaseModel)
                    and obj.__module__ == name):
                continue
            for field in obj.model_fields.values():
                if field.is_required() and type(None) in typing.get_args(field.annotation):
                    field.default = None
            obj.model_rebuild(force=True)
    _PATCHED = True
