"""``mx.kv``: the 'local' and 'device' stores of one process, against MXNet 1.9.1 goldens
(``tests/reference/generate_kvstore.py``) and MXNet's semantics (sums, updaters, key
types, sparse pulls, errors, optimizer states, gradient compression).

The tests whose contexts matter run a second time in a subprocess with four host devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=4``), where ``cpu(i)`` are distinct
devices and sums over them are all-reduces (``test_again_on_four_host_devices``).
"""

import os
import pickle
import subprocess
import sys

import jax
import numpy as np
import pytest

import mxjax as mx
from mxjax.kvstore import _reduce
from tests.reference import kvstore_cases as cases
from tests.reference.generate_kvstore import NPZ

GOLDEN = np.load(NPZ)
HOST_DEVICES = int(os.environ.get("MXJAX_TEST_HOST_DEVICES", "1"))
SHAPE = (4, 4)


# ---- MXNet 1.9.1's numbers ----
def test_goldens_cover_every_case():
    assert {name.split("/")[0] for name in GOLDEN.files} == set(cases.CASES)


@pytest.mark.parametrize("cid", sorted(cases.CASES))
def test_case_matches_mxnet(cid):
    got = cases.CASES[cid](mx)
    want = {name.split("/", 1)[1]: GOLDEN[name] for name in GOLDEN.files
            if name.startswith(cid + "/")}
    assert set(got) == set(want)
    for name, value in got.items():
        np.testing.assert_allclose(np.asarray(value), want[name], rtol=1e-6, atol=1e-7,
                                   err_msg=f"{cid}/{name}")


def test_two_bit_is_mxnet_quantization():
    grad = np.array([0.7, -0.7, 0.2, -0.2, 0.5, -0.5], np.float32)
    residual = np.array([0.0, 0.0, 0.4, -0.4, 0.0, 0.0], np.float32)
    q, r = _reduce.two_bit(grad, residual, 0.5)
    np.testing.assert_array_equal(q, [0.5, -0.5, 0.5, -0.5, 0.5, -0.5])
    np.testing.assert_allclose(r, [0.2, -0.2, 0.1, -0.1, 0, 0], atol=1e-7)


# ---- devices ----
def test_host_devices():
    assert len(jax.devices("cpu")) == HOST_DEVICES
    devices = {mx.cpu(i).jax_device for i in range(4)}
    assert len(devices) == min(HOST_DEVICES, 4)


def test_a_push_over_devices_is_one_compiled_call(monkeypatch):
    calls = []
    for name in ("_mesh_sum", "_local_sum"):
        make = getattr(_reduce, name)

        def counting(*args, _make=make, _name=name):
            built = _make(*args)
            if _name == "_local_sum":
                return lambda *a: calls.append(_name) or built(*a)
            mesh, split, run = built
            return mesh, split, lambda *a: calls.append(_name) or run(*a)
        monkeypatch.setattr(_reduce, name, counting)
    kv = mx.kv.create("device")
    keys = [1, 2, 3]
    kv.init(keys, [mx.nd.zeros(SHAPE)] * 3)
    ctxs = [mx.cpu(i) for i in range(4)]
    for _ in range(2):
        calls.clear()
        kv.push(keys, [[mx.nd.ones(SHAPE, ctx=c) for c in ctxs]] * 3)
        assert calls == (["_mesh_sum"] if HOST_DEVICES >= 4 else ["_local_sum"])
    out = mx.nd.zeros(SHAPE)
    kv.pull(2, out=out)
    assert (out.asnumpy() == 4).all()


def test_pull_onto_each_context():
    kv = mx.kv.create("device")
    kv.init("k", mx.nd.ones(SHAPE) * 2)
    outs = [mx.nd.zeros(SHAPE, ctx=mx.cpu(i)) for i in range(4)]
    kv.pull("k", out=outs)
    for i, o in enumerate(outs):
        assert o.context == mx.cpu(i)
        assert mx.cpu(i).jax_device in o._data.devices()
        assert (o.asnumpy() == 2).all()


