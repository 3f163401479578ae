"""Goldens from real MXNet 1.9.1 for shape inference and the executor's graph passes, read
by tests/test_symbol_infer.py.

    .refvenv/bin/python tests/reference/generate_symbol_infer.py

Each case is a builder ``(mx) -> (symbol, keyword arguments)`` using only the public API
(the test runs it on mxjax unchanged). ``goldens/symbol_infer.json`` holds, per case:

* ``INFER``: ``infer_shape`` / ``infer_shape_partial`` results (partly known shapes,
  backward inference, NumPy shape semantics), or the exception type;
* ``MEMORY``: the ``Total N MB allocated`` of ``Executor.debug_str()`` after
  ``simple_bind`` (forward only, with a backward pass, gradients stopped);
* ``CSE``: the internals of ``Executor.get_optimized_symbol()`` with common-subexpression
  elimination on and off;
* ``BIND``: whether ``simple_bind`` (gradients wanted) raises;
* ``ATTRS``: ``attr_dict()`` of operators given hidden attributes as keywords, and
  ``_gen_atomic_symbol`` round trips; ``JSON``: ``tojson()`` under ``np_shape``.
"""

import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
JSON = os.path.join(HERE, "goldens", "symbol_infer.json")

INFER, MEMORY, CSE, BIND, ATTRS, JSON_CASES = {}, {}, {}, {}, {}, {}


def case(table, name, **options):
    def register(build):
        table[name] = (build, options)
        return build
    return register


# ---- shape inference --------------------------------------------------------------------------
@case(INFER, "elemwise_both_partial")
def _(mx):
    a, b = mx.sym.var("a", shape=(0, 10)), mx.sym.var("b", shape=(12, 0))
    return a + b, {}


@case(INFER, "fc_batch_from_sum")
def _(mx):
    fc = mx.sym.FullyConnected(mx.sym.var("a", shape=(0, 10)), num_hidden=21, name="fc")
    return fc + mx.sym.var("c", shape=(5, 0)), {}


@case(INFER, "split_backward", partial=True)
def _(mx):
    sp = mx.sym.SliceChannel(mx.sym.var("a", shape=(0, 15, 0)), num_outputs=3, name="sp")
    return sp[1] * mx.sym.var("c", shape=(3, 5, 2)), {}


@case(INFER, "conv_strided_backward", partial=True)
def _(mx):
    conv = mx.sym.Convolution(mx.sym.var("a", shape=(0, 3, 0, 0)), num_filter=4,
                              kernel=(3, 3), stride=(2, 2), name="conv")
    return conv + mx.sym.var("c", shape=(2, 4, 5, 5)), {}


@case(INFER, "conv_window_backward", partial=True)
def _(mx):
    conv = mx.sym.Convolution(mx.sym.var("a"), num_filter=4, kernel=(3, 3), name="conv")
    return conv + mx.sym.var("c"), {"a": (0, 3, 0, 0), "c": (2, 4, 0, 5)}


@case(INFER, "attr_shape_kept_until_complete", partial=True)
def _(mx):
    a = mx.sym.var("a", shape=(0, 3, 0, 0))
    conv = mx.sym.Convolution(a, num_filter=4, kernel=(3, 3), name="conv")
    return conv + mx.sym.var("c"), {"c": (2, 4, 0, 5)}


@case(INFER, "attr_shape_completed", partial=True)
def _(mx):
    a = mx.sym.var("a", shape=(0, 3, 0, 0))
    conv = mx.sym.Convolution(a, num_filter=4, kernel=(3, 3), name="conv")
    return conv + mx.sym.var("c"), {"c": (2, 4, 5, 5)}


@case(INFER, "concat_backward")
def _(mx):
    a, b = mx.sym.var("a", shape=(0, 3)), mx.sym.var("b", shape=(0, 4))
    return mx.sym.concat(a, b, dim=1) - mx.sym.var("d", shape=(6, 0)), {}


@case(INFER, "cast_then_conv", partial=True)
def _(mx):
    data = mx.sym.cast(mx.sym.var("data", shape=(2, 0, 0, 0)), dtype="float16")
    weight = mx.sym.cast(mx.sym.var("weight"), dtype="float16")
    return mx.sym.Convolution(data, weight, num_filter=8, kernel=(3, 3), no_bias=True), {}


@case(INFER, "unary_chain_backward", partial=True)
def _(mx):
    x = mx.sym.relu(mx.sym.sin(mx.sym.var("x")))
    return x * mx.sym.var("y", shape=(4, 0)) + mx.sym.var("z", shape=(0, 3)), {}


@case(INFER, "reshape_input_backward", partial=True)
def _(mx):
    return mx.sym.reshape(mx.sym.var("x"), shape=(6, 4)) + 1, {"x": (0, 12)}


