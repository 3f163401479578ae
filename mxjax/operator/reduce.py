"""Reductions: sum, mean, prod, nansum, nanprod, max, min, norm, moments, argmax, argmin,
cumsum, and the histogram counts of ``_histogram``.

MXNet never returns a 0-d array: a reduction over every axis has shape ``(1,)``.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..base import MXNetError
from .elemwise import abs_zero_grad, is_int
from .spec import register

_REDUCE_ATTRS = dict(axis=None, keepdims=False, exclude=False)


def reduce_axes(op, shape, axis, exclude=False):
    """The sorted axes MXNet reduces: ``None`` or ``()`` means every axis; ``exclude``
    reduces every axis not listed."""
    ndim = len(shape)
    if axis is None or axis == ():
        return tuple(range(ndim))
    given = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = sorted(int(a) + ndim if a < 0 else int(a) for a in given)
    if len(set(axes)) != len(axes):
        raise MXNetError(f"{op}: reduction axes have duplicates {given}")
    if axes[0] < 0 or axes[-1] >= ndim:
        raise MXNetError(f"{op}: reduction axis {given} exceeds the input dimensions "
                         f"{tuple(shape)}")
    if exclude:
        return tuple(a for a in range(ndim) if a not in axes)
    return tuple(axes)


def _finish(reduced, axes, keepdims):
    """``reduced`` (computed with keepdims) in MXNet's output shape."""
    if keepdims:
        return reduced
    out = tuple(d for i, d in enumerate(reduced.shape) if i not in axes)
    return reduced.reshape(out or (1,))


def _register_reduce(name, fn, doc, aliases=()):
    """Register ``fn(x, axes)`` (returning keepdims=True shape) as a reduction."""

    def reduction(data, *, axis, keepdims, exclude):
        axes = reduce_axes(name, data.shape, axis, exclude)
        return _finish(fn(data, axes), axes, keepdims)

    register(name, aliases=aliases, attrs=_REDUCE_ATTRS, doc=doc)(reduction)


def _accumulate(jnp_fn):
    """A sum-like reduction in the input dtype; float16 accumulates in float32."""

    def fn(x, axes):
        if x.dtype == jnp.float16:
            return jnp_fn(x.astype(jnp.float32), axis=axes, keepdims=True).astype(x.dtype)
        return jnp_fn(x, axis=axes, keepdims=True, dtype=x.dtype)

    return fn


def _mean(x, axes):
    count = int(np.prod([x.shape[a] for a in axes]))
    if is_int(x):
        total = jnp.sum(x, axis=axes, keepdims=True, dtype=x.dtype)
        return jax.lax.div(total, jnp.full_like(total, count))  # truncates like C
    acc = x.astype(jnp.float32) if x.dtype == jnp.float16 else x
    return (jnp.sum(acc, axis=axes, keepdims=True) / count).astype(x.dtype)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _extremum(x, axes, largest):
    y = (jnp.max if largest else jnp.min)(x, axis=axes, keepdims=True)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return y
    # MXNet propagates NaN; XLA's CPU reduction over non-trailing axes can drop it.
    return jnp.where(jnp.any(jnp.isnan(x), axis=axes, keepdims=True), jnp.nan, y).astype(y.dtype)


@_extremum.defjvp
def _extremum_jvp(axes, largest, primals, tangents):
    # MXNet gives every tied extremum the whole gradient (JAX would split it).
    (x,), (t,) = primals, tangents
    y = _extremum(x, axes, largest)
    return y, jnp.sum(jnp.where(x == y, t, jnp.zeros_like(t)), axis=axes, keepdims=True)


_register_reduce("sum", _accumulate(jnp.sum), "Sum of the elements over the given axes.",
                 aliases=("sum_axis",))
_register_reduce("mean", _mean, "Mean of the elements over the given axes.")
_register_reduce("prod", _accumulate(jnp.prod), "Product of the elements over the given axes.")
_register_reduce("nansum", _accumulate(jnp.nansum),
                 "Sum over the given axes, treating NaN as zero.")
_register_reduce("nanprod", _accumulate(jnp.nanprod),
                 "Product over the given axes, treating NaN as one.")
_register_reduce("max", functools.partial(_extremum, largest=True),
                 "Maximum of the elements over the given axes.", aliases=("max_axis",))
_register_reduce("min", functools.partial(_extremum, largest=False),
                 "Minimum of the elements over the given axes.", aliases=("min_axis",))


_NORM_DTYPES = (None, "float16", "float32", "float64", "int64", "int32", "int8")


@register("norm", attrs=dict(ord=2, axis=None, out_dtype=None, keepdims=False))
def norm(data, *, ord, axis, out_dtype, keepdims):
    """L1 or L2 norm over the given axes (all elements by default)."""
    if ord not in (1, 2):
        raise MXNetError(f"norm: only ord=1 and ord=2 are supported, got ord={ord}")
    if out_dtype is not None:
        out_dtype = np.dtype(out_dtype).name
    if out_dtype not in _NORM_DTYPES:
        raise MXNetError(f"norm: invalid out_dtype {out_dtype!r}; valid values are "
                         f"{list(_NORM_DTYPES)}")
    axes = reduce_axes("norm", data.shape, axis)
    x = data.astype(jnp.float32 if data.dtype == jnp.float16 else
                    jnp.float64 if is_int(data) else data.dtype)
    if ord == 1:
        result = jnp.sum(abs_zero_grad(x), axis=axes, keepdims=True)
    else:
        result = jnp.sqrt(jnp.sum(x * x, axis=axes, keepdims=True))
    result = result.astype(out_dtype or data.dtype)
    return _finish(result, axes, keepdims)


