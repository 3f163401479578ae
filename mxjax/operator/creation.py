"""Operators that make arrays from nothing but attributes (``zeros``, ``arange``, ...)."""

import math

import jax.numpy as jnp
import numpy as np

from .spec import Required, register

_CREATE = dict(creation=True, inputs=())


@register("_zeros", attrs=dict(shape=(), dtype="float32"), **_CREATE)
def zeros(*, shape, dtype):
    return jnp.zeros(shape, dtype)


@register("_ones", attrs=dict(shape=(), dtype="float32"), **_CREATE)
def ones(*, shape, dtype):
    return jnp.ones(shape, dtype)


@register("_full", attrs=dict(shape=(), value=Required, dtype="float32"), **_CREATE)
def full(*, shape, value, dtype):
    return jnp.full(shape, value, dtype)


@register("_arange", attrs=dict(start=Required, stop=None, step=1.0, repeat=1,
                                infer_range=False, dtype="float32"), **_CREATE)
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
