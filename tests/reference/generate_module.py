"""``mx.mod.Module`` / ``mx.model`` goldens from real MXNet 1.9.1, for tests/test_module.py.

    .refvenv/bin/python tests/reference/generate_module.py

Each scenario takes the library under test as ``mx`` and uses only its public API, so
the tests run the same functions on mxjax and compare with what MXNet returned here.
Parameters and data come from seeded numpy generators and are given to the Module with
``set_params`` (or ``fit(arg_params=...)``), because the two libraries' random streams
differ. ``goldens/module.npz`` holds the arrays, ``goldens/module.json`` the rest
(shapes, names, scores, the order of callbacks).

``fixtures/module_mlp-symbol.json``, ``-0002.params`` and ``-0002.states`` are a
checkpoint MXNet saved (with optimizer states) after two SGD steps with momentum.
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
NPZ = os.path.join(HERE, "goldens", "module.npz")
JSON = os.path.join(HERE, "goldens", "module.json")
CHECKPOINT = os.path.join(HERE, "fixtures", "module_mlp")

SCENARIOS = {}  # name -> fn(mx, workdir) -> (arrays, meta)


def scenario(fn):
    SCENARIOS[fn.__name__.lstrip("_")] = fn
    return fn


# ---- networks and values ------------------------------------------------------------------
def mlp(mx):
    h = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=8, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    h = mx.sym.FullyConnected(h, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(h, name="softmax")


def conv_bn(mx):
    # no bias: BatchNorm cancels its gradient to rounding noise, which Adam would amplify
    x = mx.sym.Convolution(mx.sym.var("data"), num_filter=3, kernel=(3, 3), pad=(1, 1),
                           no_bias=True, name="conv")
    x = mx.sym.BatchNorm(x, fix_gamma=False, momentum=0.8, name="bn")
    x = mx.sym.Activation(x, act_type="tanh", name="act")
    x = mx.sym.FullyConnected(mx.sym.flatten(x), num_hidden=4, name="fc")
    return mx.sym.SoftmaxOutput(x, name="softmax")


def _rng(name, what):
    return np.random.RandomState(zlib.crc32(f"{name}:{what}".encode()))


def param_values(sym, name, **shapes):
    """Seeded values for every argument that is not an input, and every aux state."""
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    rng = _rng(name, "params")
    args = {n: rng.uniform(-0.5, 0.5, s).astype(np.float32)
            for n, s in zip(sym.list_arguments(), arg_shapes)
            if n not in shapes and not n.endswith("label")}
    aux = {n: rng.uniform(0.5, 1.5, s).astype(np.float32) if n.endswith("var") else
           rng.uniform(-0.2, 0.2, s).astype(np.float32)
           for n, s in zip(sym.list_auxiliary_states(), aux_shapes)}
    return args, aux


def batches(name, n, data_shape, num_class):
    rng = _rng(name, "data")
    return [(rng.uniform(-1, 1, data_shape).astype(np.float32),
             rng.randint(0, num_class, data_shape[:1]).astype(np.float32)) for _ in range(n)]


def _nd(mx, arrays):
    return {k: mx.nd.array(v) for k, v in arrays.items()}


def _np(arrays, prefix):
    return {f"{prefix}{k}": v.asnumpy() for k, v in arrays.items()}


def _batch(mx, x, y):
    return mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])


def _train_steps(mx, name, sym, contexts, steps, optimizer, optimizer_params, data_shape,
                 num_class, **module_kwargs):
    """Bind, set seeded parameters, then ``steps`` forward/backward/update steps; the
    outputs of every step and the parameters at the end."""
    mod = mx.mod.Module(sym, context=contexts, **module_kwargs)
    mod.bind(data_shapes=[("data", data_shape)],
             label_shapes=[("softmax_label", data_shape[:1])])
    args, aux = param_values(sym, name, data=data_shape)
    mod.set_params(_nd(mx, args), _nd(mx, aux))
    mod.init_optimizer(optimizer=optimizer, optimizer_params=optimizer_params)
    arrays = {}
    for step, (x, y) in enumerate(batches(name, steps, data_shape, num_class)):
        mod.forward(_batch(mx, x, y), is_train=True)
        arrays[f"out{step}"] = mod.get_outputs()[0].asnumpy()
        mod.backward()
        mod.update()
    arg_params, aux_params = mod.get_params()
    arrays.update(_np(arg_params, "arg:"))
    arrays.update(_np(aux_params, "aux:"))
    return mod, arrays


# ---- scenarios -----------------------------------------------------------------------------
@scenario
def _sgd_momentum(mx, workdir):
    """SGD with momentum and weight decay (biases are not decayed: ``param_idx2name``)."""
    mod, arrays = _train_steps(mx, "sgd_momentum", mlp(mx), mx.cpu(), 3, "sgd",
                               {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}, (6, 5), 3)
    meta = {"output_shapes": [[n, list(s)] for n, s in mod.output_shapes],
            "data_names": list(mod.data_names), "output_names": list(mod.output_names),
            "label_names": list(mod.label_names)}
    return arrays, meta


@scenario
def _two_contexts(mx, workdir):
    """The same steps with the batch split over two contexts (kvstore 'local')."""
    _, arrays = _train_steps(mx, "sgd_momentum", mlp(mx), [mx.cpu(0), mx.cpu(1)], 3, "sgd",
                             {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}, (6, 5), 3)
    return arrays, {}


@scenario
def _bn_adam_fixed(mx, workdir):
    """Adam on a conv/BatchNorm net with the convolution's weight fixed: running
    statistics update, the fixed weight does not."""
    _, arrays = _train_steps(mx, "bn_adam_fixed", conv_bn(mx), mx.cpu(), 2, "adam",
                             {"learning_rate": 0.05, "wd": 0.001}, (4, 2, 5, 5), 4,
                             fixed_param_names=["conv_weight"])
    return arrays, {}


@scenario
def _grad_add(mx, workdir):
    """``grad_req='add'``: gradients accumulate over steps (nothing zeroes them)."""
    sym = mlp(mx)
    mod = mx.mod.Module(sym)
    mod.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))],
             grad_req="add")
    args, aux = param_values(sym, "grad_add", data=(4, 5))
    mod.set_params(_nd(mx, args), _nd(mx, aux))
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.05})
    for x, y in batches("grad_add", 3, (4, 5), 3):
        mod.forward_backward(_batch(mx, x, y))
        mod.update()
    return _np(mod.get_params()[0], "arg:"), {}


@scenario
def _input_grads(mx, workdir):
    """``inputs_need_grad=True`` and head gradients for a non-loss output."""
    h = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc")
    sym = mx.sym.tanh(h, name="out")
    mod = mx.mod.Module(sym, label_names=None)
    mod.bind(data_shapes=[("data", (3, 5))], inputs_need_grad=True)
    args, _ = param_values(sym, "input_grads", data=(3, 5))
    mod.set_params(_nd(mx, args), {})
    x = _rng("input_grads", "x").uniform(-1, 1, (3, 5)).astype(np.float32)
    head = _rng("input_grads", "head").uniform(-1, 1, (3, 4)).astype(np.float32)
    mod.forward(mx.io.DataBatch([mx.nd.array(x)], None), is_train=True)
    mod.backward([mx.nd.array(head)])
    return {"out": mod.get_outputs()[0].asnumpy(),
            "dx": mod.get_input_grads()[0].asnumpy()}, {}


@scenario
def _reshape(mx, workdir):
    """A batch of another size reshapes the executors; parameters stay."""
    sym = mlp(mx)
    mod = mx.mod.Module(sym)
    mod.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))],
             for_training=False)
    args, aux = param_values(sym, "reshape", data=(4, 5))
    mod.set_params(_nd(mx, args), _nd(mx, aux))
    arrays, shapes = {}, []
    for i, n in enumerate((4, 2, 7)):
        x, y = batches("reshape", i + 1, (n, 5), 3)[-1]
        mod.forward(_batch(mx, x, y), is_train=False)
        arrays[f"out{i}"] = mod.get_outputs()[0].asnumpy()
        shapes.append([[d.name, list(d.shape)] for d in mod.data_shapes])
    return arrays, {"data_shapes": shapes}


@scenario
def _fit_score_predict(mx, workdir):
    """``fit`` (two epochs, a padded last batch) with callbacks, then ``score``,
    ``predict`` and ``iter_predict``."""
    sym = mlp(mx)
    rng = _rng("fit", "data")
    X = rng.uniform(-1, 1, (10, 5)).astype(np.float32)
    Y = rng.randint(0, 3, (10,)).astype(np.float32)
    it = mx.io.NDArrayIter(X, Y, batch_size=4, last_batch_handle="pad")
    args, aux = param_values(sym, "fit", data=(4, 5))
    seen = []
    mod = mx.mod.Module(sym)
    mod.fit(it, num_epoch=2, optimizer="sgd",
            optimizer_params={"learning_rate": 0.5, "momentum": 0.5},
            arg_params=_nd(mx, args), aux_params=_nd(mx, aux), eval_metric="acc",
            batch_end_callback=lambda p: seen.append(["batch", p.epoch, p.nbatch]),
            epoch_end_callback=lambda e, s, a, x: seen.append(["epoch", e, sorted(a)]))
    arrays = _np(mod.get_params()[0], "arg:")
    score = mod.score(it, mx.metric.create(["acc", "ce"]))
    arrays["predict"] = mod.predict(it).asnumpy()
    pieces = [[o.shape[0] for o in outs] + [nbatch]
              for outs, nbatch, _ in mod.iter_predict(it)]
    return arrays, {"callbacks": seen, "score": [[n, float(v)] for n, v in score],
                    "iter_predict": pieces}


@scenario
def _init_dispatch(mx, workdir):
    """``init_params`` walks the names in sorted order and picks the rule by the
    variable's ``__init__`` attribute, else by the name's suffix."""
    x = mx.sym.var("data")
    w = mx.sym.var("special_weight", init=mx.init.One())
    h = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    h = mx.sym.BatchNorm(h, name="bn")
    h = mx.sym.LeakyReLU(h, act_type="prelu", name="prelu")
    sym = mx.sym.FullyConnected(h, weight=w, num_hidden=2, name="out")
    mod = mx.mod.Module(sym, label_names=None)
    mod.bind(data_shapes=[("data", (2, 4))])
    mod.init_params(initializer=mx.init.Constant(0.3))
    arg_params, aux_params = mod.get_params()
    arrays = _np(arg_params, "arg:")
    arrays.update(_np(aux_params, "aux:"))
    return arrays, {}


@scenario
def _checkpoint(mx, workdir):
    """A checkpoint of MXNet's: ``load_checkpoint`` and ``Module.load`` with the
    optimizer states, then one more step."""
    sym = mlp(mx)
    params = {"learning_rate": 0.1, "momentum": 0.9}
    sym_, arg_params, aux_params = mx.model.load_checkpoint(CHECKPOINT, 2)
    arrays = _np(arg_params, "loaded:")
    mod = mx.mod.Module.load(CHECKPOINT, 2, load_optimizer_states=True)
    mod.bind(data_shapes=[("data", (6, 5))], label_shapes=[("softmax_label", (6,))])
    mod.init_optimizer(optimizer="sgd", optimizer_params=params)
    x, y = batches("checkpoint", 3, (6, 5), 3)[-1]
    mod.forward_backward(_batch(mx, x, y))
    mod.update()
    arrays.update(_np(mod.get_params()[0], "arg:"))
    again = os.path.join(workdir, "again")
    mod.save_checkpoint(again, 3, save_optimizer_states=True)
    mx.model.save_checkpoint(again + "-fn", 3, sym_, *mod.get_params())
    for prefix in (again, again + "-fn"):
        sym2, arg2, aux2 = mx.model.load_checkpoint(prefix, 3)
        assert sym2.tojson() == sym_.tojson() and not aux2
        assert all((arg2[k].asnumpy() == v.asnumpy()).all()
                   for k, v in mod.get_params()[0].items())
    return arrays, {"arguments": sym_.list_arguments(), "same_json": sym_.tojson() ==
                    sym.tojson(), "states_files": sorted(
                        f for f in os.listdir(workdir) if f.endswith(".states"))}


def save_mxnet_checkpoint(mx):
    """The fixture: two SGD steps with momentum, saved with the optimizer states."""
    sym = mlp(mx)
    mod = mx.mod.Module(sym)
    mod.bind(data_shapes=[("data", (6, 5))], label_shapes=[("softmax_label", (6,))])
    args, aux = param_values(sym, "checkpoint", data=(6, 5))
    mod.set_params(_nd(mx, args), _nd(mx, aux))
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1,
                                                          "momentum": 0.9})
    for x, y in batches("checkpoint", 2, (6, 5), 3):
        mod.forward_backward(_batch(mx, x, y))
        mod.update()
    mod.save_checkpoint(CHECKPOINT, 2, save_optimizer_states=True)


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

    save_mxnet_checkpoint(mx)
    arrays, meta = {}, {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, fn in SCENARIOS.items():
            with mx.name.NameManager():
                got, meta[name] = fn(mx, workdir)
            arrays.update({f"{name}/{k}": v for k, v in got.items()})
    _savez(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, "scenarios": meta}, f, indent=1, sort_keys=True)
    print(f"{len(SCENARIOS)} module scenarios, {len(arrays)} arrays -> {NPZ}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