# ---- semantics ----
def test_create_types():
    assert mx.kv.create().type == "local"
    assert mx.kv.create("Device").type == "device"
    assert mx.kv.create("local_allreduce_cpu").type == "local_allreduce_cpu"
    assert isinstance(mx.kv.create("local"), mx.kv.KVStore)
    assert isinstance(mx.kvstore.create("teststore"), mx.kv.TestStore)
    with pytest.raises(TypeError, match="name must be a string"):
        mx.kv.create(3)
    for name in ("dist_sync", "dist_device_sync", "dist_sync_device"):
        store = mx.kv.create(name)  # one worker without a launcher
        assert isinstance(store, mx.kv.DistKVStore)
        assert (store.type, store.rank, store.num_workers) == (name, 0, 1)
    with pytest.warns(UserWarning, match="synchronously"):
        assert mx.kv.create("dist_async").type == "dist_async"


def test_register_a_custom_store():
    @mx.kv.KVStoreBase.register
    class MyKVStoreForTest(mx.kv.KVStoreBase):
        pass

    try:
        assert type(mx.kv.create("mykvstorefortest")) is MyKVStoreForTest
        with pytest.warns(UserWarning, match="overriding"):
            mx.kv.KVStoreBase.register(type("MyKVStoreForTest", (mx.kv.KVStoreBase,), {}))
    finally:
        del mx.kv.KVStoreBase.kv_registry["mykvstorefortest"]


def test_properties():
    kv = mx.kv.create("device")
    assert (kv.rank, kv.num_workers) == (0, 1)
    assert kv.is_capable("optimizer") and kv.is_capable(mx.kv.KVStoreBase.OPTIMIZER)
    with pytest.raises(ValueError, match="Unknown capability"):
        kv.is_capable("sparsity")
    kv._barrier()


def test_push_replaces_the_stored_value_with_the_sum():
    kv = mx.kv.create()
    kv.init(3, mx.nd.ones(SHAPE) * 10)
    kv.push(3, [mx.nd.ones(SHAPE), mx.nd.ones(SHAPE) * 2])
    kv.push(3, [mx.nd.ones(SHAPE), mx.nd.ones(SHAPE) * 3])
    out = mx.nd.zeros(SHAPE)
    kv.pull(3, out=out)
    assert (out.asnumpy() == 4).all()


def test_the_store_keeps_its_own_copy():
    kv = mx.kv.create()
    value = mx.nd.ones(SHAPE)
    kv.init(0, value)
    value += 5
    pushed = mx.nd.ones(SHAPE) * 2
    out = mx.nd.zeros(SHAPE)
    kv.push(1, pushed)  # an int key may be pushed before init (MXNet)
    pushed += 1
    kv.pull([0, 1], out=[out, value])
    out += 1
    again = mx.nd.zeros(SHAPE)
    kv.pull(0, out=again)
    assert (again.asnumpy() == 1).all() and (value.asnumpy() == 2).all()


def test_updater_gets_key_merged_and_stored():
    seen = []

    def updater(key, merged, stored):
        seen.append((key, merged.asnumpy().copy()))
        stored += merged * 2

    for keys in ([4, 9], ["x", "y"]):
        kv = mx.kv.create("device")
        kv.init(keys, [mx.nd.ones(SHAPE)] * 2)
        kv._set_updater(updater)
        seen.clear()
        kv.push(keys[::-1], [[mx.nd.ones(SHAPE, ctx=mx.cpu(i)) for i in range(3)]] * 2)
        assert [k for k, _ in seen] == keys  # in key order, with the key's type
        assert all((m == 3).all() for _, m in seen)
        out = mx.nd.zeros(SHAPE)
        kv.pull(keys[1], out=out)
        assert (out.asnumpy() == 7).all()


