"""Optimizer states as MXNet 1.9.1 pickles them, readable by either library.

``Updater.get_states`` (and so ``Trainer.save_states``) pickles a dict of states and
optionally the optimizer. MXNet's pickle names its own classes
(``mxnet.ndarray.ndarray.NDArray``, ``mxnet.optimizer.optimizer.SGD``,
``mxnet.lr_scheduler.FactorScheduler``) and stores an NDArray as
``{'handle': bytes}``, the bytes being the array in MXNet's binary NDArray format. mxjax
writes exactly that, so MXNet can load mxjax's states, and maps those names back to its
own classes when loading, so mxjax loads MXNet's.
"""

import io
import os
import pickle

import jax.numpy as jnp
import numpy as np

from ..base import MXNetError
from ..ndarray import serialization, sparse
from ..ndarray.ndarray import NDArray

__all__ = ["dumps", "loads"]

_PROTOCOL = 4


def _mxnet_name(cls):
    """MXNet's module and name for an mxjax class, or None."""
    if cls is NDArray:
        return "mxnet.ndarray.ndarray", "NDArray"
    if cls in (sparse.RowSparseNDArray, sparse.CSRNDArray):
        return "mxnet.ndarray.sparse", cls.__name__
    module = getattr(cls, "__module__", "") or ""
    if module == "mxjax.lr_scheduler":
        return "mxnet.lr_scheduler", cls.__qualname__
    if module.startswith("mxjax.optimizer"):
        where = "contrib" if module.endswith(".contrib") else "optimizer"
        return f"mxnet.optimizer.{where}", cls.__qualname__
    return None


def _raw_bytes(arr):
    """The bytes of MXNet's ``MXNDArraySaveRawBytes`` for one array."""
    value = arr.asnumpy()
    return serialization._encode_array(0, value.reshape(1) if value.ndim == 0 else value)


class _MXNetPickler(pickle._Pickler):
    """A pickler that writes MXNet's class names and NDArray state."""

    def reducer_override(self, obj):
        if isinstance(obj, sparse.BaseSparseNDArray):  # MXNet: its sparse raw bytes
            handle = serialization._encode_array(0, obj._to_record())
            return type(obj), (None,), {"handle": bytearray(handle)}
        if isinstance(obj, NDArray):
            return NDArray, (None,), {"handle": bytearray(_raw_bytes(obj))}  # MXNet: writable
        return NotImplemented

    def save_global(self, obj, name=None):
        target = _mxnet_name(obj) if isinstance(obj, type) else None
        if target is None:
            return super().save_global(obj, name)
        module, qualname = target
        self.save(module)
        self.save(qualname)
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)
        return None


class _PickledNDArray(NDArray):
    """Rebuilds an NDArray from MXNet's pickled state, then becomes a plain NDArray."""

    __slots__ = ()

    def __setstate__(self, state):
        handle = state.get("handle") if isinstance(state, dict) else None
        if handle is None:
            NDArray.__setstate__(self, state)
        else:
            value = serialization._read_array(serialization._Reader(handle), 0)
            NDArray.__init__(self, jnp.asarray(value))
        self.__class__ = NDArray


class _PickledSparse(sparse.BaseSparseNDArray):
    """Rebuilds a sparse array from MXNet's pickled state (its raw sparse bytes)."""

    __slots__ = ()

    def __setstate__(self, state):
        record = serialization._read_array(serialization._Reader(state["handle"]), 0)
        if not isinstance(record, serialization.SparseArray):  # stored densely after all
            record = serialization.SparseArray("row_sparse", record.shape, record,
                                               (np.arange(record.shape[0]),))
        built = sparse._from_record(record)
        sparse.BaseSparseNDArray.__init__(self, built._lazy, built._ctx, built._aux)
        self.__class__ = type(built)


# Plain data a states file may hold besides arrays, optimizers and schedulers.
_DATA_GLOBALS = {
    ("builtins", n) for n in ("bytearray", "set", "frozenset", "slice", "complex", "range")
} | {("copyreg", "_reconstructor"), ("collections", "OrderedDict"), ("numpy", "dtype"),
     ("numpy", "ndarray"), ("numpy.core.multiarray", "scalar"),
     ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
     ("numpy._core.multiarray", "_reconstruct")}


class _Unpickler(pickle.Unpickler):
    """Loads arrays, optimizers, learning-rate schedulers and plain data, and refuses
    every other class or function a file names (unpickling one could run any code)."""

    def find_class(self, module, name):
        if module in ("mxnet.ndarray.sparse", "mxjax.ndarray.sparse") and \
                name in ("RowSparseNDArray", "CSRNDArray"):
            return _PickledSparse
        if (module, name) in (("mxnet.ndarray.ndarray", "NDArray"),
                              ("mxjax.ndarray.ndarray", "NDArray")):
            return _PickledNDArray
        from .. import lr_scheduler, optimizer
        if module.startswith(("mxnet.optimizer", "mxjax.optimizer")):
            found = getattr(optimizer.contrib if module.endswith("contrib") else optimizer,
                            name, None)
            if isinstance(found, type) and issubclass(found, optimizer.Optimizer):
                return found
        elif module in ("mxnet.lr_scheduler", "mxjax.lr_scheduler"):
            found = getattr(lr_scheduler, name, None)
            if isinstance(found, type) and issubclass(found, lr_scheduler.LRScheduler):
                return found
        elif (module, name) in _DATA_GLOBALS or _unsafe_allowed():
            return super().find_class(module, name)
        raise MXNetError(
            f"optimizer states: refusing to load {module}.{name} (only arrays, optimizers, "
            "learning-rate schedulers and plain data are loaded from a states file; for a "
            "file you trust that needs more, such as a custom optimizer's, set "
            f"{_UNSAFE_ENV}=1: then loading it may run any code it names)")


_UNSAFE_ENV = "MXJAX_ALLOW_UNSAFE_STATES"


def _unsafe_allowed():
    """The explicit opt-in for trusted legacy states files: any class or function."""
    return os.environ.get(_UNSAFE_ENV, "0") not in ("0", "", "false", "False")


def dumps(obj):
    """Pickle ``obj`` (states, optimizers, schedulers, NDArrays) in MXNet's format."""
    buf = io.BytesIO()
    _MXNetPickler(buf, _PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data):
    """Unpickle states written by mxjax or by MXNet 1.9.1; anything else (a damaged file, a
    pickle naming other classes or functions) raises MXNetError and runs nothing."""
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except MXNetError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, ImportError, MemoryError, RecursionError,
            OverflowError) as err:
        raise MXNetError(f"optimizer states: not a valid states file "
                         f"({type(err).__name__}: {err})") from None
