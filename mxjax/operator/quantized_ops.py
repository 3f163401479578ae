"""Quantized (int8/uint8) layers: quantized_conv, quantized_fully_connected,
quantized_pooling, quantized_act, quantized_flatten, quantized_concat,
quantized_elemwise_add/mul, quantized_batch_norm, quantized_embedding, quantized_rnn.

Each takes quantized arrays plus float32 ``(1,)`` min/max ranges and returns the result
with its range, following MXNet 1.9.1's CPU build (oneDNN kernels): integer products
accumulate exactly in int32, rescaling multiplies by a float32 scale, rounds half to
even and saturates. Where that build raises on CPU, so does mxjax. Forward only.
"""

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .conv import convolution
from .pooling import pooling
from .spec import Required, register

_F32 = jnp.float32
_INT8_RANGE, _UINT8_RANGE, _INT32_RANGE = 127.5, 255.5, 2147483647.0
_LIMITS = {"int8": (-128, 127), "uint8": (0, 255), "int32": (-2147483648, 2147483647)}


def _rounded(x):
    """``x`` as a separately rounded float32 step: keeps XLA from rewriting a division by
    a constant into a reciprocal multiply, which MXNet's kernels do not do (and results
    are then rounded to integers)."""
    return lax.optimization_barrier(x)


def _as_float32(x):
    """float64 ``x`` rounded to the nearest float32 value (ties to even), kept in
    float64: done on the mantissa so that LLVM cannot shorten the surrounding float64
    arithmetic to float32 and fuse ``a * b + c`` into an FMA, which MXNet's kernel does
    not do."""
    mantissa, exponent = jnp.frexp(x)
    return jnp.ldexp(jnp.round(mantissa * 2.0 ** 24), exponent - 24)


def _sum_of_scaled(pairs):
    """float32 ``x0 * s0 + x1 * s1 + ...`` for integer ``x``: each product and each
    partial sum rounded to float32 once, as in MXNet's kernel."""
    total = None
    for x, scale in pairs:
        term = _as_float32(x.astype(jnp.float64) * scale.astype(jnp.float64))
        total = term if total is None else _as_float32(total + term)
    return total


def _scalar(x):
    return lax.stop_gradient(x).reshape(-1)[0].astype(_F32)


def _range(value):
    return jnp.reshape(value, (1,)).astype(_F32)


def _max_abs(a, b):
    return jnp.maximum(jnp.abs(a), jnp.abs(b))


def _saturate(y, dtype):
    """Round half to even and saturate to ``dtype`` (oneDNN's float -> integer rule)."""
    lo, hi = _LIMITS[jnp.dtype(dtype).name]
    return jnp.clip(jnp.round(y), lo, hi).astype(dtype)


def _check_types(op, **arrays):
    for name, (x, allowed) in arrays.items():
        if x is None or x.dtype.name not in allowed:
            got = "nothing" if x is None else x.dtype.name
            raise MXNetError(f"{op}: {name} must be {' or '.join(allowed)}, got {got}")


def _s8_product_range(min_a, max_a, min_b, max_b, b_unsigned=False):
    """MXNet's int32 output range of a product of quantized ``a`` and ``b``: one int32
    level is one level of ``a`` times one of ``b`` (levels 127, or 255 for an unsigned
    ``b``)."""
    level_a = _max_abs(min_a, max_a) / _rounded(_F32(127))
    level_b = _max_abs(min_b, max_b) / _rounded(_F32(255 if b_unsigned else 127))
    high = level_a * level_b * _F32(_INT32_RANGE)
    return _range(-high), _range(high)


def _layer_inputs(names):
    def inputs_for(attrs):
        return [n for n in names if not (attrs["no_bias"] and "bias" in n)]

    return inputs_for


