"""Recurrent cells and layers on Symbols, and fused layers unfused, from real MXNet 1.9.1,
for tests/gluon/test_rnn_symbolic.py.

    /work/main/.refvenv/bin/python tests/reference/generate_rnn_symbolic.py

Symbolic cases unroll a cell (or call a fused layer) on ``mx.sym`` variables with the
default begin states, then record the graph's output and argument names, the shapes
``infer_shape`` gives from the data shapes alone, and the values ``eval`` computes with
seeded data and parameters (predict mode, so dropout-like cells are deterministic).
Imperative cases check what the symbolic ones cannot: ``_unfuse`` (the cell stack that
reproduces a fused layer, its parameter names and its outputs) and ``infer_shape`` on a
fused layer whose input size is deferred. Everything goes through the library passed in
as ``mx`` (public API plus ``_unfuse``, numpy only), so the test runs this same code on
mxjax. Writes goldens/rnn_symbolic.json (names, shapes) and goldens/rnn_symbolic.npz.
"""

import json
import os
import sys
import warnings
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "rnn_symbolic.npz")
JSON = os.path.join(HERE, "goldens", "rnn_symbolic.json")

T, N, C = 3, 2, 3  # steps, batch, input features
LENGTHS = [2.0, 3.0]  # valid lengths of the two sequences


def _randn(name, what, shape):
    rs = np.random.RandomState(zlib.crc32(f"{name}:{what}".encode()))
    return (0.5 * rs.randn(*shape)).astype("float32")


# ---- symbolic cases: build(mx) -> cell or layer; inputs: 'list' (one variable per step),
# 'NTC' or 'TNC' (one merged variable); the call's keyword arguments -------------------------
SYMBOLIC = {}


def symbolic(name, build, inputs, lengths=False, **kwargs):
    SYMBOLIC[name] = (build, inputs, lengths, kwargs)


def _rnn(mx):
    return mx.gluon.rnn


def _stack(mx, kind, *cells):
    stack = getattr(_rnn(mx), kind)()
    for cell in cells:
        stack.add(cell)
    return stack


symbolic("rnn-list", lambda mx: _rnn(mx).RNNCell(4, prefix="rnn_"), "list")
symbolic("lstm-ntc-merged", lambda mx: _rnn(mx).LSTMCell(4, prefix="lstm_"), "NTC",
         merge_outputs=True)
symbolic("gru-tnc-list-out", lambda mx: _rnn(mx).GRUCell(4, prefix="gru_"), "TNC",
         merge_outputs=False)
symbolic("residual-gru-list", lambda mx: _rnn(mx).ResidualCell(_rnn(mx).GRUCell(C, prefix="g_")),
         "list")
symbolic("bidirectional-ntc",
         lambda mx: _rnn(mx).BidirectionalCell(_rnn(mx).LSTMCell(4, prefix="l_"),
                                               _rnn(mx).GRUCell(3, prefix="r_"),
                                               output_prefix="bi_"),
         "NTC", merge_outputs=True)
symbolic("sequential-residual-list",
         lambda mx: _stack(mx, "SequentialRNNCell", _rnn(mx).LSTMCell(4, prefix="s0_"),
                           _rnn(mx).ResidualCell(_rnn(mx).LSTMCell(4, prefix="s1_"))),
         "list")
symbolic("hybridsequential-dropout-tnc",
         lambda mx: _stack(mx, "HybridSequentialRNNCell", _rnn(mx).RNNCell(4, prefix="h0_"),
                           _rnn(mx).DropoutCell(0.5), _rnn(mx).GRUCell(3, prefix="h1_")),
         "TNC", merge_outputs=True)
symbolic("zoneout-list",
         lambda mx: _rnn(mx).ZoneoutCell(_rnn(mx).RNNCell(4, prefix="z_"), 0.5, 0.5), "list")
symbolic("lstm-valid-length-ntc", lambda mx: _rnn(mx).LSTMCell(4, prefix="v_"), "NTC",
         lengths=True, merge_outputs=True)
symbolic("bidirectional-valid-length-tnc",
         lambda mx: _rnn(mx).BidirectionalCell(_rnn(mx).RNNCell(3, prefix="l_"),
                                               _rnn(mx).RNNCell(3, prefix="r_")),
         "TNC", lengths=True, merge_outputs=False)
symbolic("residual-valid-length-ntc",
         lambda mx: _rnn(mx).ResidualCell(_rnn(mx).RNNCell(C, prefix="rr_")), "NTC",
         lengths=True, merge_outputs=True)
symbolic("vardrop-ntc",
         lambda mx: mx.gluon.contrib.rnn.VariationalDropoutCell(
             _rnn(mx).GRUCell(4, prefix="vd_"), 0.3, 0.0, 0.3), "NTC", merge_outputs=True)
symbolic("lstm-layer", lambda mx: _rnn(mx).LSTM(4, 2, layout="NTC", bidirectional=True,
                                                input_size=C, prefix="lstm0_"), "layer-NTC")
symbolic("gru-layer", lambda mx: _rnn(mx).GRU(3, input_size=C, prefix="gru0_"), "layer-TNC")


def _flatten(x):
    if isinstance(x, (list, tuple)):
        return [y for a in x for y in _flatten(a)]
    return [x]


def _call_symbolic(mx, block, inputs, lengths, kwargs):
    valid = mx.sym.var("valid_length") if lengths else None
    if inputs.startswith("layer-"):
        return block(mx.sym.var("data")), None
    if inputs == "list":
        data = [mx.sym.var(f"t{i}_data") for i in range(T)]
    else:
        data = mx.sym.var("data")
    layout = "NTC" if inputs == "list" else inputs
    return block.unroll(T, data, layout=layout, valid_length=valid, **kwargs)


