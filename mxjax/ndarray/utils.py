"""``mx.nd.save`` / ``mx.nd.load`` in MXNet's own binary format."""

import jax.numpy as jnp

from .. import util
from ..base import MXNetError
from . import ndarray as _ndarray
from . import serialization, sparse
from .ndarray import NDArray, zeros

__all__ = ["save", "load", "load_frombuffer", "zeros", "empty", "array"]


def array(source_array, ctx=None, dtype=None):
    """An NDArray from any array-like (float32 unless ``source_array`` is an NDArray or
    ``dtype`` is given); a sparse NDArray or a ``scipy.sparse.csr_matrix`` gives a sparse
    array of its storage type."""
    if isinstance(source_array, NDArray) and source_array.stype != "default" or \
            isinstance(source_array, sparse._scipy_csr_type()):
        return sparse.array(source_array, ctx=ctx, dtype=dtype)
    return _ndarray.array(source_array, ctx=ctx, dtype=dtype)


def empty(shape, ctx=None, dtype=None, stype=None):
    """An array of ``shape`` (zeros; MXNet leaves it uninitialised) of storage ``stype``."""
    if stype not in (None, "default"):
        return sparse.empty(stype, shape, ctx=ctx, dtype=dtype)
    return _ndarray.empty(shape, ctx=ctx, dtype=dtype)


def _record(arr):
    """What the file format stores for one NDArray: numpy, or a SparseArray."""
    if isinstance(arr, sparse.BaseSparseNDArray):
        return arr._to_record()
    return arr.asnumpy()


def _from_record(value):
    if isinstance(value, serialization.SparseArray):
        return sparse._from_record(value)
    return NDArray(jnp.asarray(value))


def _to_numpy(data):
    if isinstance(data, NDArray):
        return [_record(data)]
    if isinstance(data, dict):
        if not all(isinstance(k, str) and isinstance(v, NDArray) for k, v in data.items()):
            raise MXNetError("save: a dict must map str to NDArray")
        return {k: _record(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        if not all(isinstance(v, NDArray) for v in data):
            raise MXNetError("save: a list must hold only NDArrays")
        return [_record(v) for v in data]
    raise MXNetError(f"save: data must be an NDArray, a list or a dict, got {type(data)}")


def _to_ndarrays(loaded):
    if isinstance(loaded, dict):
        return {k: _from_record(v) for k, v in loaded.items()}
    return [_from_record(v) for v in loaded]


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray to ``fname``."""
    serialization.save(fname, _to_numpy(data), util.is_np_shape())


def save_with(fname, data, companions):
    """``save``, plus the ``(fname, text)`` files in ``companions`` written in the same
    atomic step (a checkpoint's ``-symbol.json`` and its ``.params`` stay a matching pair)."""
    serialization.save(fname, _to_numpy(data), util.is_np_shape(), companions)


def load(fname):
    """Load what ``save`` (mxjax's or MXNet's) wrote: a list or a dict of NDArrays."""
    return _to_ndarrays(serialization.load(fname, util.is_np_shape()))


def load_frombuffer(buf):
    """Like ``load``, from the bytes of such a file."""
    return _to_ndarrays(serialization.loads(bytes(buf), util.is_np_shape()))
