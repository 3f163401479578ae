"""Pooling: max, average, sum and Lp pooling over 1, 2 or 3 spatial dimensions; the old
Pooling_v1."""

import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .cpu_kernels import MAX_KERNEL_OFFSETS, on_cpu, strided_max, window_reduce
from .spec import register

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}
_CONVENTIONS = ("valid", "full", "same")


def _tuple(value, n, default):
    value = (value,) if isinstance(value, int) else tuple(value or ())
    return value if value else (default,) * n


def _spatial_axes(ndim, layout):
    nd = ndim - 2
    if nd not in _SPATIAL:
        raise MXNetError(f"Pooling: data must have 3, 4 or 5 dimensions, got {ndim}")
    channel_first, channel_last = "NC" + _SPATIAL[nd], "N" + _SPATIAL[nd] + "C"
    if layout in (None, channel_first):
        return tuple(range(2, ndim))
    if layout == channel_last:
        return tuple(range(1, ndim - 1))
    raise MXNetError(f"Pooling: layout {layout!r} does not fit {ndim}-D data; use "
                     f"{channel_first!r} or {channel_last!r}")


def _out_size(size, k, s, p, convention):
    if k > size + 2 * p:
        raise shape_error("Pooling", "data", (size,), f"at least kernel {k} - 2 * pad {p} "
                          "along each pooled axis")
    if convention == "valid":
        return 1 + (size + 2 * p - k) // s
    if convention == "full":
        return 1 + math.ceil((size + 2 * p - k) / s)
    return math.ceil((size + 2 * p) / s)


