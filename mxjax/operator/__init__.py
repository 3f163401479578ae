"""The operator registry and every operator family registered into it."""

import importlib
import pkgutil

from .spec import OpSpec, Required, all_specs, get, infer_param_shapes, register

__all__ = ["OpSpec", "Required", "all_specs", "get", "infer_param_shapes", "register"]

# Each family module registers its operators on import; every module in this package
# except the registry itself is a family.
for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("spec", "shape_rules"):
        importlib.import_module(f"{__name__}.{_info.name}")
