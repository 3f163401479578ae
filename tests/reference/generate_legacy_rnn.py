"""The legacy symbolic RNN package (``mx.rnn``) from real MXNet 1.9.1, for
tests/test_legacy_rnn.py.

    /work/main/.refvenv/bin/python tests/reference/generate_legacy_rnn.py

Each cell case unrolls a cell on a data variable and records the graph's argument and
output names, the shapes ``infer_shape`` gives from the data shape alone (the begin
states are ``sym.zeros`` with an unknown batch size), and, with seeded data and weights,
the outputs of a training forward and the gradients of a backward with seeded head
gradients. Weight cases check ``unpack_weights``/``pack_weights`` (a fused cell's packed
vector cut into per-gate arrays and back) and ``unfuse``; data cases check
``encode_sentences`` and ``BucketSentenceIter``. Everything runs through the library
passed in as ``mx``, so the test runs this same code on mxjax. Writes
goldens/legacy_rnn.json and goldens/legacy_rnn.npz.
"""

import json
import os
import random
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "legacy_rnn.npz")
JSON = os.path.join(HERE, "goldens", "legacy_rnn.json")

T, N, I, H = 3, 2, 5, 4  # steps, batch, input features, hidden units


def _randn(name, what, shape, scale=0.5):
    rs = np.random.RandomState(zlib.crc32(f"{name}:{what}".encode()))
    return (scale * rs.randn(*shape)).astype("float32")


def _flatten(states):
    out = []
    for s in states:
        out.extend(_flatten(s) if isinstance(s, list) else [s])
    return out


# ---- cells: name -> (build(mx) -> cell, layout, data shape) --------------------------------
def _seq(mx, *cells):
    stack = mx.rnn.SequentialRNNCell()
    for cell in cells:
        stack.add(cell)
    return stack


CELLS = {
    "rnn_tanh": (lambda mx: mx.rnn.RNNCell(H, prefix="rnn_"), "NTC", (N, T, I)),
    "rnn_relu_tnc": (lambda mx: mx.rnn.RNNCell(H, activation="relu", prefix="r_"), "TNC",
                     (T, N, I)),
    "lstm": (lambda mx: mx.rnn.LSTMCell(H, prefix="lstm_", forget_bias=0.5), "NTC", (N, T, I)),
    "gru": (lambda mx: mx.rnn.GRUCell(H, prefix="gru_"), "NTC", (N, T, I)),
    "stack_lstm_gru": (lambda mx: _seq(mx, mx.rnn.LSTMCell(H, prefix="l0_"),
                                       mx.rnn.GRUCell(H, prefix="l1_")), "NTC", (N, T, I)),
    "bidirectional": (lambda mx: mx.rnn.BidirectionalCell(
        mx.rnn.LSTMCell(H, prefix="l_"), mx.rnn.GRUCell(H, prefix="r_"),
        output_prefix="bi_"), "NTC", (N, T, I)),
    "fused_lstm_bi": (lambda mx: mx.rnn.FusedRNNCell(
        H, num_layers=2, mode="lstm", bidirectional=True, get_next_state=True,
        prefix="f_"), "TNC", (T, N, I)),
    "fused_gru_ntc": (lambda mx: mx.rnn.FusedRNNCell(H, mode="gru", get_next_state=True,
                                                     prefix="g_"), "NTC", (N, T, I)),
    "fused_rnn_relu": (lambda mx: mx.rnn.FusedRNNCell(H, num_layers=2, mode="rnn_relu",
                                                      prefix="fr_"), "TNC", (T, N, I)),
    "residual": (lambda mx: mx.rnn.ResidualCell(mx.rnn.GRUCell(I, prefix="res_")), "NTC",
                 (N, T, I)),
    "dropout_stack": (lambda mx: _seq(mx, mx.rnn.LSTMCell(H, prefix="d0_"),
                                      mx.rnn.DropoutCell(0.0, prefix="drop_"),
                                      mx.rnn.RNNCell(H, prefix="d1_")), "NTC", (N, T, I)),
    "zoneout": (lambda mx: mx.rnn.ZoneoutCell(mx.rnn.RNNCell(H, prefix="z_")), "NTC",
                (N, T, I)),
    "conv_lstm": (lambda mx: mx.rnn.ConvLSTMCell((N, 2, 4, 4), 3, prefix="cl_"), "NTC",
                  (N, T, 2, 4, 4)),
    "conv_gru": (lambda mx: mx.rnn.ConvGRUCell((N, 2, 4, 4), 3, i2h_kernel=(3, 3),
                                               prefix="cg_"), "NTC", (N, T, 2, 4, 4)),
}


def run_cell(mx, name):
    """Names, inferred shapes, outputs and gradients of one cell case."""
    with mx.name.NameManager():  # automatic names counted from zero in every case
        return _run_cell(mx, name)


