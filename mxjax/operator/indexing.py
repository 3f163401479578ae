"""Indexing operators: take, batch_take, pick, one_hot, gather_nd, scatter_nd,
ravel_multi_index, unravel_index, fill_element_0index, _onehot_encode.

MXNet accepts index arrays of any dtype and turns a floating index into an integer by
truncating toward zero (``1.7 -> 1``, ``-0.5 -> 0``) before clipping or wrapping it.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _host
from ..base import MXNetError
from .spec import Required, register


def _as_index(indices):
    """Index values as int32, truncated toward zero like MXNet's C++ cast."""
    return indices.astype(jnp.int32)


def _fit(op, idx, size, mode):
    """Bring integer indices into ``[0, size)`` by clipping or wrapping."""
    if mode == "clip":
        return jnp.clip(idx, 0, size - 1)
    if mode in ("wrap", "raise"):
        return jnp.mod(idx, size)
    raise MXNetError(f"{op}: mode must be 'clip', 'wrap' or 'raise', got {mode!r}")


def _raise_if(flag, message):
    if flag:
        raise MXNetError(message)


def _check_in_range(op, indices, size):
    """mode='raise': fail (at run time, on the host) when an index is outside [0, size)."""
    bad = jnp.any((indices < 0) | (indices > size - 1))
    message = f"{op}: indices contain values out of bound [0, {size - 1}]"
    _host.check(functools.partial(_raise_if, message=message), bad)


def _check_axis(op, axis, ndim):
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: axis {axis} is out of range [{-ndim}, {ndim - 1}] for an "
                         f"input with {ndim} dimensions")
    return axis % ndim


@register("take", inputs=("a", "indices"), attrs=dict(axis=0, mode="clip"), lists_input_names=True)
def take(a, indices, *, axis, mode):
    """Gather slices of ``a`` along ``axis`` at the given indices."""
    axis = _check_axis("take", axis, a.ndim)
    size = a.shape[axis]
    if mode == "raise":
        _check_in_range("take", indices, size)
    return jnp.take(a, _fit("take", _as_index(indices), size, mode), axis=axis,
                    mode="clip")


@register("batch_take", inputs=("a", "indices"), differentiable=False, lists_input_names=True)
def batch_take(a, indices):
    """Pick one element per row of ``a`` (rows along the last axis; indices clipped)."""
    if indices.dtype != jnp.int32:
        raise MXNetError(f"batch_take: indices must be int32, got {indices.dtype}")
    rows = a.reshape(-1, a.shape[-1])
    if rows.shape[0] != indices.size:
        raise MXNetError(f"batch_take: indices of shape {indices.shape} need one entry per row "
                         f"of a {a.shape} (rows along the last axis)")
    idx = jnp.clip(indices.reshape(-1, 1), 0, a.shape[-1] - 1)
    return jnp.take_along_axis(rows, idx, axis=1).reshape(indices.shape)


@register("pick", aliases=("choose_element_0index",), inputs=("data", "index"),
          attrs=dict(axis=-1, keepdims=False, mode="clip"), lists_input_names=True)
def pick(data, index, *, axis, keepdims, mode):
    """Pick one element along ``axis`` for every position of the other axes."""
    if axis is None:
        raise MXNetError("pick: axis=None is not supported; give an axis")
    axis = _check_axis("pick", axis, data.ndim)
    kept = data.shape[:axis] + (1,) + data.shape[axis + 1:]
    if index.shape not in (kept, data.shape[:axis] + data.shape[axis + 1:]):
        raise MXNetError(f"pick: index of shape {index.shape} does not match data of shape "
                         f"{data.shape} without axis {axis}")
    if mode not in ("clip", "wrap"):
        raise MXNetError(f"pick: mode must be 'clip' or 'wrap', got {mode!r}")
    idx = _fit("pick", _as_index(index), data.shape[axis], mode).reshape(kept)
    out = jnp.take_along_axis(data, idx, axis=axis)
    return out if keepdims else jnp.squeeze(out, axis)


def _cast_value(value, dtype):
    """A Python float cast to ``dtype`` the C++ way (truncating, wrapping for unsigned)."""
    if np.issubdtype(dtype, np.integer):
        return np.array(int(value)).astype(dtype)
    return np.array(value).astype(dtype)


@register("one_hot", inputs=("indices",),
          attrs=dict(depth=Required(int), on_value=1.0, off_value=0.0, dtype="float32"),
          lists_input_names=True)
def one_hot(indices, *, depth, on_value, off_value, dtype):
    """Expand indices into one-hot vectors of length ``depth`` (out-of-range: all off)."""
    dt = jnp.dtype(dtype)
    hit = _as_index(indices)[..., None] == jnp.arange(depth, dtype=jnp.int32)
    return jnp.where(hit, _cast_value(on_value, dt), _cast_value(off_value, dt))


def _nd_index(op, data, indices):
    """The leading ``indices.shape[0]`` coordinates, negatives wrapped, as a jax index."""
    m = indices.shape[0] if indices.ndim else 0
    if indices.ndim < 2 or m > data.ndim:
        raise MXNetError(f"{op}: indices must have at least 2 dimensions and at most "
                         f"{data.ndim} rows, got shape {indices.shape}")
    idx = _as_index(indices)
    return tuple(jnp.where(idx[i] < 0, idx[i] + data.shape[i], idx[i]) for i in range(m))


