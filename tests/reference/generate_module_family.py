"""Goldens from real MXNet 1.9.1 for ``BucketingModule``, ``SequentialModule``,
``PythonLossModule`` and ``mx.monitor.Monitor``, for tests/test_module_family.py.

    .refvenv/bin/python tests/reference/generate_module_family.py

Like ``generate_module.py`` (whose helpers it uses): each scenario takes the library as
``mx``, uses its public API only, sets seeded parameters and data, and returns
``(arrays, meta)``; ``goldens/module_family.npz`` holds the arrays and
``goldens/module_family.json`` the rest.
"""

import json
import os
import sys
import tempfile
import warnings

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
from tests.reference.generate_module import _nd, _np, _rng, _savez, param_values

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "module_family.npz")
JSON = os.path.join(HERE, "goldens", "module_family.json")

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__.lstrip("_")] = fn
    return fn


VOCAB, EMBED, CLASSES, BATCH = 7, 4, 3, 4


def bag_of_words(mx, seq_len):
    """``sym_gen`` of the bucketing scenarios: embedding, mean over the positions, a
    hidden layer, classifier (every bucket has the same parameters, as MXNet needs)."""
    data = mx.sym.var("data")
    embed = mx.sym.Embedding(data, input_dim=VOCAB, output_dim=EMBED, name="embed")
    pooled = mx.sym.mean(embed, axis=1) * float(seq_len) ** 0.5
    hidden = mx.sym.FullyConnected(pooled, num_hidden=5, name="hidden")
    hidden = mx.sym.Activation(hidden, act_type="tanh", name="act")
    out = mx.sym.FullyConnected(hidden, num_hidden=CLASSES, name="out")
    return mx.sym.SoftmaxOutput(out, name="softmax"), ("data",), ("softmax_label",)


def _bucket_batch(mx, key, step):
    rng = _rng("bucketing", f"batch{step}")
    x = rng.randint(0, VOCAB, (BATCH, key)).astype(np.float32)
    y = rng.randint(0, CLASSES, (BATCH,)).astype(np.float32)
    return mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)], bucket_key=key,
                          provide_data=[mx.io.DataDesc("data", (BATCH, key))],
                          provide_label=[mx.io.DataDesc("softmax_label", (BATCH,))])


def _params(mx, key):
    with mx.name.NameManager():
        sym = bag_of_words(mx, key)[0]
    return param_values(sym, "bucketing", data=(BATCH, key))[0]


@scenario
def _bucketing_steps(mx, workdir):
    """Steps over buckets 5, 3, 5, 4 (default 5) with SGD and momentum: every bucket
    trains the shared layers; outputs per step, parameters at the end, the buckets."""
    keys = (5, 3, 5, 4)
    mod = mx.mod.BucketingModule(lambda k: bag_of_words(mx, k), default_bucket_key=5)
    mod.bind(data_shapes=[("data", (BATCH, 5))], label_shapes=[("softmax_label", (BATCH,))])
    mod.init_params(arg_params=_nd(mx, _params(mx, 5)))
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5,
                                                          "momentum": 0.9, "wd": 0.01})
    arrays, names = {}, []
    for step, key in enumerate(keys):
        batch = _bucket_batch(mx, key, step)
        mod.forward(batch, is_train=True)
        arrays[f"out{step}"] = mod.get_outputs()[0].asnumpy()
        mod.backward()
        mod.update()
        names.append(mod.symbol.list_arguments())
    arrays.update(_np(mod.get_params()[0], "arg:"))
    prefix = os.path.join(workdir, "bucketing")
    mod.save_checkpoint(prefix, 1)
    files = sorted(os.listdir(workdir))
    loaded = mx.mod.BucketingModule.load(prefix, 1, sym_gen=lambda k: bag_of_words(mx, k),
                                         default_bucket_key=5)
    loaded.bind(data_shapes=[("data", (BATCH, 5))],
                label_shapes=[("softmax_label", (BATCH,))], for_training=False)
    loaded.forward(_bucket_batch(mx, 5, 9), is_train=False)
    arrays["loaded_out"] = loaded.get_outputs()[0].asnumpy()
    return arrays, {"arguments": names, "buckets": sorted(mod._buckets), "files": files,
                    "output_shapes": [[n, list(s)] for n, s in mod.output_shapes]}


