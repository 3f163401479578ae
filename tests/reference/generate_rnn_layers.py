"""Recurrent layer and cell goldens from real MXNet 1.9.1, for tests/gluon/test_rnn_layers.py.

    /work/refvenv/bin/python tests/reference/generate_rnn_layers.py

Each case builds a ``gluon.rnn`` layer or cell (or a ``gluon.contrib.rnn`` one) through
the library passed in as ``mx`` (public API and numpy only, so the test runs the same
code on mxjax), initialises it, resolves deferred shapes with one predict-mode call, sets
every parameter and begin state from seeded numpy, then calls it under
``autograd.record()`` and runs backward with seeded head gradients on every output and
returned state. ``goldens/rnn_layers.npz`` keeps, per case, the outputs (``out<i>``,
flattened), the gradients of the inputs and states (``grad_in<i>``) and of every
parameter (``grad:<name>``); ``goldens/rnn_layers.json`` keeps the reprs, the parameter
names/shapes and the nesting of the returned values.

The same run writes ``fixtures/rnn_lm.params`` (``save_parameters`` of a small
Embedding-LSTM-GRU-Dense model with seeded values) and ``fixtures/rnn_lm_expected.npz``
(its input and output), for the file round trip both ways.
"""

import io
import json
import os
import warnings
import zipfile
import zlib
from collections import namedtuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "rnn_layers.npz")
JSON = os.path.join(HERE, "goldens", "rnn_layers.json")
FIXTURE_PARAMS = os.path.join(HERE, "fixtures", "rnn_lm.params")
FIXTURE_EXPECTED = os.path.join(HERE, "fixtures", "rnn_lm_expected.npz")

T, N, C = 3, 2, 3  # sequence length, batch, input features of every case
# build(mx) -> block; call(mx, block, data, states, valid_length) -> nested outputs;
# data: shape of the input; states: feed seeded begin states (else the block makes its
# own); lengths: pass valid lengths; train: record in training mode (random blocks are
# recorded in predict mode); grad: run backward (False where MXNet's CPU cannot).
Case = namedtuple("Case", "build call data states lengths train grad dtype set_params",
                  defaults=(True, True, "float32", True))
CASES = {}


def case(name, build, call, data, states=False, lengths=False, **kw):
    CASES[name] = Case(build, call, data, states, lengths, **kw)


def seed(name, what):
    return zlib.crc32(f"{name}:{what}".encode())


def _randn(name, what, shape, dtype, scale=1.0):
    return (scale * np.random.RandomState(seed(name, what)).randn(*shape)).astype(dtype)


def _flatten(x):
    """Nested lists/tuples of arrays -> (flat list, structure with 'nd' leaves)."""
    if isinstance(x, (list, tuple)):
        flat, fmt = [], []
        for a in x:
            f, s = _flatten(a)
            flat += f
            fmt.append(s)
        return flat, fmt
    return [x], "nd"


def _params_meta(block):
    return [[k, list(p.shape), np.dtype(p.dtype).name, p.grad_req]
            for k, p in sorted(block.collect_params().items())]


def _state_shapes(block, batch):
    return [tuple(info["shape"]) for info in block.state_info(batch)]


