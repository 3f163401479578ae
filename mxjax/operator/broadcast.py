"""Binary operators in their three MXNet forms, and the explicit broadcasts.

Each binary kernel is registered as a same-shape operator (``elemwise_add``, ``_maximum``),
a broadcasting one (``broadcast_add``) and a scalar one (``_plus_scalar``, with the scalar
passed as a traced value so a new scalar never recompiles). Both operands have the data's
dtype: MXNet converts the scalar to it first, so ``int32 * 0.5`` multiplies by 0.
"""

import jax.numpy as jnp
from jax import lax

from ..base import MXNetError, shape_error
from .elemwise import is_int
from .spec import register


def _div(a, b):
    if is_int(a):
        return lax.div(*jnp.broadcast_arrays(a, b))  # C division: truncates toward zero
    return a / b


def _mod(a, b):
    # Floor modulo (the result has the divisor's sign); MXNet gives 0 for a zero divisor.
    zero = b == 0
    return jnp.where(zero, jnp.zeros_like(a), jnp.mod(a, jnp.where(zero, jnp.ones_like(b), b)))


def _in_float32_for_int(fn):
    # MXNet's pow and hypot run in float32 for integer operands.
    def kernel(a, b):
        if is_int(a):
            return fn(a.astype(jnp.float32), b.astype(jnp.float32)).astype(a.dtype)
        return fn(a, b)

    return kernel


def _maximum(a, b):
    # MXNet: a tie gives the whole gradient to the left operand; a nan on the left wins.
    return jnp.where((a >= b) | jnp.isnan(a), a, b)


def _minimum(a, b):
    return jnp.where((a <= b) | jnp.isnan(a), a, b)


def _as_dtype_of(fn):
    # Comparisons and logic ops return 0/1 in the operands' dtype.
    return lambda a, b: fn(a, b).astype(jnp.result_type(a, b))


_KERNELS = {
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "div": _div, "mod": _mod,
    "power": _in_float32_for_int(jnp.power), "hypot": _in_float32_for_int(jnp.hypot),
    "maximum": _maximum, "minimum": _minimum,
    "equal": _as_dtype_of(jnp.equal), "not_equal": _as_dtype_of(jnp.not_equal),
    "greater": _as_dtype_of(jnp.greater), "greater_equal": _as_dtype_of(jnp.greater_equal),
    "lesser": _as_dtype_of(jnp.less), "lesser_equal": _as_dtype_of(jnp.less_equal),
    "logical_and": _as_dtype_of(lambda a, b: (a != 0) & (b != 0)),
    "logical_or": _as_dtype_of(lambda a, b: (a != 0) | (b != 0)),
    "logical_xor": _as_dtype_of(lambda a, b: (a != 0) != (b != 0)),
}