@scenario
def _bucketing_predict_mode(mx, workdir):
    """Bound for inference: a new bucket binds without gradients and sees the default
    bucket's parameters."""
    mod = mx.mod.BucketingModule(lambda k: bag_of_words(mx, k), default_bucket_key=6)
    mod.bind(data_shapes=[("data", (BATCH, 6))], label_shapes=[("softmax_label", (BATCH,))],
             for_training=False)
    mod.set_params(_nd(mx, _params(mx, 6)), {})
    arrays = {}
    for step, key in enumerate((6, 2, 6)):
        mod.forward(_bucket_batch(mx, key, step), is_train=False)
        arrays[f"out{step}"] = mod.get_outputs()[0].asnumpy()
    return arrays, {"for_training": mod._buckets[2].for_training}


def _two_layer_chain(mx, auto_wiring):
    net1 = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=6, name="fc1")
    net1 = mx.sym.Activation(net1, act_type="relu", name="relu1")
    second = "data" if auto_wiring else "relu1_output"
    net2 = mx.sym.FullyConnected(mx.sym.var(second), num_hidden=CLASSES, name="fc2")
    net2 = mx.sym.SoftmaxOutput(net2, name="softmax")
    return net1, net2, second


@scenario
def _sequential_steps(mx, workdir):
    """Two Modules chained (the second takes the labels; with auto wiring, its data is
    renamed), three SGD steps. (MXNet's ``get_input_grads`` of a SequentialModule always
    fails its assertion: ``bind`` never sets ``inputs_need_grad``.)"""
    arrays, meta = {}, {}
    for auto_wiring in (False, True):
        with mx.name.NameManager():
            net1, net2, second = _two_layer_chain(mx, auto_wiring)
        mod1 = mx.mod.Module(net1, label_names=None)
        mod2 = mx.mod.Module(net2, data_names=[second])
        seq = mx.mod.SequentialModule()
        seq.add(mod1).add(mod2, take_labels=True, auto_wiring=auto_wiring)
        seq.bind(data_shapes=[("data", (BATCH, 5))],
                 label_shapes=[("softmax_label", (BATCH,))], inputs_need_grad=True)
        args, _ = param_values(net1, "sequential", data=(BATCH, 5))
        args2, _ = param_values(net2, "sequential2", **{second: (BATCH, 6)})
        args.update(args2)
        seq.init_params(arg_params=_nd(mx, args), allow_missing=False)
        seq.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.2})
        metric = mx.metric.create("acc")
        rng = _rng("sequential", "data")
        tag = "wired" if auto_wiring else "named"
        for step in range(3):
            x = rng.uniform(-1, 1, (BATCH, 5)).astype(np.float32)
            y = rng.randint(0, CLASSES, (BATCH,)).astype(np.float32)
            batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
            seq.forward(batch, is_train=True)
            arrays[f"{tag}/out{step}"] = seq.get_outputs()[0].asnumpy()
            seq.backward()
            seq.update()
            seq.update_metric(metric, batch.label)
        arrays.update(_np(seq.get_params()[0], f"{tag}/arg:"))
        meta[tag] = {"output_shapes": [[n, list(s)] for n, s in seq.output_shapes],
                     "data_names": list(seq.data_names),
                     "output_names": list(seq.output_names),
                     "label_shapes": [[d[0], list(d[1])] for d in seq.label_shapes],
                     "metric": metric.get()[1]}
    return arrays, meta


