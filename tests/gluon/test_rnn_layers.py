"""``gluon.rnn`` layers and cells (and ``gluon.contrib.rnn``) against MXNet 1.9.1.

The cases of ``tests/reference/generate_rnn_layers.py`` run here unchanged on mxjax,
imperatively and hybridized: outputs, returned states, gradients of inputs, begin states
and every parameter, reprs, parameter names and the nesting of the results must match
what real MXNet recorded. A parameter file written by MXNet loads and reproduces its
outputs, and mxjax writes the same bytes for the same values. The rest checks what
goldens cannot: state-shape errors, begin_state, dropout between layers in training, and
that a hybridized layer does not recompile.
"""

import functools
import json
import os

import numpy as np
import pytest

import mxjax as mx
import mxjax.gluon.contrib.rnn  # noqa: F401  (mx.gluon.contrib.rnn, until contrib imports it)
from mxjax import autograd, nd
from mxjax.gluon import rnn
from tests.reference.generate_rnn_layers import (
    CASES,
    FIXTURE_EXPECTED,
    FIXTURE_PARAMS,
    build_lm,
    lm_values,
    run_case,
)
from tests.variants import alternating

GOLDENS = os.path.join(os.path.dirname(__file__), os.pardir, "reference", "goldens")
with np.load(os.path.join(GOLDENS, "rnn_layers.npz")) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(os.path.join(GOLDENS, "rnn_layers.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)


def tolerance(dtype):
    return (dict(rtol=1e-10, atol=1e-12) if dtype == np.float64
            else dict(rtol=1e-5, atol=1e-5))


@functools.cache
def _run(name, hybridize):
    return run_case(mx, name, hybridize)


def _golden(name):
    prefix = name + ":"
    return {k[len(prefix):]: v for k, v in ARRAYS.items() if k.startswith(prefix)}


# ---- goldens --------------------------------------------------------------------------------
def test_goldens_cover_every_case():
    assert set(EXPECTED) == set(CASES)
    assert {k.split(":")[0] for k in ARRAYS} == set(CASES)


@pytest.mark.parametrize("name,hybridize", alternating(list(CASES)))
def test_matches_mxnet(name, hybridize):
    got, meta = _run(name, hybridize)
    assert meta == EXPECTED[name]
    want = _golden(name)
    assert sorted(got) == sorted(want)
    for key, expected in want.items():
        actual = got[key]
        assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype), key
        np.testing.assert_allclose(actual, expected, err_msg=f"{name} {key}",
                                   **tolerance(expected.dtype))


# ---- parameter files ------------------------------------------------------------------------
def test_mxnet_parameter_file_loads_and_gives_mxnets_outputs():
    expected = np.load(FIXTURE_EXPECTED)
    net = build_lm(mx)
    net.load_parameters(FIXTURE_PARAMS)
    out = net(nd.array(expected["tokens"]))
    np.testing.assert_allclose(out.asnumpy(), expected["out"], rtol=1e-5, atol=1e-6)


def test_saved_parameter_file_equals_mxnets_bytes(tmp_path):
    net = build_lm(mx)
    net.initialize()
    structural = net._collect_params_with_prefix()
    for k, v in lm_values(net).items():
        structural[k].set_data(nd.array(v))
    path = tmp_path / "lm.params"
    net.save_parameters(str(path))
    with open(FIXTURE_PARAMS, "rb") as f:
        assert path.read_bytes() == f.read()


# ---- behaviour goldens cannot express -------------------------------------------------------
def test_wrong_state_shape_raises_value_error():
    layer = rnn.GRU(3, input_size=2)
    layer.initialize()
    with pytest.raises(ValueError, match=r"Invalid recurrent state shape. Expecting \(1, 2, 3\)"):
        layer(nd.ones((4, 2, 2)), nd.zeros((2, 2, 3)))


def test_begin_state_uses_func_and_kwargs():
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, projection_size=2)
    h, c = layer.begin_state(5, func=nd.ones, dtype="float64")
    assert (h.shape, c.shape) == ((4, 5, 2), (4, 5, 3))
    assert h.dtype == np.float64 and float(c.sum().asscalar()) == 60
    cell = rnn.LSTMCell(4)
    states = cell.begin_state(batch_size=2, func=nd.random.uniform, low=1, high=2)
    assert all(s.shape == (2, 4) and s.min().asscalar() >= 1 for s in states)


def test_layer_returns_states_only_when_given():
    layer = rnn.LSTM(3)
    layer.initialize()
    layer.hybridize()
    x = nd.ones((4, 2, 5))
    assert isinstance(layer(x), nd.NDArray)
    out, (h, c) = layer(x, layer.begin_state(2))
    assert out.shape == (4, 2, 3) and h.shape == c.shape == (1, 2, 3)
    assert isinstance(layer(x), nd.NDArray)  # MXNet 1.9.1 would keep the last form here


def test_hybridized_layer_compiles_once():
    layer = rnn.GRU(4, layout="NTC")
    layer.initialize()
    layer.hybridize()
    for _ in range(3):
        x = nd.array(np.random.randn(2, 3, 3))
        x.attach_grad()
        with autograd.record():
            out = layer(x)
        out.backward()
    assert layer._cache_info()["compiles"] == 1


def test_dropout_between_layers_only_in_training():
    layer = rnn.GRU(8, num_layers=2, dropout=0.9, input_size=2)
    layer.initialize()
    x = nd.array(np.random.RandomState(0).randn(2, 4, 2))
    with autograd.predict_mode():
        a, b = layer(x), layer(x)
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    with autograd.record():
        c = layer(x)
    assert not np.allclose(c.asnumpy(), a.asnumpy())


def test_zoneout_keeps_previous_values_in_training():
    cell = rnn.ZoneoutCell(rnn.RNNCell(50), zoneout_outputs=0.5)
    cell.initialize()
    x = nd.array(np.random.RandomState(1).randn(8, 4, 3))
    with autograd.record():
        outputs, _ = cell.unroll(4, x, merge_outputs=False)
    prev, cur = outputs[2].asnumpy(), outputs[3].asnumpy()
    kept = np.mean(cur == prev)
    assert 0.3 < kept < 0.7


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_sequence_length_equals_trimmed_sequences(hybridize):
    # MXNet 1.9.1's CPU kernel ignores sequence_length (no golden); cuDNN's semantics: each
    # sequence stops at its length, outputs past it are zero, states are the last valid ones.
    rng = np.random.RandomState(2)
    layer = rnn.LSTM(3, bidirectional=True, use_sequence_length=True, input_size=2)
    plain = rnn.LSTM(3, bidirectional=True, input_size=2, params=layer.collect_params())
    layer.initialize(mx.init.Normal(0.5))
    if hybridize:
        layer.hybridize()
    x = nd.array(rng.randn(5, 3, 2))
    begin = [nd.array(rng.randn(2, 3, 3)) for _ in range(2)]
    lengths = [2, 5, 2]
    out, (h, c) = layer(x, begin, nd.array(lengths))
    for n, length in enumerate(lengths):
        want, (wh, wc) = plain(x[:length, n:n + 1], [s[:, n:n + 1] for s in begin])
        np.testing.assert_allclose(out[:length, n:n + 1].asnumpy(), want.asnumpy(), atol=1e-6)
        assert not out[length:, n].asnumpy().any()
        np.testing.assert_allclose(h[:, n:n + 1].asnumpy(), wh.asnumpy(), atol=1e-6)
        np.testing.assert_allclose(c[:, n:n + 1].asnumpy(), wc.asnumpy(), atol=1e-6)