def _gather_nd_bounds(indices, shape):
    # MXNet's CPU kernel: per axis, the last index outside [-size, size) is reported.
    for axis, size in enumerate(shape):
        bad = indices[axis][(indices[axis] < -size) | (indices[axis] > size - 1)]
        if bad.size:
            value = bad.reshape(-1)[-1]
            value = int(value) if float(value).is_integer() else float(value)
            raise IndexError(f"gather_nd: index {value} is out of bounds for axis {axis} "
                             f"with size {size}")


@register("gather_nd", inputs=("data", "indices"), lists_input_names=True)
def gather_nd(data, indices):
    """``out[y..., x...] = data[indices[0, y...], ..., indices[M-1, y...], x...]``.

    An index outside ``[-size, size)`` raises IndexError when the operator runs."""
    key = _nd_index("gather_nd", data, indices)
    _host.check(functools.partial(_gather_nd_bounds, shape=data.shape[:len(key)]), indices)
    key = tuple(jnp.clip(k, 0, data.shape[i] - 1) for i, k in enumerate(key))
    return data[key]


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _scatter(data, key, shape):
    return jnp.zeros(shape, data.dtype).at[key].set(data, mode="drop")


@_scatter.defjvp
def _scatter_jvp(shape, primals, tangents):
    # MXNet: the gradient of every update is gathered back, duplicates included (JAX's
    # scatter would give it only to the update that wins).
    data, key = primals
    out = _scatter(data, key, shape)
    return out, jnp.zeros(shape, data.dtype).at[key].add(tangents[0], mode="drop")



@register("scatter_nd", inputs=("data", "indices"), attrs=dict(shape=Required),
          lists_input_names=True)
def scatter_nd(data, indices, *, shape):
    """Write ``data`` into a zero array of ``shape`` at the positions in ``indices``."""
    shape = tuple(shape)
    m = indices.shape[0] if indices.ndim else 0
    if data.shape != indices.shape[1:] + shape[m:]:
        raise MXNetError(f"scatter_nd: data of shape {data.shape} does not match indices "
                         f"{indices.shape} and shape {shape}")
    idx = _as_index(indices)
    # MXNet skips updates at negative or out-of-range positions.
    key = tuple(jnp.where(idx[i] < 0, shape[i], idx[i]) for i in range(m))
    return _scatter(data, key, shape)


def _index_shape(op, shape):
    shape = (shape,) if isinstance(shape, int) else tuple(shape or ())
    if not shape:
        raise MXNetError(f"{op}: the shape argument must not be empty")
    return shape


@register("_ravel_multi_index", aliases=("ravel_multi_index",), attrs=dict(shape=None),
          lists_input_names=True)
def ravel_multi_index(data, *, shape):
    """Flat indices into an array of ``shape`` from the (ndim, N) coordinates in ``data``."""
    shape = _index_shape("ravel_multi_index", shape)
    if data.ndim != 2 or data.shape[0] != len(shape):
        raise MXNetError(f"ravel_multi_index: data must have shape ({len(shape)}, N) for "
                         f"shape {shape}, got {data.shape}")
    # No gradient in MXNet: computed on integers (truncated like MXNet's index cast).
    flat = jnp.zeros(data.shape[1], jnp.int64)
    for row, size in zip(data.astype(jnp.int64), shape):
        flat = flat * size + row
    return flat.astype(data.dtype)


@register("_unravel_index", aliases=("unravel_index",), attrs=dict(shape=None),
          lists_input_names=True)
def unravel_index(data, *, shape):
    """The (ndim, N) coordinates in an array of ``shape`` of the N flat indices in
    ``data``; the first coordinate is not wrapped."""
    shape = _index_shape("unravel_index", shape)
    idx = data.reshape(-1).astype(jnp.int64)
    rows = []
    for size in shape[:0:-1]:
        rows.append(lax.rem(idx, jnp.int64(size)))  # C division: truncates toward zero
        idx = lax.div(idx, jnp.int64(size))
    rows.append(idx)
    return jnp.stack(rows[::-1]).astype(data.dtype)


@register("fill_element_0index", inputs=("lhs", "mhs", "rhs"))
def fill_element_0index(lhs, mhs, rhs):
    """``lhs`` with ``out[i, rhs[i]] = mhs[i]`` for every row ``i``."""
    if lhs.ndim != 2 or mhs.shape != (lhs.shape[0],) or rhs.shape != (lhs.shape[0],):
        raise MXNetError(f"fill_element_0index: needs lhs (N, M) with mhs and rhs (N,), got "
                         f"lhs {lhs.shape}, mhs {mhs.shape}, rhs {rhs.shape}")
    cols = jnp.clip(_as_index(rhs), 0, lhs.shape[1] - 1)
    return lhs.at[jnp.arange(lhs.shape[0]), cols].set(mhs.astype(lhs.dtype))


@register("_onehot_encode", inputs=("lhs", "rhs"))
def onehot_encode(lhs, rhs):
    """One-hot rows of the indices in ``lhs`` shaped like the float32 (N, K) ``rhs``
    (``mx.nd.onehot_encode`` writes them into ``rhs``)."""
    if rhs.dtype != jnp.float32:
        raise MXNetError(f"onehot_encode: only float32 output is supported, got {rhs.dtype}")
    if rhs.ndim != 2 or lhs.shape != (rhs.shape[0],):
        raise MXNetError(f"onehot_encode: needs indices (N,) and out (N, K), got "
                         f"{lhs.shape} and {rhs.shape}")
    hit = _as_index(lhs)[:, None] == jnp.arange(rhs.shape[1], dtype=jnp.int32)
    return lax.stop_gradient(hit.astype(rhs.dtype))
