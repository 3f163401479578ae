"""Ordering operators: sort, argsort, topk.

Indices come back as float32 unless ``dtype`` says otherwise (MXNet 1.9.1). Equal
elements keep their original order, as MXNet's CPU sort does for short rows and its GPU
sort always does. ``axis=None`` works on the flattened array, also under ``record()``
(MXNet 1.9.1's backward fails there, a bug not reproduced here).
"""

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError
from .spec import register

_INDEX_DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8")


def _prepare(op, data, axis):
    """``(array, axis)``: the flattened array for ``axis=None``, else a checked axis."""
    if axis is None:
        return data.reshape(-1), 0
    if not -data.ndim <= axis < data.ndim:
        raise MXNetError(f"{op}: axis {axis} is out of range for an input of shape "
                         f"{data.shape}")
    return data, axis % data.ndim


def _index_dtype(op, dtype):
    name = np.dtype(dtype).name
    if name not in _INDEX_DTYPES:
        raise MXNetError(f"{op}: dtype must be one of {_INDEX_DTYPES}, got {dtype!r}")
    return np.dtype(name)


def _stable_argsort(x, axis, is_ascend):
    return jnp.argsort(x, axis=axis, stable=True, descending=not is_ascend)


@register("sort", attrs=dict(axis=-1, is_ascend=True), total_outputs=2)
def sort(data, *, axis, is_ascend):
    """Sort along ``axis`` (the flattened array if None)."""
    x, axis = _prepare("sort", data, axis)
    # Gathering by the sorting indices gives MXNet's gradient: scattered back in place.
    return jnp.take_along_axis(x, _stable_argsort(x, axis, is_ascend), axis=axis)


@register("argsort", attrs=dict(axis=-1, is_ascend=True, dtype="float32"), zero_gradient=True)
def argsort(data, *, axis, is_ascend, dtype):
    """The indices that sort ``data`` along ``axis``."""
    x, axis = _prepare("argsort", data, axis)
    return _stable_argsort(x, axis, is_ascend).astype(_index_dtype("argsort", dtype))


def _top_k(x, k, is_ascend):
    """Indices of the k largest (smallest if ``is_ascend``) entries along the last axis,
    ties in index order."""
    if is_ascend:  # an order-reversing key: negation for floats, bitwise not for ints
        x = -x if jnp.issubdtype(x.dtype, jnp.floating) else ~x
    return lax.top_k(x, k)[1]


@register("topk", attrs=dict(axis=-1, k=1, ret_typ="indices", is_ascend=False,
                             dtype="float32"),
          num_outputs=lambda attrs: 2 if attrs["ret_typ"] == "both" else 1, total_outputs=2)
def topk(data, *, axis, k, ret_typ, is_ascend, dtype):
    """The top k elements along ``axis``: their values, indices, both, or a 0/1 mask."""
    if ret_typ not in ("value", "indices", "both", "mask"):
        raise MXNetError(f"topk: ret_typ must be 'value', 'indices', 'both' or 'mask', got "
                         f"{ret_typ!r}")
    index_dtype = _index_dtype("topk", dtype)
    x, axis = _prepare("topk", data, axis)
    n = x.shape[axis]
    k = n if k <= 0 else k
    if k > n:
        raise MXNetError(f"topk: k={k} is larger than the {n} elements along axis {axis} "
                         f"(input shape {data.shape})")
    moved = jnp.moveaxis(x, axis, -1)
    idx = _top_k(moved, k, is_ascend)
    if ret_typ == "mask":
        mask = jnp.put_along_axis(jnp.zeros_like(moved), idx, 1, axis=-1, inplace=False)
        return jnp.moveaxis(mask, -1, axis).reshape(data.shape)
    indices = jnp.moveaxis(idx, -1, axis).astype(index_dtype)
    if ret_typ == "indices":
        return indices
    values = jnp.moveaxis(jnp.take_along_axis(moved, idx, axis=-1), -1, axis)
    return values if ret_typ == "value" else (values, indices)
