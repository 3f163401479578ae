"""Random sampling: shapes, dtypes, seeding, distributions, multinomial and shuffle.

mxjax's streams are JAX's, so no test compares values with MXNet's; statistical tests
use 40k samples and bounds of several standard errors.
"""

import numpy as np
import pytest

import mxjax as mx
from mxjax.base import MXNetError
from mxjax.operator import get as get_spec

R = mx.nd.random
N = 40000


@pytest.fixture(autouse=True)
def _seeded():
    mx.random.seed(1234)  # statistical bounds below are ~5 standard errors; keep runs stable

# name -> (python function, scalar parameters, mean, variance)
SCALAR = {
    "uniform": (R.uniform, (-1.0, 3.0), 1.0, 16 / 12),
    "normal": (R.normal, (2.0, 0.5), 2.0, 0.25),
    "gamma": (R.gamma, (3.0, 2.0), 6.0, 12.0),
    "gamma_small_alpha": (R.gamma, (0.5, 1.0), 0.5, 0.5),
    "exponential": (R.exponential, (4.0,), 4.0, 16.0),
    "poisson": (R.poisson, (3.0,), 3.0, 3.0),
    "poisson_large": (R.poisson, (40.0,), 40.0, 40.0),
    "negative_binomial": (R.negative_binomial, (5, 0.4), 5 * 0.6 / 0.4, 5 * 0.6 / 0.16),
    "generalized_negative_binomial": (R.generalized_negative_binomial, (3.0, 0.5), 3.0,
                                      3.0 + 0.5 * 9.0),
    "generalized_negative_binomial_alpha0": (R.generalized_negative_binomial, (3.0, 0.0),
                                             3.0, 3.0),
}


def _check_moments(x, mean, var, axis=None):
    x = np.asarray(x, np.float64)
    n = x.size if axis is None else x.shape[axis]
    assert np.all(np.abs(x.mean(axis=axis) - mean) < 6 * np.sqrt(var / n) + 1e-6)
    assert np.all(np.abs(x.var(axis=axis) / var - 1) < 0.1)


@pytest.mark.parametrize("name", SCALAR)
def test_scalar_moments(name):
    fn, params, mean, var = SCALAR[name]
    x = fn(*params, shape=(N,))
    assert x.shape == (N,) and x.dtype == np.float32
    _check_moments(x.asnumpy(), mean, var)