def _unpack(op, arrays, attrs):
    names = _layer_inputs(_LAYER_INPUTS)(attrs)
    if len(arrays) != len(names) or any(a is None for a in arrays):
        raise MXNetError(f"{op}: expected inputs {names}, got {len(arrays)} arrays")
    got = dict(zip(names, arrays))
    return {n: got.get(n) for n in _LAYER_INPUTS}


_LAYER_INPUTS = ("data", "weight", "bias", "min_data", "max_data", "min_weight",
                 "max_weight", "min_bias", "max_bias")


# ---------------------------------------------------------------------------------------
# quantized_conv, quantized_fully_connected

_CONV_ATTRS = dict(kernel=Required, stride=(), dilate=(), pad=(), num_filter=Required,
                   num_group=1, workspace=1024, no_bias=False, cudnn_tune=None,
                   cudnn_off=False, layout=None)


@register("_contrib_quantized_conv", inputs=_LAYER_INPUTS, attrs=_CONV_ATTRS,
          inputs_for=_layer_inputs(_LAYER_INPUTS), num_outputs=3, lists_input_names=True)
def quantized_conv(*arrays, **attrs):
    """Convolution of uint8 data with int8 weights, accumulated in int32; the int8 bias
    is added as is. Returns ``(out int32, min, max)``; the bias range is not used."""
    op = "quantized_conv"
    x = _unpack(op, arrays, attrs)
    _check_types(op, data=(x["data"], ("uint8", "int8")), weight=(x["weight"], ("int8",)))
    if attrs["num_group"] != 1:
        raise MXNetError(f"{op}: quantized_conv only supports num_group=1 for now, got "
                         f"{attrs['num_group']}")
    if len(attrs["kernel"]) not in (2, 3) or x["data"].ndim not in (4, 5) or \
            attrs["layout"] not in (None, "NCHW", "NCDHW"):
        raise MXNetError(f"{op}: only 2-D/3-D kernels on 4-D/5-D NCHW/NCDHW data are "
                         f"supported (kernel={attrs['kernel']}, data {x['data'].shape})")
    if x["data"].dtype.name != "uint8":  # oneDNN's int8 convolution in MXNet 1.9.1
        raise MXNetError(f"{op}: mkldnn_quantized_conv op only supports uint8 as input type, "
                         f"got {x['data'].dtype.name}")
    if not attrs["no_bias"]:
        _check_types(op, bias=(x["bias"], ("int8",)))
    data, weight = (lax.stop_gradient(x[n]).astype(jnp.int32) for n in ("data", "weight"))
    conv_attrs = dict(attrs, no_bias=True)
    out = convolution(data, weight, None, **conv_attrs).astype(jnp.int32)
    if not attrs["no_bias"]:
        out = out + x["bias"].astype(jnp.int32).reshape(1, -1, *(1,) * (out.ndim - 2))
    low, high = _s8_product_range(_scalar(x["min_data"]), _scalar(x["max_data"]),
                                  _scalar(x["min_weight"]), _scalar(x["max_weight"]))
    return out, low, high


@register("_contrib_quantized_fully_connected", inputs=_LAYER_INPUTS,
          attrs=dict(num_hidden=Required, no_bias=False, flatten=True),
          inputs_for=_layer_inputs(_LAYER_INPUTS), num_outputs=3, lists_input_names=True)