def _divisor(size, out, k, s, p, count_include_pad):
    """Per-output-position window sizes along one axis, as MXNet counts them.

    Explicit padding counts (unless ``count_include_pad`` is false); the part of a window
    past the padded input (ceil-mode overhang) never does."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start


def _window(ndim, axes, values, fill):
    full = [fill] * ndim
    for a, v in zip(axes, values):
        full[a] = v
    return tuple(full)


def _pooling_total_outputs(attrs):
    return 2 if attrs["pool_type"] == "max" else 1  # oneDNN's workspace


@register("Pooling", attrs=dict(kernel=(), pool_type="max", global_pool=False,
                                cudnn_off=False, pooling_convention="valid", stride=(),
                                pad=(), p_value=None, count_include_pad=None, layout=None),
          total_outputs=_pooling_total_outputs, output_names=("output",), lists_input_names=True)
def pooling(data, *, kernel, pool_type, global_pool, cudnn_off, pooling_convention, stride,
            pad, p_value, count_include_pad, layout):
    """Pool windows of the spatial axes with max, avg, sum or lp (``p_value``) reduction."""
    if pool_type not in ("max", "avg", "sum", "lp"):
        raise MXNetError(f"Pooling: invalid pool_type {pool_type!r}")
    if pooling_convention not in _CONVENTIONS:
        raise MXNetError(f"Pooling: invalid pooling_convention {pooling_convention!r}")
    if pooling_convention == "same":
        if data.ndim != 3:
            raise MXNetError(f"Pooling: pooling_convention='same' supports 1-D pooling of "
                             f"3-D data (batch, channel, x) only, got shape {data.shape}")
        if any(_tuple(pad, 0, 0)):
            raise MXNetError(f"Pooling: pooling_convention='same' disables pad, got pad={pad}")
    axes = _spatial_axes(data.ndim, layout)
    sizes = tuple(data.shape[a] for a in axes)
    nd = len(axes)
    if global_pool:
        kernel, stride, pad = sizes, (1,) * nd, (0,) * nd
    else:
        kernel = _tuple(kernel, 0, 0)
        if len(kernel) != nd:
            raise shape_error("Pooling", "data", data.shape,
                              f"{len(kernel) + 2} dimensions for kernel {kernel}")
        stride, pad = _tuple(stride, nd, 1), _tuple(pad, nd, 0)
    if pool_type == "lp" and p_value is None:
        raise MXNetError("Pooling: pool_type='lp' needs p_value")
    outs = [_out_size(*g, pooling_convention) for g in zip(sizes, kernel, stride, pad)]
    # Pad explicitly, plus the ceil-mode overhang at the end, then pool without padding.
    padding = [(p, max(0, (o - 1) * s + k - n - p))
               for n, o, k, s, p in zip(sizes, outs, kernel, stride, pad)]
    win = _window(data.ndim, axes, kernel, 1)
    strides = _window(data.ndim, axes, stride, 1)
    full_pad = _window(data.ndim, axes, padding, (0, 0))
    crop = tuple(slice(None, n) for n in _window(data.ndim, axes, outs, None))
    # On CPU, windows that do not overlap (or one window per axis) reshape and reduce, and
    # overlapping max windows take the maximum of strided slices.
    tiled = all(k == s or o == 1 for k, s, o in zip(kernel, stride, outs))
    if pool_type == "max":
        # Padding holds the lowest finite value, as in MXNet; a window's gradient goes to
        # its first maximum, like MXNet's (reduce_window's select-and-scatter does that).
        lowest = jnp.asarray(jnp.finfo(data.dtype).min, data.dtype)
        x = lax.pad(data, lowest, [(lo, hi, 0) for lo, hi in full_pad])
        neg_inf = np.array(-np.inf, data.dtype)  # numpy: reduce_window needs it concrete

        def native_max(v):
            return lax.reduce_window(v, neg_inf, lax.max, win, strides, "VALID")[crop]

        if tiled:
            return on_cpu(lambda v: window_reduce(v, axes, kernel, outs, "max"), native_max, x)
        if np.prod(kernel) <= MAX_KERNEL_OFFSETS:
            return on_cpu(lambda v: strided_max(v, axes, kernel, stride, outs), native_max, x)
        return native_max(x)
    acc = jnp.float32 if data.dtype == jnp.float16 else data.dtype
    x = data.astype(acc)
    if pool_type == "lp":
        x = x if p_value == 1 else x ** p_value

    def native_sum(v):
        return lax.reduce_window(v, np.zeros((), acc), lax.add, win, strides, full_pad)[crop]

    def tiled_sum(v):
        v = lax.pad(v, np.zeros((), acc), [(lo, hi, 0) for lo, hi in full_pad])
        return window_reduce(v, axes, kernel, outs, "sum")

    total = on_cpu(tiled_sum, native_sum, x) if tiled else native_sum(x)
    if pool_type == "avg":
        include = True if count_include_pad is None else count_include_pad
        counts = 1
        for a, n, o, k, s, p in zip(axes, sizes, outs, kernel, stride, pad):
            shape = _window(data.ndim, (a,), (o,), 1)
            counts = counts * _divisor(n, o, k, s, p, include).reshape(shape)
        total = total / np.asarray(counts, acc)
    elif pool_type == "lp" and p_value != 1:
        total = jnp.sqrt(total) if p_value == 2 else \
            jnp.cbrt(total) if p_value == 3 else total ** (1.0 / p_value)
    return total.astype(data.dtype)


@register("Pooling_v1", attrs=dict(kernel=(), pool_type="max", global_pool=False,
                                   pooling_convention="valid", stride=(), pad=()),
          lists_input_names=True)
def pooling_v1(data, *, kernel, pool_type, global_pool, pooling_convention, stride, pad):
    """The first Pooling: explicit padding holds zeros (max pooling included), the part of
    a window past the padded input is left out, and avg divides by the kernel area."""
    if pool_type not in ("max", "avg", "sum"):
        raise MXNetError(f"Pooling_v1: invalid pool_type {pool_type!r}")
    if pooling_convention not in ("valid", "full"):
        raise MXNetError(f"Pooling_v1: invalid pooling_convention {pooling_convention!r}")
    axes = _spatial_axes(data.ndim, None)
    sizes = tuple(data.shape[a] for a in axes)
    nd = len(axes)
    if global_pool:
        kernel, stride, pad = sizes, (1,) * nd, (0,) * nd
    else:
        kernel = _tuple(kernel, 0, 0)
        if len(kernel) != nd:
            raise shape_error("Pooling_v1", "data", data.shape,
                              f"{len(kernel) + 2} dimensions for kernel {kernel}")
        stride, pad = _tuple(stride, nd, 1), _tuple(pad, nd, 0)
    outs = [_out_size(*g, pooling_convention) for g in zip(sizes, kernel, stride, pad)]
    x = jnp.pad(data, _window(data.ndim, axes, [(p, p) for p in pad], (0, 0)))
    overhang = [(0, max(0, (o - 1) * s + k - n - 2 * p))
                for n, o, k, s, p in zip(sizes, outs, kernel, stride, pad)]
    win = _window(data.ndim, axes, kernel, 1)
    strides = _window(data.ndim, axes, stride, 1)
    full_pad = _window(data.ndim, axes, overhang, (0, 0))
    crop = tuple(slice(None, n) for n in _window(data.ndim, axes, outs, None))
    if pool_type == "max":
        x = lax.pad(x, np.array(-np.inf, data.dtype), [(lo, hi, 0) for lo, hi in full_pad])
        neg_inf = np.array(-np.inf, data.dtype)
        return lax.reduce_window(x, neg_inf, lax.max, win, strides, "VALID")[crop]
    acc = jnp.float32 if data.dtype == jnp.float16 else data.dtype
    total = lax.reduce_window(x.astype(acc), np.zeros((), acc), lax.add, win, strides,
                              full_pad)[crop]
    if pool_type == "avg":
        total = total / np.asarray(np.prod(kernel), acc)
    return total.astype(data.dtype)