def _run_cell(mx, name):
    build, layout, shape = CELLS[name]
    cell = build(mx)
    data = mx.sym.Variable("data")
    outputs, states = cell.unroll(T, inputs=data, layout=layout, merge_outputs=True)
    group = mx.sym.Group([outputs] + _flatten(states))
    arg_shapes, out_shapes, _ = group.infer_shape(data=shape)
    names = group.list_arguments()
    args = {n: mx.nd.array(_randn(name, n, s)) for n, s in zip(names, arg_shapes)}
    grads = {n: mx.nd.zeros(s) for n, s in zip(names, arg_shapes)}
    exe = group.bind(mx.cpu(), args, args_grad=grads)
    exe.forward(is_train=True)
    heads = [mx.nd.array(_randn(name, f"head{i}", s)) for i, s in enumerate(out_shapes)]
    exe.backward(heads)
    meta = {"arguments": names, "outputs": group.list_outputs(),
            "arg_shapes": [list(s) for s in arg_shapes],
            "out_shapes": [list(s) for s in out_shapes],
            "state_info": [dict(i, shape=list(i["shape"])) for i in _flatten_info(cell)]}
    arrays = {f"{name}:out{i}": o.asnumpy() for i, o in enumerate(exe.outputs)}
    arrays.update({f"{name}:grad:{n}": grads[n].asnumpy() for n in names})
    return meta, arrays


def _flatten_info(cell):
    return [i for i in cell.state_info]


def run_weights(mx):
    """unpack_weights / pack_weights of a fused cell and of a stack, and unfuse."""
    with mx.name.NameManager():
        return _run_weights(mx)


def _run_weights(mx):
    fused = mx.rnn.FusedRNNCell(H, num_layers=2, mode="gru", bidirectional=True, prefix="u_")
    size = 2 * (3 * H * (I + H + 2) + 3 * H * (2 * H + H + 2))
    packed = {"u_parameters": mx.nd.array(_randn("weights", "packed", (size,)))}
    unpacked = fused.unpack_weights(packed)
    repacked = fused.pack_weights(unpacked)
    arrays = {f"weights:unpacked:{k}": v.asnumpy() for k, v in unpacked.items()}
    arrays["weights:repacked"] = repacked["u_parameters"].asnumpy()
    lstm = mx.rnn.LSTMCell(H, prefix="p_")
    fused_args = {"p_i2h_weight": mx.nd.array(_randn("weights", "iw", (4 * H, I))),
                  "p_i2h_bias": mx.nd.array(_randn("weights", "ib", (4 * H,))),
                  "p_h2h_weight": mx.nd.array(_randn("weights", "hw", (4 * H, H))),
                  "p_h2h_bias": mx.nd.array(_randn("weights", "hb", (4 * H,)))}
    per_gate = lstm.unpack_weights(fused_args)
    arrays.update({f"weights:lstm:{k}": v.asnumpy() for k, v in per_gate.items()})
    stack = fused.unfuse()
    data = mx.sym.Variable("data")
    outputs, _ = stack.unroll(T, inputs=data, layout="TNC", merge_outputs=True)
    meta = {"unpacked": sorted(unpacked), "lstm": sorted(per_gate),
            "unfused_arguments": outputs.list_arguments(),
            "unfused_outputs": outputs.list_outputs()}
    return meta, arrays


SENTENCES = [["a", "b", "c"], ["b", "c"], ["d", "a", "b", "e"], ["c"], ["e", "a"],
             ["a", "b"], ["c", "d", "e"], ["b", "a", "c", "d"], ["e"], ["a", "e", "b"]]


def run_data(mx):
    """encode_sentences (new vocabulary, given vocabulary with unknown token) and the
    batches of a seeded BucketSentenceIter."""
    encoded, vocab = mx.rnn.encode_sentences(SENTENCES, invalid_label=0, start_label=1)
    again, vocab2 = mx.rnn.encode_sentences([["a", "zz", "b"]], vocab=dict(vocab),
                                            unknown_token="<unk>")
    meta = {"encoded": encoded, "vocab": sorted(vocab.items()), "again": again,
            "vocab2": sorted(vocab2.items())}
    random.seed(7)
    np.random.seed(7)
    it = mx.rnn.BucketSentenceIter(encoded, 2, buckets=[2, 3, 4], invalid_label=0)
    batches = []
    arrays = {}
    for i, batch in enumerate(it):
        batches.append({"bucket_key": batch.bucket_key,
                        "shape": list(batch.data[0].shape),
                        "provide_data": [[d.name, list(d.shape)] for d in batch.provide_data]})
        arrays[f"data:batch{i}:data"] = batch.data[0].asnumpy()
        arrays[f"data:batch{i}:label"] = batch.label[0].asnumpy()
    meta.update(batches=batches, default_bucket_key=it.default_bucket_key,
                provide_data=[[d.name, list(d.shape)] for d in it.provide_data],
                buckets=it.buckets)
    return meta, arrays


def run_all(mx):
    meta, arrays = {"cells": {}}, {}
    for name in CELLS:
        m, a = run_cell(mx, name)
        meta["cells"][name] = m
        arrays.update(a)
    for key, fn in (("weights", run_weights), ("data", run_data)):
        m, a = fn(mx)
        meta[key] = m
        arrays.update(a)
    return meta, arrays


def main():
    import warnings

    import mxnet as mx

    warnings.simplefilter("ignore")
    meta, arrays = run_all(mx)
    with open(JSON, "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    sys.path.insert(0, HERE)
    from generate_rnn_layers import _savez

    _savez(NPZ, arrays)
    print(f"{len(meta['cells'])} cells, {len(arrays)} arrays -> {NPZ}", file=sys.stderr)


if __name__ == "__main__":
    main()