def quantized_fully_connected(*arrays, num_hidden, no_bias, flatten):
    """FullyConnected of int8/uint8 data with int8 weights in int32; the int8 bias is
    rescaled to the product's int32 scale (truncated). Returns ``(out int32, min, max)``."""
    op = "quantized_fully_connected"
    x = _unpack(op, arrays, dict(no_bias=no_bias))
    _check_types(op, data=(x["data"], ("int8", "uint8")), weight=(x["weight"], ("int8",)))
    data = lax.stop_gradient(x["data"])
    rows = data.reshape(data.shape[0], -1) if flatten else data
    weight = lax.stop_gradient(x["weight"])
    if tuple(weight.shape) != (num_hidden, rows.shape[-1]):
        raise shape_error(op, "weight", weight.shape, (num_hidden, rows.shape[-1]),
                          data=data.shape)
    out = jnp.matmul(rows.astype(jnp.int32), weight.astype(jnp.int32).T,
                     preferred_element_type=jnp.int32)
    min_d, max_d = _scalar(x["min_data"]), _scalar(x["max_data"])
    min_w, max_w = _scalar(x["min_weight"]), _scalar(x["max_weight"])
    unsigned = data.dtype.name == "uint8"
    if not no_bias:
        _check_types(op, bias=(x["bias"], ("int8",)))
        data_scale = _F32(_UINT8_RANGE if unsigned else _INT8_RANGE) / _max_abs(min_d, max_d)
        weight_scale = _F32(_INT8_RANGE) / _max_abs(min_w, max_w)
        rescale = (data_scale * weight_scale * _max_abs(_scalar(x["min_bias"]),
                                                        _scalar(x["max_bias"]))
                   / _rounded(_F32(_INT8_RANGE)))
        bias = (lax.stop_gradient(x["bias"]).astype(_F32) * rescale).astype(jnp.int32)
        out = out + bias
    low, high = _s8_product_range(min_d, max_d, min_w, max_w, b_unsigned=unsigned)
    return out, low, high


# ---------------------------------------------------------------------------------------
# quantized_pooling, quantized_act, quantized_flatten, quantized_embedding

_QDATA = ("data", "min_data", "max_data")


@register("_contrib_quantized_pooling", inputs=_QDATA,
          attrs=dict(kernel=(), pool_type="max", global_pool=False, cudnn_off=False,
                     pooling_convention="valid", stride=(), pad=(), p_value=None,
                     count_include_pad=None, layout=None), num_outputs=3, lists_input_names=True)
def quantized_pooling(data, min_data, max_data, **attrs):
    """Max or average pooling of int8/uint8 data (averages rounded half to even); the
    range passes through. 4-D/5-D data in NCHW/NCDHW layout."""
    op = "quantized_pooling"
    _check_types(op, data=(data, ("int8", "uint8")))
    if attrs["pool_type"] not in ("max", "avg"):
        raise MXNetError(f"{op}: QuantizedPoolingOp only supports pool_type=max/avg for now, "
                         f"got {attrs['pool_type']!r}")
    if data.ndim not in (4, 5) or attrs["layout"] not in (None, "NCHW", "NCDHW"):
        raise shape_error(op, "data", data.shape, "4-D or 5-D data in NCHW/NCDHW layout")
    if len(attrs["kernel"]) not in (2, 3):  # checked even for global pooling
        raise MXNetError(f"{op}: only 2-D/3-D pooling is supported, got kernel="
                         f"{attrs['kernel']}")
    pooled = pooling(lax.stop_gradient(data).astype(_F32), **attrs)
    out = pooled.astype(data.dtype) if attrs["pool_type"] == "max" else \
        _saturate(pooled, data.dtype)
    return out, _range(_scalar(min_data)), _range(_scalar(max_data))


@register("_contrib_quantized_act", inputs=_QDATA, attrs=dict(act_type=Required),
          num_outputs=3, lists_input_names=True)
def quantized_act(data, min_data, max_data, *, act_type):
    """relu of int8/uint8 data; the range passes through. The output is int8 (MXNet
    1.9.1 declares int8 even for uint8 data, whose bits it keeps: 200 reads as -56)."""
    op = "quantized_act"
    if act_type != "relu":
        raise MXNetError(f"_contrib_{op} only supports act_type=relu for now, got "
                         f"{act_type!r}")
    _check_types(op, data=(data, ("int8", "uint8")))
    x = lax.stop_gradient(data)
    out = jnp.maximum(x, jnp.zeros((), x.dtype)).astype(jnp.int8)
    return out, _range(_scalar(min_data)), _range(_scalar(max_data))