def test_updater_needs_an_initialised_key():
    kv = mx.kv.create()
    kv.init(0, mx.nd.zeros(SHAPE))
    kv._set_updater(lambda key, merged, stored: None)
    with pytest.raises(mx.MXNetError, match="key 1 has not been inited"):
        kv.push(1, mx.nd.ones(SHAPE))


def test_key_errors():
    kv = mx.kv.create()
    kv.init(3, mx.nd.zeros(SHAPE))
    with pytest.raises(mx.MXNetError, match="Mixed key types"):
        kv.init("a", mx.nd.zeros(SHAPE))
    with pytest.raises(mx.MXNetError, match="Mixed key types"):
        kv.pull("a", out=mx.nd.zeros(SHAPE))
    with pytest.raises(AssertionError, match="inconsistent types of keys"):
        kv.push([3, "a"], [mx.nd.zeros(SHAPE)] * 2)
    with pytest.raises(mx.MXNetError, match="duplicate init of key 3"):
        kv.init(3, mx.nd.zeros(SHAPE))
    with pytest.raises(mx.MXNetError, match="key 5 has not been inited"):
        kv.pull(5, out=mx.nd.zeros(SHAPE))
    with pytest.raises(mx.MXNetError, match="different shapes"):
        kv.push(3, [mx.nd.zeros(SHAPE), mx.nd.zeros((2, 2))])
    str_kv = mx.kv.create()
    str_kv.init("a", mx.nd.zeros(SHAPE))
    with pytest.raises(mx.MXNetError, match="key b doesn't exist. Did you init"):
        str_kv.push("b", mx.nd.zeros(SHAPE))


def test_pushpull_and_broadcast():
    kv = mx.kv.create("device")
    outs = [mx.nd.zeros(SHAPE, ctx=mx.cpu(i)) for i in range(2)]
    kv.broadcast("w", mx.nd.ones(SHAPE) * 3, out=outs)
    assert all((o.asnumpy() == 3).all() for o in outs)
    with pytest.raises(mx.MXNetError, match="duplicate init"):
        kv.broadcast("w", mx.nd.ones(SHAPE), out=outs)
    grads = [mx.nd.ones(SHAPE, ctx=mx.cpu(i)) * (i + 1) for i in range(2)]
    kv.pushpull("w", grads)  # out=None: written back into the pushed arrays
    assert all((g.asnumpy() == 3).all() for g in grads)
    kv.pushpull("w", [mx.nd.ones(SHAPE)] * 2, out=outs)
    assert all((o.asnumpy() == 2).all() for o in outs)


def test_sparse_push_and_pulls():
    kv = mx.kv.create()
    kv.init("e", mx.nd.zeros(SHAPE).tostype("row_sparse"))
    rows = np.zeros(SHAPE, np.float32)
    rows[1], rows[3] = 1, 2
    kv.push("e", [mx.nd.array(rows).tostype("row_sparse")] * 2)
    dense = mx.nd.ones(SHAPE) * 7
    kv.pull("e", out=dense.tostype("row_sparse"))  # sparse output: ignored
    kv.pull("e", out=dense)
    np.testing.assert_array_equal(dense.asnumpy(), rows * 2)
    out = mx.nd.sparse.zeros("row_sparse", SHAPE)
    kv.row_sparse_pull("e", out=out, row_ids=mx.nd.array([3, 3, 0]))
    assert out.stype == "row_sparse"
    np.testing.assert_array_equal(out.asnumpy(), np.where(np.arange(4)[:, None] == 3,
                                                          rows * 2, 0))
    np.testing.assert_array_equal(out.indices.asnumpy(), [0, 3])
    outs = [mx.nd.sparse.zeros("row_sparse", SHAPE, ctx=mx.cpu(i)) for i in range(2)]
    kv.row_sparse_pull("e", out=outs, row_ids=mx.nd.array([1]))  # one row_ids for both
    assert all((o.asnumpy()[1] == 2).all() and o.context == mx.cpu(i)
               for i, o in enumerate(outs))
    with pytest.raises(mx.MXNetError, match="Expected row_sparse storage type"):
        kv.row_sparse_pull("e", out=mx.nd.zeros(SHAPE), row_ids=mx.nd.array([1]))
    kv.init("d", mx.nd.zeros(SHAPE))
    with pytest.raises(mx.MXNetError, match="expects row_sparse src"):
        kv.row_sparse_pull("d", out=out, row_ids=mx.nd.array([1]))