def run_case(mx, name, hybridize=False):
    """Run case ``name`` with library ``mx``: (arrays, meta)."""
    c = CASES[name]
    with mx.name.NameManager(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        block = c.build(mx)
        meta = {"repr_before": repr(block)}
        block.initialize()
        if hybridize:
            block.hybridize()
    data = mx.nd.array(_randn(name, "data", c.data, c.dtype), dtype=c.dtype)
    states = None
    if c.states:
        states = [mx.nd.array(_randn(name, f"state{i}", s, c.dtype), dtype=c.dtype)
                  for i, s in enumerate(_state_shapes(block, N))]
    lengths = None
    if c.lengths:
        lengths = mx.nd.array(np.random.RandomState(seed(name, "lengths"))
                              .randint(1, T + 1, N))
    params = sorted(block.collect_params().items())
    if any(0 in p.shape for _, p in params):
        c.call(mx, block, data, states, lengths)  # predict mode: resolves deferred shapes
    if c.set_params:
        for k, p in params:
            value = _randn(name, k, p.shape, np.dtype(p.dtype).name, scale=0.5)
            p.set_data(mx.nd.array(value, dtype=p.dtype))
    meta["repr_after"] = repr(block)
    meta["params"] = _params_meta(block)
    if not c.grad:  # not recorded at all (MXNet refuses even a predict-mode record of LSTMP)
        outs, meta["structure"] = _flatten(c.call(mx, block, data, states, lengths))
        return {f"out{i}": o.asnumpy() for i, o in enumerate(outs)}, meta
    inputs = [data] + (states or [])
    for x in inputs:
        x.attach_grad()
    with mx.autograd.record(train_mode=c.train):
        outs, meta["structure"] = _flatten(c.call(mx, block, data, states, lengths))
        # One scalar loss: a cell returns the same array as output and state, and MXNet's
        # imperative backward keeps only one of two head gradients given for one array.
        loss = mx.nd.add_n(*[
            (mx.nd.array(_randn(name, f"head{i}", o.shape, c.dtype), dtype=c.dtype) * o).sum()
            for i, o in enumerate(outs)])
    loss.backward()
    arrays = {f"out{i}": o.asnumpy() for i, o in enumerate(outs)}
    arrays.update({f"grad_in{i}": x.grad.asnumpy() for i, x in enumerate(inputs)})
    arrays.update({f"grad:{k}": p.grad().asnumpy() for k, p in params})
    return arrays, meta


# ---- callers -------------------------------------------------------------------------------
def layer_call(mx, layer, data, states, lengths):
    if lengths is not None:
        return layer(data, states, lengths)
    return layer(data) if states is None else layer(data, states)


def step(mx, cell, data, states, lengths):
    if states is None:
        states = cell.begin_state(batch_size=data.shape[0])
    return cell(data, states)


def unroll(layout, merge_outputs):
    def call(mx, cell, data, states, lengths):
        return cell.unroll(T, data, states, layout=layout, merge_outputs=merge_outputs,
                           valid_length=lengths)
    return call


def dynamic_unroll(mx, cell, data, states, lengths):
    return mx.gluon.contrib.rnn.rnn_cell.dynamic_unroll(cell, data, states, layout="TNC",
                                                        valid_length=lengths)


TNC, NTC = (T, N, C), (N, T, C)


def _rnn(mx):
    return mx.gluon.rnn


def _crnn(mx):
    return mx.gluon.contrib.rnn


# ---- layers --------------------------------------------------------------------------------
case("rnn-relu-tnc-states", lambda mx: _rnn(mx).RNN(4, input_size=C), layer_call, TNC,
     states=True)
case("rnn-tanh-ntc-bidir-2layers",
     lambda mx: _rnn(mx).RNN(4, 2, activation="tanh", layout="NTC", bidirectional=True),
     layer_call, NTC)
case("lstm-ntc-bidir-states",
     lambda mx: _rnn(mx).LSTM(4, layout="NTC", bidirectional=True, input_size=C), layer_call,
     NTC, states=True)
case("lstm-tnc-bidir-2layers-states",
     lambda mx: _rnn(mx).LSTM(3, 2, bidirectional=True, input_size=C), layer_call, TNC,
     states=True)
case("gru-tnc-bidir-states-float64",
     lambda mx: _rnn(mx).GRU(4, bidirectional=True, dtype="float64", input_size=C),
     layer_call, TNC, states=True, dtype="float64")
# (MXNet 1.9.1's CPU RNN ignores sequence_length, so use_sequence_length has no golden;
# tests/gluon/test_rnn_layers.py checks it against trimmed sequences.)
# MXNet 1.9.1 cannot record an LSTM with projection on CPU: forward only.
case("lstm-projection-2layers-bidir",
     lambda mx: _rnn(mx).LSTM(5, 2, bidirectional=True, projection_size=3), layer_call, TNC,
     states=True, grad=False)
case("lstm-initializers",
     lambda mx: _rnn(mx).LSTM(3, input_size=C, i2h_weight_initializer="ones",
                              h2h_weight_initializer=mx.init.Constant(0.1),
                              i2h_bias_initializer=mx.init.LSTMBias(2.0),
                              h2h_bias_initializer="ones"),
     layer_call, TNC, grad=False, set_params=False)


# ---- cells ---------------------------------------------------------------------------------
def _stack(mx, kind, *cells):
    stack = getattr(_rnn(mx), kind)()
    with stack.name_scope():
        for make in cells:
            stack.add(make(mx))
    return stack


case("rnncell-relu-step", lambda mx: _rnn(mx).RNNCell(4, activation="relu", input_size=C),
     step, (N, C), states=True)
# (MXNet 1.9.1 registers a LeakyReLU activation as a child cell, whose missing reset()
# breaks unroll; it can only be stepped there.)
case("rnncell-leaky-step",
     lambda mx: _rnn(mx).RNNCell(4, activation=mx.gluon.nn.LeakyReLU(0.1)), step, (N, C),
     states=True)
case("lstmcell-unroll-tnc-list", lambda mx: _rnn(mx).LSTMCell(4, input_size=C),
     unroll("TNC", False), TNC)
case("lstmcell-activations",
     lambda mx: _rnn(mx).LSTMCell(4, activation="relu", recurrent_activation="softsign",
                                  input_size=C),
     unroll("NTC", True), NTC, states=True)
case("lstmcell-valid-length", lambda mx: _rnn(mx).LSTMCell(4), unroll("NTC", None), NTC,
     states=True, lengths=True)
case("grucell-step", lambda mx: _rnn(mx).GRUCell(4), step, (N, C))
case("sequential-dropout-predict",
     lambda mx: _stack(mx, "SequentialRNNCell", lambda m: _rnn(m).LSTMCell(4, input_size=C),
                       lambda m: _rnn(m).DropoutCell(0.5),
                       lambda m: _rnn(m).GRUCell(3, input_size=4)),
     unroll("TNC", True), TNC, states=True, train=False)
case("hybridsequential-step",
     lambda mx: _stack(mx, "HybridSequentialRNNCell", lambda m: _rnn(m).RNNCell(4),
                       lambda m: _rnn(m).LSTMCell(3)), step, (N, C), states=True)
case("residual-gru-list", lambda mx: _rnn(mx).ResidualCell(_rnn(mx).GRUCell(C)),
     unroll("NTC", False), NTC, states=True)
case("residual-lstm-valid-length", lambda mx: _rnn(mx).ResidualCell(_rnn(mx).LSTMCell(C)),
     unroll("TNC", True), TNC, lengths=True)
case("bidirectional-ntc",
     lambda mx: _rnn(mx).BidirectionalCell(_rnn(mx).LSTMCell(4, input_size=C),
                                        _rnn(mx).GRUCell(3, input_size=C)),
     unroll("NTC", True), NTC, states=True)
case("bidirectional-valid-length-list",
     lambda mx: _rnn(mx).BidirectionalCell(_rnn(mx).RNNCell(3), _rnn(mx).RNNCell(3)),
     unroll("TNC", False), TNC, lengths=True)
case("sequential-bidirectional",
     lambda mx: _stack(mx, "SequentialRNNCell",
                       lambda m: _rnn(m).BidirectionalCell(_rnn(m).LSTMCell(3),
                                                           _rnn(m).LSTMCell(3)),
                       lambda m: _rnn(m).GRUCell(4)),
     unroll("NTC", True), NTC, states=True)
case("zoneout-predict",
     lambda mx: _rnn(mx).ZoneoutCell(_rnn(mx).LSTMCell(4, input_size=C), 0.3, 0.4),
     unroll("NTC", True), NTC, states=True, train=False)
case("vardrop-predict",
     lambda mx: _crnn(mx).VariationalDropoutCell(_rnn(mx).GRUCell(4, input_size=C), 0.3, 0.3,
                                                  0.3),
     unroll("NTC", True), NTC, states=True, train=False)
case("lstmpcell-unroll", lambda mx: _crnn(mx).LSTMPCell(5, 3, input_size=C),
     unroll("TNC", True), TNC, states=True)
case("conv2dlstmcell-step",
     lambda mx: _crnn(mx).Conv2DLSTMCell((2, 4, 4), 2, 3, 3, i2h_pad=1), step, (N, 2, 4, 4),
     states=True)
case("conv1dgrucell-deferred-step",
     lambda mx: _crnn(mx).Conv1DGRUCell((0, 6), 3, 3, 3, h2h_dilate=2), step, (N, 2, 6))
case("conv3drnncell-step",
     lambda mx: _crnn(mx).Conv3DRNNCell((2, 3, 3, 3), 2, (1, 2, 3), 1, activation="relu"),
     step, (N, 2, 3, 3, 3), states=True)
case("dynamic-unroll-valid-length", lambda mx: _rnn(mx).LSTMCell(4, input_size=C),
     dynamic_unroll, TNC, states=True, lengths=True)


# ---- the parameter-file fixture ------------------------------------------------------------
VOCAB = 12


def build_lm(mx):
    """Embedding -> 2-layer LSTM -> bidirectional GRU -> Dense, batch-major."""
    nn, rnn = mx.gluon.nn, mx.gluon.rnn
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Embedding(VOCAB, 5), rnn.LSTM(6, 2, layout="NTC", input_size=5),
                rnn.GRU(4, layout="NTC", bidirectional=True, input_size=6),
                nn.Dense(VOCAB, flatten=False, in_units=8))
    return net


