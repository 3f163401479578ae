"""Gluon behaviour scenarios run by real MXNet 1.9.1 (goldens) and by mxjax (tests).

Same conventions as ``scenarios.py``. Every scenario runs inside a fresh
``mx.name.NameManager()`` so automatic names (``dense0``) do not depend on what ran
before; values that are random in MXNet are replaced with numpy values via ``set_data``.
"""

import contextlib
import hashlib
import io

import numpy as np

from .scenarios import _raises, decode, encode  # noqa: F401  (re-exported for the runner)

__all__ = ["SCENARIOS", "run_scenario", "encode", "decode"]


def _values(shape, seed):
    return np.random.RandomState(seed).uniform(-1, 1, size=shape).astype(np.float32)


def _set_all(net, mx, seed=0):
    for i, (_, p) in enumerate(sorted(net.collect_params().items())):
        p.set_data(mx.nd.array(_values(p.shape, seed + i)))


def scenario_seed002_access(mx):
    nd, nn = mx.nd, mx.gluon.nn
    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"))
    net.add(nn.Dense(10))
    net.initialize()
    x = nd.array(_values((2, 20), 1))
    net(x)
    return {
        "params": repr(net[0].params), "collect": repr(net.collect_params()),
        "same_object": net[0].params["dense0_weight"] is net[0].weight,
        "weight_shape": net[0].weight.data().shape, "grad": net[0].weight.grad().asnumpy(),
        "bias1": net[1].bias.data().asnumpy(), "net_repr": repr(net),
        "param_repr": repr(net[0].weight), "select": repr(net.collect_params(".*bias")),
        "names": list(net.collect_params().keys()),
    }


def scenario_seed002_init(mx):
    nd, nn, init = mx.nd, mx.gluon.nn, mx.init
    printed = []

    class MyInit(init.Initializer):
        def _init_weight(self, name, data):
            printed.append(f"Init {name} {data.shape}")
            data[:] = nd.ones(data.shape) * 3
            data *= data.abs() >= 5

    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"))
    net.add(nn.Dense(10))
    net.initialize(init=MyInit())
    before_forward = list(printed)
    deferred = _raises(lambda: net[0].weight.data())
    net(nd.array(_values((2, 20), 2)))
    after_forward = list(printed)
    net.initialize(init=MyInit(), force_reinit=True)
    after_reinit = list(printed)
    net[0].weight.set_data(net[0].weight.data() + 1)
    first_row = net[0].weight.data()[0].asnumpy()
    net2 = nn.Sequential()
    net2.add(nn.Dense(256, in_units=20, activation="relu"))
    net2.add(nn.Dense(10, in_units=256))
    printed.clear()
    net2.initialize(init=MyInit())
    with warnings_silenced():
        net2.initialize()
    return {"before_forward": before_forward, "deferred": deferred,
            "after_forward": after_forward, "after_reinit": after_reinit,
            "first_row": first_row, "in_units": list(printed),
            "bias_zero": net[0].bias.data().asnumpy()}


@contextlib.contextmanager
def warnings_silenced():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def scenario_seed002_shared(mx):
    nd, nn = mx.nd, mx.gluon.nn
    net = nn.Sequential()
    shared = nn.Dense(8, activation="relu")
    net.add(nn.Dense(8, activation="relu"), shared,
            nn.Dense(8, activation="relu", params=shared.params), nn.Dense(10))
    net.initialize()
    x = nd.array(_values((2, 20), 3))
    net(x)
    _set_all(net, mx, seed=10)
    with mx.autograd.record():
        y = net(x)
    y.backward()
    return {"same": (net[1].weight.data()[0] == net[2].weight.data()[0]).asnumpy(),
            "names": list(net.collect_params().keys()),
            "shared_grad": net[1].weight.grad().asnumpy(),
            "shared_is_same": net[1].weight is net[2].weight,
            "out": y.asnumpy()}


def scenario_seed000_two_layer(mx):
    from_seed = mx.gluon.nn
    net = from_seed.HybridSequential()
    net.add(from_seed.Dense(units=3))
    net.add(from_seed.Dense(units=1))
    net.initialize()
    loss_function = mx.gluon.loss.L2Loss()
    x = mx.nd.array([[0.5, 0.9]])
    y = mx.nd.array([[1.5]])
    net(x)
    _set_all(net, mx, seed=20)
    with mx.autograd.record():
        y_hat = net(x)
        loss = loss_function(y_hat, y)
    loss.backward()
    net.hybridize()
    with mx.autograd.record():
        loss_h = loss_function(net(x), y)
    grads_before = net[0].weight.grad().asnumpy()
    loss_h.backward()
    return {"grad": grads_before, "printed": str(net[0].weight.grad()),
            "loss": loss.asnumpy(), "hybrid_grad": net[0].weight.grad().asnumpy(),
            "hybrid_loss": loss_h.asnumpy()}


