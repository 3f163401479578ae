"""The fused RNN operator: MXNet 1.9.1 goldens (tests/reference/generate_rnn.py) for every
mode, depth, direction and float dtype, plus behaviour MXNet's CPU build cannot record:
variable sequence lengths (cuDNN semantics), state clipping, dropout, float16, errors."""

import json
import os

import numpy as np
import pytest

import mxjax as mx
from mxjax.base import MXNetError
from mxjax.operator import infer_param_shapes
from mxjax.operator.rnn import rnn_param_size

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "reference", "goldens", "rnn_op.npz")
with np.load(GOLDEN) as _z:
    CASES = json.loads(str(_z["__manifest__"]))["cases"]


def _tol(tag, dtype):
    if dtype == "float32":
        return dict(rtol=1e-4, atol=1e-5)
    if tag.startswith("rnn_relu"):  # MXNet's float64 relu kernel rounds through float32
        return dict(rtol=1e-5, atol=1e-6)
    return dict(rtol=1e-9, atol=1e-12)


def _nd(a):
    return mx.nd.array(a, dtype=a.dtype)


def _tags():
    """Every case; of a float32/float64 pair, make test runs one dtype, alternating from
    pair to pair (make test-slow the other)."""
    pairs = 0
    for tag in sorted(CASES):
        twin = tag[:-2] + ("64" if tag.endswith("32") else "32")
        slow = False
        if tag.endswith(("float32", "float64")) and twin in CASES:
            pairs += tag.endswith("float32")
            slow = tag.endswith("float64") == (pairs % 2 == 1)
        yield pytest.param(tag, marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("tag", list(_tags()))
def test_matches_mxnet(tag):
    case = CASES[tag]
    with np.load(GOLDEN) as z:
        inputs = [z[f"{tag}:in{i}"] for i in range(4) if f"{tag}:in{i}" in z.files]
        want_out = [z[k] for k in sorted(k for k in z.files if k.startswith(f"{tag}:out"))]
        heads = [z[f"{tag}:head{i}"] for i in range(len(want_out)) if case["grad"]]
        want_grad = [z[f"{tag}:grad{i}"] for i in range(len(inputs)) if case["grad"]]
    nds = [_nd(a) for a in inputs]
    tol = _tol(tag, case["dtype"])
    if case["grad"]:
        for x in nds:
            x.attach_grad()
        with mx.autograd.record():
            outs = mx.nd.RNN(*nds, **case["attrs"])
        mx.autograd.backward(outs, head_grads=[_nd(h) for h in heads])
    else:
        outs = mx.nd.RNN(*nds, **case["attrs"])
    assert len(outs) == len(want_out)
    for got, want in zip(outs, want_out):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.asnumpy(), want, **tol)
    for x, want in zip(nds, want_grad):
        np.testing.assert_allclose(x.grad.asnumpy(), want, **tol)


@pytest.mark.parametrize("tag", sorted(CASES))
def test_param_size_and_inference(tag):
    a = CASES[tag]["attrs"]
    with np.load(GOLDEN) as z:
        data, params = z[f"{tag}:in0"], z[f"{tag}:in1"]
        states = [z[f"{tag}:in{i}"].shape for i in (2, 3) if f"{tag}:in{i}" in z.files]
    size = rnn_param_size(a["mode"], a["num_layers"], data.shape[2], a["state_size"],
                          a["bidirectional"], a.get("projection_size"))
    assert size == params.size
    shapes = infer_param_shapes("RNN", dict(data=data.shape, parameters=None, state=None,
                                            state_cell=None), a)
    assert shapes["parameters"] == params.shape and shapes["state"] == states[0]
    assert shapes.get("state_cell") == (states[1] if a["mode"] == "lstm" else None)


def _random_inputs(mode, layers, bidir, seq=5, batch=3, inp=3, hidden=4, seed=0):
    rng = np.random.default_rng(seed)
    dirs = 2 if bidir else 1
    size = rnn_param_size(mode, layers, inp, hidden, bidir)
    arrays = [rng.standard_normal((seq, batch, inp)), rng.uniform(-0.5, 0.5, size),
              rng.uniform(-0.5, 0.5, (layers * dirs, batch, hidden))]
    if mode == "lstm":
        arrays.append(rng.uniform(-0.5, 0.5, (layers * dirs, batch, hidden)))
    return [a.astype("float32") for a in arrays]