@register("moments", attrs=dict(axes=None, keepdims=False), num_outputs=2,
          lists_input_names=True)
def moments(data, *, axes, keepdims):
    """Mean and (biased) variance over ``axes``, as two arrays."""
    if axes is None or axes == ():
        raise MXNetError("moments: empty axes is not supported; to compute global moments "
                         "pass every axis in axes")
    axes = reduce_axes("moments", data.shape, axes)
    acc = jnp.float32 if data.dtype == jnp.float16 else data.dtype
    x = data.astype(acc)
    count = int(np.prod([data.shape[a] for a in axes]))
    mean = jnp.sum(x, axis=axes, keepdims=True) / count
    var = jnp.sum(jnp.square(x - mean), axis=axes, keepdims=True) / count
    return tuple(_finish(r.astype(data.dtype), axes, keepdims) for r in (mean, var))


def _register_arg(name, jnp_fn, doc):
    def arg_reduction(data, *, axis, keepdims):
        if axis is None:
            index = jnp_fn(data.reshape(-1))
            shape = (1,) * data.ndim if keepdims else (1,)
        else:
            if not -data.ndim <= axis < data.ndim:
                raise MXNetError(f"{name}: axis {axis} exceeds the input dimension of "
                                 f"{data.ndim} (shape {data.shape})")
            index = jnp_fn(data, axis=axis, keepdims=True)
            shape = _finish(index, (axis % data.ndim,), keepdims).shape
        # MXNet returns indices in the input's dtype (float32 for float32 data).
        return index.reshape(shape).astype(data.dtype)

    register(name, attrs=dict(axis=None, keepdims=False), doc=doc,
             zero_gradient=True)(arg_reduction)


_register_arg("argmax", jnp.argmax, "Index of the maximum along an axis (first one at ties).")
_register_arg("argmin", jnp.argmin, "Index of the minimum along an axis (first one at ties).")


@register("argmax_channel", differentiable=False)
def argmax_channel(data):
    """Index of the maximum along axis 1, in the input's dtype."""
    if data.ndim < 2:
        raise MXNetError(f"argmax_channel: data must have at least 2 dimensions, got "
                         f"shape {data.shape}")
    return jnp.argmax(data, axis=1).astype(data.dtype)


def _bin_of(x, bounds, cnt, lo, hi):
    """Bin index of each element (-1 outside ``[lo, hi]``), as MXNet computes it: from the
    even spacing, then corrected against the stored bounds."""
    target = jnp.minimum(((x.astype(jnp.float64) - lo) * cnt / (hi - lo)).astype(jnp.int32),
                         cnt - 1)
    target = target - (x < bounds[target]).astype(jnp.int32)
    target = target + ((x >= bounds[target + 1]) & (target != cnt - 1)).astype(jnp.int32)
    return jnp.where((x >= lo) & (x <= hi), target, -1)


@register("_histogram", inputs=("data", "bins"), attrs=dict(bin_cnt=None, range=None),
          num_outputs=2, conditional_inputs={"bins": lambda attrs: attrs["bin_cnt"] is None},
          differentiable=False, lists_input_names=True)
def histogram(data, bins, *, bin_cnt, range):  # noqa: A002 - MXNet's argument name
    """Counts of ``data`` in the bins given by the ``bins`` bounds, or by ``bin_cnt`` equal
    bins over ``range`` (values outside are ignored; the last bin includes its right
    edge): (int64 counts, bin bounds)."""
    x = data.reshape(-1)
    if bin_cnt is not None:
        if range is None or bins is not None:
            raise MXNetError("histogram: bin_cnt and range go together, without bins")
        lo, hi = float(range[0]), float(range[1])
        i = np.arange(bin_cnt + 1)
        bounds = jnp.asarray((hi * i + (bin_cnt - i) * lo) / bin_cnt, data.dtype)
        target = _bin_of(x, bounds, bin_cnt, lo, hi)
    else:
        if bins is None or bins.ndim != 1 or bins.shape[0] < 2:
            raise MXNetError(f"histogram: bins must be a 1-D array of at least 2 bounds, got "
                             f"{None if bins is None else bins.shape}")
        bounds = bins.astype(data.dtype)
        bin_cnt = bins.shape[0] - 1
        inside = (x >= bounds[0]) & (x <= bounds[-1])
        above = jnp.sum(x[:, None] >= bounds[None, :], axis=1)
        target = jnp.where(inside, jnp.minimum(above - 1, bin_cnt - 1), -1)
    target = jnp.where(target < 0, bin_cnt, target)  # out of range: dropped
    counts = jnp.zeros(bin_cnt, jnp.int64).at[target].add(1, mode="drop")
    return counts, bounds


_CUMSUM_DTYPES = (None, "float16", "float32", "float64", "int32", "int64", "int8")


@register("_np_cumsum", aliases=("cumsum",), inputs=("a",), attrs=dict(axis=None, dtype=None))
def cumsum(a, *, axis, dtype):
    """Cumulative sums along ``axis`` (of the flattened array when None), in ``dtype``
    (the input's by default)."""
    if dtype is not None:
        dtype = np.dtype(dtype).name
    if dtype not in _CUMSUM_DTYPES:
        raise MXNetError(f"cumsum: invalid dtype {dtype!r}; valid values are "
                         f"{list(_CUMSUM_DTYPES)}")
    x = a.reshape(-1) if axis is None else a
    if axis is not None and not -a.ndim <= axis < a.ndim:
        raise MXNetError(f"cumsum: axis {axis} is out of range for {a.ndim}-D data")
    return jnp.cumsum(x.astype(dtype or a.dtype), axis=0 if axis is None else axis)
