"""``gluon.Trainer`` against MXNet 1.9.1 goldens (tests/reference/generate_optim.py), and
its mechanics: the stale-gradient error, one compilation for a changing learning rate,
donated buffers that never destroy a user's array, several contexts, states files."""

import json
import os

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, gluon
from tests.reference import optim_cases as oc
from tests.reference.generate_optim import JSON, NPZ, spec

with np.load(NPZ) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(JSON, encoding="utf-8") as _f:
    META = json.load(_f)

TOL = dict(rtol=1e-6, atol=1e-7)


def _optimizer_traces():
    return mx.engine.compile_stats()["traced"].get("optimizer", 0)


def golden(cid, step):
    arrays = oc.unpack(ARRAYS[f"trainer:{cid}"], META["trainer"][cid]["layout"])
    return [arrays[f"{step}:p{i}"] for i in range(4)]


def test_goldens_cover_every_case():
    assert set(META["trainer"]) == set(oc.TRAINER_CASES)


@pytest.mark.parametrize("cid", sorted(oc.TRAINER_CASES))
def test_trainer_matches_mxnet(cid, tmp_path):
    case = oc.TRAINER_CASES[cid]
    e = META["trainer"][cid]
    assert e["spec"] == spec(case), f"{cid} changed since its goldens"
    record = oc.run_trainer_case(mx, cid, case, str(tmp_path / "states"))
    for step, (params, lr) in enumerate(record):
        for i, (got, want) in enumerate(zip(params, golden(cid, step))):
            np.testing.assert_allclose(got, want, err_msg=f"step {step} param {i}", **TOL)
        assert lr == e["lr"][step]


@pytest.mark.parametrize("cid", ["sgd-reload", "adam-reload"])
def test_trainer_loads_states_mxnet_saved(cid, tmp_path):
    """The states file real MXNet wrote after two steps, loaded into mxjax, gives MXNet's
    third and fourth steps (and its learning rate back)."""
    case = oc.TRAINER_CASES[cid]
    net, x, y = oc.make_net(mx, cid)
    params = net.collect_params()
    for p, value in zip(sorted(params.keys()), golden(cid, 1)):
        params[p].set_data(mx.nd.array(value))
    path = tmp_path / "mxnet.states"
    path.write_bytes(ARRAYS[f"trainer_states:{cid}"].tobytes())
    trainer = oc.make_trainer(mx, net, case, dict(case.kwargs, learning_rate=0.5))
    trainer.load_states(str(path))
    assert trainer.learning_rate == case.kwargs["learning_rate"]
    for step in (2, 3):
        with autograd.record():
            loss = gluon.loss.L2Loss()(net(x), y)
        loss.backward()
        trainer.step(4)
        for k, want in zip(sorted(params.keys()), golden(cid, step)):
            np.testing.assert_allclose(params[k].data().asnumpy(), want, **TOL)


def net_and_batch(**trainer_kwargs):
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(3, in_units=2), gluon.nn.Dense(1, in_units=3))
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1},
                            **trainer_kwargs)
    return net, trainer, mx.nd.array([[1.0, 2.0], [3.0, -1.0]])


def backward(net, x):
    with autograd.record():
        loss = net(x).sum()
    loss.backward()


def test_stale_gradient_raises_and_leaves_everything_unchanged():
    net, trainer, x = net_and_batch()
    backward(net, x)
    trainer.step(2)
    before = {k: p.data().asnumpy() for k, p in net.collect_params().items()}
    with pytest.raises(UserWarning, match="has not been updated by backward since last"):
        trainer.step(2)
    for k, p in net.collect_params().items():
        np.testing.assert_array_equal(p.data().asnumpy(), before[k])
    trainer.step(2, ignore_stale_grad=True)  # skips every (stale) parameter
    for k, p in net.collect_params().items():
        np.testing.assert_array_equal(p.data().asnumpy(), before[k])


def test_ignore_stale_grad_updates_only_fresh_parameters():
    net, trainer, x = net_and_batch()
    first = net[0]
    with autograd.record():
        loss = first(x).sum()
    loss.backward()
    w1 = net[1].weight.data().asnumpy()
    w0 = first.weight.data().asnumpy()
    with pytest.raises(UserWarning, match=net[1].prefix):
        trainer.step(2)
    trainer.step(2, ignore_stale_grad=True)
    np.testing.assert_array_equal(net[1].weight.data().asnumpy(), w1)
    assert not np.array_equal(first.weight.data().asnumpy(), w0)