def _run(arrays, lengths=None, grad=False, **attrs):
    """Outputs (and input gradients for the sum of all outputs) as numpy arrays."""
    nds = [_nd(a) for a in arrays]
    kw = {} if lengths is None else dict(sequence_length=mx.nd.array(lengths),
                                         use_sequence_length=True)
    if not grad:
        return [o.asnumpy() for o in mx.nd.RNN(*nds, state_outputs=True, **attrs, **kw)], []
    for x in nds:
        x.attach_grad()
    with mx.autograd.record():
        outs = mx.nd.RNN(*nds, state_outputs=True, **attrs, **kw)
    mx.autograd.backward(list(outs), head_grads=[mx.nd.ones(o.shape) for o in outs])
    return [o.asnumpy() for o in outs], [x.grad.asnumpy() for x in nds]


@pytest.mark.parametrize("mode", [pytest.param(m, marks=pytest.mark.slow)
                                  for m in ("rnn_relu", "rnn_tanh", "lstm")] + ["gru"])
def test_sequence_length_equals_truncated_runs(mode):
    """Each batch element behaves as if run alone on its first `length` steps; steps past
    the length output zeros and get no gradient (cuDNN's semantics; MXNet's CPU build
    does not support use_sequence_length). Two bidirectional layers cover both directions
    and the masked output feeding the next layer."""
    layers, lengths = 2, [5, 2, 1]
    arrays = _random_inputs(mode, layers, True)
    attrs = dict(state_size=4, num_layers=layers, bidirectional=True, mode=mode)
    outs, grads = _run(arrays, lengths, grad=True, **attrs)
    param_grad = 0
    for b, n in enumerate(lengths):
        alone = [arrays[0][:n, b:b + 1], arrays[1]] + [s[:, b:b + 1] for s in arrays[2:]]
        want, want_grads = _run(alone, grad=True, **attrs)
        np.testing.assert_allclose(outs[0][:n, b:b + 1], want[0], rtol=1e-5, atol=1e-6)
        assert not outs[0][n:, b].any()
        for got, w in zip(outs[1:], want[1:]):  # final states
            np.testing.assert_allclose(got[:, b:b + 1], w, rtol=1e-5, atol=1e-6)
        # gradients: the heads on the padded outputs must not reach anything
        np.testing.assert_allclose(grads[0][:n, b:b + 1], want_grads[0], rtol=1e-4, atol=1e-5)
        assert not grads[0][n:, b].any()
        for got, w in zip(grads[2:], want_grads[2:]):
            np.testing.assert_allclose(got[:, b:b + 1], w, rtol=1e-4, atol=1e-5)
        param_grad = param_grad + want_grads[1]
    np.testing.assert_allclose(grads[1], param_grad, rtol=1e-4, atol=1e-5)


def test_sequence_length_positional_for_non_lstm():
    # MXNet passes inputs by position: a GRU's 4th input is sequence_length.
    data, params, state = [_nd(a) for a in _random_inputs("gru", 1, False)]
    lengths = mx.nd.array([5, 2, 1])
    by_name = mx.nd.RNN(data, params, state, sequence_length=lengths, state_size=4,
                        num_layers=1, mode="gru", use_sequence_length=True)
    by_pos = mx.nd.RNN(data, params, state, lengths, state_size=4, num_layers=1, mode="gru",
                       use_sequence_length=True)
    np.testing.assert_array_equal(by_name.asnumpy(), by_pos.asnumpy())
    assert not by_pos.asnumpy()[2:, 1].any()


def test_dropout_only_between_layers_and_only_in_training():
    attrs = dict(state_size=16, num_layers=2, mode="rnn_tanh")
    nds = [_nd(a) for a in _random_inputs("rnn_tanh", 2, False, batch=4, hidden=16)]
    plain = mx.nd.RNN(*nds, **attrs).asnumpy()
    np.testing.assert_array_equal(mx.nd.RNN(*nds, p=0.5, **attrs).asnumpy(), plain)
    single = [_nd(a) for a in _random_inputs("rnn_tanh", 1, False, batch=4, hidden=16)]
    one_layer = dict(attrs, num_layers=1)
    with mx.autograd.train_mode():
        a = mx.nd.RNN(*nds, p=0.5, **attrs).asnumpy()
        b = mx.nd.RNN(*nds, p=0.5, **attrs).asnumpy()
        np.testing.assert_array_equal(mx.nd.RNN(*single, p=0.5, **one_layer).asnumpy(),
                                      mx.nd.RNN(*single, **one_layer).asnumpy())
    assert not np.allclose(a, plain) and not np.allclose(a, b)