def _input_shapes(inputs, lengths):
    if inputs == "list":
        shapes = {f"t{i}_data": (N, C) for i in range(T)}
    else:
        shapes = {"data": (N, T, C) if inputs.endswith("NTC") else (T, N, C)}
    if lengths:
        shapes["valid_length"] = (N,)
    return shapes


def run_symbolic(mx, name):
    """(arrays, meta) of symbolic case ``name``, computed with library ``mx``."""
    build, inputs, lengths, kwargs = SYMBOLIC[name]
    with mx.name.NameManager(), warnings.catch_warnings():  # fresh counters: stable names
        warnings.simplefilter("ignore")
        block = build(mx)
        outputs, states = _call_symbolic(mx, block, inputs, lengths, kwargs)
    outs = _flatten(outputs) + _flatten(states if states is not None else [])
    group = mx.sym.Group(outs)
    shapes = _input_shapes(inputs, lengths)
    arg_shapes, out_shapes, _ = group.infer_shape(**shapes)
    meta = {"outputs": mx.sym.Group(_flatten(outputs)).list_outputs(),
            "num_states": len(outs) - len(_flatten(outputs)),
            "arguments": group.list_arguments(),
            "arg_shapes": [list(s) for s in arg_shapes],
            "out_shapes": [list(s) for s in out_shapes]}
    values = {}
    for arg, shape in zip(group.list_arguments(), arg_shapes):
        if arg == "valid_length":
            values[arg] = mx.nd.array(LENGTHS)
        else:
            values[arg] = mx.nd.array(_randn(name, arg, shape))
    results = group.eval(ctx=mx.cpu(), **values)
    return {f"out{i}": r.asnumpy() for i, r in enumerate(results)}, meta


# ---- imperative cases ----------------------------------------------------------------------
UNFUSE = {
    "lstm-2layers-bidir": lambda mx: _rnn(mx).LSTM(3, 2, bidirectional=True, input_size=C,
                                                   prefix="lstm0_"),
    "gru-1layer": lambda mx: _rnn(mx).GRU(4, input_size=C, prefix="gru0_"),
    "rnn-relu-3layers-dropout": lambda mx: _rnn(mx).RNN(3, 3, dropout=0.5, input_size=C,
                                                        prefix="rnn0_"),
    "rnn-tanh-ntc": lambda mx: _rnn(mx).RNN(3, activation="tanh", layout="NTC",
                                            input_size=C, prefix="rnn1_"),
}


def run_unfuse(mx, name):
    """Fused layer ``name`` and its ``_unfuse()`` stack on the same seeded parameters
    (predict mode): both outputs, and the stack's parameter names and repr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = UNFUSE[name](mx)
        stack = layer._unfuse()
    layer.initialize()
    for k, p in sorted(layer.collect_params().items()):
        p.set_data(mx.nd.array(_randn(name, k, p.shape)))
    layout = layer._layout
    shape = (N, T, C) if layout == "NTC" else (T, N, C)
    data = mx.nd.array(_randn(name, "data", shape))
    fused = layer(data)
    unfused, states = stack.unroll(T, data, layout=layout, merge_outputs=True)
    meta = {"params": sorted(stack.collect_params().keys()), "repr": repr(stack),
            "num_states": len(states)}
    arrays = {"fused": fused.asnumpy(), "unfused": unfused.asnumpy()}
    arrays.update({f"state{i}": s.asnumpy() for i, s in enumerate(states)})
    return arrays, meta


INFER = {
    "lstm-bidir-deferred": lambda mx: _rnn(mx).LSTM(4, 2, bidirectional=True, prefix="lstmi_"),
    "gru-ntc-deferred": lambda mx: _rnn(mx).GRU(3, layout="NTC", prefix="grui_"),
}


def run_infer(mx, name):
    """Parameter shapes after ``initialize()`` then ``infer_shape(data, states)`` on a
    layer with a deferred input size, and its repr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = INFER[name](mx)
    layer.initialize()
    shape = (N, T, 5) if layer._layout == "NTC" else (T, N, 5)
    layer.infer_shape(mx.nd.ones(shape), layer.begin_state(N))
    return {}, {"params": [[k, list(p.shape)] for k, p in sorted(layer.collect_params().items())],
                "repr": repr(layer)}


ALL = {**{f"symbolic/{k}": (run_symbolic, k) for k in SYMBOLIC},
       **{f"unfuse/{k}": (run_unfuse, k) for k in UNFUSE},
       **{f"infer/{k}": (run_infer, k) for k in INFER}}


def run(mx, case_id):
    fn, name = ALL[case_id]
    return fn(mx, name)


def main():
    warnings.filterwarnings("ignore")
    import mxnet as mx
    import mxnet.gluon.contrib.rnn  # noqa: F401

    sys.path.insert(0, HERE)
    from generate_rnn_layers import _savez

    arrays, meta = {}, {}
    for case_id in ALL:
        got, meta[case_id] = run(mx, case_id)
        arrays.update({f"{case_id}:{k}": v for k, v in got.items()})
    _savez(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:  # one case per line
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(meta[k], sort_keys=True)}"
                                    for k in sorted(meta)) + "\n}\n")
    print(f"wrote {len(ALL)} cases to {NPZ}")


if __name__ == "__main__":
    main()
