"""Linear algebra on batches of matrices (``mx.nd.linalg.*``, MXNet's ``_linalg_*``).

Every operator works on the last two axes (``gemm``/``gemm2``: rows on ``axis``, columns
on the last axis) and is batched over the others. Like MXNet, only float32 and float64 are
accepted, and factorizations read a single triangle of their input.
"""

import functools
import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _host
from ..base import MXNetError
from .spec import register


def _linalg(name, **options):
    """Register ``_linalg_<name>`` with its alias ``linalg_<name>``, as MXNet does."""
    return register(f"_linalg_{name}", aliases=(f"linalg_{name}",), **options,
                    lists_input_names=True)


def _check_float(op, *arrays):
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) > 1:
        raise MXNetError(f"{op}: inputs must share one dtype, got "
                         f"{', '.join(str(a.dtype) for a in arrays)}")
    if arrays[0].dtype not in (jnp.float32, jnp.float64):
        raise MXNetError(f"{op}: this operation only supports 32-bit and 64-bit floating "
                         f"point, got {arrays[0].dtype}")


def _check_square(op, name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise MXNetError(f"{op}: {name} must be a tensor of square matrices "
                         f"(ndim >= 2), got shape {a.shape}")


def _matrices(op, *arrays, square=True):
    _check_float(op, *arrays)
    if square:
        _check_square(op, "A", arrays[0])
    if any(a.ndim != arrays[0].ndim for a in arrays) or arrays[0].ndim < 2:
        raise MXNetError(f"{op}: inputs must be tensors of matrices of equal rank, got "
                         f"shapes {', '.join(str(a.shape) for a in arrays)}")


def _t(a):
    return jnp.swapaxes(a, -1, -2)


def _triangle(a, lower):
    return jnp.tril(a) if lower else jnp.triu(a)


def _symmetric_from(a, lower):
    """The symmetric matrix held in one triangle of ``a``. Its gradient is that of
    ``(a + a.T) / 2``: MXNet's symmetric gradient for potrf and syevd."""
    tri = _triangle(a, lower)
    strict = jnp.tril(a, -1) if lower else jnp.triu(a, 1)
    held = tri + _t(strict)
    sym = (a + _t(a)) * 0.5
    return sym + lax.stop_gradient(held - sym)


def _per_matrix(a, values):
    """Batch of scalars: MXNet gives a single matrix's result the shape ``(1,)``."""
    return values.reshape(1) if a.ndim == 2 else values


# ---------------------------------------------------------------------------------------
# Products

def _gemm_operands(op, a, b, transpose_a, transpose_b, axis):
    _matrices(op, a, b, square=False)
    ndim = a.ndim
    row = axis + ndim if axis < 0 else axis
    if not 0 <= row < ndim - 1:
        raise MXNetError(f"{op}: invalid row axis {axis} for inputs of rank {ndim}")
    if any(a.shape[i] != b.shape[i] for i in range(ndim - 1) if i != row):
        raise MXNetError(f"{op}: shapes of A {a.shape} and B {b.shape} must be the same "
                         f"except on the row axis {row} and the last (column) axis")
    a, b = jnp.moveaxis(a, row, -2), jnp.moveaxis(b, row, -2)
    a = _t(a) if transpose_a else a
    b = _t(b) if transpose_b else b
    if a.shape[-1] != b.shape[-2]:
        raise MXNetError(f"{op}: incompatible matrix dimensions for multiplication: A "
                         f"{a.shape}, B {b.shape} (transpose_a={transpose_a}, "
                         f"transpose_b={transpose_b}, axis={axis})")
    return a, b, row


def _restore_axes(out, row):
    return jnp.moveaxis(out, -2, row)


@_linalg("gemm", inputs=("A", "B", "C"),
         attrs=dict(transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0, axis=-2))
def gemm(A, B, C, *, transpose_a, transpose_b, alpha, beta, axis):
    """``alpha * op(A) @ op(B) + beta * C`` on batches of matrices."""
    _check_float("linalg.gemm", A, C)
    a, b, row = _gemm_operands("linalg.gemm", A, B, transpose_a, transpose_b, axis)
    out = _restore_axes(alpha * jnp.matmul(a, b), row)
    if C.shape != out.shape:
        raise MXNetError(f"linalg.gemm: C has shape {C.shape}, expected {out.shape}")
    return out + beta * C


@_linalg("gemm2", inputs=("A", "B"),
         attrs=dict(transpose_a=False, transpose_b=False, alpha=1.0, axis=-2))
def gemm2(A, B, *, transpose_a, transpose_b, alpha, axis):
    """``alpha * op(A) @ op(B)`` on batches of matrices."""
    a, b, row = _gemm_operands("linalg.gemm2", A, B, transpose_a, transpose_b, axis)
    return _restore_axes(alpha * jnp.matmul(a, b), row)


@_linalg("syrk", inputs=("A",), attrs=dict(transpose=False, alpha=1.0))
def syrk(A, *, transpose, alpha):
    """``alpha * A @ A.T`` (or ``alpha * A.T @ A`` with ``transpose``)."""
    _matrices("linalg.syrk", A, square=False)
    a = _t(A) if transpose else A
    return alpha * jnp.matmul(a, _t(a))


_TRIANGULAR = dict(transpose=False, rightside=False, lower=True, alpha=1.0)


def _triangular_operands(op, A, B, rightside):
    _matrices(op, A, B)
    if A.shape[:-2] != B.shape[:-2]:
        raise MXNetError(f"{op}: A {A.shape} and B {B.shape} must have the same batch axes")
    inner = B.shape[-1] if rightside else B.shape[-2]
    if inner != A.shape[-1]:
        raise MXNetError(f"{op}: incompatible matrix dimensions for multiplication: A "
                         f"{A.shape}, B {B.shape} (rightside={rightside})")


@_linalg("trmm", inputs=("A", "B"), attrs=_TRIANGULAR)
def trmm(A, B, *, transpose, rightside, lower, alpha):
    """``alpha * op(T) @ B`` (or ``B @ op(T)``), T the lower/upper triangle of A."""
    _triangular_operands("linalg.trmm", A, B, rightside)
    tri = _triangle(A, lower)
    tri = _t(tri) if transpose else tri
    return alpha * (jnp.matmul(B, tri) if rightside else jnp.matmul(tri, B))


@_linalg("trsm", inputs=("A", "B"), attrs=_TRIANGULAR)
def trsm(A, B, *, transpose, rightside, lower, alpha):
    """Solve ``op(T) @ X = alpha * B`` (or ``X @ op(T) = alpha * B``), T triangular."""
    _triangular_operands("linalg.trsm", A, B, rightside)
    return lax.linalg.triangular_solve(_triangle(A, lower), alpha * B,
                                       left_side=not rightside, lower=lower,
                                       transpose_a=transpose)


# ---------------------------------------------------------------------------------------
# Factorizations and inverses

_CHOLESKY = dict(lower=True)  # MXNet parses it though its docs do not list it


@_linalg("potrf", inputs=("A",), attrs=_CHOLESKY)
def potrf(A, *, lower):
    """Cholesky factor: lower L with ``A = L @ L.T`` (upper U, ``A = U.T @ U``)."""
    _matrices("linalg.potrf", A)
    factor = jnp.linalg.cholesky(_symmetric_from(A, lower), symmetrize_input=False)
    _host.check(_check_cholesky, factor)
    return factor if lower else _t(factor)


def _check_cholesky(factor):
    # MXNet's LAPACK potrf fails on a matrix that is not positive-definite (a pivot <= 0);
    # JAX's Cholesky returns NaNs there instead.
    pivots = np.diagonal(factor, axis1=-2, axis2=-1)
    if not (np.all(np.isfinite(factor)) and np.all(pivots > 0)):
        raise MXNetError("linalg.potrf: the input matrix is not symmetric positive-definite "
                         "(potrf failed in LAPACK)")


@_linalg("potri", inputs=("A",), attrs=_CHOLESKY)
def potri(A, *, lower):
    """Inverse of ``L @ L.T`` (``U.T @ U``) from its Cholesky factor."""
    _matrices("linalg.potri", A)
    eye = jnp.broadcast_to(jnp.eye(A.shape[-1], dtype=A.dtype), A.shape)
    inv = lax.linalg.triangular_solve(_triangle(A, lower), eye, left_side=True, lower=lower)
    return jnp.matmul(_t(inv), inv) if lower else jnp.matmul(inv, _t(inv))


@_linalg("inverse", inputs=("A",))
def inverse(A):
    """Inverse of each square matrix."""
    _matrices("linalg.inverse", A)
    return jnp.linalg.inv(A)


@_linalg("det", inputs=("A",), total_outputs=3)
def det(A):
    """Determinant of each square matrix."""
    _matrices("linalg.det", A)
    return _per_matrix(A, jnp.linalg.det(A))


@_linalg("slogdet", inputs=("A",), num_outputs=2, total_outputs=4)
def slogdet(A):
    """Sign and log of the absolute value of each determinant."""
    _matrices("linalg.slogdet", A)
    sign, logabsdet = jnp.linalg.slogdet(A)
    return _per_matrix(A, sign), _per_matrix(A, logabsdet)


@_linalg("gelqf", inputs=("A",), num_outputs=2)
def gelqf(A):
    """LQ factorization ``A = L @ Q``: Q with orthonormal rows, L lower triangular."""
    _matrices("linalg.gelqf", A, square=False)
    if A.shape[-2] > A.shape[-1]:
        raise MXNetError(f"linalg.gelqf: A must have no more rows than columns, got shape "
                         f"{A.shape}")
    q, r = jnp.linalg.qr(_t(A))
    return _t(q), _t(r)


def _syevd_signs(u):
    """MXNet's deterministic sign: the largest-magnitude entry of each row is positive."""
    k = jnp.argmax(jnp.abs(u), axis=-1)
    pivot = jnp.take_along_axis(u, k[..., None], axis=-1)
    return jnp.where(pivot < 0, -1, 1).astype(u.dtype)


@register("_linalg_syevd", inputs=("A",), num_outputs=2, lists_input_names=True)
def syevd(A):
    """Symmetric eigendecomposition ``A = U.T @ diag(L) @ U`` (rows of U, L ascending)."""
    _matrices("linalg.syevd", A)
    w, v = jnp.linalg.eigh(_symmetric_from(A, True), symmetrize_input=False)
    u = _t(v)
    return u * lax.stop_gradient(_syevd_signs(u)), w


# ---------------------------------------------------------------------------------------
# Diagonals and triangles

@_linalg("sumlogdiag", inputs=("A",))
def sumlogdiag(A):
    """Sum of the logarithms of the diagonal of each square matrix."""
    _matrices("linalg.sumlogdiag", A)
    return _per_matrix(A, jnp.sum(jnp.log(jnp.diagonal(A, axis1=-2, axis2=-1)), axis=-1))


def _offset_size(op, a, offset):
    _matrices(op, a)
    n = a.shape[-1] - abs(offset)
    if n <= 0:
        raise MXNetError(f"{op}: illegal offset {offset} for matrices of shape "
                         f"{a.shape[-2:]}")
    return n


@_linalg("extractdiag", inputs=("A",), attrs=dict(offset=0))
def extractdiag(A, *, offset):
    """The diagonal (``offset`` > 0: above, < 0: below) of each square matrix."""
    _offset_size("linalg.extractdiag", A, offset)
    return jnp.diagonal(A, offset, axis1=-2, axis2=-1)


@_linalg("makediag", inputs=("A",), attrs=dict(offset=0))
def makediag(A, *, offset):
    """Square matrices with the last axis of A on the diagonal ``offset``."""
    _check_float("linalg.makediag", A)
    n = A.shape[-1] + abs(offset)
    i = np.arange(A.shape[-1])
    rows, cols = i + max(-offset, 0), i + max(offset, 0)
    return jnp.zeros((*A.shape[:-1], n, n), A.dtype).at[..., rows, cols].set(A)


@functools.cache
def _triangle_index(n, offset, lower):
    """(rows, cols) of a packed triangle, in MXNet's order: the lower triangle row by
    row; the upper one (``offset > 0``, or ``offset == 0`` and not ``lower``) column by
    column."""
    m = n - abs(offset)
    r, c = np.tril_indices(m)
    if offset > 0 or (offset == 0 and not lower):
        return c, r + abs(offset)
    return r + abs(offset), c


@_linalg("extracttrian", inputs=("A",), attrs=dict(offset=0, lower=True))
def extracttrian(A, *, offset, lower):
    """The lower (upper) triangle of each square matrix, packed into a vector."""
    _offset_size("linalg.extracttrian", A, offset)
    rows, cols = _triangle_index(A.shape[-1], offset, lower)
    return A[..., rows, cols]


@_linalg("maketrian", inputs=("A",), attrs=dict(offset=0, lower=True))
def maketrian(A, *, offset, lower):
    """Triangular matrices from packed vectors (the inverse of ``extracttrian``)."""
    _check_float("linalg.maketrian", A)
    size = A.shape[-1] if A.ndim else 0
    m = (math.isqrt(8 * size + 1) - 1) // 2
    if A.ndim == 0 or m * (m + 1) // 2 != size:
        raise MXNetError(f"linalg.maketrian: the last axis of A (shape {A.shape}) must "
                         f"hold a triangle of m*(m+1)/2 entries")
    n = m + abs(offset)
    rows, cols = _triangle_index(n, offset, lower)
    return jnp.zeros((*A.shape[:-1], n, n), A.dtype).at[..., rows, cols].set(A)

