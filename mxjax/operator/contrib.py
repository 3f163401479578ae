"""Contrib operators (``mx.nd.contrib``): allclose, index_copy, index_array, arange_like,
quadratic, gradientmultiplier, div_sqrt_dim, round_ste, sign_ste, the interleaved
attention matmuls and hawkesll."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .elemwise import in_float
from .spec import Required, register


@register("_contrib_allclose", inputs=("a", "b"),
          attrs=dict(rtol=1e-05, atol=1e-08, equal_nan=True),
          differentiable=False, lists_input_names=True)
def allclose(a, b, *, rtol, atol, equal_nan):
    """1 (uint8, shape ()) when every ``|a - b| <= atol + rtol * |b|``, else 0. NaNs
    compare equal to each other when ``equal_nan``."""
    if a.shape != b.shape:
        raise shape_error("allclose", "b", b.shape, a.shape)
    rtol, atol = np.float32(rtol), np.float32(atol)
    nan_a, nan_b = jnp.isnan(a), jnp.isnan(b)
    close = (a == b) | (jnp.abs(a - b) <= atol + rtol * jnp.abs(b))
    close = jnp.where(nan_a | nan_b, equal_nan & (nan_a == nan_b), close)
    return jnp.all(close).astype(jnp.uint8)


@register("_contrib_index_copy", inputs=("old_tensor", "index_vector", "new_tensor"),
          lists_input_names=True)
def index_copy(old_tensor, index_vector, new_tensor):
    """``old_tensor`` with the rows listed in ``index_vector`` replaced by the rows of
    ``new_tensor``."""
    if index_vector.ndim != 1 or new_tensor.shape != index_vector.shape + old_tensor.shape[1:]:
        raise shape_error("index_copy", "new_tensor", new_tensor.shape,
                          index_vector.shape + old_tensor.shape[1:], old_tensor=old_tensor.shape,
                          index_vector=index_vector.shape)
    return old_tensor.at[index_vector.astype(jnp.int32)].set(new_tensor.astype(old_tensor.dtype))


@register("_contrib_index_array", attrs=dict(axes=None), zero_gradient=True, lists_input_names=True)
def index_array(data, *, axes):
    """The index of every element: shape ``data.shape + (len(axes),)`` (all axes by
    default), int64."""
    if axes is None:
        axes = tuple(range(data.ndim))
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    for a in axes:
        if not -data.ndim <= a < data.ndim:
            raise MXNetError(f"index_array: axis {a} is out of range for {data.ndim}-D data")
    if not axes:
        return jnp.zeros(data.shape + (0,), jnp.int64)
    grids = jnp.meshgrid(*(jnp.arange(n, dtype=jnp.int64) for n in data.shape), indexing="ij")
    return jnp.stack([grids[a % data.ndim] for a in axes], axis=-1)


@register("_contrib_arange_like", attrs=dict(start=0.0, step=1.0, repeat=1, ctx="", axis=None),
          zero_gradient=True)
def arange_like(data, *, start, step, repeat, ctx, axis):
    """``start, start + step, ...`` (each repeated ``repeat`` times) in the shape of
    ``data``, or along its ``axis`` only, in ``data``'s dtype."""
    if axis is None:
        shape = data.shape
    else:
        if not -data.ndim <= axis < data.ndim:
            raise MXNetError(f"arange_like: axis {axis} is out of range for {data.ndim}-D data")
        shape = (data.shape[axis],)
    count = int(np.prod(shape))
    values = start + step * (np.arange(count) // repeat)
    return jnp.asarray(values.reshape(shape), data.dtype)


@register("_contrib_quadratic", attrs=dict(a=0.0, b=0.0, c=0.0), lists_input_names=True)
def quadratic(data, *, a, b, c):
    """``a * x**2 + b * x + c`` of each element."""
    a, b, c = (np.float32(v) for v in (a, b, c))
    return in_float(lambda x: (a * x * x + b * x + c).astype(x.dtype), data)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _scale_grad(scalar, data):
    return data


_scale_grad.defvjp(lambda scalar, data: (data, None),
                   lambda scalar, _, g: ((g * jnp.asarray(scalar, g.dtype)).astype(g.dtype),))


@register("_contrib_gradientmultiplier", attrs=dict(scalar=1.0, is_int=True))
def gradientmultiplier(data, *, scalar, is_int):
    """Identity forward; backward multiplies the gradient by ``scalar``."""
    return _scale_grad(float(scalar), data)


@register("_contrib_div_sqrt_dim")
def div_sqrt_dim(data):
    """``data / sqrt(data.shape[-1])``."""
    return data / jnp.sqrt(jnp.asarray(data.shape[-1], data.dtype))


@jax.custom_jvp
def _straight_through(rounded, data):
    return rounded


# Straight-through estimators: the gradient passes unchanged through the rounding.
_straight_through.defjvp(lambda primals, tangents: (primals[0], tangents[1]))


@register("_contrib_round_ste")
def round_ste(data):
    """Rounds halves away from zero; the gradient passes through unchanged."""
    rounded = lax.round(data, lax.RoundingMethod.AWAY_FROM_ZERO)
    return _straight_through(lax.stop_gradient(rounded), data)


@register("_contrib_sign_ste")
def sign_ste(data):
    """The sign (-1, 0 or 1); the gradient passes through unchanged."""
    return _straight_through(lax.stop_gradient(jnp.sign(data)), data)


# ---------------------------------------------------------------------------------------
# Interleaved multi-head attention products. Projections are interleaved per head:
# (seq, batch, heads * 3 * head_dim) holds, per head, its query, key and value.

def _heads(op, x, heads, parts):
    if x.ndim != 3 or x.shape[2] % (heads * parts):
        raise shape_error(op, "input", x.shape, f"(seq, batch, {heads} * {parts} * head_dim)")
    seq, batch, _ = x.shape
    return x.reshape(seq, batch, heads, parts, -1)


def _scores(op, q, k, batch, heads):
    d = q.shape[-1]
    out = jnp.einsum("ibhd,jbhd->bhij", q / jnp.sqrt(jnp.asarray(d, q.dtype)), k)
    return out.reshape(batch * heads, q.shape[0], k.shape[0])


def _weighted(op, attention, v, batch, heads):
    seq_kv = v.shape[0]
    att = attention.reshape(batch, heads, -1, seq_kv)
    if attention.shape[0] != batch * heads or attention.shape[2] != seq_kv:
        raise shape_error(op, "attention", attention.shape, f"({batch * heads}, L, {seq_kv})")
    out = jnp.einsum("bhij,jbhd->ibhd", att, v)
    return out.reshape(out.shape[0], batch, -1)


@register("_contrib_interleaved_matmul_selfatt_qk", inputs=("queries_keys_values",),
          attrs=dict(heads=Required), lists_input_names=True)
def interleaved_matmul_selfatt_qk(queries_keys_values, *, heads):
    """Self-attention scores ``q . k / sqrt(head_dim)``: (batch * heads, seq, seq)."""
    op = "interleaved_matmul_selfatt_qk"
    qkv = _heads(op, queries_keys_values, heads, 3)
    return _scores(op, qkv[:, :, :, 0], qkv[:, :, :, 1], qkv.shape[1], heads)


@register("_contrib_interleaved_matmul_selfatt_valatt",
          inputs=("queries_keys_values", "attention"), attrs=dict(heads=Required),
          lists_input_names=True)
def interleaved_matmul_selfatt_valatt(queries_keys_values, attention, *, heads):
    """Attention-weighted values: (seq, batch, heads * head_dim)."""
    op = "interleaved_matmul_selfatt_valatt"
    qkv = _heads(op, queries_keys_values, heads, 3)
    return _weighted(op, attention, qkv[:, :, :, 2], qkv.shape[1], heads)


@register("_contrib_interleaved_matmul_encdec_qk", inputs=("queries", "keys_values"),
          attrs=dict(heads=Required), lists_input_names=True)
def interleaved_matmul_encdec_qk(queries, keys_values, *, heads):
    """Encoder-decoder attention scores: (batch * heads, query_len, key_len)."""
    op = "interleaved_matmul_encdec_qk"
    q = _heads(op, queries, heads, 1)[:, :, :, 0]
    kv = _heads(op, keys_values, heads, 2)
    if kv.shape[1] != q.shape[1] or kv.shape[-1] != q.shape[-1]:
        raise shape_error(op, "keys_values", keys_values.shape,
                          f"(key_len, {q.shape[1]}, {heads * 2 * q.shape[-1]})",
                          queries=queries.shape)
    return _scores(op, q, kv[:, :, :, 0], q.shape[1], heads)


@register("_contrib_interleaved_matmul_encdec_valatt", inputs=("keys_values", "attention"),
          attrs=dict(heads=Required), lists_input_names=True)
def interleaved_matmul_encdec_valatt(keys_values, attention, *, heads):
    """Encoder-decoder attention-weighted values: (query_len, batch, heads * head_dim)."""
    op = "interleaved_matmul_encdec_valatt"
    kv = _heads(op, keys_values, heads, 2)
    return _weighted(op, attention, kv[:, :, :, 1], kv.shape[1], heads)


# ---------------------------------------------------------------------------------------
# hawkesll

@register("_contrib_hawkesll", inputs=("lda", "alpha", "beta", "state", "lags", "marks",
                                       "valid_length", "max_time"), num_outputs=2,
          output_names=("output", "out_state"), lists_input_names=True)
def hawkesll(lda, alpha, beta, state, lags, marks, valid_length, max_time):
    """Log likelihood of N marked Hawkes processes with exponential kernels, and their
    states at ``max_time``.

    ``lda`` (N, K) background intensities, ``alpha``/``beta`` (K,) branching ratios and
    decays, ``state`` (N, K) initial states, ``lags`` (N, T) interarrival times, ``marks``
    (N, T) int32 marks, ``valid_length`` and ``max_time`` (N,)."""
    n, k = lda.shape
    if lags.shape[0] != n or marks.shape != lags.shape or alpha.shape != (k,) or \
            beta.shape != (k,) or state.shape != (n, k):
        raise shape_error("hawkesll", "lags", lags.shape, f"({n}, T)", lda=lda.shape,
                          alpha=alpha.shape, beta=beta.shape, state=state.shape,
                          marks=marks.shape)
    rows = jnp.arange(n)
    mark = marks.astype(jnp.int32)

    def step(carry, j):
        ll, t, last, st = carry
        ci = mark[:, j]
        valid = j < valid_length
        t_new = t + lags[:, j]
        d = t_new - last[rows, ci]
        ed = jnp.exp(-beta[ci] * d)
        s = st[rows, ci]
        intensity = lda[rows, ci] + alpha[ci] * beta[ci] * s * ed
        comp = lda[rows, ci] * d + alpha[ci] * s * (1 - ed)
        ll = jnp.where(valid, ll + jnp.log(intensity) - comp, ll)
        st = jnp.where(valid[:, None] & (jnp.arange(k) == ci[:, None]),
                       (1 + s * ed)[:, None], st)
        last = jnp.where(valid[:, None] & (jnp.arange(k) == ci[:, None]), t_new[:, None], last)
        return (ll, jnp.where(valid, t_new, t), last, st), None

    # MXNet's backward differentiates the log likelihood only, and not for the states.
    init = (jnp.zeros(n, lda.dtype), jnp.zeros(n, lda.dtype), jnp.zeros((n, k), lda.dtype),
            lax.stop_gradient(state))
    (ll, _, last, st), _ = lax.scan(step, init, jnp.arange(lags.shape[1]))
    d = max_time[:, None] - last
    ed = jnp.exp(-beta * d)
    remaining = lda * d + alpha * st * (1 - ed)
    return ll - jnp.sum(remaining, axis=1), lax.stop_gradient(ed * st)
