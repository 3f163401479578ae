"""Matrix products: ``dot`` (MXNet's N-D semantics), ``batch_dot`` and ``khatri_rao``."""

import jax.numpy as jnp

from ..base import MXNetError
from .spec import register

_ATTRS = dict(transpose_a=False, transpose_b=False, forward_stype=None)


def _same_dtype(op, lhs, rhs):
    if lhs.dtype != rhs.dtype:
        raise MXNetError(f"{op}: lhs and rhs must have the same dtype, got {lhs.dtype} "
                         f"and {rhs.dtype}")


def _mismatch(op, lhs, rhs, transpose_a, transpose_b):
    return MXNetError(f"{op}: shapes do not match for multiplication: lhs {lhs.shape} x "
                      f"rhs {rhs.shape} (transpose_a={transpose_a}, "
                      f"transpose_b={transpose_b})")


@register("dot", inputs=("lhs", "rhs"), attrs=_ATTRS, lists_input_names=True)
def dot(lhs, rhs, *, transpose_a, transpose_b, forward_stype):
    """Tensor product: the last (first, if transposed) axis of lhs with the first (last)
    axis of rhs."""
    _same_dtype("dot", lhs, rhs)
    if lhs.ndim == 0 or rhs.ndim == 0:
        raise MXNetError(f"dot: scalar tensors are not supported (lhs {lhs.shape}, "
                         f"rhs {rhs.shape})")
    if lhs.ndim == 1 and rhs.ndim == 1:
        if transpose_a or transpose_b:
            raise MXNetError("dot: cannot transpose vectors")
        if lhs.shape != rhs.shape:
            raise _mismatch("dot", lhs, rhs, transpose_a, transpose_b)
        return jnp.matmul(lhs, rhs).reshape(1)
    # MXNet views each operand as a matrix: lhs (prod(shape[:-1]), shape[-1]), or its
    # transpose (shape[0], prod(shape[1:])).T; the other axes form the output shape.
    l_out = lhs.shape[1:] if transpose_a else lhs.shape[:-1]
    r_out = rhs.shape[:-1] if transpose_b else rhs.shape[1:]
    a = lhs.reshape(lhs.shape[0], -1).T if transpose_a else lhs.reshape(-1, lhs.shape[-1])
    b = rhs.reshape(-1, rhs.shape[-1]).T if transpose_b else rhs.reshape(rhs.shape[0], -1)
    if a.shape[1] != b.shape[0]:
        raise _mismatch("dot", lhs, rhs, transpose_a, transpose_b)
    out_shape = (l_out if lhs.ndim > 1 else ()) + (r_out if rhs.ndim > 1 else ())
    return jnp.matmul(a, b).reshape(out_shape)


@register("batch_dot", inputs=("lhs", "rhs"), attrs=_ATTRS, lists_input_names=True)
def batch_dot(lhs, rhs, *, transpose_a, transpose_b, forward_stype):
    """Matrix product of the last two axes, batched over the leading axes (N >= 3)."""
    _same_dtype("batch_dot", lhs, rhs)
    if lhs.ndim < 3 or lhs.ndim != rhs.ndim or lhs.shape[:-2] != rhs.shape[:-2]:
        raise MXNetError(f"batch_dot: needs N-D x N-D arrays (N >= 3) with equal batch "
                         f"axes, got lhs {lhs.shape} and rhs {rhs.shape}")
    a = jnp.swapaxes(lhs, -1, -2) if transpose_a else lhs
    b = jnp.swapaxes(rhs, -1, -2) if transpose_b else rhs
    if a.shape[-1] != b.shape[-2]:
        raise _mismatch("batch_dot", lhs, rhs, transpose_a, transpose_b)
    return jnp.matmul(a, b)


@register("khatri_rao", inputs=("args",), variadic=True,
          differentiable=False, lists_input_names=True)
def khatri_rao(*args):
    """Column-wise Kronecker product of matrices with equal column counts: row
    ``(i_1, ..., i_n)`` (first index most significant) of column ``j`` is
    ``prod_k args[k][i_k, j]``."""
    if not args:
        raise MXNetError("khatri_rao: at least one input is required")
    cols = args[0].shape[-1] if args[0].ndim else None
    for i, a in enumerate(args):
        if a.ndim != 2 or a.shape[1] != cols:
            raise MXNetError(f"khatri_rao: every input must be a matrix with {cols} columns, "
                             f"got args[{i}] of shape {a.shape}")
    out = args[0]
    for a in args[1:]:
        out = (out[:, None, :] * a[None, :, :]).reshape(-1, cols)
    return out
