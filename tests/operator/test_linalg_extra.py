"""Linear-algebra and matrix-product behaviour the goldens cannot express: which triangle
factorizations read, MXNet's symmetric gradients, packing orders, sign conventions, N-D
``dot`` with transposes, and dtype errors. Expected values were checked against MXNet
1.9.1."""

import numpy as np
import pytest

import mxjax as mx
from mxjax.base import MXNetError

L = mx.nd.linalg
rng = np.random.default_rng(0)


def _spd(n):
    b = rng.standard_normal((n, n))
    return b @ b.T / n + np.eye(n)


def _grad(fn, a, head):
    x = mx.nd.array(a, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = fn(x)
    y.backward(mx.nd.array(head, dtype="float64"))
    return y.asnumpy(), x.grad.asnumpy()


@pytest.mark.parametrize("lower", [True, False])
def test_potrf_reads_one_triangle_and_has_symmetric_gradient(lower):
    a = _spd(4)
    noise = np.triu(rng.standard_normal((4, 4)), 1)
    noisy = a + (noise if lower else noise.T)  # garbage in the triangle not read
    head = rng.standard_normal((4, 4))
    out, grad = _grad(lambda x: L.potrf(x, lower=lower), noisy, head)
    ref_out, ref_grad = _grad(lambda x: L.potrf(x, lower=lower), a, head)
    chol = np.linalg.cholesky(a)
    np.testing.assert_allclose(out, chol if lower else chol.T, rtol=1e-10)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12)
    # MXNet's gradient depends only on the factor, and is symmetric
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10)
    np.testing.assert_allclose(grad, grad.T, rtol=1e-10)


def test_potri_ignores_and_masks_the_other_triangle():
    chol = np.linalg.cholesky(_spd(3))
    garbage = chol + np.triu(rng.standard_normal((3, 3)), 1)
    out, grad = _grad(L.potri, garbage, rng.standard_normal((3, 3)))
    np.testing.assert_allclose(out, np.linalg.inv(chol @ chol.T), rtol=1e-10)
    np.testing.assert_array_equal(np.triu(grad, 1), 0)


@pytest.mark.parametrize("op", ["trmm", "trsm"])
def test_triangular_products_use_one_triangle(op):
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))
    out, grad = _grad(lambda x: getattr(L, op)(x, mx.nd.array(b, dtype="float64"),
                                               lower=False, alpha=2.0), a, np.ones((3, 2)))
    tri = np.triu(a)
    expected = 2 * (tri @ b if op == "trmm" else np.linalg.solve(tri, b))
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    np.testing.assert_array_equal(np.tril(grad, -1), 0)


def test_syevd_conventions_and_symmetric_gradient():
    a = _spd(4)
    noisy = a + np.triu(rng.standard_normal((4, 4)), 1)
    head = rng.standard_normal((4, 4))
    x = mx.nd.array(noisy, dtype="float64")
    u, lam = (v.asnumpy() for v in L.syevd(x))
    assert np.all(np.diff(lam) > 0)  # ascending
    np.testing.assert_allclose(u.T @ np.diag(lam) @ u, a, atol=1e-10)  # lower triangle read
    pivots = u[np.arange(4), np.argmax(np.abs(u), axis=1)]
    assert np.all(pivots > 0)  # MXNet's sign rule

    def grad_of(m):
        v = mx.nd.array(m, dtype="float64")
        v.attach_grad()
        with mx.autograd.record():
            out_u, _ = L.syevd(v)
        out_u.backward(mx.nd.array(head, dtype="float64"))
        return v.grad.asnumpy()

    g = grad_of(noisy)
    np.testing.assert_allclose(g, grad_of(a), rtol=1e-8)
    np.testing.assert_allclose(g, g.T, rtol=1e-8)


def test_gelqf_matches_lapack_signs():
    q, l_factor = L.gelqf(mx.nd.array([[1.0, 2, 3], [4, 5, 7]]))
    np.testing.assert_allclose(l_factor.asnumpy(), [[-3.7417, 0.0], [-9.3541, 1.5811]],
                               atol=1e-4)
    np.testing.assert_allclose(q.asnumpy()[0], [-0.2673, -0.5345, -0.8018], atol=1e-4)
    with pytest.raises(MXNetError):
        L.gelqf(mx.nd.ones((3, 2)))


def test_triangle_packing_orders():
    a = mx.nd.array(np.arange(16).reshape(4, 4))
    cases = {(0, True): [0, 4, 5, 8, 9, 10, 12, 13, 14, 15],
             (0, False): [0, 1, 5, 2, 6, 10, 3, 7, 11, 15],
             (1, True): [1, 2, 6, 3, 7, 11],  # offset > 0 is the upper triangle
             (-1, False): [4, 8, 9, 12, 13, 14]}  # offset < 0 is the lower one
    for (offset, lower), expected in cases.items():
        packed = L.extracttrian(a, offset=offset, lower=lower)
        np.testing.assert_array_equal(packed.asnumpy(), expected)
        rebuilt = L.maketrian(packed, offset=offset, lower=lower).asnumpy()
        mask = rebuilt != 0
        np.testing.assert_array_equal(rebuilt[mask], a.asnumpy()[mask])
    np.testing.assert_array_equal(L.makediag(mx.nd.array([1, 2]), offset=-1).asnumpy(),
                                  [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    with pytest.raises(MXNetError):
        L.maketrian(mx.nd.ones((4,)))
    with pytest.raises(MXNetError):
        L.extractdiag(a, offset=4)


def test_gemm_axis_puts_rows_on_axis_and_columns_last():
    a, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 5, 4, 6))
    out = L.gemm2(mx.nd.array(a), mx.nd.array(b), axis=1).asnumpy()
    expected = np.einsum("bijk,bkjl->bijl", a, b)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    with pytest.raises(MXNetError):
        L.gemm2(mx.nd.ones((2, 3)), mx.nd.ones((3, 2)), axis=-1)


@pytest.mark.parametrize("dtype", ["float16", "int32"])
def test_linalg_only_takes_float32_and_float64(dtype):
    a = mx.nd.ones((2, 2), dtype=dtype)
    for call in (lambda: L.gemm2(a, a), lambda: L.potrf(a), lambda: L.extractdiag(a),
                 lambda: L.det(a)):
        with pytest.raises(MXNetError, match="floating point"):
            call()


def test_dot_transposes_nd_operands_as_matrices():
    lhs, rhs = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5))
    out = mx.nd.dot(mx.nd.array(lhs), mx.nd.array(rhs), transpose_a=True)
    assert out.shape == (3, 4, 5)
    np.testing.assert_allclose(out.asnumpy(), np.tensordot(lhs, rhs, ([0], [0])), rtol=1e-5)
    rhs = rng.standard_normal((5, 4))
    out = mx.nd.dot(mx.nd.array(lhs), mx.nd.array(rhs), transpose_b=True)
    np.testing.assert_allclose(out.asnumpy(), lhs @ rhs.T, rtol=1e-5)
    with pytest.raises(MXNetError, match="transpose"):
        mx.nd.dot(mx.nd.ones((3,)), mx.nd.ones((3,)), transpose_a=True)
    with pytest.raises(MXNetError):
        mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((3, 4), dtype="float64"))
