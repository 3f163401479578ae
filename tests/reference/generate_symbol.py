"""``mx.sym`` goldens from real MXNet 1.9.1, for tests/test_symbol.py and
tests/gluon/test_export.py.

    /work/refvenv/bin/python tests/reference/generate_symbol.py

Each case builds a small graph through ``mx.sym`` (the library under test is passed in as
``mx``; the builders use only its public API, so the tests run them unchanged on mxjax)
inside a fresh ``NameManager``. ``goldens/symbol.json`` holds, per case, ``tojson()``,
the ``list_*`` results, ``attr_dict()``, ``infer_shape`` and ``infer_type``;
``goldens/symbol.npz`` holds the seeded arguments, head gradients, the outputs of a
training and a predict forward, the gradients and the auxiliary states after backward.

``fixtures/symbol_export-symbol.json`` and ``-0000.params`` are a Gluon net exported by
MXNet (parameters from a seeded numpy generator); its input and outputs are in the npz.
"""

import io
import json
import os
import sys
import tempfile
import warnings
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "symbol.npz")
JSON = os.path.join(HERE, "goldens", "symbol.json")
FIXTURES = os.path.join(HERE, "fixtures")
EXPORT = os.path.join(FIXTURES, "symbol_export")

CASES = {}  # name -> (builder(mx) -> Symbol, {input name: shape}, run the executor?)


def case(name, shapes, run=True):
    def register(build):
        CASES[name] = (build, shapes, run)
        return build
    return register


@case("mlp", {"data": (4, 6)})
def _mlp(mx):
    h = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=8, name="fc1")
    h = mx.sym.Activation(h, act_type="tanh", name="tanh1")
    return mx.sym.FullyConnected(h, num_hidden=3, name="fc2")


@case("conv_bn", {"data": (2, 3, 8, 8)})
def _conv_bn(mx):
    x = mx.sym.Convolution(mx.sym.var("data"), num_filter=4, kernel=(3, 3), pad=(1, 1),
                           name="conv")
    x = mx.sym.BatchNorm(x, fix_gamma=False, momentum=0.8, name="bn")
    x = mx.sym.Activation(x, act_type="relu", name="relu")
    x = mx.sym.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool")
    return mx.sym.FullyConnected(mx.sym.flatten(x), num_hidden=3, name="out")


@case("arith", {"a": (2, 3), "b": (2, 3)})
def _arith(mx):
    a, b = mx.sym.var("a"), mx.sym.var("b")
    x = (a + b) * 2 - a / b + a ** 2 - 1 / (b + 3) + (-a) + abs(b) + a % 0.7 + 2 ** b
    x = x + (a > b) + (a <= 1.5) + (a == b) + (b != 1.2) + (a >= b) + (a < 1.3)
    x = x + mx.sym.maximum(a, b) - mx.sym.minimum(a, 1.4) + mx.sym.pow(a, b) + 3.5 % b
    return x * mx.sym.sqrt(a) - b ** a + a % b


@case("split", {"a": (2, 6)})
def _split(mx):
    return mx.sym.split(mx.sym.var("a") * 2, num_outputs=3, axis=1, name="sp")


@case("group", {"a": (2, 6), "b": (2, 2)})
def _group(mx):
    a, b = mx.sym.var("a"), mx.sym.var("b")
    sp = mx.sym.SliceChannel(a, num_outputs=3, axis=1, name="sp")
    both = mx.sym.concat(sp[1], b, dim=1, name="cat")
    return mx.sym.Group([sp[0], sp[2] * 2, both, mx.sym.sum(both, axis=1, name="total")])


@case("shapes", {"a": (2, 6)})
def _shapes(mx):
    a = mx.sym.var("a")
    x = a.reshape((3, 4)).transpose().expand_dims(axis=0)
    x = mx.sym.Cast(x.sum(axis=0), dtype="float64").astype("float32")
    x = x + mx.sym.ones((4, 3)) * mx.sym.zeros((4, 3)) + mx.sym.full((4, 3), 0.5)
    x = mx.sym.broadcast_add(x, mx.sym.arange(3).reshape((1, 3)))
    return mx.sym.broadcast_mul(x, x.square().mean())


@case("layers", {"data": (2, 3, 5), "idx": (2, 3)})
def _layers(mx):
    # prelu reads a variable: after another operator, MXNet 1.9.1's executor runs it in
    # place and scales gamma's gradient by gamma (a bug; not recorded).
    x = mx.sym.LeakyReLU(mx.sym.var("data"), act_type="prelu", name="prelu")
    x = mx.sym.LayerNorm(x, axis=-1, name="ln")
    x = mx.sym.Embedding(mx.sym.var("idx"), input_dim=5, output_dim=4, name="emb") \
        + mx.sym.FullyConnected(x, num_hidden=4, flatten=False, no_bias=True, name="proj")
    return mx.sym.softmax(x, axis=-1, name="sm")


