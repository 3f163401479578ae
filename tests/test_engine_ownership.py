"""The engine owns what a step rebinds: it donates exactly those buffers, a step that fails
at run time gives every array its value back, threads share a net safely, the compiled
step cache is bounded and ``mx.random.seed`` is process-wide."""

import threading
import warnings

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, gluon, nd
from mxjax.base import MXNetError


def _net_and_trainer():
    mx.random.seed(11)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(5, in_units=4, activation="tanh"), gluon.nn.Dense(3, in_units=5))
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1})
    return net, trainer


def _train_step(net, trainer, x, extra=None):
    with autograd.record():
        loss = net(x).sum()
        if extra is not None:
            loss = loss + extra()
    loss.backward()
    trainer.step(x.shape[0])
    return loss


def _state_of(net, trainer):
    params = {k: p.data().asnumpy().copy() for k, p in net.collect_params().items()}
    grads = {k: p.grad().asnumpy().copy() for k, p in net.collect_params().items()}
    states = {k: [s.asnumpy().copy() for s in v]
              for k, v in trainer._updaters[0].states.items()}
    return params, grads, states


def _assert_same_state(a, b):
    for before, after in zip(a, b):
        assert before.keys() == after.keys()
        for k in before:
            np.testing.assert_array_equal(np.asarray(before[k]), np.asarray(after[k]),
                                          err_msg=k)


def _out_of_range_take():
    return nd.take(nd.arange(3), nd.array([7]), mode="raise").sum()


def test_a_step_failing_at_run_time_changes_nothing(tmp_path):
    net, trainer = _net_and_trainer()
    x = nd.ones((2, 4))
    for _ in range(3):  # steady state: the step's buffers are donated from here on
        _train_step(net, trainer, x)
    before = _state_of(net, trainer)
    with pytest.raises(MXNetError, match="take"):
        _train_step(net, trainer, x, extra=_out_of_range_take).asnumpy()
    _assert_same_state(before, _state_of(net, trainer))
    net.save_parameters(str(tmp_path / "after_failure.params"))
    _train_step(net, trainer, x).asnumpy()
    assert not np.array_equal(net[1].weight.data().asnumpy(),
                              before[0][net[1].weight.name])


def test_a_step_that_cannot_allocate_changes_nothing():
    net, trainer = _net_and_trainer()
    x = nd.ones((2, 4))
    for _ in range(3):
        _train_step(net, trainer, x)
    before = _state_of(net, trainer)
    kept = []

    def allocation():  # 16 TiB of float32, kept alive so that XLA must allocate it
        kept.append(nd.ones((2 ** 42,)))
        return kept[0][0]

    with pytest.raises(MXNetError):
        _train_step(net, trainer, x, extra=allocation).asnumpy()
    _assert_same_state(before, _state_of(net, trainer))
    loss = _train_step(net, trainer, x)
    assert np.isfinite(loss.asnumpy()).all()


def test_steps_donate_the_buffers_they_replace_and_nothing_else():
    net, trainer = _net_and_trainer()
    x = nd.ones((2, 4))
    for _ in range(3):
        _train_step(net, trainer, x)
    weight = net[1].weight.data()
    kept = weight.detach()  # a second array holding the same value: never donated
    _train_step(net, trainer, x)
    mx.nd.waitall()
    assert np.array_equal(kept.asnumpy(), weight.asnumpy())


def test_training_in_one_thread_while_another_evaluates():
    net, trainer = _net_and_trainer()
    net.hybridize()
    x = nd.ones((8, 4))
    _train_step(net, trainer, x).asnumpy()
    errors, stop = [], threading.Event()

    def evaluate():
        try:
            while not stop.is_set():
                out = net(x)
                assert out.shape == (8, 3)
                out.asnumpy()
        except Exception as e:  # noqa: BLE001 - the test reports any failure
            errors.append(e)

    evaluator = threading.Thread(target=evaluate)
    evaluator.start()
    try:
        for _ in range(30):
            _train_step(net, trainer, x)
        mx.nd.waitall()
    finally:
        stop.set()
        evaluator.join()
    assert not errors, errors[:3]
    assert np.isfinite(net(x).asnumpy()).all()


def test_compiled_steps_are_an_lru_cache_of_bounded_size(monkeypatch):
    monkeypatch.setenv("MXJAX_COMPILE_CACHE_SIZE", "3")
    mx.engine.reset_compile_stats()
    net, trainer = _net_and_trainer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for batch in range(1, 9):
            _train_step(net, trainer, nd.ones((batch, 4))).asnumpy()
    stats = mx.engine.compile_stats()
    assert stats["evictions"] >= stats["compiles"] - 3 > 0


def test_seed_is_process_wide():
    mx.random.seed(7)
    expected = nd.random.uniform(shape=(3,)).asnumpy()
    got = []
    mx.random.seed(7)
    worker = threading.Thread(target=lambda: got.append(nd.random.uniform(shape=(3,))
                                                        .asnumpy()))
    worker.start()
    worker.join()
    np.testing.assert_array_equal(got[0], expected)
