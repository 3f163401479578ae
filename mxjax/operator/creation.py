"""Operators that make arrays from nothing but attributes (``zeros``, ``arange``, ...)."""

import math

import jax.numpy as jnp
import numpy as np

from ..base import MXNetError
from .spec import Required, register

_CREATE = dict(creation=True, inputs=())
# MXNet 1.9.1 (built without large-tensor support) refuses larger arrays when they are
# created; mxjax does the same, so a huge shape fails at the call, not at a later use.
MAX_ELEMENTS = 2 ** 31 - 1


def _check_size(op, size):
    if size >= MAX_ELEMENTS:
        raise MXNetError(f"{op}: size of tensor you are trying to allocate is larger than "
                         f"2^31 elements ({size} elements)")


def _shape_check(op):
    def check(attrs):
        # -1: a dimension left to shape inference (mx.sym.zeros(shape=(2, -1)))
        if any(d < -1 for d in attrs["shape"]):
            raise MXNetError(f"{op}: shape {attrs['shape']} has a negative dimension")
        _check_size(op, math.prod(max(d, 0) for d in attrs["shape"]))
    return check


@register("_zeros", attrs=dict(shape=(), dtype="float32"), check=_shape_check("_zeros"),
          **_CREATE)
def zeros(*, shape, dtype):
    return jnp.zeros(shape, dtype)


@register("_ones", attrs=dict(shape=(), dtype="float32"), check=_shape_check("_ones"),
          **_CREATE)
def ones(*, shape, dtype):
    return jnp.ones(shape, dtype)


@register("_full", attrs=dict(shape=(), value=Required, dtype="float32"),
          check=_shape_check("_full"), **_CREATE)
def full(*, shape, value, dtype):
    return jnp.full(shape, value, dtype)


def _arange_size(start, stop, step, repeat):
    if stop is None:
        start, stop = 0.0, start
    return max(0, math.ceil((stop - start) / step)) * repeat


def _check_arange(attrs):
    step = attrs["step"]
    if step == 0:
        raise MXNetError(f"_arange: Range does not support step=0, received {step}")
    for name in ("start", "stop", "step"):
        if attrs[name] is not None and not math.isfinite(attrs[name]):
            raise MXNetError(f"_arange: {name} must be finite, got {attrs[name]}")
    _check_size("_arange", _arange_size(attrs["start"], attrs["stop"], step, attrs["repeat"]))


@register("_arange", attrs=dict(start=Required(float), stop=None, step=1.0, repeat=1,
                                infer_range=False, dtype="float32"),
          bounds=dict(repeat=1), check=_check_arange, **_CREATE)
def arange(*, start, stop, step, repeat, infer_range, dtype):
    if stop is None:
        start, stop = 0.0, start
    n = max(0, math.ceil((stop - start) / step))
    dt = np.dtype(dtype)
    # MXNet casts start and step to the output dtype (integers truncate) and computes
    # start + i * step in that dtype.
    if np.issubdtype(dt, np.integer):
        first, delta = np.int64(math.trunc(start)), np.int64(math.trunc(step))
        values = (first + np.arange(n, dtype=np.int64) * delta).astype(dt)
    else:
        values = dt.type(start) + np.arange(n).astype(dt) * dt.type(step)
    return jnp.asarray(np.repeat(values, repeat).astype(dt))


@register("_linspace", attrs=dict(start=Required, stop=None, step=1.0, repeat=1,
                                  infer_range=False, num=Required, endpoint=True,
                                  dtype="float32"), **_CREATE)
def linspace(*, start, stop, step, repeat, infer_range, num, endpoint, dtype):
    values = np.linspace(start, stop, num, endpoint=endpoint, dtype=np.float64)
    return jnp.asarray(values.astype(dtype))


@register("_eye", attrs=dict(N=Required, M=0, k=0, dtype="float32"), **_CREATE)
def eye(*, N, M, k, dtype):
    return jnp.eye(N, M or N, k, dtype=dtype)


@register("zeros_like", zero_gradient=True)
def zeros_like(data):
    return jnp.zeros_like(data)


@register("ones_like", zero_gradient=True)
def ones_like(data):
    return jnp.ones_like(data)