# kernel: (same-shape op and aliases, broadcast op and aliases,
#          scalar op and aliases, reversed scalar op and aliases (scalar on the left))
_BINARY = {
    "add": (("elemwise_add", "_add", "_plus", "_Plus"), ("broadcast_add", "broadcast_plus"),
            ("_plus_scalar", "_PlusScalar"), ()),
    "sub": (("elemwise_sub", "_sub", "_minus", "_Minus"), ("broadcast_sub", "broadcast_minus"),
            ("_minus_scalar", "_MinusScalar"), ("_rminus_scalar", "_RMinusScalar")),
    "mul": (("elemwise_mul", "_mul", "_Mul"), ("broadcast_mul",),
            ("_mul_scalar", "_MulScalar"), ()),
    "div": (("elemwise_div", "_div", "_Div"), ("broadcast_div",),
            ("_div_scalar", "_DivScalar"), ("_rdiv_scalar", "_RDivScalar")),
    "mod": (("_mod", "_Mod"), ("broadcast_mod",),
            ("_mod_scalar", "_ModScalar"), ("_rmod_scalar", "_RModScalar")),
    "power": (("_power", "_Power"), ("broadcast_power",),
              ("_power_scalar", "_PowerScalar"), ("_rpower_scalar", "_RPowerScalar")),
    "maximum": (("_maximum", "_Maximum"), ("broadcast_maximum",),
                ("_maximum_scalar", "_MaximumScalar"), ()),
    "minimum": (("_minimum", "_Minimum"), ("broadcast_minimum",),
                ("_minimum_scalar", "_MinimumScalar"), ()),
    "hypot": (("_hypot", "_Hypot"), ("broadcast_hypot",), ("_hypot_scalar", "_HypotScalar"), ()),
    "equal": (("_equal", "_Equal"), ("broadcast_equal",), ("_equal_scalar", "_EqualScalar"), ()),
    "not_equal": (("_not_equal", "_Not_Equal"), ("broadcast_not_equal",),
                  ("_not_equal_scalar", "_NotEqualScalar"), ()),
    "greater": (("_greater", "_Greater"), ("broadcast_greater",),
                ("_greater_scalar", "_GreaterScalar"), ()),
    "greater_equal": (("_greater_equal", "_Greater_Equal"), ("broadcast_greater_equal",),
                      ("_greater_equal_scalar", "_GreaterEqualScalar"), ()),
    "lesser": (("_lesser", "_Lesser"), ("broadcast_lesser",),
               ("_lesser_scalar", "_LesserScalar"), ()),
    "lesser_equal": (("_lesser_equal", "_Lesser_Equal"), ("broadcast_lesser_equal",),
                     ("_lesser_equal_scalar", "_LesserEqualScalar"), ()),
    "logical_and": (("_logical_and", "_Logical_And"), ("broadcast_logical_and",),
                    ("_logical_and_scalar", "_LogicalAndScalar"), ()),
    "logical_or": (("_logical_or", "_Logical_Or"), ("broadcast_logical_or",),
                   ("_logical_or_scalar", "_LogicalOrScalar"), ()),
    "logical_xor": (("_logical_xor", "_Logical_Xor"), ("broadcast_logical_xor",),
                    ("_logical_xor_scalar", "_LogicalXorScalar"), ()),
}


def _check_dtypes(op, lhs, rhs):
    if lhs.dtype != rhs.dtype:
        raise MXNetError(f"{op}: lhs has dtype {lhs.dtype} but rhs has dtype {rhs.dtype}; "
                         "cast one of them first")


def broadcast_shape(op, lshape, rshape):
    """The shape two operands broadcast to (missing leading axes count as 1)."""
    n = max(len(lshape), len(rshape))
    lpad = (1,) * (n - len(lshape)) + tuple(lshape)
    rpad = (1,) * (n - len(rshape)) + tuple(rshape)
    if any(l != r and l != 1 and r != 1 for l, r in zip(lpad, rpad)):
        raise MXNetError(f"{op}: operands could not be broadcast together with shapes "
                         f"lhs={tuple(lshape)} rhs={tuple(rshape)}")
    return tuple(max(l, r) if min(l, r) else 0 for l, r in zip(lpad, rpad))


def _register_same_shape(key, names):
    op, kernel = names[0], _KERNELS[key]

    def same_shape(lhs, rhs):
        if lhs.shape != rhs.shape:
            raise shape_error(op, "rhs", rhs.shape, lhs.shape, lhs=lhs.shape)
        _check_dtypes(op, lhs, rhs)
        return kernel(lhs, rhs)

    register(op, inputs=("lhs", "rhs"), aliases=names[1:], same_shape=True,
             lists_input_names=True,
             doc=f"Elementwise {key} of two arrays of the same shape.")(same_shape)


def _register_broadcast(key, names):
    op, kernel = names[0], _KERNELS[key]

    def broadcasting(lhs, rhs):
        broadcast_shape(op, lhs.shape, rhs.shape)
        _check_dtypes(op, lhs, rhs)
        return kernel(lhs, rhs)

    register(op, inputs=("lhs", "rhs"), aliases=names[1:], lists_input_names=True,
             doc=f"Elementwise {key} of two arrays, broadcasting axes of size 1.")(broadcasting)


def _scalar_operands(data, scalar, is_int_scalar):
    """``(data, scalar)`` in the dtype MXNet computes in: the data's dtype, except float64
    for integer data with ``is_int=False`` (a fractional scalar is truncated otherwise)."""
    if is_int(data) and not is_int_scalar:
        return data.astype(jnp.float64), jnp.asarray(scalar, jnp.float64)
    return data, jnp.asarray(scalar).astype(data.dtype)


