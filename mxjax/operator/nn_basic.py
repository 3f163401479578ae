"""Dense layers and activations: FullyConnected, Activation, LeakyReLU, Dropout, Embedding."""

import math

import jax
import jax.numpy as jnp
from jax import lax

from ..base import MXNetError, check_same_dtype, shape_error
from .elemwise import expm1
from .spec import Required, choices_type, register, unless_attr

# MXNet's SELU constants (mshadow_op.h), and 1/sqrt(2) for the erf form of GELU.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946
_INV_SQRT2 = 1.0 / math.sqrt(2.0)


def _missing(shapes, wanted):
    """Only the entries of ``wanted`` whose shape the caller does not know yet."""
    return {k: v for k, v in wanted.items() if k in shapes and shapes[k] is None}


def _check_shape(op, name, array, expected, **context):
    if array is not None and tuple(array.shape) != tuple(expected):
        raise shape_error(op, name, array.shape, tuple(expected), **context)


# ---------------------------------------------------------------------------------------
# FullyConnected

def _fc_in_units(data_shape, flatten):
    if flatten:
        return math.prod(data_shape[1:])
    return data_shape[-1]


def _fc_param_shapes(shapes, attrs):
    units = _fc_in_units(shapes["data"], attrs["flatten"])
    wanted = {"weight": (attrs["num_hidden"], units)}
    if not attrs["no_bias"]:
        wanted["bias"] = (attrs["num_hidden"],)
    return _missing(shapes, wanted)


@register("FullyConnected", inputs=("data", "weight", "bias"),
          attrs=dict(num_hidden=Required(int, low=1), no_bias=False, flatten=True),
          infer_params=_fc_param_shapes, conditional_inputs={"bias": unless_attr("no_bias")},
          lists_input_names=True)
def fully_connected(data, weight, bias, *, num_hidden, no_bias, flatten):
    """Affine map ``data @ weight.T + bias`` over the flattened (or last) axis."""
    units = _fc_in_units(data.shape, flatten)
    _check_shape("FullyConnected", "weight", weight, (num_hidden, units), data=data.shape)
    check_same_dtype("FullyConnected", data, weight=weight, bias=None if no_bias else bias)
    x = data.reshape(data.shape[0], units) if flatten else data
    acc = jnp.float32 if data.dtype == jnp.float16 else None
    out = lax.dot_general(x, weight, (((x.ndim - 1,), (1,)), ((), ())),
                          preferred_element_type=acc).astype(data.dtype)
    if no_bias:
        return out
    if bias.shape == (num_hidden, 1):  # MXNet also accepts a column of biases
        bias = bias.reshape(num_hidden)
    _check_shape("FullyConnected", "bias", bias, (num_hidden,))
    return out + bias


# ---------------------------------------------------------------------------------------
# Activation

def _relu(x):
    # MXNet: relu'(0) = 0 (jnp.maximum would pass half the gradient at 0).
    return jnp.where(x > 0, x, jnp.zeros_like(x))


def _softrelu(x):
    # MXNet returns x itself above 20; clamp the other branch so its gradient stays finite.
    return jnp.where(x > 20, x, jnp.log1p(jnp.exp(jnp.minimum(x, 20))))


_ACTIVATIONS = {
    "relu": _relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softrelu": _softrelu,
    "softsign": lambda x: x / (1 + jnp.abs(x)),
}


def _choice(op, name, value, allowed):
    if value not in allowed:
        raise MXNetError(f"{op}: invalid value {value!r} for '{name}'; "
                         f"expected one of {sorted(allowed)}")
    return allowed[value] if isinstance(allowed, dict) else value


@register("Activation", attrs=dict(act_type=Required),
          arg_types=dict(act_type=choices_type(_ACTIVATIONS)))
def activation(data, *, act_type):
    """Element-wise activation: relu, sigmoid, tanh, softrelu or softsign."""
    return _choice("Activation", "act_type", act_type, _ACTIVATIONS)(data)


# ---------------------------------------------------------------------------------------
# LeakyReLU

@jax.custom_jvp
def _selu(x):
    return _SELU_LAMBDA * jnp.where(x > 0, x, _SELU_ALPHA * expm1(x))


@_selu.defjvp
def _selu_jvp(primals, tangents):
    # MXNet computes SELU's derivative from the output as lambda * (alpha + y) for y <= 0
    # (not lambda * alpha * exp(x)); the golden gradients follow it.
    (x,), (t,) = primals, tangents
    y = _selu(x)
    return y, t * jnp.where(y > 0, _SELU_LAMBDA, _SELU_LAMBDA * (_SELU_ALPHA + y))


def _leaky(x, slope):
    return jnp.where(x > 0, x, x * slope)


def _prelu_gamma(gamma, data_shape):
    """Align gamma to data the way MXNet does: gamma's axes, from the last, go onto data
    axes 1 and 0 (where sizes match or gamma's is 1); every other data axis gets 1."""
    shape, s = [1] * len(data_shape), gamma.ndim - 1
    for i in reversed(range(len(data_shape))):
        if s >= 0 and i <= 1 and gamma.shape[s] in (1, data_shape[i]):
            shape[i] = gamma.shape[s]
            s -= 1
    if s != -1:
        raise shape_error("LeakyReLU", "gamma", gamma.shape,
                          "broadcastable onto data axes 0 and 1", data=data_shape)
    return gamma.reshape(shape)


