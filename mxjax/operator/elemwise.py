"""Elementwise unary operators: math, rounding, activations, smooth_l1, clip, casts (Cast,
amp_cast, amp_multicast, cast_storage), where, add_n.

MXNet runs the math of a float16 input in float32 and of an integer input in float64,
then casts the result back to the input dtype (``exp`` of int32 ``[1, 2]`` is ``[2, 7]``);
:func:`in_float` does the same. Gradients come from JAX except where MXNet's differ.
"""

import functools

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .shape_rules import merge_partial
from .spec import Required, register

__all__ = ["in_float", "abs_zero_grad", "is_int", "expm1"]


def is_int(x):
    return not jnp.issubdtype(x.dtype, jnp.floating)


def in_float(fn, x):
    """``fn(x)`` computed as MXNet's kernels do: float16 in float32, integers in float64."""
    if x.dtype == jnp.float16:
        return fn(x.astype(jnp.float32)).astype(x.dtype)
    if is_int(x):
        return fn(x.astype(jnp.float64)).astype(x.dtype)
    return fn(x)


def abs_zero_grad(x):
    """``|x|`` with MXNet's gradient ``sign(x)`` (0 at 0; JAX's abs passes 1 there)."""
    return x * _sign(x)


def _sign(x):
    # MXNet: sign(nan) == 0
    one = jnp.ones_like(x)
    return jnp.where(x > 0, one, jnp.where(x < 0, -one, jnp.zeros_like(x)))


def _relu(x):
    # MXNet: relu'(0) == 0 and relu(nan) == nan
    return jnp.where(x <= 0, jnp.zeros_like(x), x)


def _rint(x):
    # MXNet rounds halves down: rint(2.5) == 2, rint(-2.5) == -3
    lo, hi = jnp.floor(x), jnp.ceil(x)
    return jnp.where(x - lo <= hi - x, lo, hi)


def expm1(x):
    """``exp(x) - 1``. XLA's CPU kernel is up to 5 ulp off in float32, where MXNet's (libm)
    is within 1: on CPU a float32 input is computed in float64 and rounded once."""
    if x.dtype != jnp.float32:
        return jnp.expm1(x)
    return lax.platform_dependent(
        x, cpu=lambda v: jnp.expm1(v.astype(jnp.float64)).astype(v.dtype), default=jnp.expm1)


# name: (function of a float array, docstring); integers are computed in float64.
_FLOAT_MATH = {
    "sqrt": (jnp.sqrt, "Square root of each element."),
    "rsqrt": (lambda x: 1 / jnp.sqrt(x), "Reciprocal square root of each element."),
    "cbrt": (jnp.cbrt, "Cube root of each element."),
    "rcbrt": (lambda x: 1 / jnp.cbrt(x), "Reciprocal cube root of each element."),
    "exp": (jnp.exp, "Exponential of each element."),
    "expm1": (expm1, "``exp(x) - 1`` of each element, accurate near zero."),
    "log": (jnp.log, "Natural logarithm of each element."),
    "log10": (jnp.log10, "Base-10 logarithm of each element."),
    "log2": (jnp.log2, "Base-2 logarithm of each element."),
    "log1p": (jnp.log1p, "``log(1 + x)`` of each element, accurate near zero."),
    "sin": (jnp.sin, "Sine of each element (radians)."),
    "cos": (jnp.cos, "Cosine of each element (radians)."),
    "tan": (jnp.tan, "Tangent of each element (radians)."),
    "arcsin": (jnp.arcsin, "Inverse sine of each element."),
    "arccos": (jnp.arccos, "Inverse cosine of each element."),
    "arctan": (jnp.arctan, "Inverse tangent of each element."),
    "sinh": (jnp.sinh, "Hyperbolic sine of each element."),
    "cosh": (jnp.cosh, "Hyperbolic cosine of each element."),
    "tanh": (jnp.tanh, "Hyperbolic tangent of each element."),
    "arcsinh": (jnp.arcsinh, "Inverse hyperbolic sine of each element."),
    "arccosh": (jnp.arccosh, "Inverse hyperbolic cosine of each element."),
    "arctanh": (jnp.arctanh, "Inverse hyperbolic tangent of each element."),
    "degrees": (jnp.degrees, "Converts each element from radians to degrees."),
    "radians": (jnp.radians, "Converts each element from degrees to radians."),
    "reciprocal": (lambda x: 1 / x, "Reciprocal ``1 / x`` of each element."),
    "sigmoid": (jax.nn.sigmoid, "Logistic sigmoid ``1 / (1 + exp(-x))`` of each element."),
    "softsign": (lambda x: x / (1 + jnp.abs(x)), "Softsign ``x / (1 + |x|)`` of each element."),
    "erf": (jsp.erf, "Gauss error function of each element."),
    "erfinv": (jsp.erfinv, "Inverse Gauss error function of each element."),
    "gamma": (jsp.gamma, "Gamma function of each element."),
    "gammaln": (jsp.gammaln, "Log of the absolute value of the gamma function of each element."),
}

