"""``mx.init`` against MXNet 1.9.1, and the statistics of the random initializers.

Deterministic results (arrays, ``dumps()`` strings, exception types) come from the cases
of ``tests/reference/generate_init.py``, recorded with real MXNet 1.9.1. The random
streams of the two libraries differ, so random initializers are checked against the
formulas MXNet uses (bounds, standard deviations, orthogonality) and for reproducibility
under ``mx.random.seed``.
"""

import json
import logging
import os
import warnings

import numpy as np
import pytest

import mxjax as mx
from tests.reference.generate_init import (
    ARRAY_CASES,
    ERROR_CASES,
    VALUE_CASES,
    error_name,
    tagged_initializer,
)

GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")
with np.load(os.path.join(GOLDENS, "init.npz")) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(os.path.join(GOLDENS, "init.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)

# The golden cases include the deprecated (str, NDArray) call on purpose.
quiet_legacy = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def init_array(init, name, shape, dtype="float32"):
    arr = mx.nd.zeros(shape, dtype=dtype)
    init(mx.init.InitDesc(name), arr)
    return arr.asnumpy()


def stats(x):
    """Mean and standard deviation, computed in float64 (a float16 sum overflows)."""
    return x.astype(np.float64).mean(), x.astype(np.float64).std()


# ---- goldens --------------------------------------------------------------------------
def test_goldens_cover_every_case():
    assert set(ARRAYS) == set(ARRAY_CASES)
    assert set(EXPECTED["values"]) == set(VALUE_CASES)
    assert set(EXPECTED["errors"]) == set(ERROR_CASES)


@quiet_legacy
@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_matches_mxnet(name):
    got, want = ARRAY_CASES[name](mx).asnumpy(), ARRAYS[name]
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_value_matches_mxnet(name):
    assert VALUE_CASES[name](mx) == EXPECTED["values"][name]


@quiet_legacy
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_error_matches_mxnet(name):
    assert error_name(ERROR_CASES[name], mx) == EXPECTED["errors"][name]


def test_module_names():
    assert mx.initializer is mx.init
    assert isinstance(mx.init.create("xavier"), mx.init.Xavier)


def test_unknown_suffix_message_names_parameter():
    with pytest.raises(ValueError, match="Unknown initialization pattern for conv0_foo"):
        init_array(mx.init.Xavier(), "conv0_foo", (2, 2))


def test_mixed_no_match_message():
    with pytest.raises(ValueError, match="fc_weight did not match any pattern"):
        mx.init.Mixed(["bias"], [mx.init.Zero()])("fc_weight", mx.nd.zeros((2,)))


def test_load_shape_mismatch_message():
    load = mx.init.Load({"arg:w": mx.nd.zeros((2, 2))})
    with pytest.raises(AssertionError, match=r"Shape mismatch, target \(3,\) vs loaded"):
        load("w", mx.nd.zeros((3,)))


def test_legacy_call_warns():
    with pytest.warns(DeprecationWarning):
        mx.init.Zero()("fc_bias", mx.nd.ones((2,)))


# ---- writes land in the caller's array ------------------------------------------------
@pytest.mark.parametrize("init", [mx.init.Uniform(), mx.init.Constant(2.0),
                                  tagged_initializer(mx)], ids=["uniform", "constant", "user"])
def test_writes_reach_the_passed_array_and_its_base(init):
    base = mx.nd.zeros((4, 3))
    view = base[1:3]
    init(mx.init.InitDesc("fc_weight"), view)
    written = view.asnumpy()
    assert np.any(written != 0)
    np.testing.assert_array_equal(base.asnumpy()[1:3], written)
    assert not base.asnumpy()[[0, 3]].any()


def test_verbosity_logs_each_array(caplog):
    init = mx.init.Constant(3.0).set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(mx.init.InitDesc("fc_weight"), mx.nd.zeros((2, 2)))
    assert "Initialized fc_weight as weight: 3.0" in caplog.text


def test_register_and_alias_case_insensitive():
    @mx.init.register
    @mx.init.alias("TestInitAlias")
    class TestInitNamed(mx.init.Initializer):
        def __init__(self, value=4.0):
            super().__init__(value=value)
            self.value = value

        def _init_weight(self, _, arr):
            arr[:] = self.value

    assert isinstance(mx.init.create("testinitnamed"), TestInitNamed)
    assert mx.init.create("TESTINITALIAS", 2.0).value == 2.0
    assert mx.init.create('["testinitnamed", {"value": 5.0}]').value == 5.0
    assert init_array(mx.init.create("testinitalias"), "w_weight", (2,)).tolist() == [4.0, 4.0]
    with pytest.warns(UserWarning, match="overriding"):
        mx.init.alias("testinitalias")(TestInitNamed)


# ---- where mxjax deliberately differs from an MXNet 1.9.1 bug --------------------------
def test_constant_numpy_scalar_dumps():
    # MXNet 1.9.1: TypeError (float32 is not JSON serializable).
    assert mx.init.Constant(np.float32(2.5)).dumps() == '["constant", {"value": 2.5}]'
    assert mx.init.Constant([1, 2]).dumps() == '["constant", {"value": [1, 2]}]'


def test_fused_rnn_accepts_dumps_string():
    # MXNet 1.9.1: KeyError, so create(FusedRNN(Xavier(), ...).dumps()) cannot round-trip.
    fused = mx.init.FusedRNN(mx.init.Xavier().dumps(), 4, 1, "lstm")
    assert mx.init.create(fused.dumps()).dumps() == fused.dumps()


def test_orthogonal_unknown_rand_type():
    # MXNet 1.9.1: UnboundLocalError.
    with pytest.raises(ValueError, match="Unknown random type"):
        init_array(mx.init.Orthogonal(rand_type="x"), "w_weight", (3, 3))


# ---- random initializers --------------------------------------------------------------
def fans(shape):
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


@pytest.mark.parametrize("shape", [(96, 128), (64, 32, 3, 3)])
@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
@pytest.mark.parametrize("rnd_type", ["uniform", "gaussian"])
def test_xavier_scale(rnd_type, factor_type, shape):
    magnitude = 2.45
    fan_in, fan_out = fans(shape)
    factor = {"avg": (fan_in + fan_out) / 2, "in": fan_in, "out": fan_out}[factor_type]
    scale = np.sqrt(magnitude / factor)
    x = init_array(mx.init.Xavier(rnd_type, factor_type, magnitude), "conv_weight", shape)
    assert x.dtype == np.float32
    assert abs(x.mean()) < 0.05 * scale
    if rnd_type == "uniform":
        # The bound is rounded to float32, so it may exceed ``scale`` by an ulp.
        assert 0.99 * scale < np.abs(x).max() <= scale * (1 + 1e-6)
        assert x.std() == pytest.approx(scale / np.sqrt(3), rel=0.04)
    else:
        assert x.std() == pytest.approx(scale, rel=0.04)
        assert np.abs(x).max() > 3 * scale


@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
def test_msraprelu_scale(factor_type):
    shape, slope = (48, 16, 5, 5), 0.1
    fan_in, fan_out = fans(shape)
    factor = {"avg": (fan_in + fan_out) / 2, "in": fan_in, "out": fan_out}[factor_type]
    x = init_array(mx.init.MSRAPrelu(factor_type, slope), "conv_weight", shape)
    assert x.std() == pytest.approx(np.sqrt(2 / (1 + slope ** 2) / factor), rel=0.04)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_uniform_and_normal_moments(dtype):
    x = init_array(mx.init.Uniform(0.5), "w_weight", (200, 100), dtype)
    assert x.dtype == np.dtype(dtype)
    assert x.min() >= -0.5 and x.max() <= 0.5 and x.max() > 0.49 and x.min() < -0.49
    assert stats(x)[1] == pytest.approx(0.5 / np.sqrt(3), rel=0.03)
    y = init_array(mx.init.Normal(2.0), "w_weight", (200, 100), dtype)
    assert y.dtype == np.dtype(dtype)
    mean, std = stats(y)
    assert abs(mean) < 0.1 and std == pytest.approx(2.0, rel=0.03)


def test_default_scales():
    assert init_array(mx.init.Uniform(), "w_weight", (100, 100)).std() == pytest.approx(
        0.07 / np.sqrt(3), rel=0.03)
    assert init_array(mx.init.Normal(), "w_weight", (100, 100)).std() == pytest.approx(
        0.01, rel=0.03)
    x = init_array(mx.init.Xavier(), "w_weight", (100, 50))
    assert np.abs(x).max() == pytest.approx(np.sqrt(3 / 75), rel=0.01)


@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (4, 4), (3, 2, 2, 2)])
@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
def test_orthogonal(shape, rand_type):
    x = init_array(mx.init.Orthogonal(2.0, rand_type), "w_weight", shape).reshape(shape[0], -1)
    gram = x.T @ x if x.shape[0] > x.shape[1] else x @ x.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(x.shape)), atol=1e-4)