# ---- gradient compression ----
def test_gradient_compression_parameters():
    with pytest.raises(Exception, match="not supported for this type"):
        mx.kv.create("local").set_gradient_compression({"type": "2bit"})
    kv = mx.kv.create("device")
    with pytest.raises(mx.MXNetError, match="Unknown type for gradient compression 1bit"):
        kv.set_gradient_compression({"type": "1bit"})
    with pytest.raises(mx.MXNetError, match="threshold must be greater than 0"):
        kv.set_gradient_compression({"type": "2bit", "threshold": 0})
    with pytest.raises(mx.MXNetError, match="Required parameter type"):
        kv.set_gradient_compression({"threshold": 1})


def test_compression_residual_carries_over():
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 1.0})
    kv.init(0, mx.nd.zeros((3,)))
    out = mx.nd.zeros((3,))
    sent = []
    for _ in range(4):  # 0.3 per push: 1.0 is sent at the 4th push (0.3*4 >= 1)
        kv.push(0, mx.nd.array([0.3, -0.3, 0.0]))
        kv.pull(0, out=out)
        sent.append(out.asnumpy().tolist())
    assert sent == [[0, 0, 0]] * 3 + [[1, -1, 0]]


# ---- optimizer ----
def _sgd_store(weights):
    kv = mx.kv.create("device")
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init([0, 1], weights)
    return kv


def test_optimizer_states_save_and_load(tmp_path):
    rng = np.random.RandomState(0)
    weights = [mx.nd.array(rng.standard_normal(s)) for s in ((2, 3), (4,))]
    grads = [[mx.nd.array(rng.standard_normal(w.shape))] for w in weights]
    kv = _sgd_store(weights)
    kv.push([0, 1], grads)
    kv.push([0, 1], grads)
    fname = str(tmp_path / "states")
    kv.save_optimizer_states(fname)
    snapshot = [mx.nd.zeros(w.shape) for w in weights]
    kv.pull([0, 1], out=snapshot)
    kv.push([0, 1], grads)
    expected = [mx.nd.zeros(w.shape) for w in weights]
    kv.pull([0, 1], out=expected)

    resumed = _sgd_store(snapshot)
    resumed.load_optimizer_states(fname)
    resumed.push([0, 1], grads)
    got = [mx.nd.zeros(w.shape) for w in weights]
    resumed.pull([0, 1], out=got)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g.asnumpy(), e.asnumpy())
    fresh = _sgd_store(snapshot)  # without the momentum the result differs
    fresh.push([0, 1], grads)
    fresh.pull([0, 1], out=got)
    assert not np.allclose(got[0].asnumpy(), expected[0].asnumpy())


def test_optimizer_states_need_an_optimizer(tmp_path):
    with pytest.raises(AssertionError, match="Cannot save states"):
        mx.kv.create().save_optimizer_states(str(tmp_path / "s"))


# ---- the Trainer goes through the store ----
@pytest.mark.parametrize("update_on_kvstore", [True, False])
@pytest.mark.parametrize("given", ["device", "local", "object"])
def test_trainer_sums_through_the_store(given, update_on_kvstore):
    x = mx.gluon.Parameter("x", shape=(3,))
    ctxs = [mx.cpu(i) for i in range(3)]
    x.initialize(ctx=ctxs, init="zeros")
    kv = mx.kv.create("local") if given == "object" else given
    trainer = mx.gluon.Trainer([x], "sgd", {"learning_rate": 1.0, "momentum": 0.5},
                               kvstore=kv, update_on_kvstore=update_on_kvstore)
    for _ in range(2):
        with mx.autograd.record():
            for i, w in enumerate(x.list_data()):
                (w * (i + 1)).backward()
        trainer.step(1)
    assert isinstance(trainer._kvstore, mx.kv.KVStore)
    assert trainer._kvstore is kv or trainer._kvstore.type == given
    assert trainer._update_on_kvstore is update_on_kvstore
    for ctx, w in zip(ctxs, x.list_data()):  # summed gradient 6: -6, then -6 - 6 - 3
        assert w.context == ctx and ctx.jax_device in w._data.devices()
        np.testing.assert_array_equal(w.asnumpy(), [-15, -15, -15])


