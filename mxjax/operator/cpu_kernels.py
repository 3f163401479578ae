"""Convolution and pooling written for XLA:CPU: the formulations that run faster there.

On channel-first data XLA:CPU's convolution is slow for few input channels, and its
gradient for grouped convolutions is very slow (a 4-group 32-channel 3x3 layer: 250 ms,
against 12 for products). Its max-pool gradient (select-and-scatter) is slow too. On this
backend:

- a convolution with groups is a sum over the kernel offsets of channel-last products: a
  strided slice of the padded input times the weight at that offset (``shifted``);
- a 1x1 one, or one with few input and output channels and a column matrix that stays
  small (``IM2COL_MAX_*``), is one product of the stacked windows (``im2col``) with the
  weight;
- others, and transposed convolutions with a stride, keep XLA's convolution, which
  measured faster for them;
- their gradients come from autodiff: slices transpose to pads, products to products;
- pooling over non-overlapping windows (stride == kernel, or one window along an axis)
  reshapes each spatial axis into (windows, kernel) and reduces the kernel axes;
- max pooling over overlapping windows is the maximum of one strided slice per window
  offset.
Max pooling's tangents (and so gradients) go to each window's first maximum, as MXNet's.

``on_cpu`` picks the formulation when the computation is lowered, with
``lax.platform_dependent``: the platform is the one the program is compiled for (an
array on ``mx.cpu()`` on a GPU machine gets the CPU formulation), not the default backend.
GPU and TPU keep XLA's native convolution and ``reduce_window``.
benchmarks/cpu_kernels.py measures each choice.
"""

import functools
import itertools
import os

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

# More kernel offsets than this unrolls into too many products to compile quickly.
MAX_KERNEL_OFFSETS = 49
# im2col: a column matrix (positions, C * prod(kernel)) up to this wide and this big, and
# up to this many output channels (XLA's convolution catches up with more)
IM2COL_MAX_WIDTH = 160
IM2COL_MAX_BYTES = 8 << 20
IM2COL_MAX_FILTERS = 32
# MXJAX_CPU_KERNELS=0 keeps XLA's convolution and reduce_window on CPU too (to compare).
ENABLED = os.environ.get("MXJAX_CPU_KERNELS", "1") != "0"


def on_cpu(cpu, default, *args):
    """``cpu(*args)`` in a program lowered for XLA:CPU, ``default(*args)`` elsewhere."""
    if not ENABLED:
        return default(*args)
    return lax.platform_dependent(*args, cpu=cpu, default=default)


def conv_formulation(dtype, channels, kernel, groups, positions, filters):
    """"shifted", "im2col" or "native": what XLA:CPU ran fastest for this convolution
    (``positions``: batch size times output positions, ``filters``: output channels;
    benchmarks/cpu_kernels.py)."""
    if not jnp.issubdtype(dtype, jnp.floating) or np.prod(kernel) > MAX_KERNEL_OFFSETS:
        return "native"
    if groups > 1:
        return "shifted"
    width = channels * int(np.prod(kernel))
    if width == channels or (width <= IM2COL_MAX_WIDTH and filters <= IM2COL_MAX_FILTERS and
                             positions * width * jnp.dtype(dtype).itemsize <= IM2COL_MAX_BYTES):
        return "im2col"
    return "native"


def conv_general(data, weight, **kw):
    """``lax.conv_general_dilated(data, weight, **kw)``, in the formulation XLA:CPU runs
    fastest when lowered for CPU (layouts as in ``conv``)."""
    native = functools.partial(lax.conv_general_dilated, **kw)
    lhs_spec, rhs_spec, _ = kw["dimension_numbers"]
    kernel = [n for n, axis in zip(weight.shape, rhs_spec) if axis not in "OI"]
    out = jax.eval_shape(native, data, weight).shape
    positions = int(np.prod(out)) // out[lhs_spec.index("C")]
    form = conv_formulation(data.dtype, data.shape[lhs_spec.index("C")], kernel,
                            kw["feature_group_count"], positions, out[lhs_spec.index("C")])
    # Over a stride-dilated input (Deconvolution) products would multiply the inserted
    # zeros; XLA's convolution measured faster there.
    if form == "native" or max(kw["lhs_dilation"]) > 1:
        return native(data, weight)
    return on_cpu(functools.partial(conv, im2col=form == "im2col", **kw), native, data, weight)