@case(INFER, "identity_like_rhs")
def _(mx):
    w, shift = mx.sym.var("w"), mx.sym.var("shift", shape=(1,))
    wt = mx.sym._internal._identity_with_attr_like_rhs(mx.sym.broadcast_add(w, shift), w)
    return mx.sym.FullyConnected(mx.sym.var("data"), wt, num_hidden=5, no_bias=True), \
        {"data": (3, 7)}


@case(INFER, "regression_label")
def _(mx):
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=1, name="fc")
    return mx.sym.LinearRegressionOutput(fc, name="out"), {"data": (8, 3)}


@case(INFER, "regression_label_given")
def _(mx):
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=1, name="fc")
    return mx.sym.LinearRegressionOutput(fc, name="out"), {"data": (8, 3), "out_label": (8,)}


@case(INFER, "where_1d_condition", partial=True)
def _(mx):
    return mx.sym.where(mx.sym.var("c"), mx.sym.var("x"), mx.sym.var("y")), \
        {"c": (3,), "x": (3, 2)}


@case(INFER, "where_unknown_condition", partial=True)
def _(mx):
    return mx.sym.where(mx.sym.var("c"), mx.sym.var("x"), mx.sym.var("y")), \
        {"c": (0, 2), "x": (3, 2)}


@case(INFER, "inconsistent_transpose")
def _(mx):
    v = mx.sym.var("v")
    return mx.sym.transpose(v) + (mx.sym.var("x") + v), {"x": (2, 3)}


@case(INFER, "partial_weight_attr")
def _(mx):
    w = mx.sym.var("w", shape=(6, 0))
    return mx.sym.FullyConnected(mx.sym.var("data"), w, num_hidden=6), {"data": (2, 9)}


@case(INFER, "creation_unknown_dims", partial=True)
def _(mx):
    return mx.sym.zeros(shape=(2, -1)) * mx.sym.var("x"), {"x": (0, 5)}


@case(INFER, "np_dot", partial=True, np_shape=True)
def _(mx):
    return mx.sym.dot(mx.sym.var("x"), mx.sym.var("y")), {"x": (-1, 3, 4), "y": (4, 5)}


@case(INFER, "np_zero_size", partial=True, np_shape=True)
def _(mx):
    return mx.sym.var("x") * 2 + mx.sym.var("y"), {"x": (0, 3)}


@case(INFER, "np_unknown", partial=True, np_shape=True)
def _(mx):
    return mx.sym.exp(mx.sym.var("x")) + mx.sym.var("y"), {"y": (-1, 3)}


# ---- executors: planned memory, common subexpressions, gradients -------------------------------
def _chain(mx, n=6):
    x = mx.sym.var("data")
    for _ in range(n):
        x = x * x
    return x


@case(MEMORY, "chain_backward", grad_req="write")
def _(mx):
    return _chain(mx), {"data": (4, 256, 256)}


@case(MEMORY, "chain_forward", grad_req="null")
def _(mx):
    return _chain(mx), {"data": (4, 256, 256)}


@case(MEMORY, "chain_stopped", grad_req="write")
def _(mx):
    return mx.sym.stop_gradient(_chain(mx)), {"data": (4, 256, 256)}


@case(MEMORY, "branches_forward", grad_req="null")
def _(mx):
    x = mx.sym.var("data")
    return mx.sym.exp(x) * mx.sym.sin(x) + mx.sym.cos(x) * x, {"data": (8, 512, 256)}


@case(CSE, "shared_sum")
def _(mx):
    a, b = mx.sym.var("a"), mx.sym.var("b")
    return (a + b) * (a + b) - (a + b), {"a": (2, 3), "b": (2, 3)}


@case(CSE, "different_scalars")
def _(mx):
    a = mx.sym.var("a")
    return (a + 1) * (a + 2), {"a": (2, 3)}


@case(CSE, "repeated_outputs")
def _(mx):
    a = mx.sym.var("a")
    return mx.sym.Group([mx.sym.sin(a), mx.sym.sin(a), mx.sym.sin(a) * 2]), {"a": (2, 3)}


@case(CSE, "random_not_merged")
def _(mx):
    a = mx.sym.var("a")
    return mx.sym.Dropout(a, p=0.5) * mx.sym.Dropout(a, p=0.5), {"a": (2, 3)}


@case(BIND, "creation_shapes_at_bind")
def _(mx):
    o1, o2 = mx.sym.ones(shape=(2, -1)), mx.sym.ones(shape=(3, -1))
    return o1 + mx.sym.transpose(o2), {}


@case(BIND, "batch_take_grad")
def _(mx):
    return mx.sym.batch_take(mx.sym.var("x"), mx.sym.var("i")), {"x": (4, 3), "i": (4,)}


