"""The operator registry and every operator family registered into it.

As ``mxnet.operator``, this package also gives MXNet's API for operators written in
Python (``CustomOp``, ``CustomOpProp``, ``register``, ...; see ``custom.py``). Its
``register`` is MXNet's custom-operator decorator; the registry's own is
``spec.register``.
"""

import ctypes
import importlib
import pkgutil

from ..base import NDArrayHandle, py_str
from ..util import is_np_array  # noqa: F401  (in MXNet's module too)
from .custom import (
    CustomOp,
    CustomOpProp,
    NDArrayOp,
    NumpyOp,
    OperatorArguments,
    PythonOp,
    get_all_registered_operators,
    get_operator_arguments,
    register,
)
from .spec import OpSpec, Required, all_specs, get, infer_param_shapes

__all__ = ["OpSpec", "Required", "all_specs", "get", "infer_param_shapes", "register",
           "CustomOp", "CustomOpProp", "PythonOp", "NumpyOp", "NDArrayOp",
           "get_all_registered_operators", "OperatorArguments", "get_operator_arguments",
           # also in MXNet's module, which code written against it star-imports
           "NDArray", "NDArrayHandle", "ctypes", "py_str"]

# Each family module registers its operators on import; every module in this package
# except the registry itself is a family.
for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("spec", "shape_rules"):
        importlib.import_module(f"{__name__}.{_info.name}")

from . import storage as _storage  # noqa: E402

_storage.attach()  # storage rules and the _sparse_ aliases, once every operator is registered


def __getattr__(name):
    # MXNet's module also exposes NDArray; importing it eagerly here would be circular.
    if name == "NDArray":
        from ..ndarray.ndarray import NDArray
        return NDArray
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