@register("_contrib_quantized_flatten", inputs=_QDATA, num_outputs=3, lists_input_names=True)
def quantized_flatten(data, min_data, max_data):
    """Flatten quantized data to 2-D; the range passes through."""
    x = lax.stop_gradient(data)
    out = x.reshape(x.shape[0], -1) if x.ndim else x.reshape(1, 1)
    return out, _range(_scalar(min_data)), _range(_scalar(max_data))


@register("_contrib_quantized_embedding", inputs=("data", "weight", "min_weight",
                                                  "max_weight"),
          attrs=dict(input_dim=Required, output_dim=Required, dtype="float32",
                     sparse_grad=False), num_outputs=3, lists_input_names=True)
def quantized_embedding(data, weight, min_weight, max_weight, *, input_dim, output_dim,
                        dtype, sparse_grad):
    """Rows of the int8 ``weight`` at the indices in ``data`` (truncated, clipped); the
    weight's range passes through."""
    op = "quantized_embedding"
    _check_types(op, weight=(weight, ("int8",)))
    if tuple(weight.shape) != (input_dim, output_dim):
        raise shape_error(op, "weight", weight.shape, (input_dim, output_dim))
    idx = jnp.clip(lax.stop_gradient(data).astype(jnp.int32), 0, input_dim - 1)
    return (jnp.take(lax.stop_gradient(weight), idx, axis=0),
            _range(_scalar(min_weight)), _range(_scalar(max_weight)))


# ---------------------------------------------------------------------------------------
# quantized_concat

def _level_scale(dtype, low, high):
    """Quantized levels per unit of the float range (127.5 or 255.5 over max|range|)."""
    return _F32(_INT8_RANGE if dtype.name == "int8" else _UINT8_RANGE) / _max_abs(low, high)


@register("_contrib_quantized_concat", variadic=True, attrs=dict(dim=1), num_outputs=3,
          lists_input_names=True)
def quantized_concat(*arrays, dim):
    """Concatenate quantized arrays (given as ``data..., min0, max0, min1, max1, ...``)
    along ``dim`` in the widest range: the smallest minimum (at most 0) and largest
    maximum (at least 0); inputs on another scale are rescaled. int8 if any input is
    int8, else uint8."""
    op = "quantized_concat"
    if len(arrays) % 3:
        raise MXNetError(f"{op}: expects num_args arrays then a (min, max) pair for each; "
                         f"got {len(arrays)} inputs")
    n = len(arrays) // 3
    data = [lax.stop_gradient(a) for a in arrays[:n]]
    for i, d in enumerate(data):
        _check_types(op, **{f"data[{i}]": (d, ("int8", "uint8"))})
    lows = [_scalar(a) for a in arrays[n::2]]
    highs = [_scalar(a) for a in arrays[n + 1::2]]
    low = jnp.minimum(_F32(0), jnp.min(jnp.stack(lows)))
    high = jnp.maximum(_F32(0), jnp.max(jnp.stack(highs)))
    out_dtype = jnp.dtype("int8" if any(d.dtype.name == "int8" for d in data) else "uint8")
    out_scale = _level_scale(out_dtype, low, high)
    parts = []
    for d, lo, hi in zip(data, lows, highs):
        scale = _level_scale(d.dtype, lo, hi)
        rescaled = _saturate(d.astype(_F32) * (out_scale / scale), out_dtype)
        parts.append(jnp.where(scale == out_scale, d.astype(out_dtype), rescaled))
    if not 0 <= dim < data[0].ndim:  # oneDNN's concat in MXNet 1.9.1: no negative dim
        raise MXNetError(f"{op}: dim={dim} is out of range [0, {data[0].ndim}) (could not "
                         "create a primitive descriptor for a concat primitive)")
    axis = dim
    return jnp.concatenate(parts, axis=axis), _range(low), _range(high)


# ---------------------------------------------------------------------------------------
# quantized_elemwise_add, quantized_elemwise_mul