@case("attrs", {"w": (2, 3)})
def _attrs(mx):
    with mx.AttrScope(ctx_group="dev1", __layer__="x"):
        w = mx.sym.var("w", shape=(2, 3), lr_mult=2.0, wd_mult=0.5, dtype="float32",
                       init=mx.init.Xavier(magnitude=2), attr={"foo": "bar"})
        x = mx.sym.FullyConnected(w, num_hidden=2, attr={"lr_mult": "0.1"}, name="fc")
    x._set_attr(__mood__="happy")
    return x


@case("prefix", {"x": (3, 2)})
def _prefix(mx):
    x = mx.sym.var("x")
    with mx.name.Prefix("net_"):
        y = mx.sym.broadcast_add(mx.sym.FullyConnected(x, num_hidden=2), mx.sym.relu(x).sum())
        return mx.sym.FullyConnected(y, num_hidden=2) * 3


@case("kl_sparse", {"data": (4, 3)})
def _kl_sparse(mx):
    # the moving average (an auxiliary state) is updated in backward
    x = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=5, name="fc")
    x = mx.sym.Activation(x, act_type="sigmoid", name="sig")
    x = mx.sym.IdentityAttachKLSparseReg(x, sparseness_target=0.2, penalty=0.05,
                                         momentum=0.7, name="klreg")
    return mx.sym.MakeLoss(x, normalization="batch", name="loss")


@case("legacy_v1", {"data": (2, 3, 5, 5)})
def _legacy_v1(mx):
    x = mx.sym.Convolution_v1(mx.sym.var("data"), num_filter=4, kernel=(3, 3), pad=(1, 1),
                              name="conv")
    x = mx.sym.BatchNorm_v1(x, fix_gamma=False, momentum=0.8, name="bn")
    x = mx.sym.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type="max",
                          pooling_convention="full", name="maxpool")
    x = mx.sym.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pool_type="avg",
                          pooling_convention="full", name="avgpool")
    return mx.sym.FullyConnected(mx.sym.flatten(x), num_hidden=3, name="out")


@case("random_nodes", {}, run=False)
def _random_nodes(mx):
    u = mx.sym.random.uniform(-1, 1, shape=(2, 3), name="u")
    n = mx.sym.random.normal(mx.sym.var("mu"), mx.sym.var("sigma"), shape=(2,), name="n")
    d = mx.sym.Dropout(mx.sym.var("d"), p=0.3, name="drop")
    return mx.sym.Group([u, n, mx.sym.random.shuffle(mx.sym.var("s"), name="sh"), d])


# Partially known input shapes (0: unknown dimension) given to ``infer_shape_partial``.
PARTIAL = {
    "mlp": [{"data": (0, 6)}, {}],
    "conv_bn": [{"data": (0, 3, 8, 8)}, {"conv_weight": (4, 3, 3, 3)}],
    "arith": [{"a": (0, 3)}, {"a": (0, 3), "b": (2, 0)}],
    "group": [{"a": (0, 6), "b": (0, 2)}],
    "shapes": [{"a": (0, 6)}],
    "layers": [{"data": (0, 3, 5), "idx": (0, 3)}],
}


def _partial_shapes(sym, shapes):
    try:
        return [[list(s) for s in part] for part in sym.infer_shape_partial(**shapes)]
    except Exception as e:  # noqa: BLE001 - recorded: mxjax must raise too
        return {"raises": type(e).__name__}


# ---- running a case -----------------------------------------------------------------------
def seed(name, what):
    return zlib.crc32(f"{name}:{what}".encode())


def _value(rng, name, shape):
    if name == "idx":
        return rng.randint(0, 5, shape).astype(np.float32)
    if name in ("a", "b") or name.endswith("_var"):
        return rng.uniform(1.0, 2.0, shape).astype(np.float32)
    if name.endswith("_moving_avg"):  # a mean sigmoid activation, away from 0 and 1
        return rng.uniform(0.2, 0.5, shape).astype(np.float32)
    return rng.uniform(-1.0, 1.0, shape).astype(np.float32)


def describe(mx, name):
    """Structure of case ``name``: everything but numbers."""
    build, shapes, _ = CASES[name]
    with mx.name.NameManager():
        sym = build(mx)
    internals = sym.get_internals()
    info = {"json": sym.tojson(), "arguments": sym.list_arguments(),
            "outputs": sym.list_outputs(), "aux": sym.list_auxiliary_states(),
            "inputs": sym.list_inputs(), "internals": internals.list_outputs(),
            "attr_dict": sym.attr_dict(), "name": sym.name, "len": len(sym)}
    if shapes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arg, out, aux = sym.infer_shape(**shapes)
            info["infer_shape"] = [[list(s) for s in part] for part in (arg, out, aux)]
            types = sym.infer_type(**dict.fromkeys(shapes, "float32"))
        info["infer_type"] = [[np.dtype(t).name for t in part] for part in types]
    if name in PARTIAL:
        info["infer_shape_partial"] = [_partial_shapes(sym, kw) for kw in PARTIAL[name]]
    return sym, info