def test_orthogonal_default_scale():
    x = init_array(mx.init.Orthogonal(), "w_weight", (5, 5))
    np.testing.assert_allclose(x @ x.T, 1.414 ** 2 * np.eye(5), atol=1e-4)


RANDOM_INITS = {"uniform": mx.init.Uniform(), "normal": mx.init.Normal(),
                "xavier": mx.init.Xavier(), "msraprelu": mx.init.MSRAPrelu(),
                "orthogonal": mx.init.Orthogonal(), "gaussian": mx.init.Xavier("gaussian")}


@pytest.mark.parametrize("name", sorted(RANDOM_INITS))
def test_seed_reproduces(name):
    init = RANDOM_INITS[name]
    mx.random.seed(42)
    first, second = init_array(init, "w_weight", (8, 6)), init_array(init, "w_weight", (8, 6))
    mx.random.seed(42)
    again = init_array(init, "w_weight", (8, 6))
    mx.random.seed(43)
    other = init_array(init, "w_weight", (8, 6))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second) and not np.array_equal(first, other)


def test_quantized_weight_is_one_int8_value():
    arr = mx.nd.zeros((4, 5), dtype="int8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mx.init.Xavier()(mx.init.InitDesc("fc_weight_quantize"), arr)
    x = arr.asnumpy()
    assert x.dtype == np.int8 and len(np.unique(x)) == 1 and -127 <= x[0, 0] < 127
