"""``mx.viz`` goldens from real MXNet 1.9.1, for tests/test_viz.py.

    .refvenv/bin/python tests/reference/generate_viz.py

Each case builds a Symbol with the public API of the library under test (``mx``) and
lists the calls to make: ``print_summary`` keyword sets (the printed table is recorded
as text) and ``plot_network`` keyword sets (the Digraph's nodes and edges are recorded
through a stand-in ``graphviz`` module, so the goldens do not depend on the graphviz
version that formats them). ``goldens/viz.json`` holds the tables, the calls and the
warnings ``plot_network`` gave.
"""

import contextlib
import io
import json
import os
import sys
import types
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
JSON = os.path.join(HERE, "goldens", "viz.json")

CASES = {}  # name -> fn(mx) -> (symbol, [summary kwargs], [plot kwargs])


def case(fn):
    CASES[fn.__name__.lstrip("_")] = fn
    return fn


@case
def _upstream_summary(mx):
    """MXNet's own test_viz network: Embedding, Convolution with stride, BatchNorm,
    Pooling, a bias variable given by hand, SliceChannel's ten outputs."""
    data = mx.sym.Variable("data")
    bias = mx.sym.Variable("fc1_bias", lr_mult=1.0)
    emb1 = mx.sym.Embedding(data=data, name="emb1", input_dim=100, output_dim=28)
    conv1 = mx.sym.Convolution(data=emb1, name="conv1", num_filter=32, kernel=(3, 3),
                               stride=(2, 2))
    bn1 = mx.sym.BatchNorm(data=conv1, name="bn1")
    act1 = mx.sym.Activation(data=bn1, name="relu1", act_type="relu")
    mp1 = mx.sym.Pooling(data=act1, name="mp1", kernel=(2, 2), stride=(2, 2), pool_type="max")
    fc1 = mx.sym.FullyConnected(data=mp1, bias=bias, name="fc1", num_hidden=10, lr_mult=0)
    fc2 = mx.sym.FullyConnected(data=fc1, name="fc2", num_hidden=10, wd_mult=0.5)
    sc1 = mx.sym.SliceChannel(data=fc2, num_outputs=10, name="slice_1", squeeze_axis=0)
    shape = {"data": (1, 3, 28)}
    return sc1, [{}, {"shape": shape}], [{}, {"shape": shape, "hide_weights": False}]


@case
def _mlp(mx):
    """FullyConnected layers (one without bias), softmax output, dtype labels."""
    net = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data=net, name="fc1", num_hidden=128)
    net = mx.sym.Activation(data=net, name="relu1", act_type="relu")
    net = mx.sym.FullyConnected(data=net, name="fc2", num_hidden=10, no_bias=True)
    net = mx.sym.SoftmaxOutput(data=net, name="softmax")
    shape = {"data": (100, 200)}
    return net, [{}, {"shape": shape}, {"shape": shape, "line_length": 80,
                                        "positions": [30, 50, 62, 80]}], \
        [{"shape": shape}, {"shape": shape, "dtype": {"data": np.float32},
                            "node_attrs": {"fixedsize": "false"}, "title": "mlp",
                            "save_format": "png"}]