def scenario_naming(mx):
    nn, gluon = mx.gluon.nn, mx.gluon

    class Model(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.dense0 = nn.Dense(4)
                self.dense1 = nn.Dense(2, prefix="out_")

        def hybrid_forward(self, F, x):
            return self.dense1(F.relu(self.dense0(x)))

    a, b = Model(), Model(prefix="custom_")
    seq = nn.HybridSequential(prefix="net_")
    with seq.name_scope():
        seq.add(nn.Dense(3), nn.Dense(3))
    p = gluon.Parameter("weight", shape=(2, 3))
    pd = gluon.ParameterDict("block_")
    pd.get("w", shape=(1,))
    c = gluon.Constant("const", [[1, 2], [3, 4]])
    return {"a": list(a.collect_params().keys()), "b": list(b.collect_params().keys()),
            "a_name": a.name, "a_prefix": a.prefix, "seq": list(seq.collect_params().keys()),
            "sliced": repr(seq[:1]), "p": repr(p), "pd": repr(pd), "const": repr(c),
            "const_req": c.grad_req, "model_repr": repr(a), "p_dtype": str(p.dtype),
            "uninit": _raises(lambda: p.data())}


def scenario_errors(mx):
    nd, nn = mx.nd, mx.gluon.nn
    net = nn.Dense(3, in_units=4)
    net.initialize()

    def wrong_features():
        net(nd.ones((2, 5))).asnumpy()

    deferred = nn.Dense(3)
    deferred.initialize()
    return {"wrong_features": _raises(wrong_features),
            "data_before_init": _raises(lambda: deferred.weight.data()),
            "grad_req_bad": _raises(lambda: setattr(net.weight, "grad_req", "sometimes")),
            "reinit_warns": _reinit_warns(net)}


def _reinit_warns(net):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.initialize()
    return [str(w.message) for w in caught]


def scenario_save_load(mx, tmpdir):
    nd, nn = mx.nd, mx.gluon.nn

    def make():
        net = nn.HybridSequential()
        net.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=4))
        net.initialize()
        return net

    src = make()
    _set_all(src, mx, seed=30)
    path = f"{tmpdir}/net.params"
    src.save_parameters(path)
    keys = sorted(nd.load(path).keys())
    dst = make()
    dst.load_parameters(path)
    loaded = dst[1].weight.data().asnumpy()
    small = nn.HybridSequential()
    small.add(nn.Dense(4, in_units=3))
    small.initialize()
    big = nn.HybridSequential()
    big.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=4), nn.Dense(1, in_units=2))
    big.initialize()
    wrong = nn.HybridSequential()
    wrong.add(nn.Dense(4, in_units=3), nn.Dense(5, in_units=4))
    wrong.initialize()
    # MXNet 1.9.1 leaves `wrong` half-loaded here; mxjax changes nothing (tested apart).
    return {"keys": keys, "loaded": loaded,
            "extra": _raises(lambda: small.load_parameters(path)),
            "missing": _raises(lambda: big.load_parameters(path)),
            "misshaped": _raises(lambda: wrong.load_parameters(path)),
            "allow_missing": _allow_missing(big, path),
            "ignore_extra": _ignore_extra(small, path)}


def _allow_missing(net, path):
    net.load_parameters(path, allow_missing=True)
    return net[1].weight.data().asnumpy()


def _ignore_extra(net, path):
    net.load_parameters(path, ignore_extra=True)
    return net[0].weight.data().asnumpy()


def scenario_summary_and_hooks(mx):
    nd, nn = mx.nd, mx.gluon.nn
    net = nn.HybridSequential()
    shared = nn.Dense(4, in_units=4)
    net.add(nn.Conv2D(2, kernel_size=3, in_channels=1), nn.BatchNorm(in_channels=2),
            nn.Activation("relu"), nn.Flatten(), nn.Dense(4, in_units=8), shared,
            nn.Dense(4, in_units=4, params=shared.params))
    net.initialize()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        net.summary(nd.ones((1, 1, 4, 4)))
    calls = []
    handle = net[0].register_forward_hook(lambda blk, inp, o: calls.append(("post", o.shape)))
    pre = net[0].register_forward_pre_hook(lambda blk, inp: calls.append(("pre", inp[0].shape)))
    net(nd.ones((1, 1, 4, 4)))
    handle.detach()
    pre.detach()
    net(nd.ones((1, 1, 4, 4)))
    names = []
    net.apply(lambda blk: names.append(blk.name))
    net.cast("float64")
    return {"summary": out.getvalue(), "hook_calls": [f"{k}{s}" for k, s in calls],
            "apply_order": names, "cast_dtype": str(net[0].weight.data().dtype),
            "cast_out": str(net(nd.ones((1, 1, 4, 4), dtype="float64")).dtype)}


def scenario_utils(mx, tmpdir):
    nd, utils = mx.nd, mx.gluon.utils
    data = nd.array(_values((7, 4), 50))
    arrays = [nd.array(_values((3, 2), 51)), nd.array(_values((4,), 52))]
    norm = utils.clip_global_norm(arrays, 0.5)
    small = [nd.array([0.1, 0.2])]
    small_norm = utils.clip_global_norm(small, 10.0)
    path = f"{tmpdir}/blob.bin"
    with open(path, "wb") as f:
        f.write(b"mxjax")
    return {
        "split": [p.asnumpy() for p in utils.split_data(data, 3, even_split=False)],
        "split_axis1": [p.asnumpy() for p in utils.split_data(data, 2, batch_axis=1)],
        "uneven": _raises(lambda: utils.split_data(data, 3)),
        "load": [p.asnumpy() for p in utils.split_and_load(data, [mx.cpu(0)])],
        "load_numpy": utils.split_and_load(_values((2, 2), 53), [mx.cpu(0)])[0].asnumpy(),
        "norm": norm, "clipped": [a.asnumpy() for a in arrays],
        "small_norm": small_norm, "small": small[0].asnumpy(),
        "sha1_ok": utils.check_sha1(path, hashlib.sha1(b"mxjax").hexdigest()),
        "sha1_bad": utils.check_sha1(path, "0" * 40),
    }


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in dict(globals()).items()
             if name.startswith("scenario_")}


def run_scenario(name, mx, tmpdir):
    with mx.name.NameManager(), contextlib.redirect_stdout(io.StringIO()):
        fn = SCENARIOS[name]
        return fn(mx, tmpdir) if name in ("save_load", "utils") else fn(mx)
