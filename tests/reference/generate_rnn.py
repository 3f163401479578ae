"""Record MXNet 1.9.1's fused ``RNN`` operator on a grid of configurations.

Run in the reference environment (mxnet==1.9.1, numpy<1.24), from anywhere:

    /work/refvenv/bin/python tests/reference/generate_rnn.py

Every mode x 1/2 layers x uni/bidirectional x float32/float64 runs under autograd with
``state_outputs=True`` and random head gradients on every output; the file keeps the
inputs, head gradients, outputs and the gradients wrt data, parameters and states. LSTM
with projection is recorded in inference only (MXNet 1.9.1 cannot train it on CPU).
Written to goldens/rnn_op.npz with a JSON manifest; tests/operator/test_rnn_op.py replays
whatever the manifest lists.
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_ops import write_npz  # noqa: E402  (needs the path above; imports mxnet)

warnings.filterwarnings("ignore")
import mxnet as mx  # noqa: E402

GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def param_size(mode, layers, inp, hidden, dirs, proj):
    rec = proj or hidden
    return sum(dirs * (GATES[mode] * hidden * ((inp if k == 0 else rec * dirs) + rec + 2)
                       + (proj or 0) * hidden) for k in range(layers))


def cases():
    base = dict(seq=4, batch=2, inp=3, hidden=3, proj=None, grad=True)
    for dtype in ("float32", "float64"):
        for mode in GATES:
            for layers in (1, 2):
                for bidir in (False, True):
                    tag = f"{mode}-l{layers}{'-bidir' if bidir else ''}-{dtype}"
                    yield tag, dict(base, mode=mode, layers=layers, bidir=bidir, dtype=dtype)
        for layers, bidir in ((1, False), (2, True)):
            yield f"lstmp-l{layers}{'-bidir' if bidir else ''}-{dtype}", dict(
                base, mode="lstm", layers=layers, bidir=bidir, dtype=dtype, hidden=4, proj=2,
                grad=False)
    yield "lstm-long", dict(base, mode="lstm", layers=2, bidir=True, dtype="float32", seq=9,
                            batch=3, inp=5, hidden=6)
    yield "gru-predict", dict(base, mode="gru", layers=2, bidir=True, dtype="float32",
                              grad=False)


def record(tag, c, seed):
    rng = np.random.default_rng(seed)
    dirs = 2 if c["bidir"] else 1
    states = [(c["layers"] * dirs, c["batch"], c["proj"] or c["hidden"])]
    if c["mode"] == "lstm":
        states.append((c["layers"] * dirs, c["batch"], c["hidden"]))
    size = param_size(c["mode"], c["layers"], c["inp"], c["hidden"], dirs, c["proj"])
    inputs = [rng.standard_normal((c["seq"], c["batch"], c["inp"])),
              rng.uniform(-0.5, 0.5, (size,))] + [rng.uniform(-0.5, 0.5, s) for s in states]
    inputs = [a.astype(c["dtype"]) for a in inputs]
    nds = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
    attrs = dict(state_size=c["hidden"], num_layers=c["layers"], bidirectional=c["bidir"],
                 mode=c["mode"], state_outputs=True)
    if c["proj"]:
        attrs["projection_size"] = c["proj"]
    arrays = {f"{tag}:in{i}": a for i, a in enumerate(inputs)}
    if c["grad"]:
        for x in nds:
            x.attach_grad()
        with mx.autograd.record():
            outs = mx.nd.RNN(*nds, **attrs)
        heads = [rng.standard_normal(o.shape).astype(c["dtype"]) for o in outs]
        mx.autograd.backward(outs, head_grads=[mx.nd.array(h, dtype=h.dtype) for h in heads])
        arrays.update({f"{tag}:head{i}": h for i, h in enumerate(heads)})
        arrays.update({f"{tag}:grad{i}": x.grad.asnumpy() for i, x in enumerate(nds)})
    else:
        outs = mx.nd.RNN(*nds, **attrs)
    arrays.update({f"{tag}:out{i}": o.asnumpy() for i, o in enumerate(outs)})
    return attrs, arrays


def main():
    manifest, arrays = {}, {}
    for seed, (tag, c) in enumerate(cases()):
        attrs, values = record(tag, c, seed)
        manifest[tag] = dict(attrs=attrs, grad=c["grad"], dtype=c["dtype"])
        arrays.update(values)
    arrays["__manifest__"] = np.array(json.dumps(dict(mxnet_version=mx.__version__,
                                                      cases=manifest), sort_keys=True))
    path = HERE / "goldens" / "rnn_op.npz"
    write_npz(path, arrays)
    print(f"{path}: {len(manifest)} cases, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
