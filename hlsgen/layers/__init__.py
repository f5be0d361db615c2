"""Layer kinds. Every module in this package is imported so that its kinds register."""
import importlib
import pkgutil

from .base import LAYER_KINDS, Layer, TypeContext, register  # noqa: F401

for _m in pkgutil.iter_modules(__path__):
    if _m.name != "base":
        importlib.import_module(f"{__name__}.{_m.name}")