def test_lstm_state_clipping():
    arrays = _random_inputs("lstm", 2, True)
    attrs = dict(state_size=4, num_layers=2, bidirectional=True, mode="lstm")
    plain = _run(arrays, **attrs)[0]
    wide = _run(arrays, lstm_state_clip_min=-100.0, lstm_state_clip_max=100.0, **attrs)[0]
    for got, want in zip(wide, plain):
        np.testing.assert_array_equal(got, want)
    clipped = _run(arrays, lstm_state_clip_min=-0.05, lstm_state_clip_max=0.02, **attrs)[0]
    cell = clipped[2]
    assert cell.min() >= -0.05 and cell.max() <= 0.02 and not np.allclose(cell, plain[2])
    # tanh(c) is small, so clipped hidden states are too
    assert np.abs(clipped[1]).max() < 0.06


def test_lstm_state_clip_nan():
    data, params, h0, c0 = _random_inputs("lstm", 1, False)
    c0[0, 0, 0] = np.nan
    attrs = dict(state_size=4, num_layers=1, mode="lstm", lstm_state_clip_min=-0.3,
                 lstm_state_clip_max=0.3)
    propagated = _run([data, params, h0, c0], **attrs)[0]
    stopped = _run([data, params, h0, c0], lstm_state_clip_nan=True, **attrs)[0]
    assert np.isnan(propagated[2][0, 0, 0])
    assert not np.isnan(stopped[0]).any() and not np.isnan(stopped[2]).any()


def test_float16_is_computed_in_float32():
    arrays = _random_inputs("gru", 2, True)
    attrs = dict(state_size=4, num_layers=2, bidirectional=True, mode="gru")
    half = [a.astype("float16") for a in arrays]
    want = _run([a.astype("float32") for a in half], **attrs)[0]
    got = _run(half, **attrs)[0]
    for g, w in zip(got, want):
        assert g.dtype == np.float16
        np.testing.assert_array_equal(g, w.astype("float16"))


def test_projection_gradients_flow():
    # MXNet's CPU build only runs LSTMP in inference; here it also trains (as on cuDNN).
    rng = np.random.default_rng(3)
    size = rnn_param_size("lstm", 1, 3, 4, projection_size=2)
    arrays = [rng.standard_normal((4, 2, 3)), rng.uniform(-0.5, 0.5, size),
              np.zeros((1, 2, 2)), np.zeros((1, 2, 4))]
    outs, grads = _run([a.astype("float32") for a in arrays], grad=True, state_size=4,
                       num_layers=1, mode="lstm", projection_size=2)
    assert [o.shape for o in outs] == [(4, 2, 2), (1, 2, 2), (1, 2, 4)]
    assert all(np.abs(g).sum() > 0 for g in grads)


@pytest.mark.parametrize("change, match", [
    (dict(mode="lstmx"), "invalid mode"),
    (dict(p=1.0), "dropout"),
    (dict(projection_size=2), "projection_size"),
    (dict(lstm_state_clip_min=-1.0, lstm_state_clip_max=1.0), "state clipping"),
    (dict(num_layers=2), "parameters has shape"),
    (dict(use_sequence_length=True), "needs the sequence_length"),
])
def test_errors(change, match):
    data, params, state = [_nd(a) for a in _random_inputs("gru", 1, False)]
    attrs = dict(dict(state_size=4, num_layers=1, mode="gru"), **change)
    with pytest.raises(MXNetError, match=match):
        mx.nd.RNN(data, params, state, **attrs)


def test_errors_on_inputs():
    arrays = _random_inputs("lstm", 1, False)
    data, params, state, cell = [_nd(a) for a in arrays]
    attrs = dict(state_size=4, num_layers=1, mode="lstm")
    with pytest.raises(MXNetError, match="state_cell is required"):
        mx.nd.RNN(data, params, state, **attrs)
    with pytest.raises(MXNetError, match="dtype"):
        mx.nd.RNN(data, _nd(arrays[1].astype("float64")), state, cell, **attrs)
    with pytest.raises(MXNetError, match="state has shape"):
        mx.nd.RNN(data, params, cell[:, :2], cell, **attrs)
    with pytest.raises(MXNetError, match="use_sequence_length is False"):
        mx.nd.RNN(data, params, state, cell, mx.nd.array([1, 2, 3]), **attrs)
    with pytest.raises(MXNetError, match="only an input of mode='lstm'"):
        mx.nd.RNN(data, params[:rnn_param_size("gru", 1, 3, 4)], state, cell,
                  state_size=4, num_layers=1, mode="gru")
