"""``mx.nd.save`` / ``mx.nd.load`` in MXNet's own binary format."""

import jax.numpy as jnp

from ..base import MXNetError
from . import serialization
from .ndarray import NDArray, array, empty, zeros

__all__ = ["save", "load", "load_frombuffer", "zeros", "empty", "array"]


def _to_numpy(data):
    if isinstance(data, NDArray):
        return [data.asnumpy()]
    if isinstance(data, dict):
        if not all(isinstance(k, str) and isinstance(v, NDArray) for k, v in data.items()):
            raise MXNetError("save: a dict must map str to NDArray")
        return {k: v.asnumpy() for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        if not all(isinstance(v, NDArray) for v in data):
            raise MXNetError("save: a list must hold only NDArrays")
        return [v.asnumpy() for v in data]
    raise MXNetError(f"save: data must be an NDArray, a list or a dict, got {type(data)}")


def _to_ndarrays(loaded):
    if isinstance(loaded, dict):
        return {k: NDArray(jnp.asarray(v)) for k, v in loaded.items()}
    return [NDArray(jnp.asarray(v)) for v in loaded]


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray to ``fname``."""
    serialization.save(fname, _to_numpy(data))


def load(fname):
    """Load what ``save`` (mxjax's or MXNet's) wrote: a list or a dict of NDArrays."""
    return _to_ndarrays(serialization.load(fname))


def load_frombuffer(buf):
    """Like ``load``, from the bytes of such a file."""
    return _to_ndarrays(serialization.loads(bytes(buf)))