@scenario
def _python_loss(mx, workdir):
    """A symbolic Module followed by a ``PythonLossModule`` whose ``grad_func`` is the
    softmax cross-entropy gradient, trained with SGD through ``fit``."""
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=CLASSES, name="fc")

    def grad_func(scores, labels):
        s = scores.asnumpy()
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(p)), labels.asnumpy().astype(int)] -= 1
        return p

    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(net, label_names=None))
    seq.add(mx.mod.PythonLossModule(grad_func=grad_func), take_labels=True, auto_wiring=True)
    rng = _rng("python_loss", "data")
    X = rng.uniform(-1, 1, (12, 5)).astype(np.float32)
    Y = rng.randint(0, CLASSES, (12,)).astype(np.float32)
    it = mx.io.NDArrayIter(X, Y, batch_size=BATCH)
    args, _ = param_values(net, "python_loss", data=(BATCH, 5))
    seq.fit(it, num_epoch=2, optimizer="sgd", optimizer_params={"learning_rate": 0.3},
            arg_params=_nd(mx, args), eval_metric="acc")
    arrays = _np(seq.get_params()[0], "arg:")
    arrays["predict"] = seq.predict(it).asnumpy()
    return arrays, {"score": [[n, float(v)] for n, v in seq.score(it, "acc")],
                    "output_names": list(seq.output_names)}


def monitor_network(mx):
    x = mx.sym.var("data")
    x = mx.sym.FullyConnected(x, name="fc_0", num_hidden=3)
    x = mx.sym.Activation(x, name="act_0", act_type="sigmoid")
    x = mx.sym.FullyConnected(x, name="fc_1", num_hidden=2)
    x = mx.sym.Activation(x, name="act_1", act_type="tanh")
    return mx.sym.LinearRegressionOutput(x, name="lro", grad_scale=2)


@scenario
def _monitor(mx, workdir):
    """``install_monitor``: every 2 batches, the statistic of each node output and, in a
    training batch, of each backward node's outputs (the gradients for each operator
    input), then of the arguments; with ``monitor_all`` the inputs in a forward. The
    label's gradient (``lro_backward_output1``) is left out of the values: MXNet does
    not compute it and reports whatever its buffer holds."""
    sym = monitor_network(mx)
    args, _ = param_values(sym, "monitor", data=(2, 4), lro_label=(2, 2))
    rng = _rng("monitor", "data")
    results, values = {}, {}
    for monitor_all in (False, True):
        mon = mx.mon.Monitor(2, pattern=".*", sort=False, monitor_all=monitor_all)
        mod = mx.mod.Module(sym, label_names=["lro_label"])
        mod.bind(data_shapes=[("data", (2, 4))], label_shapes=[("lro_label", (2, 2))],
                 inputs_need_grad=True)
        mod.install_monitor(mon)
        mod.init_params(arg_params=_nd(mx, args))
        seen = []
        for _ in range(3):
            batch = mx.io.DataBatch(
                [mx.nd.array(rng.uniform(-1, 1, (2, 4)).astype(np.float32))],
                [mx.nd.array(rng.uniform(-1, 1, (2, 2)).astype(np.float32))])
            mon.tic()
            if monitor_all:
                mod.forward(batch, is_train=False)
            else:
                mod.forward_backward(batch)
            for n, k, v in mon.toc():
                seen.append([n, k])
                if k != "lro_backward_output1":
                    values[f"{int(monitor_all)}/{n}/{k}/{len(seen)}"] = float(v.split()[0])
        results["all" if monitor_all else "outputs"] = seen
    return {}, {"names": results, "values": values}


def main():
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MXNET_SUBGRAPH_BACKEND", "NONE")
    import mxnet as mx

    arrays, meta = {}, {}
    for name, fn in SCENARIOS.items():
        with tempfile.TemporaryDirectory() as workdir, mx.name.NameManager():
            got, meta[name] = fn(mx, workdir)
        arrays.update({f"{name}/{k}": v for k, v in got.items()})
    _savez(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, "scenarios": meta}, f, indent=1, sort_keys=True)
    print(f"{len(SCENARIOS)} module-family scenarios, {len(arrays)} arrays -> {NPZ}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