def lm_values(net):
    """Seeded values for the model's parameters, by structural name."""
    return {k: _randn("rnn_lm", k, p.shape, "float32", scale=0.5)
            for k, p in sorted(net._collect_params_with_prefix().items())}


def lm_tokens():
    return np.random.RandomState(seed("rnn_lm", "tokens")).randint(0, VOCAB, (N, T + 1))


def write_fixture(mx):
    with mx.name.NameManager():
        net = build_lm(mx)
    net.initialize()
    tokens = mx.nd.array(lm_tokens())
    structural = net._collect_params_with_prefix()
    for k, v in lm_values(net).items():
        structural[k].set_data(mx.nd.array(v))
    net.save_parameters(FIXTURE_PARAMS)
    _savez(FIXTURE_EXPECTED, {"tokens": tokens.asnumpy(), "out": net(tokens).asnumpy()})


# ---- writing -------------------------------------------------------------------------------
def _savez(path, arrays):
    """Like np.savez_compressed, with fixed timestamps so reruns give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def main():
    warnings.filterwarnings("ignore")
    import mxnet as mx

    arrays, meta, problems = {}, {}, []
    for name in CASES:
        got, meta[name] = run_case(mx, name)
        arrays.update({f"{name}:{k}": v for k, v in got.items()})
        # MXNet's hybridized run must agree with its imperative one, or the golden is moot.
        hyb = run_case(mx, name, hybridize=True)[0]
        for k, v in got.items():
            if not np.allclose(hyb[k], v, rtol=1e-5, atol=1e-6):
                problems.append(f"{name}:{k} differs between imperative and hybridized MXNet")
    _savez(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:  # one case per line
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(meta[k], sort_keys=True)}"
                                    for k in sorted(meta)) + "\n}\n")
    write_fixture(mx)
    for p in problems:
        print("WARNING:", p)
    print(f"wrote {len(CASES)} cases to {NPZ}, and {FIXTURE_PARAMS}")


if __name__ == "__main__":
    main()
