"""softmax, log_softmax, softmin and the legacy SoftmaxActivation."""

import functools

import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _host
from ..base import MXNetError, shape_error
from .elemwise import is_int
from .spec import if_attr, register

_SOFTMAX_ATTRS = dict(axis=-1, temperature=None, dtype=None, use_length=False)
_OUT_DTYPES = (None, "float16", "float32", "float64")


def _check_axis(op, data, axis):
    if not -data.ndim <= axis < data.ndim:
        raise MXNetError(f"{op}: axis {axis} exceeds the input dimension of {data.ndim} "
                         f"(shape {data.shape})")
    return axis % data.ndim


def _raise(error):
    raise error


def _length_mask(op, data, length, axis):
    """True where an element lies within its ``length`` along ``axis``."""
    if length is None:
        raise MXNetError(f"{op}: use_length=True needs the 'length' input")
    if not jnp.issubdtype(length.dtype, jnp.integer):
        # MXNet infers shapes and types (a bind succeeds) and fails when the kernel runs.
        error = MXNetError(f"{op}: length must have an integer dtype, not {length.dtype}")
        _host.check(functools.partial(_raise, error))
        length = length.astype(jnp.int32)
    expected = data.shape[:axis] + data.shape[axis + 1:]
    if length.shape != expected:
        raise shape_error(op, "length", length.shape, expected, data=data.shape, axis=axis)
    positions = lax.broadcasted_iota(jnp.int32, data.shape, axis)
    return positions < jnp.expand_dims(length, axis)


def _softmax(op, data, length, *, axis, temperature, dtype, use_length, negate=False,
             log=False):
    if is_int(data):
        raise MXNetError(f"{op}: only floating point inputs are supported, not {data.dtype}")
    out_dtype = None if dtype is None else np.dtype(dtype).name
    if out_dtype not in _OUT_DTYPES:
        raise MXNetError(f"{op}: invalid dtype {dtype!r}; valid values are {list(_OUT_DTYPES)}")
    axis = _check_axis(op, data, axis)
    # float16 is computed in float32 (MXNet accumulates in float16: less accurate).
    x = data.astype(jnp.float32) if data.dtype == jnp.float16 else data
    x = -x if negate else x
    mask = _length_mask(op, data, length, axis) if use_length else None
    masked = x if mask is None else jnp.where(mask, x, -jnp.inf)
    top = lax.stop_gradient(jnp.max(masked, axis=axis, keepdims=True))
    shifted = x - jnp.where(jnp.isfinite(top), top, 0)
    if temperature is not None and temperature != 1.0:
        shifted = shifted / jnp.asarray(temperature, data.dtype).astype(x.dtype)
    if mask is not None:
        # Masked positions give exactly 0 and get no gradient (nor NaN from a 0/0).
        shifted = jnp.where(mask, shifted, -jnp.inf)
    exps = jnp.exp(shifted)
    total = jnp.sum(exps, axis=axis, keepdims=True)
    if log:
        result = shifted - jnp.log(total)
    else:
        result = exps / (total if mask is None else jnp.where(total == 0, 1, total))
    if (data.dtype == jnp.float32 and axis == data.ndim - 1 and mask is None and not negate
            and temperature in (None, 1.0) and out_dtype is None):
        result = _onednn_nan_rows(x, result, axis, log)
    # Rounded to the input's precision first, as MXNet computes in the input dtype.
    return result.astype(data.dtype).astype(out_dtype or data.dtype)


_LOG_FLT_MAX = float(np.log(np.finfo(np.float32).max))


def _onednn_nan_rows(x, result, axis, log):
    """Rows holding NaN (or +inf) as MXNet 1.9.1's float32 last-axis kernel (oneDNN) gives
    them: its maximum skips NaN and its sum saturates, so softmax is NaN where the input is
    NaN and 0 elsewhere (``softmax([nan, 1]) == [nan, 0]``), and log_softmax is
    ``x - max - log(FLT_MAX)``."""
    top = lax.stop_gradient(jnp.max(jnp.where(jnp.isnan(x), -jnp.inf, x), axis=axis,
                                    keepdims=True))
    shifted = x - top
    exps = jnp.exp(shifted)
    broken = jnp.isnan(jnp.sum(exps, axis=axis, keepdims=True))
    quirk = shifted - _LOG_FLT_MAX if log else jnp.where(jnp.isnan(exps), jnp.nan, 0.0)
    return jnp.where(broken, quirk, result)


@register("softmax", inputs=("data", "length"), attrs=_SOFTMAX_ATTRS,
          conditional_inputs={"length": if_attr("use_length")}, lists_input_names=True)
def softmax(data, length, *, axis, temperature, dtype, use_length):
    """Softmax ``exp(x / t) / sum(exp(x / t))`` along ``axis``; with ``use_length`` only the
    first ``length`` elements of each slice take part and the rest are 0."""
    return _softmax("softmax", data, length, axis=axis, temperature=temperature, dtype=dtype,
                    use_length=use_length)


@register("log_softmax", attrs=_SOFTMAX_ATTRS, lists_input_names=True)
def log_softmax(data, *, axis, temperature, dtype, use_length):
    """Logarithm of the softmax along ``axis``."""
    return _softmax("log_softmax", data, None, axis=axis, temperature=temperature, dtype=dtype,
                    use_length=use_length, log=True)


@register("softmin", attrs=_SOFTMAX_ATTRS)
def softmin(data, *, axis, temperature, dtype, use_length):
    """Softmax of ``-x`` along ``axis``."""
    return _softmax("softmin", data, None, axis=axis, temperature=temperature, dtype=dtype,
                    use_length=use_length, negate=True)


@register("SoftmaxActivation", attrs=dict(mode="instance"))
def softmax_activation(data, *, mode):
    """Softmax over the last axis (``mode='instance'``) or over axis 1 (``'channel'``)."""
    if mode not in ("instance", "channel"):
        raise MXNetError(f"SoftmaxActivation: mode must be 'instance' or 'channel', not {mode!r}")
    if mode == "channel" and data.ndim < 3:
        raise MXNetError(f"SoftmaxActivation: mode='channel' needs at least 3 dimensions, got "
                         f"shape {data.shape}")
    return _softmax("SoftmaxActivation", data, None, axis=1 if mode == "channel" else -1,
                    temperature=None, dtype=None, use_length=False)
