"""Process settings and decorators (mirrors ``mxnet.util``).

MXNet 1.9.1's NumPy-shape flag is kept here with MXNet's thread and scope rules
(``set_np_shape(2)`` sets it for every thread). mxjax's legacy ``nd``/``sym`` operators
already accept scalar ``()`` and zero-size shapes, as they do in MXNet with the flag on.
The NumPy-array interface (``mx.np``/``mx.npx``) is not implemented: turning
NumPy-array semantics on raises ``NotImplementedError``.
"""

__all__ = ["get_gpu_count", "get_gpu_memory", "set_np_shape", "is_np_shape", "np_shape",
           "use_np_shape", "set_module", "np_array", "is_np_array", "use_np_array", "use_np",
           "set_np", "reset_np", "getenv", "setenv", "get_cuda_compute_capability"]

import functools
import inspect
import os
import threading

import jax

NUMPY_INTERFACE_MISSING = ("mxnet.numpy / NumPy-array semantics (mx.np, mx.npx, use_np) are not "
                     "implemented in mxjax; use the mx.nd API")

_np_shape_local = threading.local()
_np_shape_global = False


def set_np_shape(active):
    """Turn NumPy shape semantics on (``True``: this thread, ``2``: every thread) or off;
    return the previous state."""
    global _np_shape_global
    if not active and is_np_array():
        raise ValueError("Deactivating NumPy shape semantics while NumPy array semantics is "
                         "still active is not allowed; call reset_np() to turn off both.")
    previous = is_np_shape()
    if active == 2 or (not active and _np_shape_global):
        _np_shape_global = bool(active)
    _np_shape_local.value = bool(active)
    return previous


def is_np_shape():
    """Whether NumPy shape semantics is on in this thread."""
    return getattr(_np_shape_local, "value", _np_shape_global)


class _NumpyShapeScope:
    """``with`` scope that sets NumPy shape semantics and restores it on exit."""

    def __init__(self, is_np_shape):
        self._enter_is_np_shape = is_np_shape
        self._prev_is_np_shape = None

    def __enter__(self):
        if self._enter_is_np_shape is not None:
            self._prev_is_np_shape = set_np_shape(self._enter_is_np_shape)

    def __exit__(self, *exc):
        if self._enter_is_np_shape is not None \
                and self._prev_is_np_shape != self._enter_is_np_shape:
            set_np_shape(self._prev_is_np_shape)


def np_shape(active=True):
    """A ``with`` scope with NumPy shape semantics on (or off)."""
    return _NumpyShapeScope(active)


def _scoped(scope_factory, func):
    """Wrap a function, or every method of a class, to run inside ``scope_factory()``."""
    if inspect.isclass(func):
        for name, method in list(vars(func).items()):
            if inspect.isfunction(method) or isinstance(method, property):
                if isinstance(method, property):
                    method = property(*(f and _scoped(scope_factory, f)
                                        for f in (method.fget, method.fset, method.fdel)))
                else:
                    method = _scoped(scope_factory, method)
                setattr(func, name, method)
        return func
    if not callable(func):
        raise TypeError(f"{func} is neither a class nor a function")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with scope_factory():
            return func(*args, **kwargs)
    return wrapper


def use_np_shape(func):
    """Decorator: run ``func`` (or every method of a class) with NumPy shape semantics."""
    return _scoped(lambda: np_shape(True), func)


class _NumpyArrayScope:
    """``with`` scope for NumPy-array semantics; the current scope is per thread."""

    _current = threading.local()

    def __init__(self, is_np_array):
        self._old_scope = None
        self._is_np_array = is_np_array

    def __enter__(self):
        if self._is_np_array:
            raise NotImplementedError(NUMPY_INTERFACE_MISSING)
        current = _NumpyArrayScope._current
        if not hasattr(current, "value"):
            current.value = _NumpyArrayScope(False)
        self._old_scope = current.value
        current.value = self
        return self

    def __exit__(self, *exc):
        _NumpyArrayScope._current.value = self._old_scope


def np_array(active=True):
    """A ``with`` scope with NumPy-array semantics on (not implemented) or off."""
    return _NumpyArrayScope(active)


def is_np_array():
    """Whether NumPy-array semantics is on in this thread (never, in mxjax)."""
    current = _NumpyArrayScope._current
    return current.value._is_np_array if hasattr(current, "value") else False


def use_np_array(func):
    """Decorator for NumPy-array semantics; raises NotImplementedError when called."""
    return _scoped(lambda: np_array(True), func)


def use_np(func):
    """Decorator for NumPy shape and array semantics; raises NotImplementedError when called."""
    return use_np_shape(use_np_array(func))


def set_np(shape=True, array=True):
    """Set NumPy shape and array semantics together (array semantics: not implemented)."""
    if array:
        if not shape:
            raise ValueError("NumPy Shape semantics is required in using NumPy array semantics.")
        raise NotImplementedError(NUMPY_INTERFACE_MISSING)
    set_np_shape(shape)


def reset_np():
    """Turn NumPy shape and array semantics off."""
    set_np(shape=False, array=False)


def set_module(module):
    """Decorator that sets ``__module__`` of a function or class to ``module``."""
    def decorator(func):
        if module is not None:
            func.__module__ = module
        return func
    return decorator


def _devices(platform):
    try:
        return jax.devices(platform)
    except RuntimeError:
        return []


def get_gpu_count():
    """The number of GPUs JAX sees."""
    return len(_devices("gpu"))


def get_gpu_memory(gpu_dev_id):
    """``(free, total)`` bytes of GPU ``gpu_dev_id``, as far as its allocator reports."""
    devices = _devices("gpu")
    if not 0 <= gpu_dev_id < len(devices):
        raise ValueError(f"get_gpu_memory: no GPU {gpu_dev_id} (this process sees "
                         f"{len(devices)})")
    stats = devices[gpu_dev_id].memory_stats() or {}
    total = stats.get("bytes_limit", 0)
    return total - stats.get("bytes_in_use", 0), total


def get_cuda_compute_capability(ctx):
    """The CUDA compute capability of ``ctx``'s GPU as an int (e.g. 80 for 8.0)."""
    if ctx.device_type != "gpu":
        raise ValueError(f"Expecting a gpu context to get cuda compute capability, "
                         f"while received ctx {ctx}")
    device = _devices("gpu")[ctx.device_id]
    major, minor = str(getattr(device, "compute_capability", "0.0")).split(".")[:2]
    return int(major) * 10 + int(minor)


def getenv(name):
    """The value of environment variable ``name``, or None."""
    return os.environ.get(name)


def setenv(name, value):
    """Set (or, with ``value=None``, unset) environment variable ``name``."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
