"""The XLA:CPU formulations of convolution and pooling (mxjax/operator/cpu_kernels.py)
against lax.conv_general_dilated and lax.reduce_window: values and gradients (a max-pool
window's gradient to its first maximum, as select-and-scatter gives).

Tolerance: a float32 sum of L products, accumulated in any order, is within
gamma_L * sum|terms| of the exact sum, gamma_L = L * u / (1 - L * u), u = 2**-24. Two such
sums differ by at most 2 * gamma_L * sum|terms|, where sum|terms| is the same convolution
(or its gradient) of the absolute values, computed in float64. L is the reduction length:
C_in / groups * prod(kernel) for the output, C_out / groups * prod(kernel) for the data
gradient, N * prod(output sizes) for the weight gradient.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from mxjax.operator import conv as conv_op
from mxjax.operator import cpu_kernels
from mxjax.operator import pooling as pooling_op

U = 2.0 ** -24
_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}

# (batch, channels, spatial, num_filter, kernel, stride, pad, dilate, lhs_dilate, groups,
#  channel_last)
CONVS = [
    (2, 1, (7, 6), 4, (3, 3), (1, 1), (0, 0), (1, 1), (1, 1), 1, False),
    (2, 3, (7, 9), 5, (3, 2), (2, 1), (1, 2), (1, 1), (1, 1), 1, False),
    (1, 4, (8, 7), 6, (2, 3), (1, 2), (1, 0), (2, 1), (1, 1), 2, False),
    (2, 6, (6, 5), 6, (3, 2), (1, 1), (1, 1), (1, 1), (1, 1), 6, True),
    (1, 2, (5, 4), 3, (2, 2), (1, 1), (1, 1), (1, 1), (2, 2), 1, False),
    (2, 3, (11,), 4, (3,), (2,), (1,), (2,), (1,), 1, True),
    (1, 4, (5, 4, 5), 4, (2, 1, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), (1, 1, 1), 2, False),
    (3, 5, (6, 5), 2, (1, 1), (2, 2), (0, 1), (1, 1), (1, 1), 1, True),
]


def _dimension_numbers(nd, channel_last):
    s = _SPATIAL[nd]
    return ("N" + s + "C", "O" + s + "I", "N" + s + "C") if channel_last else \
        ("NC" + s, "OI" + s, "NC" + s)


def _case(n, c, spatial, f, kernel, stride, pad, dilate, lhs_dilate, groups, channel_last):
    rng = np.random.default_rng(n * 100 + c * 10 + f)
    nd = len(spatial)
    x = rng.standard_normal((n, c, *spatial)).astype(np.float32)
    w = rng.standard_normal((f, c // groups, *kernel)).astype(np.float32)
    if channel_last:
        x, w = np.moveaxis(x, 1, -1), np.moveaxis(w, 1, -1)
    kw = dict(window_strides=stride, padding=[(p, p) for p in pad], lhs_dilation=lhs_dilate,
              rhs_dilation=dilate, dimension_numbers=_dimension_numbers(nd, channel_last),
              feature_group_count=groups, preferred_element_type=None)
    return jnp.asarray(x), jnp.asarray(w), kw


def _with_grads(fn, x, w, g):
    y, vjp = jax.vjp(fn, x, w)
    return (y, *vjp(g))


# im2col is chosen for ungrouped convolutions only, and is the same product for 1x1 kernels
# make test checks every other geometry (make test-slow all of them)
@pytest.mark.parametrize("case, im2col", [
    pytest.param(c, im2col, marks=[pytest.mark.slow] if i % 2 else [],
                 id=f"{len(c[2])}d-g{c[9]}-{c[1]}ch-{im2col}")
    for i, (c, im2col) in enumerate([(c, False) for c in CONVS] +
                                    [(c, True) for c in CONVS if c[9] == 1
                                     and np.prod(c[4]) > 1])])
def test_conv_formulation_matches_lax(case, im2col):
    groups = case[9]
    x, w, kw = _case(*case)

    def native(a, b):
        return lax.conv_general_dilated(a, b, **kw)

    @jax.jit
    def run(x, w, g):
        # and sum|terms| for each result: the float64 computation on absolute values
        bound = _with_grads(native, *(jnp.abs(v).astype(jnp.float64) for v in (x, w, g)))
        return (_with_grads(native, x, w, g), bound,
                _with_grads(lambda a, b: cpu_kernels.conv(a, b, im2col=im2col, **kw), x, w, g))

    y = jax.eval_shape(native, x, w)
    g = jnp.asarray(np.random.default_rng(1).standard_normal(y.shape), jnp.float32)
    expected, bound, got = run(x, w, g)
    n, c = case[0], case[1]
    f, kernel = case[3], case[4]
    k = int(np.prod(kernel))
    spatial_out = int(np.prod(y.shape[1:-1] if case[10] else y.shape[2:]))
    lengths = (c // groups * k, f // groups * k, n * spatial_out)
    for name, e, o, b, length in zip(("output", "data grad", "weight grad"), expected, got,
                                     bound, lengths):
        gamma = length * U / (1 - length * U)
        assert o.shape == e.shape and o.dtype == e.dtype, name
        err = np.abs(np.asarray(o, np.float64) - np.asarray(e, np.float64))
        limit = 2 * gamma * np.asarray(b)
        assert np.all(err <= limit), (name, float(np.max(err - limit)))


def _pool_args(kernel, stride, pad, pool_type, convention="valid", layout=None):
    return dict(kernel=kernel, pool_type=pool_type, global_pool=False, cudnn_off=False,
                pooling_convention=convention, stride=stride, pad=pad, p_value=None,
                count_include_pad=None, layout=layout)


# (shape, kernel, stride, pad, convention, layout); the last two overlap
POOLS = [
    ((2, 3, 8, 6), (2, 2), (2, 2), (0, 0), "valid", None),
    ((1, 2, 7, 9), (2, 3), (2, 3), (0, 0), "valid", None),
    ((1, 2, 7, 5), (3, 2), (3, 2), (1, 1), "full", None),
    ((2, 5, 6, 3), (2, 3), (2, 3), (0, 0), "valid", "NHWC"),
    ((1, 2, 9), (3,), (3,), (1,), "valid", None),
    ((1, 1, 4, 6, 5), (2, 3, 2), (2, 3, 2), (0, 0, 1), "full", None),
    ((2, 2, 9, 8), (3, 3), (2, 2), (1, 1), "valid", None),
    ((1, 3, 7, 6), (3, 2), (2, 1), (0, 1), "full", "NHWC"),
]


def _pool_reference(v, axes, kernel, stride, pad, convention, pool_type):
    """Pooling with reduce_window, the formulation GPU/TPU keep."""
    sizes = [v.shape[a] for a in axes]
    outs = [-(-(n + 2 * p - k) // s) + 1 if convention == "full" else (n + 2 * p - k) // s + 1
            for n, k, s, p in zip(sizes, kernel, stride, pad)]
    win, strides, pads = [1] * v.ndim, [1] * v.ndim, [(0, 0)] * v.ndim
    for a, k, s, p, n, o in zip(axes, kernel, stride, pad, sizes, outs):
        win[a], strides[a], pads[a] = k, s, (p, max(0, (o - 1) * s + k - n - p))
    crop = tuple(slice(0, outs[axes.index(a)]) if a in axes else slice(None)
                 for a in range(v.ndim))
    if pool_type == "max":
        v = lax.pad(v, np.float32(np.finfo(np.float32).min), [(lo, hi, 0) for lo, hi in pads])
        return lax.reduce_window(v, -np.inf, lax.max, win, strides, "VALID")[crop]
    total = lax.reduce_window(v, 0.0, lax.add, win, strides, pads)[crop]
    if pool_type == "sum":
        return total
    counts = np.ones([1] * v.ndim)
    for a, k, s, p, n, o in zip(axes, kernel, stride, pad, sizes, outs):
        start = np.arange(o) * s - p
        size = np.minimum(start + k, n + p) - start
        counts = counts * size.reshape([o if b == a else 1 for b in range(v.ndim)])
    return total / counts.astype(np.float32)


@pytest.mark.parametrize("case", POOLS, ids=lambda c: f"{len(c[1])}d-k{''.join(map(str, c[1]))}"
                         f"-s{''.join(map(str, c[2]))}")
def test_cpu_pooling_matches_reduce_window(case):
    shape, kernel, stride, pad, convention, layout = case
    nd = len(kernel)
    axes = tuple(range(1, 1 + nd)) if layout else tuple(range(2, 2 + nd))
    rng = np.random.default_rng(len(shape) + sum(kernel))
    # few distinct values: many tied maxima, whose gradient goes to the first one
    x = jnp.asarray(rng.integers(0, 3, shape).astype(np.float32))

    def weighted(fn):  # distinct head gradients per output
        def loss(v):
            y = fn(v)
            return jnp.sum(y * jnp.arange(1, 1 + y.size, dtype=y.dtype).reshape(y.shape))
        return jax.value_and_grad(loss)

    @jax.jit
    def run(v):
        return [(weighted(lambda u, t=t: pooling_op.pooling(
                    u, **_pool_args(kernel, stride, pad, t, convention, layout)))(v),
                 weighted(lambda u, t=t: _pool_reference(u, axes, kernel, stride, pad,
                                                         convention, t))(v))
                for t in ("max", "avg", "sum")]

    for pool_type, ((value, grad), (ref_value, ref_grad)) in zip(("max", "avg", "sum"), run(x)):
        np.testing.assert_allclose(value, ref_value, rtol=1e-6, err_msg=pool_type)
        # max: each window's gradient goes to the same (first) maximum
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-6, err_msg=pool_type)


def test_cpu_programs_avoid_native_convolution_and_select_and_scatter():
    if jax.default_backend() != "cpu":
        pytest.skip("checks the programs XLA:CPU compiles")
    x = jnp.ones((2, 4, 6, 6), jnp.float32)
    w = jnp.ones((4, 1, 3, 3), jnp.float32)
    attrs = dict(kernel=(3, 3), stride=(), dilate=(), pad=(1, 1), num_filter=4, num_group=4,
                 workspace=1024, no_bias=True, cudnn_tune=None, cudnn_off=False, layout=None)

    def step(x, w):
        y = conv_op.convolution(x, w, None, **attrs)
        return jnp.sum(pooling_op.pooling(y, **_pool_args((2, 2), (2, 2), (), "max")) ** 2)

    def overlapping(x):
        return jnp.sum(pooling_op.pooling(x, **_pool_args((3, 3), (2, 2), (1, 1), "max")))

    text = jax.jit(jax.grad(step, (0, 1))).lower(x, w).compile().as_text() + \
        jax.jit(jax.grad(overlapping)).lower(x).compile().as_text()
    assert "convolution(" not in text and "select-and-scatter" not in text
    # (dtype, channels, kernel, groups, batch * output positions, filters)
    assert cpu_kernels.conv_formulation(jnp.float32, 64, (3, 3), 1, 8192, 64) == "native"
    assert cpu_kernels.conv_formulation(jnp.float32, 64, (1, 1), 1, 8192, 128) == "im2col"
    assert cpu_kernels.conv_formulation(jnp.float32, 6, (5, 5), 1, 4096, 16) == "im2col"
    assert cpu_kernels.conv_formulation(jnp.float32, 3, (3, 3), 1, 32768, 64) == "native"
    assert cpu_kernels.conv_formulation(jnp.float32, 16, (3, 3), 1, 50176, 32) == "native"
    assert cpu_kernels.conv_formulation(jnp.float32, 4, (3, 3), 4, 8192, 4) == "shifted"
    assert cpu_kernels.conv_formulation(jnp.int32, 1, (3, 3), 1, 10, 1) == "native"


def test_max_pool_forward_mode_gradient_picks_first_maximum():
    x = jnp.asarray([[[[1.0, 1.0], [0.0, 1.0]]]])
    t = jnp.asarray([[[[10.0, 20.0], [30.0, 40.0]]]])
    args = _pool_args((2, 2), (2, 2), (), "max")
    _, tangent = jax.jvp(lambda v: pooling_op.pooling(v, **args), (x,), (t,))
    assert tangent.tolist() == [[[[10.0]]]]