def _leaky_param_shapes(shapes, attrs):
    if attrs["act_type"] != "prelu":
        return {}
    d = shapes["data"]
    return _missing(shapes, {"gamma": (1,) if len(d) == 1 else (d[1],)})


_LEAKY_TYPES = ("leaky", "prelu", "rrelu", "elu", "selu", "gelu")


@register("LeakyReLU", inputs=("data", "gamma"),
          attrs=dict(act_type="leaky", slope=0.25, lower_bound=0.125, upper_bound=0.334),
          infer_params=_leaky_param_shapes, random=True, training=True,
          num_outputs=lambda attrs: 2 if attrs["act_type"] == "rrelu" else 1,
          conditional_inputs={"gamma": lambda attrs: attrs["act_type"] == "prelu"},
          input_init={1: '["Constant", {"value": 0.25}]'}, output_names=("output", "mask"),
          lists_input_names=True)
def leaky_relu(data, gamma, *, act_type, slope, lower_bound, upper_bound, key, _training):
    """Leaky rectifiers and friends: leaky, prelu, rrelu, elu, selu, gelu.

    rrelu also returns its slopes (MXNet's ``mask`` output; zeros outside training)."""
    _choice("LeakyReLU", "act_type", act_type, _LEAKY_TYPES)
    dt = data.dtype
    if act_type == "leaky":
        return _leaky(data, jnp.asarray(slope, dt))
    if act_type == "prelu":
        if gamma is None:
            raise MXNetError("LeakyReLU: act_type='prelu' needs the 'gamma' input")
        return _leaky(data, _prelu_gamma(gamma, data.shape).astype(dt))
    if act_type == "rrelu":
        if _training:
            slopes = jax.random.uniform(key, data.shape, dt, lower_bound, upper_bound)
            return _leaky(data, slopes), slopes
        mean_slope = jnp.asarray((lower_bound + upper_bound) / 2, dt)
        return _leaky(data, mean_slope), jnp.zeros_like(data)
    if act_type == "elu":
        return jnp.where(data > 0, data, jnp.asarray(slope, dt) * expm1(data))
    if act_type == "selu":
        return _selu(data)
    return 0.5 * data * (1 + lax.erf(data * jnp.asarray(_INV_SQRT2, dt)))


# ---------------------------------------------------------------------------------------
# Dropout

@register("Dropout", attrs=dict(p=0.5, mode="training", axes=(), cudnn_off=False),
          random=True, training=True, total_outputs=2, output_names=("output",),
          lists_input_names=True)
def dropout(data, *, p, mode, axes, cudnn_off, key, _training):
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)``."""
    _choice("Dropout", "mode", mode, ("training", "always"))
    keep = 1.0 - p
    if keep >= 1 or not (_training or mode == "always"):
        return data
    if keep <= 0:
        # MXNet's mask is 0 * (1/0) = NaN at p=1; XLA folds the product to 0, so say it here.
        return data * jnp.asarray(jnp.nan, data.dtype)
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    mask_shape = tuple(1 if i in axes else d for i, d in enumerate(data.shape))
    mask = jax.random.uniform(key, mask_shape, jnp.float32) < keep
    # MXNet: the mask holds 0 or 1/keep, and the output is data * mask.
    return data * (mask.astype(data.dtype) * (1 / jnp.asarray(keep, data.dtype)))


# ---------------------------------------------------------------------------------------
# Embedding

def _embedding_param_shapes(shapes, attrs):
    return _missing(shapes, {"weight": (attrs["input_dim"], attrs["output_dim"])})


@register("Embedding", inputs=("data", "weight"),
          attrs=dict(input_dim=Required(int, low=1), output_dim=Required(int, low=1),
                     dtype="float32", sparse_grad=False),
          infer_params=_embedding_param_shapes,
          input_dtypes={"weight": lambda dtype, attrs: attrs["dtype"]}, lists_input_names=True)
def embedding(data, weight, *, input_dim, output_dim, dtype, sparse_grad):
    """Look up rows of ``weight`` at the (integer-valued) indices in ``data``."""
    _check_shape("Embedding", "weight", weight, (input_dim, output_dim),
                 input_dim=input_dim, output_dim=output_dim)
    # MXNet truncates float indices and clips them into [0, input_dim).
    idx = jnp.clip(data.astype(jnp.int32), 0, input_dim - 1)
    return jnp.take(weight, idx, axis=0)


@register("_contrib_SparseEmbedding", inputs=("data", "weight"),
          attrs=dict(input_dim=Required(int, low=1), output_dim=Required(int, low=1),
                     dtype="float32", deterministic=False),
          infer_params=_embedding_param_shapes,
          input_dtypes={"weight": lambda dtype, attrs: attrs["dtype"]}, lists_input_names=True)
def sparse_embedding(data, weight, *, input_dim, output_dim, dtype, deterministic):
    """``Embedding`` whose weight gradient MXNet keeps row-sparse; mxjax's gradient is
    dense (the same values), and ``deterministic`` changes nothing here."""
    return embedding(data, weight, input_dim=input_dim, output_dim=output_dim, dtype=dtype,
                     sparse_grad=True)