@case(BIND, "batch_take_stopped")
def _(mx):
    y = mx.sym.batch_take(mx.sym.var("x"), mx.sym.var("i"))
    return mx.sym.stop_gradient(y), {"x": (4, 3), "i": (4,)}


@case(BIND, "argmax_channel_grad")
def _(mx):
    return mx.sym.argmax_channel(mx.sym.var("x")) + mx.sym.var("z"), {"x": (4, 3), "z": (4,)}


# ---- attributes, atomic symbols, JSON ---------------------------------------------------------
@case(ATTRS, "hidden_keywords")
def _(mx):
    data = mx.sym.var("data")
    return mx.sym.FullyConnected(data, num_hidden=3, name="fc", lr_mult=0, wd_mult=0.5,
                                 ctx_group="dev1", attr={"__mood__": "ok"}), {}


@case(ATTRS, "atomic_rnn")
def _(mx):
    s = mx.sym.RNN(mx.sym.var("data"), mx.sym.var("p"), mx.sym.var("h"), mx.sym.var("c"),
                   state_size=4, num_layers=1, state_outputs=True, mode="lstm", name="rnn")
    return s._gen_atomic_symbol(), {}


@case(ATTRS, "atomic_fc_composed")
def _(mx):
    atomic = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")._gen_atomic_symbol()
    return atomic(data=mx.sym.var("y"), name="fc2"), {}


@case(JSON_CASES, "np_shape_json", np_shape=True)
def _(mx):
    return mx.sym.FullyConnected(mx.sym.var("data"), mx.sym.var("w", shape=(4, 0)),
                                 num_hidden=4, name="fc"), {}


# ---- recording --------------------------------------------------------------------------------
def _shapes(part):
    return [None if s is None else list(s) for s in part]


def infer(mx, name):
    build, options = INFER[name]
    with mx.name.NameManager(), mx.np_shape(options.get("np_shape", False)):
        sym, kwargs = build(mx)
        method = sym.infer_shape_partial if options.get("partial") else sym.infer_shape
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = method(**kwargs)
        except Exception as e:  # noqa: BLE001 - recorded: mxjax must raise too
            return {"raises": type(e).__name__}
    if result[0] is None:
        return {"result": None}
    return {"arguments": sym.list_arguments(), "result": [_shapes(p) for p in result]}


def memory(mx, name):
    build, options = MEMORY[name]
    with mx.name.NameManager():
        sym, shapes = build(mx)
    ex = sym.simple_bind(mx.cpu(), grad_req=options["grad_req"], **shapes)
    line = next(s for s in ex.debug_str().splitlines() if s.endswith("MB allocated"))
    return int(line.split()[1])


def cse(mx, name):
    build, _ = CSE[name]
    out = {}
    for flag in ("0", "1"):
        with mx.name.NameManager():
            sym, shapes = build(mx)
        os.environ["MXNET_ELIMINATE_COMMON_EXPR"] = flag
        try:
            ex = sym.simple_bind(mx.cpu(), **shapes)
        finally:
            del os.environ["MXNET_ELIMINATE_COMMON_EXPR"]
        opt = ex.get_optimized_symbol()
        out[flag] = {"internals": opt.get_internals().list_outputs(),
                     "outputs": opt.list_outputs()}
    return out


def bind(mx, name):
    build, _ = BIND[name]
    with mx.name.NameManager():
        sym, shapes = build(mx)
    types = {n: "int32" if n == "i" else "float32" for n in shapes}
    try:
        ex = sym.simple_bind(mx.cpu(), grad_req="write", type_dict=types, **shapes)
    except Exception as e:  # noqa: BLE001
        return {"raises": "Operator" in str(e) and "non-differentiable" in str(e)}
    return {"raises": False, "outputs": [list(o.shape) for o in ex.forward()]}


def attrs(mx, name):
    build, _ = ATTRS[name]
    with mx.name.NameManager():
        sym, _ = build(mx)
    return {"attr_dict": sym.attr_dict(), "arguments": sym.list_arguments(),
            "outputs": sym.list_outputs(), "json": sym.tojson()}


def json_case(mx, name):
    build, options = JSON_CASES[name]
    with mx.name.NameManager(), mx.np_shape(options.get("np_shape", False)):
        sym, _ = build(mx)
        text = sym.tojson()
    with mx.np_shape(False):
        legacy = sym.tojson()
    with mx.np_shape(True):  # a legacy file read with NumPy shapes: 0 becomes -1
        loaded = mx.sym.load_json(legacy).attr_dict()
    return {"json": text, "legacy_json": legacy, "loaded_np": loaded}


RECORDERS = {"infer": (INFER, infer), "memory": (MEMORY, memory), "cse": (CSE, cse),
             "bind": (BIND, bind), "attrs": (ATTRS, attrs), "json": (JSON_CASES, json_case)}


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