def run_case(mx, name, sym=None):
    """Bind case ``name`` with seeded values; forward (train), backward, forward (predict)."""
    build, shapes, _ = CASES[name]
    if sym is None:
        sym = describe(mx, name)[0]
    reqs = {n: "null" if n == "idx" else "write" for n in sym.list_arguments()}
    ex = sym.simple_bind(mx.cpu(), grad_req=reqs, **shapes)
    rng = np.random.RandomState(seed(name, "values"))
    got = {}
    for kind, names in (("arg", sym.list_arguments()), ("aux", sym.list_auxiliary_states())):
        arrays = ex.arg_dict if kind == "arg" else ex.aux_dict
        for n in names:
            got[f"in:{n}"] = _value(rng, n, arrays[n].shape)
            arrays[n][:] = got[f"in:{n}"]
    outs = ex.forward(is_train=True)
    heads = [rng.uniform(-1, 1, o.shape).astype(np.float32) for o in outs]
    for i, (o, h) in enumerate(zip(outs, heads)):
        got[f"out{i}"], got[f"head{i}"] = o.asnumpy(), h
    ex.backward([mx.nd.array(h) for h in heads])
    for n, g in ex.grad_dict.items():
        if g is not None:
            got[f"grad:{n}"] = g.asnumpy()
    for n, v in ex.aux_dict.items():
        got[f"aux:{n}"] = v.asnumpy()
    for i, o in enumerate(ex.forward(is_train=False)):
        got[f"predict{i}"] = o.asnumpy()
    return got


def recorded_graph(mx):
    """``autograd.get_symbol`` of a small recorded computation, and its inputs."""
    x = mx.nd.array(np.arange(6).reshape(2, 3) / 6)
    x.attach_grad()
    w, c = mx.nd.ones((4, 3)) * 0.5, mx.nd.ones((2, 3)) * 2
    with mx.autograd.record():
        y = mx.nd.FullyConnected(x, w, num_hidden=4, no_bias=True)
        z = mx.nd.relu(y) * 2 + mx.nd.sum(x * c) - mx.nd.softmax(y, axis=1)
    return mx.autograd.get_symbol(z), {"var0": x, "null1": w, "null2": c}, z


# ---- the exported Gluon net -----------------------------------------------------------------
def export_net(mx):
    """A hybridized Gluon net with seeded parameters, run once (ready to export)."""
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1, in_channels=3), nn.BatchNorm(in_channels=4),
                nn.Activation("relu"), nn.MaxPool2D(2), nn.Flatten(),
                nn.Dense(5, activation="tanh", in_units=64), nn.Dense(2, in_units=5))
    net.initialize()
    rng = np.random.RandomState(seed("export", "params"))
    for pname, p in sorted(net.collect_params().items()):
        low = 0.5 if pname.endswith("running_var") else -1.0
        p.set_data(mx.nd.array(rng.uniform(low, 1.0, p.shape)))
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(seed("export", "x")).uniform(-1, 1, (2, 3, 8, 8)))
    return net, x


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
    os.environ.setdefault("MXNET_SUBGRAPH_BACKEND", "NONE")
    import mxnet as mx

    arrays, meta = {}, {}
    for name, (_, _, run) in CASES.items():
        sym, meta[name] = describe(mx, name)
        if run:
            arrays.update({f"{name}:{k}": v for k, v in run_case(mx, name, sym).items()})
    with mx.name.NameManager():
        sym, inputs, z = recorded_graph(mx)
    meta["get_symbol"] = {"json": sym.tojson()}
    arrays["get_symbol:out"] = z.asnumpy()

    with mx.name.NameManager():
        net, x = export_net(mx)
        y = net(x)
        net.export(EXPORT)
    with mx.autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    arrays["export:x"], arrays["export:out"] = x.asnumpy(), y.asnumpy()
    for pname, p in net.collect_params().items():  # gradients, and the running statistics
        key = "grad" if p.grad_req != "null" else "after"
        arrays[f"export:{key}:{pname}"] = (p.grad() if key == "grad" else p.data()).asnumpy()
    with tempfile.TemporaryDirectory() as tmp:  # MXNet reads its own export back
        blk = mx.gluon.SymbolBlock.imports(EXPORT + "-symbol.json", ["data"],
                                           EXPORT + "-0000.params")
        assert np.allclose(blk(x).asnumpy(), y.asnumpy(), atol=1e-6), tmp
    mx.nd.waitall()
    _savez(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, "cases": meta}, f, indent=1, sort_keys=True)
    print(f"{len(CASES)} symbol cases, {len(arrays)} arrays -> {NPZ}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
