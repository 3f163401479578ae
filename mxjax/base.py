"""Errors and small shared helpers (mirrors ``mxnet.base``)."""

__all__ = ["MXNetError", "NotImplementedForSymbol", "NotSupportedForSparseNDArray",
           "numeric_types", "integer_types", "string_types", "mx_real_t", "py_str",
           "data_dir", "data_dir_default", "classproperty", "NDArrayHandle"]

import ctypes
import numbers
import os
import platform

import numpy as np


class MXNetError(RuntimeError):
    """The error MXNet raises when no more specific Python error applies."""


class _UnavailableFunction(MXNetError):
    """A function that exists for one kind of array only; the message names the call."""

    unavailable = "is not available"

    def __init__(self, function, alias, *args):
        super().__init__()
        self.function = getattr(function, "__name__", function)
        self.alias = alias
        self.args = tuple(str(type(a)) for a in args)

    def __str__(self):
        operator = f' (namely operator "{self.alias}")' if self.alias else ""
        arguments = f" with arguments ({', '.join(self.args)})" if self.args else ""
        return f"Function {self.function}{operator}{arguments} {self.unavailable}."


class NotImplementedForSymbol(_UnavailableFunction):
    """An NDArray-only function or attribute was used on a Symbol."""

    unavailable = "is not implemented for Symbol and only available in NDArray"


class NotSupportedForSparseNDArray(_UnavailableFunction):
    """An NDArray method that sparse arrays do not support (``reshape``, ...)."""

    unavailable = "is not supported for SparseNDArray and only available in NDArray"


NDArrayHandle = ctypes.c_void_p  # what MXNet's C API hands out for an NDArray
numeric_types = (float, int, np.generic, numbers.Number)
integer_types = (int, np.integer)
string_types = (str,)
mx_real_t = np.float32


class classproperty:
    """A property of the class itself (``Context.default_ctx``); a setter works on classes
    whose metaclass is ``_MXClassPropertyMetaClass``."""

    def __init__(self, fget, fset=None):
        self.fget, self.fset = fget, fset

    def __get__(self, obj, cls=None):
        return self.fget(type(obj) if cls is None else cls)

    def setter(self, fset):
        self.fset = fset
        return self


class _MXClassPropertyMetaClass(type):
    """Routes ``Cls.name = value`` to the setter of a ``classproperty`` named ``name``."""

    def __setattr__(cls, name, value):
        for klass in cls.__mro__:
            prop = klass.__dict__.get(name)
            if isinstance(prop, classproperty):
                if prop.fset is None:
                    raise AttributeError(f"can't set class property {name}")
                prop.fset(cls, value)
                return
        super().__setattr__(name, value)


class _NullType:
    """MXNet's marker for an argument that was not given (``mxnet.base._Null``)."""

    def __repr__(self):
        return "_Null"


_Null = _NullType()


def py_str(raw):
    """Decode the bytes a C API would have returned (MXNet's ``py_str``)."""
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def data_dir_default():
    """``%APPDATA%/mxnet`` on Windows, ``~/.mxnet`` elsewhere."""
    if platform.system() == "Windows":
        return os.path.join(os.environ.get("APPDATA", ""), "mxnet")
    return os.path.join(os.path.expanduser("~"), ".mxnet")


def data_dir():
    """Where datasets and models are kept: ``$MXNET_HOME``, else :func:`data_dir_default`."""
    return os.getenv("MXNET_HOME", data_dir_default())


def _as_list(obj):
    """``obj`` itself if it is a list or tuple, else ``[obj]`` (MXNet's private helper,
    imported by code written against MXNet)."""
    return obj if isinstance(obj, (list, tuple)) else [obj]


def check_same_dtype(op, data, **inputs):
    """Raise MXNetError unless every given input has ``data``'s dtype (MXNet's type
    inference for FullyConnected, Convolution, ...: float64 data into float32 weights is
    an error, not a silent cast)."""
    for position, (name, array) in enumerate(inputs.items(), 1):
        if array is not None and array.dtype != data.dtype:
            raise MXNetError(f"{op}: {name} has dtype {array.dtype}, expected {data.dtype} "
                             f"(the dtype of data; Incompatible attr at {position}-th input: "
                             f"expected {data.dtype}, got {array.dtype})")


def shape_error(op, arg, got, expected, **context):
    """An MXNetError naming the operator, the argument and the shapes involved."""
    details = ", ".join(f"{k}={v}" for k, v in context.items())
    tail = f" ({details})" if details else ""
    return MXNetError(f"{op}: {arg} has shape {tuple(got)}, expected {expected}{tail}")