# Exact for every dtype, so computed in the input dtype.
_EXACT = {
    "abs": (abs_zero_grad, "Absolute value of each element."),
    "sign": (_sign, "Sign (-1, 0 or 1) of each element."),
    "negative": (jnp.negative, "Numerical negative of each element."),
    "square": (jnp.square, "Square of each element."),
    "relu": (_relu, "Rectified linear unit ``max(x, 0)`` of each element."),
}

# Integers are already whole: returned unchanged.
_ROUNDING = {
    "round": (functools.partial(lax.round, rounding_method=lax.RoundingMethod.AWAY_FROM_ZERO),
              "Rounds each element to the nearest integer, halves away from zero."),
    "rint": (_rint, "Rounds each element to the nearest integer, halves down."),
    "ceil": (jnp.ceil, "Smallest integer not less than each element."),
    "floor": (jnp.floor, "Largest integer not greater than each element."),
    "trunc": (jnp.trunc, "Rounds each element toward zero."),
    "fix": (jnp.trunc, "Rounds each element toward zero."),
}


def _register_unary(name, fn, doc, **options):
    def unary(data):
        return fn(data)

    register(name, doc=doc, **options)(unary)


for _name, (_fn, _doc) in _FLOAT_MATH.items():
    _register_unary(_name, functools.partial(in_float, _fn), _doc)
for _name, (_fn, _doc) in _EXACT.items():
    _register_unary(_name, _fn, _doc)
# MXNet passes no gradient through logical_not and the rounding operators.
_register_unary("logical_not", lambda x: (x == 0).astype(x.dtype),
                "Logical NOT: 1 where x is 0, else 0.", zero_gradient=True)
for _name, (_fn, _doc) in _ROUNDING.items():
    _register_unary(_name, lambda x, fn=_fn: x if is_int(x) else in_float(fn, x), _doc,
                    zero_gradient=True)


@register("hard_sigmoid", attrs=dict(alpha=0.2, beta=0.5))
def hard_sigmoid(data, *, alpha, beta):
    """Hard sigmoid ``clip(alpha * x + beta, 0, 1)`` of each element."""
    def fn(x):
        # alpha and beta are float32 attributes in MXNet, also for float64 data.
        z = np.float32(alpha).astype(x.dtype) * x + np.float32(beta).astype(x.dtype)
        # MXNet: the gradient is alpha strictly inside (0, 1) and 0 on the boundaries.
        inside = ((z > 0) & (z < 1)) | jnp.isnan(z)
        return jnp.where(inside, z, (z >= 1).astype(z.dtype))

    return in_float(fn, data)


@register("_copy", aliases=("identity",))
def copy(data):
    """A copy of the input."""
    return data


@register("_identity_with_attr_like_rhs", inputs=("lhs", "rhs"), same_shape=True,
          lists_input_names=True)
def identity_with_attr_like_rhs(lhs, rhs):  # noqa: ARG001 - rhs only lends its shape
    """``lhs`` unchanged; shape inference gives ``lhs`` the shape of ``rhs``."""
    return lhs


@register("BlockGrad", aliases=("stop_gradient",), zero_gradient=True)
def block_grad(data):
    """The input unchanged, with no gradient flowing back through it."""
    return lax.stop_gradient(data)


@jax.custom_vjp
def _make_loss(data):
    return data


_make_loss.defvjp(lambda data: (data, data), lambda data, g: (jnp.ones_like(data),))


@register("make_loss")
def make_loss(data):
    """The input unchanged; its gradient is all ones whatever the head gradient (MXNet)."""
    return _make_loss(data)


@register("clip", attrs=dict(a_min=Required, a_max=Required))
def clip(data, *, a_min, a_max):
    """Limits each element to ``[a_min, a_max]``."""
    # Bounds are float32 attributes converted to the data dtype (int32 truncates them).
    lo = np.asarray(np.float32(a_min)).astype(data.dtype)
    hi = np.asarray(np.float32(a_max)).astype(data.dtype)
    # MXNet: the gradient passes where a_min <= x <= a_max, boundaries included.
    return jnp.where(data > hi, hi, jnp.where(data < lo, lo, data))


_CAST_DTYPES = ("bool", "float16", "float32", "float64", "int32", "int64", "int8", "uint8")


@register("Cast", aliases=("cast",), attrs=dict(dtype=Required))
def cast(data, *, dtype):
    """Converts the input to ``dtype``."""
    try:
        target = np.dtype(dtype)
    except TypeError:
        target = None
    if target is None or target.name not in _CAST_DTYPES:
        raise MXNetError(f"Cast: invalid dtype {dtype!r}; valid values are {list(_CAST_DTYPES)}")
    if target.itemsize == 1 and target != np.bool_ and not is_int(data):
        # MXNet converts floats to 8-bit integers through int32, so they wrap (-1 -> 255).
        data = data.astype(jnp.int32)
    return data.astype(target)