def test_schedule_changing_lr_compiles_once():
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.9, base_lr=0.1)
    net = gluon.nn.Dense(4, in_units=3)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"lr_scheduler": sched, "momentum": 0.9})
    x = mx.nd.ones((5, 3))
    for _ in range(2):  # the first step also creates the momentum states
        backward(net, x)
        trainer.step(5)
    mx.nd.waitall()
    traces, compiles, lrs = _optimizer_traces(), mx.engine.compile_stats()["compiles"], set()
    for batch in (5, 4, 5, 3, 5):
        backward(net, x)
        trainer.step(batch)
        lrs.add(trainer.learning_rate)
    mx.nd.waitall()
    assert len(lrs) == 5
    assert _optimizer_traces() == traces
    assert mx.engine.compile_stats()["compiles"] == compiles


def test_weights_are_updated_in_their_donated_buffers():
    net, trainer, x = net_and_batch()
    backward(net, x)
    trainer.step(2)
    weight = net[0].weight.data()
    address = weight._data.unsafe_buffer_pointer()  # (holding the array would block it)
    backward(net, x)
    trainer.step(2)
    assert net[0].weight.data() is weight  # the autograd variable is kept
    assert weight._data.unsafe_buffer_pointer() == address


def test_a_users_array_is_never_donated():
    net, trainer, x = net_and_batch()
    mine = mx.nd.ones((3, 2))
    net[0].weight.set_data(mine)  # the parameter now shares mine's buffer
    kept = net[0].weight.data()
    with autograd.record():
        loss = net(x).sum()
    loss.backward(retain_graph=True)
    trainer.step(2)
    np.testing.assert_array_equal(mine.asnumpy(), np.ones((3, 2)))
    assert kept is net[0].weight.data()
    loss.backward()  # the recorded graph still holds the weight's old value
    trainer.step(2)


def test_grad_req_null_parameters_are_skipped():
    net, trainer, x = net_and_batch()
    net[0].bias.grad_req = "null"
    bias = net[0].bias.data().asnumpy()
    backward(net, x)
    trainer.step(2)
    np.testing.assert_array_equal(net[0].bias.data().asnumpy(), bias)


@pytest.mark.parametrize("update_on_kvstore", [None, True, False])
def test_update_on_kvstore_is_accepted(update_on_kvstore):
    net, trainer, x = net_and_batch(update_on_kvstore=update_on_kvstore)
    backward(net, x)
    trainer.step(2)


def test_allreduce_then_update_equals_step():
    results = []
    for split in (False, True):
        mx.random.seed(1)
        net, trainer, x = net_and_batch()
        backward(net, x)
        if split:
            trainer.allreduce_grads()
            trainer.update(2)
        else:
            trainer.step(2)
        results.append(net[0].weight.data().asnumpy())
    np.testing.assert_array_equal(*results)


def test_parameters_as_a_list_and_optimizer_instance():
    net = gluon.nn.Dense(2, in_units=2)
    net.initialize()
    o = mx.optimizer.Adam(learning_rate=0.01)
    trainer = gluon.Trainer(list(net.collect_params().values()), o)
    assert trainer.optimizer is o and trainer.learning_rate == 0.01
    trainer.set_learning_rate(0.02)
    assert o.lr == 0.02
    with pytest.raises(AssertionError, match="optimizer_params must be None"):
        gluon.Trainer(net.collect_params(), o, {"learning_rate": 0.1})
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer(net, "sgd")


def test_several_contexts_sum_gradients():
    """Half the batch on each of two contexts trains like the whole batch on one."""
    x = mx.nd.array(np.random.default_rng(0).normal(size=(4, 2)))
    results = []
    for ctxs in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        net = gluon.nn.Dense(3, in_units=2)
        net.initialize(mx.init.Constant(0.5), ctx=ctxs)
        trainer = gluon.Trainer(net.collect_params(), "sgd",
                                {"learning_rate": 0.1, "momentum": 0.9})
        for _ in range(2):
            parts = gluon.utils.split_and_load(x, ctxs)
            with autograd.record():
                losses = [(net(part) ** 2).sum() for part in parts]
            for loss in losses:
                loss.backward()
            trainer.step(4)
        copies = [net.weight.data(c).asnumpy() for c in ctxs]
        for c in copies[1:]:
            np.testing.assert_array_equal(c, copies[0])
        results.append(copies[0])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_save_states_writes_atomically(tmp_path):
    net, trainer, x = net_and_batch()
    backward(net, x)
    trainer.step(2)
    trainer.save_states(str(tmp_path / "t.states"))
    assert os.listdir(tmp_path) == ["t.states"]
    trainer.set_learning_rate(0.7)
    trainer.load_states(str(tmp_path / "t.states"))
    assert trainer.learning_rate == 0.1


def test_a_copy_of_a_weight_survives_a_step():
    """copy() must not share the buffer the Trainer donates."""
    net, trainer, x = net_and_batch()
    snapshot = net[0].weight.data().copy()
    expected = snapshot.asnumpy()
    backward(net, x)
    trainer.step(2)
    np.testing.assert_array_equal(snapshot.asnumpy(), expected)
