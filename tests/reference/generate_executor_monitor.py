"""Goldens from real MXNet 1.9.1 for an executor's monitor callback and for shape rules that
leave unknown dimensions unknown, read by tests/test_executor_monitor.py.

    .refvenv/bin/python tests/reference/generate_executor_monitor.py

Each case is a builder ``(mx) -> (symbol, shapes)`` using only the public API (the test
runs it on mxjax unchanged). ``goldens/executor_monitor.json`` holds, per case:

* ``MONITOR``: the names (and array shapes) a callback installed with
  ``set_monitor_callback`` receives during ``forward``, with ``monitor_all`` off and on;
* ``PARTIAL``: ``infer_shape_partial`` of slicing operators on partly known shapes.

The cases use operators without hidden outputs (LRN's ``tmp_norm``, BatchNorm's saved
statistics): mxjax computes only the visible outputs, so it reports only those.
"""

import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
JSON = os.path.join(HERE, "goldens", "executor_monitor.json")

MONITOR, PARTIAL = {}, {}


def case(table, name):
    def register(build):
        table[name] = build
        return build
    return register


# ---- monitor -------------------------------------------------------------------------------
@case(MONITOR, "conv_fc")
def _(mx):
    data = mx.sym.var("data")
    conv = mx.sym.Convolution(data, kernel=(2, 2), num_filter=2, name="conv")
    act = mx.sym.Activation(conv, act_type="relu", name="act")
    fc = mx.sym.FullyConnected(act, num_hidden=3, name="fc")
    return mx.sym.softmax(fc, name="sm"), {"data": (2, 1, 4, 4)}


@case(MONITOR, "variadic_and_binary")
def _(mx):
    a, b = mx.sym.var("a"), mx.sym.var("b")
    cat = mx.sym.concat(a, b, dim=0, name="cat")
    summed = mx.sym.add_n(cat, cat, name="sum")
    return mx.sym.broadcast_mul(summed, mx.sym.exp(summed, name="e"), name="mul"), \
        {"a": (1, 3), "b": (2, 3)}


@case(MONITOR, "arithmetic_and_unnamed")
def _(mx):
    a, b = mx.sym.var("a"), mx.sym.var("b")
    y = mx.sym.transpose(a + b, name="t")
    return mx.sym.sum(mx.sym.SoftmaxActivation(y, name="sa"), name="s"), \
        {"a": (2, 3), "b": (2, 3)}


@case(MONITOR, "upsampling_pooling_where")
def _(mx):
    x, c = mx.sym.var("x"), mx.sym.var("c")
    up = mx.sym.UpSampling(x, scale=2, sample_type="nearest", name="up")
    pool = mx.sym.Pooling(up, kernel=(2, 2), pool_type="avg", name="pool")
    return mx.sym.where(c, pool, pool * 2, name="w"), {"x": (1, 1, 2, 2), "c": (1, 1, 3, 3)}


@case(MONITOR, "group_of_outputs")
def _(mx):
    a = mx.sym.var("a")
    parts = mx.sym.split(a, num_outputs=2, axis=1, name="sp")
    return mx.sym.Group([parts[0] * 2, mx.sym.take(a, parts[1], name="tk")]), {"a": (2, 4)}


# ---- partial shapes ------------------------------------------------------------------------
@case(PARTIAL, "slice_unknown_axis_with_end")
def _(mx):
    data = mx.sym.var("data", shape=(0, 20))
    return mx.sym.slice(data, begin=(None, 3), end=(5, 10)), {}


@case(PARTIAL, "slice_unknown_axis_with_begin")
def _(mx):
    data = mx.sym.var("data", shape=(0, 20))
    return mx.sym.slice(data, begin=(2, 3), end=(None, 10), step=(None, 1)), {}


@case(PARTIAL, "slice_axis_unknown")
def _(mx):
    data = mx.sym.var("data", shape=(10, 0))
    return mx.sym.slice_axis(data, axis=1, begin=0, end=5), {}


@case(PARTIAL, "slice_axis_known")
def _(mx):
    data = mx.sym.var("data", shape=(10, 0))
    return mx.sym.slice_axis(data, axis=0, begin=1, end=4), {}


@case(PARTIAL, "slice_then_add")
def _(mx):
    data = mx.sym.var("data", shape=(0, 8))
    other = mx.sym.var("other", shape=(6, 0))
    return mx.sym.slice(data, begin=(1, None), end=(7, None)) + other, {}


# ---- recording -----------------------------------------------------------------------------
def monitor(mx, name):
    """{"outputs": [[name, shape], ...], "all": [...]} for the case's forward pass."""
    import numpy as np

    with mx.name.NameManager():  # fresh automatic names (_plus0), whatever ran before
        sym, shapes = MONITOR[name](mx)
    result = {}
    for key, monitor_all in (("outputs", False), ("all", True)):
        seen = []

        def callback(entry, array, seen=seen):
            if not hasattr(array, "shape"):  # MXNet hands out a C handle
                array = mx.nd.NDArray(mx.base.NDArrayHandle(array), writable=False)
            text = entry.decode() if isinstance(entry, bytes) else entry
            seen.append([text, list(array.shape)])

        exe = sym.simple_bind(mx.cpu(), grad_req="null", **shapes)
        rng = np.random.default_rng(0)
        for arr in exe.arg_arrays:
            arr[:] = rng.uniform(0.5, 1.5, arr.shape)
        exe.set_monitor_callback(callback, monitor_all=monitor_all)
        exe.forward(is_train=False)
        mx.nd.waitall()
        result[key] = seen
    return result


def partial(mx, name):
    with mx.name.NameManager():
        sym, _ = PARTIAL[name](mx)
    args, outs, aux = sym.infer_shape_partial()
    return {"args": [list(s) for s in args], "outputs": [list(s) for s in outs],
            "aux": [list(s) for s in aux]}


RECORDERS = {"monitor": (MONITOR, monitor), "partial": (PARTIAL, partial)}


def main():
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MXNET_SUBGRAPH_BACKEND", "NONE")
    import mxnet as mx

    out = {kind: {name: record(mx, name) for name in table}
           for kind, (table, record) in RECORDERS.items()}
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, **out}, f, indent=1, sort_keys=True)
    print(f"{sum(len(t) for t, _ in RECORDERS.values())} cases -> {JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