def conv(data, weight, window_strides, padding, lhs_dilation, rhs_dilation,
         dimension_numbers, feature_group_count, preferred_element_type, im2col=False):
    """``lax.conv_general_dilated`` for layouts (N, C, *spatial) or (N, *spatial, C), and
    (O, I, *kernel) or (O, *kernel, I), as products of the input's windows with the weight:
    one product per kernel offset, summed, or one of all windows stacked (``im2col``)."""
    lhs_spec, rhs_spec, _ = dimension_numbers
    nd = data.ndim - 2
    x = jnp.moveaxis(data, 1, -1) if lhs_spec[1] == "C" else data
    w = jnp.moveaxis(weight, 0, -1)  # (*kernel, I, O)
    if rhs_spec[1] == "I":
        w = jnp.moveaxis(w, 0, -2)
    kernel = w.shape[:nd]
    x = lax.pad(x, np.zeros((), x.dtype),
                [(0, 0, 0), *((lo, hi, d - 1) for (lo, hi), d in zip(padding, lhs_dilation)),
                 (0, 0, 0)])
    outs = [(n - d * (k - 1) - 1) // s + 1
            for n, k, s, d in zip(x.shape[1:-1], kernel, window_strides, rhs_dilation)]
    n, c = x.shape[0], x.shape[-1]
    offsets = list(itertools.product(*map(range, kernel)))
    windows = []
    for offset in offsets:
        start = [d * i for i, d in zip(offset, rhs_dilation)]
        limit = [b + s * (o - 1) + 1 for b, s, o in zip(start, window_strides, outs)]
        windows.append(lax.slice(x, (0, *start, 0), (n, *limit, c), (1, *window_strides, 1)))
    if im2col:
        total = _product(jnp.concatenate(windows, -1), w.reshape(-1, w.shape[-1]), 1,
                         preferred_element_type)
    else:
        total = functools.reduce(jnp.add, (
            _product(window, w[offset], feature_group_count, preferred_element_type)
            for window, offset in zip(windows, offsets)))
    return jnp.moveaxis(total, -1, 1) if lhs_spec[1] == "C" else total


def _product(window, w, groups, preferred):
    """(N, *out, C) x (C / groups, F) -> (N, *out, F), channels split into groups."""
    *lead, c = window.shape
    if groups == 1:
        # As a 2-D product: XLA:CPU runs a (N, *out, C) x (C, F) dot far slower.
        y = lax.dot(window.reshape(-1, c), w, preferred_element_type=preferred)
        return y.reshape(*lead, w.shape[-1])
    cg, f = w.shape
    x = window.reshape(*lead, groups, cg)
    w = w.reshape(cg, groups, f // groups)
    # batch over groups: (g, *lead, f/g), then back to (*lead, g * f/g)
    y = lax.dot_general(x, w, (((x.ndim - 1,), (0,)), ((x.ndim - 2,), (1,))),
                        preferred_element_type=preferred)
    return jnp.moveaxis(y, 0, -2).reshape(*lead, f)


def window_reduce(x, axes, kernel, outs, reduce):
    """Reduce non-overlapping windows: axis ``a`` of ``x`` (at least ``o * k`` long) holds
    ``o`` windows of ``k``; ``reduce`` is "max" or "sum"."""
    shape, window_axes = [], []
    crop = [slice(None)] * x.ndim
    for a in range(x.ndim):
        if a in axes:
            o, k = outs[axes.index(a)], kernel[axes.index(a)]
            crop[a] = slice(0, o * k)
            shape += [o, k]
            window_axes.append(len(shape) - 1)
        else:
            shape.append(x.shape[a])
    x = x[tuple(crop)].reshape(shape)
    if reduce == "sum":
        return jnp.sum(x, tuple(window_axes))
    return _window_max(x, tuple(window_axes))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _window_max(x, window_axes):
    return jnp.max(x, window_axes)


@_window_max.defjvp
def _window_max_jvp(window_axes, primals, tangents):
    # The tangent of each window's first maximum (row-major window order), as MXNet routes
    # a max-pool gradient; jnp.max's rule would split it among tied maxima.
    (x,), (t,) = primals, tangents
    keep = [a for a in range(x.ndim) if a not in window_axes]
    lead = [x.shape[a] for a in keep]

    def windows_last(v):
        return jnp.transpose(v, keep + list(window_axes)).reshape(*lead, -1)

    first = jnp.argmax(windows_last(x), -1)[..., None]
    tw = windows_last(t)
    hit = lax.broadcasted_iota(first.dtype, tw.shape, tw.ndim - 1) == first
    return jnp.max(x, window_axes), jnp.sum(jnp.where(hit, tw, jnp.zeros((), tw.dtype)), -1)


def strided_max(x, axes, kernel, stride, outs):
    """Max over windows that may overlap (``outs`` windows of ``kernel`` every ``stride``
    along ``axes``): the elementwise maximum of one strided slice per window offset."""
    return _strided_max(x, (tuple(axes), tuple(kernel), tuple(stride), tuple(outs)))


def _offset_slices(x, axes, kernel, stride, outs):
    slices = []
    for offset in itertools.product(*map(range, kernel)):
        start, limit, step = [0] * x.ndim, list(x.shape), [1] * x.ndim
        for a, i, s, o in zip(axes, offset, stride, outs):
            start[a], limit[a], step[a] = i, i + s * (o - 1) + 1, s
        slices.append(lax.slice(x, start, limit, step))
    return slices


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _strided_max(x, geometry):
    return functools.reduce(jnp.maximum, _offset_slices(x, *geometry))


@_strided_max.defjvp
def _strided_max_jvp(geometry, primals, tangents):
    # As _window_max: each window passes the tangent of its first maximum.
    (x,), (t,) = primals, tangents
    parts = _offset_slices(x, *geometry)
    top = functools.reduce(jnp.maximum, parts)
    taken = jnp.zeros(top.shape, bool)
    tangent = jnp.zeros(top.shape, t.dtype)
    for part, part_t in zip(parts, _offset_slices(t, *geometry)):
        first = (part == top) & ~taken
        taken = taken | first
        tangent = tangent + jnp.where(first, part_t, jnp.zeros((), t.dtype))
    return top, tangent