@pytest.mark.parametrize("name", SCALAR)
def test_sample_moments_per_parameter(name):
    """NDArray parameters: one distribution per element, output shape param + shape."""
    fn, params, mean, var = SCALAR[name]
    arrays = [mx.nd.array([p, p], dtype="float64") for p in params]
    x = fn(*arrays, shape=(N // 2, 2))  # N samples per parameter element
    assert x.shape == (2, N // 2, 2) and x.dtype == np.float32
    _check_moments(x.asnumpy().reshape(2, -1), mean, var, axis=1)


def test_sample_uses_each_parameter():
    x = R.normal(mx.nd.array([[0.0, 10.0], [-5.0, 100.0]]), mx.nd.array([[1.0, 1.0],
                                                                         [1.0, 1.0]]),
                 shape=5000).asnumpy()
    assert x.shape == (2, 2, 5000)
    np.testing.assert_allclose(x.mean(axis=-1), [[0, 10], [-5, 100]], atol=0.1)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_dtypes_and_default_shape(dtype):
    assert R.uniform().shape == (1,)
    assert R.uniform().dtype == np.float32
    for name in ("uniform", "normal", "exponential"):  # all share one dtype rule
        fn, params, _, _ = SCALAR[name]
        assert fn(*params, shape=(2, 3), dtype=dtype).dtype == np.dtype(dtype)
    p = mx.nd.ones((2,))
    assert R.normal(p, p, dtype=dtype).dtype == np.dtype(dtype)
    assert R.uniform_like(mx.nd.zeros((3, 2), dtype=dtype)).dtype == np.dtype(dtype)


def test_randint_range_and_dtype():
    x = R.randint(-3, 4, shape=(N,))
    assert x.dtype == np.int32 and x.shape == (N,)
    values = x.asnumpy()
    assert values.min() == -3 and values.max() == 3
    assert np.all(np.bincount(values + 3) > N / 7 * 0.8)
    assert R.randint(0, 10, shape=(3,), dtype="int64").dtype == np.int64
    assert R.randint(0, 10).shape == (1,)


def test_randn():
    x = R.randn(200, 100, loc=1.0, scale=2.0)
    assert x.shape == (200, 100)
    _check_moments(x.asnumpy(), 1.0, 4.0)
    assert R.randn(3, loc=mx.nd.zeros((2,)), scale=mx.nd.ones((2,))).shape == (2, 3)


def test_like_operators():
    data = mx.nd.zeros((100, 100), dtype="float64")
    x = R.normal_like(data, 1.0, 3.0)
    assert x.shape == (100, 100) and x.dtype == np.float64
    _check_moments(x.asnumpy(), 1.0, 9.0)
    assert R.uniform_like(data).shape == (100, 100)
    lam = R.poisson_like(mx.nd.zeros((2, 3), dtype="float16"), lam=2.0)
    assert lam.shape == (2, 3) and lam.dtype == np.float16
    assert np.all(lam.asnumpy() == np.round(lam.asnumpy()))
    with pytest.raises(MXNetError, match="dtype"):
        R.uniform_like(mx.nd.zeros((2,), dtype="int32"))


def test_seed_reproduces_and_calls_differ():
    mx.random.seed(42)
    a = [R.uniform(shape=(5,)).asnumpy(), R.normal(mx.nd.zeros((2,)), mx.nd.ones((2,)),
                                                   shape=3).asnumpy(),
         R.shuffle(mx.nd.arange(10)).asnumpy(), R.randint(0, 1000, shape=(5,)).asnumpy()]
    mx.random.seed(42)
    b = [R.uniform(shape=(5,)).asnumpy(), R.normal(mx.nd.zeros((2,)), mx.nd.ones((2,)),
                                                   shape=3).asnumpy(),
         R.shuffle(mx.nd.arange(10)).asnumpy(), R.randint(0, 1000, shape=(5,)).asnumpy()]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(R.uniform(shape=(5,)).asnumpy(), R.uniform(shape=(5,)).asnumpy())
    mx.random.seed(43)
    assert not np.array_equal(R.uniform(shape=(5,)).asnumpy(), a[0])


def test_new_parameter_values_do_not_recompile():
    spec = get_spec("_random_uniform")
    attrs = spec.parse_attrs(dict(shape=(4,)))
    _, jitted = spec.bind(attrs, 0)
    R.uniform(0.0, 1.0, shape=(4,))
    before = jitted._cache_size()
    for high in (2.0, 3.5, 7.25):
        x = R.uniform(1.0, high, shape=(4,)).asnumpy()
        assert np.all((x >= 1.0) & (x < high))
    assert jitted._cache_size() == before


def test_out_argument():
    out = mx.nd.zeros((3, 4))
    R.normal(0, 1, out=out)
    assert out.shape == (3, 4) and np.all(out.asnumpy() != 0)


def test_sample_parameters_get_no_gradient():
    loc, scale = mx.nd.array([1.0, 2.0]), mx.nd.array([1.0, 2.0])
    for p in (loc, scale):
        p.attach_grad()
    with mx.autograd.record():
        y = (R.normal(loc, scale, shape=(3,)) ** 2).sum()
    y.backward()
    np.testing.assert_array_equal(loc.grad.asnumpy(), 0)
    np.testing.assert_array_equal(scale.grad.asnumpy(), 0)


def test_multinomial_frequencies_and_log_prob():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], np.float32)
    data = mx.nd.array(probs)
    data.attach_grad()
    with mx.autograd.record():
        idx, log_p = R.multinomial(data, shape=(N,), get_prob=True)
    log_p.backward()
    idx, log_p = idx.asnumpy(), log_p.asnumpy()
    assert idx.shape == (2, N) and idx.dtype == np.int32 and log_p.dtype == np.float32
    for row in range(2):
        freq = np.bincount(idx[row], minlength=3) / N
        np.testing.assert_allclose(freq, probs[row], atol=0.02)
        np.testing.assert_allclose(log_p[row], np.log(probs[row][idx[row]]), rtol=1e-6)
    # d/dp of sum(log p[idx]) = counts / p
    counts = np.stack([np.bincount(idx[r], minlength=3) for r in range(2)])
    np.testing.assert_allclose(data.grad.asnumpy(), counts / probs, rtol=1e-4)


def test_multinomial_shapes_and_dtypes():
    p = mx.nd.array([0.3, 0.7])
    assert R.multinomial(p).shape == (1,)
    assert R.multinomial(p, shape=(2, 3)).shape == (2, 3)
    assert R.multinomial(mx.nd.ones((4, 2)) / 2).shape == (4,)
    assert R.multinomial(p, shape=3, dtype="float32").dtype == np.float32
    _, lp = R.multinomial(mx.nd.array([0.3, 0.7], dtype="float64"), shape=2, get_prob=True)
    assert lp.dtype == np.float64
    assert set(R.multinomial(mx.nd.array([0.0, 1.0, 0.0]), shape=100).asnumpy()) == {1}


def test_shuffle_permutes_first_axis():
    x = np.arange(40, dtype=np.int32).reshape(20, 2)
    y = R.shuffle(mx.nd.array(x, dtype="int32"))
    assert y.dtype == np.int32
    y = y.asnumpy()
    assert sorted(map(tuple, y)) == sorted(map(tuple, x))  # rows kept intact
    assert not np.array_equal(y, x)
    assert sorted(mx.nd.shuffle(mx.nd.arange(100)).asnumpy()) == list(range(100))


def test_shuffle_is_not_differentiable():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = R.shuffle(x).sum()
    with pytest.raises(MXNetError, match="non-differentiable"):
        y.backward()


@pytest.mark.parametrize("call", [
    lambda: R.uniform(1, 0),
    lambda: R.normal(0, -1),
    lambda: R.gamma(0, 1),
    lambda: R.poisson(-1),
    lambda: R.randint(5, 3),
    lambda: R.randint(0.5, 3),
    lambda: R.uniform(shape=(0, 3)),
    lambda: R.uniform(dtype="int32"),
    lambda: R.randint(0, 3, dtype="float32"),
    lambda: R.uniform(mx.nd.zeros((2, 3)), mx.nd.ones((3,))),
    lambda: R.shuffle(mx.nd.array(5)),
], ids=["uniform-order", "normal-scale", "gamma-alpha", "poisson-lam", "randint-order",
        "randint-float", "zero-shape", "uniform-int", "randint-float-dtype",
        "sample-shapes", "shuffle-scalar"])
def test_invalid_arguments_raise(call):
    with pytest.raises(MXNetError):
        call()


def test_mixed_parameter_types_raise():
    with pytest.raises(AssertionError, match="same type"):
        R.uniform(mx.nd.zeros((2,)), 1)


def test_module_names():
    for name in ("uniform", "normal", "randn", "poisson", "exponential", "gamma",
                 "multinomial", "negative_binomial", "generalized_negative_binomial",
                 "shuffle", "randint"):
        assert getattr(mx.random, name) is getattr(R, name)
    for name in ("uniform", "normal", "random_uniform", "random_randint", "sample_normal",
                 "sample_multinomial", "shuffle"):
        assert callable(getattr(mx.nd, name))


@pytest.mark.parametrize("alpha,beta", [(0.5, 1.0), (1.0, 5.0), (3.0, 2.0), (0.1, 1.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gamma_follows_its_distribution(alpha, beta, dtype):
    stats = pytest.importorskip("scipy.stats")
    x = R.gamma(alpha, beta, shape=(N,), dtype=dtype).asnumpy()
    assert x.dtype == np.dtype(dtype) and np.all(x >= 0)
    assert stats.kstest(x.astype(np.float64), "gamma", args=(alpha, 0, beta)).pvalue > 1e-4


def test_sample_unique_zipfian():
    classes, tries = mx.nd._internal._sample_unique_zipfian(1000, shape=(3, 200))
    assert classes.shape == (3, 200) and classes.dtype == np.int64
    assert tries.shape == (3,) and tries.dtype == np.int64
    c = classes.asnumpy()
    assert c.min() >= 0 and c.max() < 1000
    for row, n in zip(c, tries.asnumpy()):
        assert np.unique(row).size == 200 and n >= 200
    # log-uniform: small classes first and most often
    assert np.mean(c < 10) > 0.04
    with pytest.raises(MXNetError):
        mx.nd._internal._sample_unique_zipfian(10, shape=(1, 11))


def test_rand_zipfian_symbol_matches_expected_counts():
    true = mx.nd.array([0, 3, 9], dtype="int32")
    out = mx.sym.Group(mx.sym.contrib.rand_zipfian(mx.sym.var("t"), 500, 20))
    ex = out.bind(mx.cpu(), {"t": true})
    sampled, count_true, count_sampled = ex.forward()
    assert sampled.shape == (500,) and sampled.dtype == np.int64
    s = sampled.asnumpy()
    assert s.min() >= 0 and s.max() < 20
    expected = np.log((np.arange(20) + 2.0) / (np.arange(20) + 1.0)) / np.log(21) * 500
    np.testing.assert_allclose(count_true.asnumpy(), expected[[0, 3, 9]])
    np.testing.assert_allclose(count_sampled.asnumpy(), expected[s])