_AMP_FLOATS = ("float16", "float32")  # bfloat16 too in MXNet; not an mxjax dtype


@register("amp_cast", attrs=dict(dtype=Required))
def amp_cast(data, *, dtype):
    """Casts a float16/float32 input to ``dtype`` (mixed precision); other dtypes pass
    unchanged."""
    if np.dtype(data.dtype).name not in _AMP_FLOATS:
        return data
    return cast(data, dtype=dtype)


def _amp_multicast_dtype(dtypes, cast_narrow):
    # MXNet: the widest is float32 if any input is, else the first input's dtype; with
    # cast_narrow, float16 if any input is, else float32.
    names = [np.dtype(d).name for d in dtypes]
    if cast_narrow:
        return "float16" if "float16" in names else "float32"
    return "float32" if "float32" in names else names[0]


@register("amp_multicast", inputs=("data",), variadic=True,
          attrs=dict(num_outputs=Required, cast_narrow=False),
          num_outputs=lambda attrs: attrs["num_outputs"], lists_input_names=True)
def amp_multicast(*data, num_outputs, cast_narrow):
    """Casts every float16/float32 input to the widest (or, with ``cast_narrow``, the
    narrowest) float type among the inputs; other dtypes pass unchanged."""
    if len(data) != num_outputs:
        raise MXNetError(f"amp_multicast: num_outputs={num_outputs} but {len(data)} inputs "
                         "were given")
    target = _amp_multicast_dtype([x.dtype for x in data], cast_narrow)
    return tuple(x.astype(target) if np.dtype(x.dtype).name in _AMP_FLOATS else x
                 for x in data)


@register("cast_storage", attrs=dict(stype=Required))
def cast_storage(data, *, stype):  # noqa: ARG001 - the stype is the storage rule's business
    """Converts between storage types ('default', 'row_sparse', 'csr'). Values are held
    densely, so the value is unchanged; the output's storage comes from its storage rule
    (``storage.py``)."""
    return data


@register("smooth_l1", attrs=dict(scalar=1.0))
def smooth_l1(data, *, scalar):
    """Smooth L1: ``0.5 * (scalar * x)**2`` where ``|x| < 1 / scalar**2``, else
    ``|x| - 0.5 / scalar**2``."""
    def fn(x):
        sq = jnp.asarray(np.float32(scalar) ** 2, x.dtype)
        inside = jnp.abs(x) < 1 / sq
        # MXNet: the gradient is sign(x) outside and scalar**2 * x inside.
        return jnp.where(inside, 0.5 * sq * x * x, jnp.abs(x) - 0.5 / sq)

    return in_float(fn, data)


def _where_shapes(known, attrs, out):  # noqa: ARG001
    """MXNet's ``where`` (only once the condition is known): x, y and the output have one
    shape, the condition too unless it is 1-D (one value per row)."""
    merged = functools.reduce(merge_partial, [known.get("x"), known.get("y"), out])
    if merged is None:
        return {}
    result = {"x": merged, "y": merged}
    if len(known["condition"]) == len(merged):
        result["condition"] = merged
    return result


@register("where", inputs=("condition", "x", "y"), shape_needs_known="condition",
          infer_from_output=_where_shapes, lists_input_names=True)
def where(condition, x, y):
    """Elements of ``x`` where ``condition`` is nonzero, else of ``y``.

    ``condition`` has the shape of ``x``, or is 1-D and selects whole rows (first axis).
    """
    if x.shape != y.shape:
        raise shape_error("where", "y", y.shape, x.shape, x=x.shape)
    if x.dtype != y.dtype:
        raise MXNetError(f"where: x has dtype {x.dtype} but y has dtype {y.dtype}")
    if condition.shape != x.shape:
        if condition.ndim != 1 or x.ndim == 0 or condition.shape[0] != x.shape[0]:
            raise shape_error("where", "condition", condition.shape,
                              f"{x.shape} or ({x.shape[0] if x.ndim else 0},)", x=x.shape)
        condition = condition.reshape(condition.shape + (1,) * (x.ndim - 1))
    return jnp.where(condition != 0, x, y)


@register("add_n", aliases=("ElementWiseSum",), inputs=("args",), variadic=True,
          same_shape=True, lists_input_names=True)
def add_n(*args):
    """Elementwise sum of all inputs (same shape and dtype)."""
    if not args:
        raise MXNetError("add_n: at least one input is required")
    first = args[0]
    for i, a in enumerate(args[1:], 1):
        if a.shape != first.shape:
            raise shape_error("add_n", f"args[{i}]", a.shape, first.shape)
        if a.dtype != first.dtype:
            raise MXNetError(f"add_n: args[{i}] has dtype {a.dtype}, expected {first.dtype}")
    return functools.reduce(jnp.add, args)