@register("_contrib_quantized_elemwise_add",
          inputs=("lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"),
          attrs=dict(min_calib_range=None, max_calib_range=None), num_outputs=3,
          lists_input_names=True)
def quantized_elemwise_add(lhs, rhs, lhs_min, lhs_max, rhs_min, rhs_max, *, min_calib_range,
                           max_calib_range):
    """Sum of two quantized arrays: int32 in the range ``±(max|lhs| + max|rhs|)``, or
    int8/uint8 in the calibrated range."""
    op = "quantized_elemwise_add"
    _check_types(op, lhs=(lhs, ("int8", "uint8")), rhs=(rhs, ("int8", "uint8")))
    if lhs.shape != rhs.shape:
        raise shape_error(op, "rhs", rhs.shape, tuple(lhs.shape))
    a_abs = _max_abs(_scalar(lhs_min), _scalar(lhs_max))
    b_abs = _max_abs(_scalar(rhs_min), _scalar(rhs_max))
    a_scale = _level_scale(lhs.dtype, _scalar(lhs_min), _scalar(lhs_max))
    b_scale = _level_scale(rhs.dtype, _scalar(rhs_min), _scalar(rhs_max))
    a_range = _F32(_INT8_RANGE if lhs.dtype.name == "int8" else _UINT8_RANGE)
    a, b = lax.stop_gradient(lhs), lax.stop_gradient(rhs)
    calibrated = min_calib_range is not None and max_calib_range is not None
    if calibrated:
        out_dtype = lhs.dtype if lhs.dtype == rhs.dtype else jnp.dtype("int8")
        low, high = _F32(min_calib_range), _F32(max_calib_range)
        out_range = _F32(_INT8_RANGE if out_dtype.name == "int8" else _UINT8_RANGE)
        out_scale = out_range / _max_abs(low, high)
    else:
        out_dtype, out_range = jnp.dtype("int32"), _F32(_INT32_RANGE)
        high = a_abs + b_abs
        low = -high
    if lhs.dtype != rhs.dtype:
        # the uint8 operand is first rescaled into an int8 buffer
        a_signed = lhs.dtype.name == "int8"
        u8, u8_scale, u8_abs = (b, b_scale, b_abs) if a_signed else (a, a_scale, a_abs)
        if calibrated:
            reorder = out_scale / u8_scale
            s8_scale = out_scale / (a_scale if a_signed else b_scale)
        else:
            reorder = u8_abs * out_range / ((a_abs + b_abs) * _F32(_UINT8_RANGE))
            s8_abs, s8_range = (a_abs, a_range) if a_signed else (b_abs, _F32(_INT8_RANGE))
            s8_scale = s8_abs * out_range / ((a_abs + b_abs) * s8_range)
        u8 = _saturate(u8.astype(_F32) * reorder, jnp.int8)
        a, b = (a, u8) if a_signed else (u8, b)
        scales = (s8_scale, _F32(1)) if a_signed else (_F32(1), s8_scale)
    elif calibrated:
        scales = (out_scale / a_scale, out_scale / b_scale)
    else:
        scales = (a_abs * out_range / ((a_abs + b_abs) * a_range),
                  b_abs * out_range / ((a_abs + b_abs) * a_range))
    total = _sum_of_scaled([(a, scales[0]), (b, scales[1])])
    return _saturate(total, out_dtype), _range(low), _range(high)


@register("_contrib_quantized_elemwise_mul",
          inputs=("lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"),
          attrs=dict(min_calib_range=None, max_calib_range=None, enable_float_output=False),
          num_outputs=lambda attrs: 1 if attrs["enable_float_output"] else 3,
          lists_input_names=True)
def quantized_elemwise_mul(lhs, rhs, lhs_min, lhs_max, rhs_min, rhs_max, **attrs):
    """Not runnable in MXNet 1.9.1: its shape inference clears the output list, so every
    call fails; mxjax raises the same way."""
    raise MXNetError("quantized_elemwise_mul: MXNet 1.9.1 cannot run this operator (its "
                     "shape inference returns no output shapes: out_shapes.size() == 0)")