def _register_scalar(key, names, reverse):
    kernel = _KERNELS[key]

    def scalar_op(data, *, scalar, is_int):
        x, s = _scalar_operands(data, scalar, is_int)
        return kernel(s, x) if reverse else kernel(x, s)

    operands = "a scalar and an array" if reverse else "an array and a scalar"
    register(names[0], aliases=names[1:], attrs=dict(scalar=1.0, is_int=True),
             dynamic=("scalar",),
             doc=f"Elementwise {key} of {operands} (the scalar in the array's dtype).")(
        scalar_op)


for _key, (_same, _bcast, _scalar, _rscalar) in _BINARY.items():
    _register_same_shape(_key, _same)
    _register_broadcast(_key, _bcast)
    _register_scalar(_key, _scalar, reverse=False)
    if _rscalar:
        _register_scalar(_key, _rscalar, reverse=True)


# ---- explicit broadcasts ----------------------------------------------------------------
def _broadcast_into(op, data, target):
    if len(target) != data.ndim:
        raise MXNetError(f"{op}: operand of shape {data.shape} cannot be broadcast to "
                         f"{tuple(target)} (different number of dimensions)")
    for have, want in zip(data.shape, target):
        if want < 0 or (have != want and have != 1):
            raise MXNetError(f"{op}: array cannot be broadcast from {data.shape} to "
                             f"{tuple(target)}")
    return jnp.broadcast_to(data, tuple(target))


@register("broadcast_to", attrs=dict(shape=()))
def broadcast_to(data, *, shape):
    """Broadcasts size-1 axes to ``shape``; a 0 in ``shape`` keeps that axis."""
    target = tuple(int(d) for d in shape)
    if len(target) == data.ndim:
        target = tuple(have if want == 0 else want for have, want in zip(data.shape, target))
    return _broadcast_into("broadcast_to", data, target)


@register("broadcast_axis", aliases=("broadcast_axes",), attrs=dict(axis=(), size=()))
def broadcast_axis(data, *, axis, size):
    """Broadcasts the size-1 axes ``axis`` to the sizes ``size``."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    sizes = (size,) if isinstance(size, int) else tuple(size)
    if len(axes) != len(sizes):
        raise MXNetError(f"broadcast_axis: axis {axes} and size {sizes} differ in length")
    target = list(data.shape)
    for a, n in zip(axes, sizes):
        if not 0 <= a < data.ndim:
            raise MXNetError(f"broadcast_axis: axis {a} must be in range [0, {data.ndim}) "
                             f"for data of shape {data.shape}")
        if data.shape[a] != 1:
            raise shape_error("broadcast_axis", "data", data.shape,
                              f"size 1 on broadcast axis {a}")
        target[a] = n
    return jnp.broadcast_to(data, tuple(target))


@register("broadcast_like", inputs=("lhs", "rhs"), attrs=dict(lhs_axes=None, rhs_axes=None),
          lists_input_names=True)
def broadcast_like(lhs, rhs, *, lhs_axes, rhs_axes):
    """Broadcasts ``lhs`` to the shape of ``rhs`` (or only the given axes of it)."""
    if lhs_axes is None or rhs_axes is None:
        return _broadcast_into("broadcast_like", lhs, rhs.shape)
    lhs_axes, rhs_axes = tuple(lhs_axes), tuple(rhs_axes)
    if len(lhs_axes) != len(rhs_axes) or not lhs_axes:
        raise MXNetError(f"broadcast_like: lhs_axes {lhs_axes} and rhs_axes {rhs_axes} must be "
                         "non-empty and of equal length")
    target = list(lhs.shape)
    for la, ra in zip(lhs_axes, rhs_axes):
        src, dst = la + lhs.ndim if la < 0 else la, ra + rhs.ndim if ra < 0 else ra
        if not (0 <= src < lhs.ndim and 0 <= dst < rhs.ndim):
            raise MXNetError(f"broadcast_like: invalid axes lhs_axes={lhs_axes} "
                             f"rhs_axes={rhs_axes} for shapes {lhs.shape} and {rhs.shape}")
        if lhs.shape[src] != 1:
            raise shape_error("broadcast_like", "lhs", lhs.shape, f"size 1 on axis {la}",
                              rhs=rhs.shape)
        target[src] = rhs.shape[dst]
    return jnp.broadcast_to(lhs, tuple(target))