@case
def _cnn(mx):
    """Convolutions (no bias, grouped), BatchNorm, LeakyReLU, average pooling without
    stride, Flatten, Concat of two branches (two previous layers), Reshape, Softmax."""
    data = mx.sym.Variable("data")
    c1 = mx.sym.Convolution(data, num_filter=8, kernel=(3, 3), pad=(1, 1), no_bias=True,
                            name="c1")
    b1 = mx.sym.BatchNorm(c1, fix_gamma=False, name="b1")
    a1 = mx.sym.LeakyReLU(b1, act_type="leaky", slope=0.1, name="a1")
    c2 = mx.sym.Convolution(a1, num_filter=8, kernel=(3, 3), pad=(1, 1), num_group=4,
                            name="c2")
    p1 = mx.sym.Pooling(a1, kernel=(2, 2), pool_type="avg", name="p1")
    p2 = mx.sym.Pooling(c2, kernel=(2, 2), stride=(2, 2), pool_type="max", name="p2")
    g = mx.sym.Pooling(c2, global_pool=True, pool_type="avg", name="g")
    f1 = mx.sym.Flatten(p1, name="f1")
    f2 = mx.sym.Flatten(p2, name="f2")
    cat = mx.sym.Concat(f1, f2, dim=1, name="cat")
    r = mx.sym.Reshape(g, shape=(0, -1), name="r")
    fc = mx.sym.FullyConnected(cat, num_hidden=5, name="fc")
    out = mx.sym.Concat(fc, r, dim=1, name="out")
    sm = mx.sym.softmax(out, name="sm")
    shape = {"data": (2, 3, 8, 8)}
    return sm, [{}, {"shape": shape}], [{}, {"shape": shape}, {"hide_weights": False}]


@case
def _repeated_names(mx):
    """Two layers called ``fc``: plot_network warns about the cycle it may draw."""
    net = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data=net, name="fc", num_hidden=128)
    net = mx.sym.Activation(data=net, name="relu1", act_type="relu")
    net = mx.sym.FullyConnected(data=net, name="fc", num_hidden=10)
    net = mx.sym.SoftmaxOutput(data=net, name="out")
    return net, [{"shape": {"data": (100, 200)}}], [{"shape": {"data": (100, 200)}}]


# ---- recording -------------------------------------------------------------------------------
class _Recorder:
    """Stands in for ``graphviz.Digraph``: keeps the calls."""

    def __init__(self, name=None, format=None, **_):  # noqa: A002 - graphviz's name
        self.calls = [["graph", name, format]]

    def node(self, name, label=None, **attrs):
        self.calls.append(["node", name, label, dict(sorted(attrs.items()))])

    def edge(self, tail_name, head_name, **attrs):
        self.calls.append(["edge", tail_name, head_name, dict(sorted(attrs.items()))])


def summaries(mx, name):
    """The printed tables of the case's ``print_summary`` calls."""
    with mx.name.NameManager():
        sym, summary_kwargs, _ = CASES[name](mx)
    tables = []
    for kwargs in summary_kwargs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            mx.viz.print_summary(sym, **kwargs)
        tables.append(out.getvalue())
    return tables


def normalized(message):
    """A warning's text with the repeated names sorted (MXNet lists a set)."""
    text = str(message)
    head, sep, names = text.partition("Repeated names: ")
    return head + sep + ",".join(sorted(names.split(","))) if sep else text


def plots(mx, name):
    """``[(calls, warning messages)]`` of the case's ``plot_network`` calls, made with
    the stand-in Digraph (MXNet imports it from ``graphviz`` at each call); the test
    replays the calls on the real graphviz to get the source mxjax must produce."""
    with mx.name.NameManager():
        sym, _, plot_kwargs = CASES[name](mx)
    real = sys.modules.get("graphviz")
    recorded = []
    try:
        for kwargs in plot_kwargs:
            made = []

            def digraph(*args, made=made, **kw):
                made.append(_Recorder(*args, **kw))
                return made[-1]

            sys.modules["graphviz"] = types.SimpleNamespace(Digraph=digraph)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                mx.viz.plot_network(sym, **kwargs)
            recorded.append([made[0].calls, [normalized(w.message) for w in caught]])
    finally:
        if real is None:
            sys.modules.pop("graphviz", None)
        else:
            sys.modules["graphviz"] = real
    return recorded


def main():
    warnings.filterwarnings("ignore")
    import mxnet as mx

    result = {"summary": {n: summaries(mx, n) for n in CASES},
              "plot": {n: plots(mx, n) for n in CASES}}
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, **result}, f, indent=1, sort_keys=True)
    print(f"{len(CASES)} viz cases -> {JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