# ---------------------------------------------------------------------------------------
# quantized_batch_norm

@register("_contrib_quantized_batch_norm",
          inputs=("data", "gamma", "beta", "moving_mean", "moving_var", "min_data",
                  "max_data"),
          attrs=dict(eps=1e-3, momentum=0.9, fix_gamma=True, use_global_stats=False,
                     output_mean_var=False, axis=1, cudnn_off=False, min_calib_range=None,
                     max_calib_range=None), num_outputs=3, lists_input_names=True)
def quantized_batch_norm(data, gamma, beta, moving_mean, moving_var, min_data, max_data,
                         **attrs):
    """Inference BatchNorm of int8 data (uint8 is first rescaled to int8) with the
    running statistics, to int8 in the calibrated output range (required). As in MXNet
    1.9.1's kernel, gamma is used as given (``fix_gamma`` is not applied)."""
    op = "quantized_batch_norm"
    _check_types(op, data=(data, ("int8", "uint8")))
    low, high = attrs["min_calib_range"], attrs["max_calib_range"]
    if low is None or high is None:
        raise MXNetError(f"{op}: min_calib_range or max_calib_range is not available. "
                         "Quantized BN currently don't support calib_mode=None")
    axis = attrs["axis"] % data.ndim
    c = data.shape[axis]
    params = []
    for name, value in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                        ("moving_var", moving_var)):
        if tuple(value.shape) != (c,):
            raise shape_error(op, name, value.shape, (c,), data=data.shape)
        params.append(lax.stop_gradient(value).astype(_F32))
    gamma, beta, mean, var = params
    x = lax.stop_gradient(data)
    if x.dtype.name == "uint8":
        x = _saturate(x.astype(_F32) * (_F32(_INT8_RANGE) / _F32(_UINT8_RANGE)), jnp.int8)
    abs_data = _max_abs(_scalar(min_data), _scalar(max_data))
    abs_out = _max_abs(_F32(low), _F32(high))
    eps = np.float64(attrs["eps"])
    invstd = (1.0 / jnp.sqrt(var.astype(jnp.float64) + eps)).astype(_F32)
    scale = gamma * invstd * abs_data / abs_out
    shift = (beta - mean * gamma * invstd) * _F32(_INT8_RANGE) / abs_out
    # oneDNN normalises with mean 0 and variance 1, which still divides by sqrt(1 + eps)
    scale = scale / jnp.sqrt(_F32(1) + _F32(eps))
    shape = [1] * x.ndim
    shape[axis] = c
    out = scale.reshape(shape) * x.astype(_F32) + shift.reshape(shape)
    return _saturate(out, jnp.int8), _range(_F32(low)), _range(_F32(high))


# ---------------------------------------------------------------------------------------
# quantized_rnn

@register("_contrib_quantized_rnn",
          inputs=("data", "parameters", "state", "state_cell", "data_scale", "data_shift"),
          attrs=dict(state_size=Required, num_layers=Required, bidirectional=False,
                     mode=Required, p=0.0, state_outputs=False, projection_size=None,
                     lstm_state_clip_min=None, lstm_state_clip_max=None,
                     lstm_state_clip_nan=False, use_sequence_length=False),
          num_outputs=lambda attrs: (3 if attrs["mode"] == "lstm" else 2)
          if attrs["state_outputs"] else 1, lists_input_names=True)
def quantized_rnn(data, parameters, state, state_cell, data_scale, data_shift, **attrs):
    """Not runnable on CPU in MXNet 1.9.1: its oneDNN int8 LSTM fails to build a reorder
    primitive ("could not create a primitive descriptor"); mxjax raises the same way."""
    raise MXNetError("quantized_rnn: MXNet 1.9.1 cannot run this operator on CPU (oneDNN: "
                     "could not create a primitive descriptor for a reorder primitive)")