@pytest.mark.parametrize("update_on_kvstore", [True, False])
def test_trainer_steps_do_not_recompile(update_on_kvstore):
    net = mx.gluon.nn.Dense(3, in_units=4)
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net.initialize(ctx=ctxs)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"momentum": 0.9},
                               update_on_kvstore=update_on_kvstore)
    data = [mx.nd.ones((2, 4), ctx=c) for c in ctxs]

    def step():
        with mx.autograd.record():
            losses = [net(x).sum() for x in data]
        for loss in losses:
            loss.backward()
        trainer.step(4)
        mx.nd.waitall()

    compiles = []

    def count(event, _secs, **_kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    for _ in range(3):
        step()
    jax.monitoring.register_event_duration_secs_listener(count)
    try:
        for _ in range(3):
            step()
    finally:
        jax.monitoring.unregister_event_duration_listener(count)
    assert compiles == []


# ---- the same again, on four host devices ----
_ON_FOUR_DEVICES = ("(case_matches_mxnet or host_devices or over_devices or pull_onto or "
                    "trainer_sums or compression or pushpull) and not again_on_four")


def test_again_on_four_host_devices():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, MXJAX_TEST_HOST_DEVICES="4",
               XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") +
                          " --xla_force_host_platform_device_count=4").strip())
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-k", _ON_FOUR_DEVICES, os.path.abspath(__file__)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "skipped" not in proc.stdout


def test_writes_into_recorded_arrays_are_not_recorded():
    kv = mx.kv.create()
    kv.init(0, mx.nd.ones(SHAPE) * 3)
    kv.init(1, mx.nd.ones(SHAPE).tostype("row_sparse"))
    x = mx.nd.ones(SHAPE)
    x.attach_grad()
    with mx.autograd.record():  # as a Trainer's row_sparse_data during a forward
        y = x * 2
        kv.pull(0, out=y)
        z = (x * 2).tostype("row_sparse")
        kv.row_sparse_pull(1, out=z, row_ids=mx.nd.array([0]))
    assert (y.asnumpy() == 3).all() and (z.asnumpy()[0] == 1).all()


def test_loading_states_runs_no_code(tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.makedirs, (str(tmp_path / "ran"),))

    fname = tmp_path / "states"
    fname.write_bytes(pickle.dumps({0: Payload()}))
    kv = _sgd_store([mx.nd.zeros((2,)), mx.nd.zeros((2,))])
    with pytest.raises(mx.MXNetError, match="refusing to load"):
        kv.load_optimizer_states(str(fname))
    assert not (tmp_path / "ran").exists()


def test_unsafe_states_load_only_with_the_explicit_opt_in(tmp_path, monkeypatch):
    """A trusted legacy states file naming another class (here a harmless Counter) loads
    only with MXJAX_ALLOW_UNSAFE_STATES=1; the refusal names the opt-in."""
    import collections

    fname = tmp_path / "states"
    fname.write_bytes(pickle.dumps({0: collections.Counter(a=1)}))
    updater = mx.optimizer.get_updater(mx.optimizer.SGD())
    with pytest.raises(mx.MXNetError, match="MXJAX_ALLOW_UNSAFE_STATES=1"):
        updater.set_states(fname.read_bytes())
    monkeypatch.setenv("MXJAX_ALLOW_UNSAFE_STATES", "1")
    updater.set_states(fname.read_bytes())
    assert updater.states[0] == collections.Counter(a=1)
