"""Step capture (``mxjax.engine``): captured training steps give exactly what op-by-op
(eager) execution gives, compile once per graph structure, and keep MXNet's observable
behaviour -- host reads, Python control flow, mutation between steps, errors.

Every comparison runs the same code twice from the same seed: once captured (the
default) and once under ``mx.engine.capture(False)``.
"""

import contextlib
import functools
import gc
import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, gluon
from mxjax.base import MXNetError
from mxjax.gluon import nn, rnn

STEPS = 20
WARMUP = 3
RTOL, ATOL = 1e-5, 1e-6
HERE = os.path.basename(__file__)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _clean_engine():
    mx.nd.waitall()
    mx.engine.reset_compile_stats()
    yield
    mx.nd.waitall()


def _line():
    """The line number of the caller (to name it in ``compile_stats()["forced"]``)."""
    return sys._getframe(1).f_lineno


def _close(got, want, what):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def _params(net):
    return {name: p.data().asnumpy() for name, p in net._collect_params_with_prefix().items()}


def _assert_same_params(got, want):
    assert got.keys() == want.keys()
    for name in want:
        _close(got[name], want[name], f"parameter {name}")


def _stats():
    return mx.engine.compile_stats()


# ---- the workloads (W1-W4 of benchmarks/training.py, tiny) ------------------------------
class _LanguageModel(gluon.HybridBlock):
    def __init__(self, vocab=10, hidden=4, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab, hidden)
            self.lstm = rnn.LSTM(hidden, input_size=hidden)
            self.decoder = nn.Dense(vocab, flatten=False, in_units=hidden)

    def hybrid_forward(self, F, x):
        return self.decoder(self.lstm(self.embedding(x)))


def _w1():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
    rs = np.random.RandomState(1)
    return dict(net=net, x=mx.nd.array(rs.rand(4, 5)), y=mx.nd.array(rs.randint(0, 3, 4)),
                loss=gluon.loss.SoftmaxCrossEntropyLoss(), opt="sgd",
                opt_params={"learning_rate": 0.1, "momentum": 0.9}, batch=4)


def _w2():
    # Dropout draws a key per step; BatchNorm writes its running statistics at backward.
    net = nn.HybridSequential()
    net.add(nn.Conv2D(2, 3), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2),
            nn.Dropout(0.5), nn.Dense(3))
    rs = np.random.RandomState(2)
    return dict(net=net, x=mx.nd.array(rs.rand(2, 1, 8, 8)), y=mx.nd.array(rs.randint(0, 3, 2)),
                loss=gluon.loss.SoftmaxCrossEntropyLoss(), opt="adam",
                opt_params={"learning_rate": 1e-2}, batch=2)


def _w3():
    rs = np.random.RandomState(3)
    return dict(net=_LanguageModel(), x=mx.nd.array(rs.randint(0, 10, (3, 2)), dtype="int32"),
                y=mx.nd.array(rs.randint(0, 10, (3, 2))),
                loss=gluon.loss.SoftmaxCrossEntropyLoss(), opt="sgd",
                opt_params={"learning_rate": 1.0}, batch=2, clip=0.25)


def _w4():
    net = nn.HybridSequential()
    net.add(nn.Dense(units=3), nn.Dense(units=1))
    return dict(net=net, x=mx.nd.array([[0.5, 0.9]]), y=mx.nd.array([[1.5]]),
                loss=gluon.loss.L2Loss(), opt="sgd", opt_params={"learning_rate": 0.1},
                batch=1)


WORKLOADS = {"W1-mlp-sgd-momentum": _w1, "W2-cnn-bn-dropout-adam": _w2,
             "W3-lstm-lm-clip-sgd": _w3, "W4-tiny-l2": _w4}
# make test keeps one run of each workload (W2 and the hybridized W1/W3 are the slowest to
# compile: make test-slow runs them)
_SLOW_CASES = {("W2-cnn-bn-dropout-adam", False), ("W2-cnn-bn-dropout-adam", True),
               ("W1-mlp-sgd-momentum", True), ("W3-lstm-lm-clip-sgd", True)}
CASES = [pytest.param(w, h, id=f"{w}-{'hybridized' if h else 'imperative'}",
                      marks=[pytest.mark.slow] if (w, h) in _SLOW_CASES else [])
         for w in WORKLOADS for h in (False, True)]


class _Loop:
    """One workload, set up from seed 0, stepped the way benchmarks/training.py does."""

    def __init__(self, workload, hybridize):
        mx.random.seed(0)
        spec = WORKLOADS[workload]()
        self.net, self.x, self.y = spec["net"], spec["x"], spec["y"]
        self.loss_fn, self.batch, self.clip = spec["loss"], spec["batch"], spec.get("clip")
        self.net.initialize(mx.init.Xavier())
        if hybridize:
            self.net.hybridize()
        self.net(self.x)  # finish deferred initialisation
        self.trainer = gluon.Trainer(self.net.collect_params(), spec["opt"],
                                     dict(spec["opt_params"]))
        self.params = [p for p in self.net.collect_params().values() if p.grad_req != "null"]
        mx.random.seed(1)

    def step(self):
        with autograd.record():
            loss = self.loss_fn(self.net(self.x), self.y)
        loss.backward()
        if self.clip is not None:
            gluon.utils.clip_global_norm([p.grad() for p in self.params],
                                         self.clip * self.batch)
        self.trainer.step(self.batch)
        return loss


@contextlib.contextmanager
def _gc_paused():
    """Python's cyclic garbage collector only where a test calls ``gc.collect()``: when
    it runs must not change what a step compiles, and this makes the test deterministic."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _train(workload, hybridize, capture, steps=STEPS):
    """Per-step losses (kept as NDArrays until the end), initial and final parameters, and
    ``compile_stats()`` after the warm-up steps (+ waitall) and at the end."""
    with mx.engine.capture(capture), _gc_paused():
        loop = _Loop(workload, hybridize)
        initial = _params(loop.net)
        losses, warm = [], None
        for i in range(steps):
            losses.append(loop.step())
            if i == WARMUP - 1:
                mx.nd.waitall()
                warm = _stats()
                gc.collect()
            elif i == steps // 2:
                gc.collect()
        mx.nd.waitall()
        end = _stats()
        losses = np.stack([loss.asnumpy() for loss in losses])
        return losses, initial, _params(loop.net), warm, end, loop.clip is not None


@functools.cache
def _captured(workload, hybridize):
    """The captured run of a workload (shared by the exactness and recompile tests)."""
    mx.nd.waitall()
    mx.engine.reset_compile_stats()
    return _train(workload, hybridize, capture=True)


# ---- 1. exactness -------------------------------------------------------------------------
@pytest.mark.parametrize("workload,hybridize", CASES)
def test_captured_training_matches_eager(workload, hybridize):
    losses, initial, final, _, end, _ = _captured(workload, hybridize)
    assert end["runs"] > 0 and end["step_runs"] >= STEPS - 2, end
    mx.engine.reset_compile_stats()
    e_losses, e_initial, e_final, _, e_end, _ = _train(workload, hybridize, capture=False)
    assert e_end["runs"] == 0, e_end
    _assert_same_params(initial, e_initial)
    assert np.isfinite(losses).all()
    _close(losses, e_losses, "per-step losses")
    _assert_same_params(final, e_final)
    assert not np.allclose(losses[0], losses[-1]), "the loop did not train"
    # every parameter moved, BatchNorm's running statistics (written at backward) included
    unchanged = [n for n in final if np.array_equal(final[n], initial[n])]
    assert not unchanged, unchanged


def _d2l_loop(capture, steps=12):
    """d2l's linear regression from scratch: plain NDArrays, attach_grad, manual SGD."""
    rs = np.random.RandomState(4)
    features = rs.normal(size=(40, 2))
    labels = features @ np.array([2.0, -3.4]) + 4.2 + rs.normal(scale=0.01, size=40)
    lr, batch_size = 0.3, 10
    stats_after_warmup = None
    with mx.engine.capture(capture):
        mx.random.seed(0)
        w = mx.nd.random.normal(scale=0.01, shape=(2, 1))
        b = mx.nd.zeros(shape=(1,))
        params = [w, b]
        for param in params:
            param.attach_grad()
        losses = []
        for step in range(steps):
            i = (step * batch_size) % len(features)
            X = mx.nd.array(features[i:i + batch_size])
            y = mx.nd.array(labels[i:i + batch_size])
            with autograd.record():
                y_hat = mx.nd.dot(X, w) + b
                loss = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
            loss.backward()
            for param in params:
                param[:] = param - lr * param.grad / batch_size
            if step == 5:
                updated_pending = type(w._lazy).__name__ == "Pending"
            losses.append(loss)
            if step == 2:
                mx.nd.waitall()
                stats_after_warmup = _stats()
        losses = np.stack([loss.asnumpy() for loss in losses])
        return losses, w.asnumpy(), b.asnumpy(), stats_after_warmup, _stats(), updated_pending


def test_from_scratch_sgd_is_captured_and_matches_eager():
    losses, w, b, warm, end, pending = _d2l_loop(capture=True)
    assert pending, "the hand-written update ran eagerly"
    assert warm["runs"] >= 3 and end["step_runs"] >= 8, end
    assert end["compiles"] == warm["compiles"], (warm, end)
    assert end["cache_hits"] - warm["cache_hits"] == end["runs"] - warm["runs"] >= 9
    e_losses, e_w, e_b, _, _, e_pending = _d2l_loop(capture=False)
    assert not e_pending
    _close(losses, e_losses, "per-step losses")
    _close(w, e_w, "w")
    _close(b, e_b, "b")
    assert losses[-1].mean() < losses[0].mean() / 2


# ---- 2. zero recompiles -----------------------------------------------------------------
@pytest.mark.parametrize("workload,hybridize", CASES)
def test_steady_state_steps_do_not_recompile(workload, hybridize):
    """After WARMUP steps and waitall, the other steps of the captured run (with a garbage
    collection before the first and in the middle) compile nothing: each is one cache hit."""
    _, _, _, warm, end, clips = _captured(workload, hybridize)
    n = STEPS - WARMUP
    assert end["compiles"] == warm["compiles"], (warm, end)
    runs = end["runs"] - warm["runs"]
    if clips:  # clip_global_norm reads the norm on the host: one more (forced) run a step
        assert runs == 2 * n, (warm, end)
    else:
        assert runs == n, (warm, end)
    assert end["cache_hits"] - warm["cache_hits"] == runs, (warm, end)
    assert end["step_runs"] - warm["step_runs"] == n - 1, (warm, end)


# ---- 3. forced materialisation -----------------------------------------------------------
def _reads_loop(capture, capsys):
    """Four W1 steps with host reads in the middle of them; returns what was read, the
    final parameters and where each read was made (``[(api, line)]``)."""
    reads, lines = {}, []
    with mx.engine.capture(capture):
        loop = _Loop("W1-mlp-sgd-momentum", False)
        net, x, y = loop.net, loop.x, loop.y
        metric = mx.metric.Accuracy()
        # step 1: a metric update and asnumpy inside record, asscalar before the update
        with autograd.record():
            out = net(x)
            metric.update([y], [out])
            lines.append(("update", _line() - 1))
            loss = loop.loss_fn(out, y)
            reads["asnumpy"] = loss.asnumpy()
            lines.append(("asnumpy", _line() - 1))
        loss.backward()
        reads["asscalar"] = loss.mean().asscalar()
        lines.append(("asscalar", _line() - 1))
        loop.trainer.step(loop.batch)
        # step 2: Python control flow on a value, print(loss), float()
        with autograd.record():
            out = net(x)
            positive = bool(out.sum() > 0)
            lines.append(("__bool__", _line() - 1))
            loss = loop.loss_fn(out * 2 if positive else out * 3, y)
            capsys.readouterr()
            print(loss)
            lines.append(("__repr__", _line() - 1))
            reads["print loss"] = capsys.readouterr().out
        reads["bool"] = positive
        loss.backward()
        reads["float"] = float(net[1].bias.grad().sum())
        lines.append(("__float__", _line() - 1))
        loop.trainer.step(loop.batch)
        # step 3: nothing read inside; the updated weight printed after it
        loop.step()
        print(net[0].weight.data())
        lines.append(("__repr__", _line() - 1))
        reads["print weight"] = capsys.readouterr().out
        # step 4: nothing read
        loop.step()
        reads["metric"] = metric.get()
        return reads, _params(net), lines


def _printed(text):
    """The numbers of a printed NDArray, and the rest of the text."""
    number = r"-?\d+\.?\d*(?:e[-+]?\d+)?"
    body, _, tail = text.rpartition("<")
    return np.array([float(v) for v in re.findall(number, body)]), tail


def test_host_reads_force_a_run_and_are_named(capsys):
    reads, final, lines = _reads_loop(True, capsys)
    forced = _stats()["forced"]
    for api, line in lines:
        key = f"{api} at {HERE}:{line}"
        assert forced.get(key) == 1, (key, forced)
    e_reads, e_final, _ = _reads_loop(False, capsys)
    for what in ("asnumpy", "asscalar", "float"):
        _close(np.asarray(reads[what]), np.asarray(e_reads[what]), what)
    for what in ("print loss", "print weight"):  # the same text, to float32 rounding
        assert _printed(reads[what])[1] == _printed(e_reads[what])[1], what
        _close(_printed(reads[what])[0], _printed(e_reads[what])[0], what)
    assert "NDArray 4 " in reads["print loss"] and "NDArray 8x5" in reads["print weight"]
    assert _printed(reads["print loss"])[0].size == 4
    assert _printed(reads["print weight"])[0].size == 40
    assert reads["bool"] == e_reads["bool"]
    assert reads["metric"] == e_reads["metric"]
    _assert_same_params(final, e_final)


def test_forced_read_outside_training_ends_capture():
    x = mx.nd.ones((2, 3))
    with autograd.record():
        assert mx.engine.is_capturing()
    y = x * 2 + 1
    assert type(y._lazy).__name__ == "Pending"
    np.testing.assert_array_equal(y.asnumpy(), np.full((2, 3), 3.0))
    # nothing was recorded, differentiated or updated: op by op from here on
    assert not mx.engine.is_capturing()
    assert type((y + 1)._lazy).__name__ != "Pending"


# ---- 4. dynamic graphs --------------------------------------------------------------------
class _Repeat(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.hidden = nn.Dense(5, in_units=5, activation="tanh")
            self.out = nn.Dense(3, in_units=5)

    def forward(self, x, times):
        for _ in range(times):
            x = self.hidden(x)
        return self.out(x)


REPEATS = [1, 1, 1, 2, 2, 2, 1, 2, 1, 2, 1, 2]


def _dynamic_loop(capture):
    rs = np.random.RandomState(5)
    x, y = mx.nd.array(rs.rand(4, 5)), mx.nd.array(rs.randint(0, 3, 4))
    compiles = []
    with mx.engine.capture(capture):
        mx.random.seed(0)
        net = _Repeat()
        net.initialize(mx.init.Xavier())
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        losses = []
        for times in REPEATS:
            with autograd.record():
                compiles.append(_stats()["compiles"])  # the previous step has run
                loss = loss_fn(net(x, times), y)
            loss.backward()
            trainer.step(4)
            losses.append(loss)
        losses = np.stack([loss.asnumpy() for loss in losses])
        compiles.append(_stats()["compiles"])
        return losses, _params(net), compiles


def test_control_flow_on_step_structure_matches_eager_and_caches_per_structure():
    losses, final, compiles = _dynamic_loop(True)
    e_losses, e_final, _ = _dynamic_loop(False)
    _close(losses, e_losses, "per-step losses")
    _assert_same_params(final, e_final)
    # compiles[i]: compiles before step i ran; steps 0-2 apply the layer once, 3-5 twice
    assert compiles[3] == compiles[2], compiles  # step 2 reused step 1's structure
    assert compiles[4] > compiles[3], compiles   # step 3 (twice) is a new structure
    assert compiles[6] == compiles[5], compiles
    assert compiles[-1] == compiles[6], compiles  # both structures cached: no more compiles
    assert compiles[-1] <= 6, compiles


def _value_branch_loop(capture, threshold):
    rs = np.random.RandomState(6)
    xs = [mx.nd.array(rs.rand(4, 5) * (1 + i % 3)) for i in range(8)]
    y = mx.nd.array(rs.randint(0, 3, 4))
    with mx.engine.capture(capture):
        mx.random.seed(0)
        net = nn.Sequential()
        net.add(nn.Dense(6, activation="relu"), nn.Dense(3))
        net.initialize(mx.init.Xavier())
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        branches, losses = [], []
        for x in xs:
            with autograd.record():
                loss = loss_fn(net(x), y)
                big = loss.mean().asscalar() > threshold
                if big:
                    loss = loss * 0.5 + net(x * 0.5).sum(axis=1) * 0.01
            loss.backward()
            trainer.step(4)
            branches.append(bool(big))
            losses.append(loss)
        losses = np.stack([loss.asnumpy() for loss in losses])
        return losses, _params(net), branches, _stats()


def test_branch_on_asscalar_matches_eager():
    losses, final, branches, stats = _value_branch_loop(True, threshold=1.1)
    e_losses, e_final, e_branches, _ = _value_branch_loop(False, threshold=1.1)
    assert True in branches and False in branches, branches  # both paths were taken
    assert branches == e_branches
    _close(losses, e_losses, "per-step losses")
    _assert_same_params(final, e_final)
    assert stats["forced_total"] >= len(branches)
    assert stats["compiles"] < stats["runs"] / 2, stats


# ---- 5. mutation between steps ------------------------------------------------------------
def _mutation_loop(capture, hybridize, path):
    states = path + ".states"
    with mx.engine.capture(capture):
        loop = _Loop("W1-mlp-sgd-momentum", hybridize)
        net = loop.net
        losses = [loop.step()]
        net.save_parameters(path)
        losses.append(loop.step())
        net[0].weight.set_data(mx.nd.ones(net[0].weight.shape) * 0.1)
        losses.append(loop.step())           # 2: uses the value set
        net.load_parameters(path)
        losses.append(loop.step())           # 3: uses the weights saved after step 0
        net.initialize(mx.init.Xavier(), force_reinit=True)
        losses.append(loop.step())           # 4: uses fresh random weights
        net[1].weight.data()[:] = 0
        losses.append(loop.step())           # 5: the second layer's weight is zero
        after_zero = net[0].weight.grad().asnumpy()
        losses.append(loop.step())
        weight = net[0].weight.data()
        weight[0:2] = 0.5                    # a basic-index write
        row = weight[2]
        row[:] = -0.25                       # a write through a view
        weight += 0.01                       # in place
        losses.append(loop.step())           # 7
        loop.trainer.save_states(states)
        losses.append(loop.step())
        loop.trainer.load_states(states)     # momentum back to its value after step 7
        bias = net[1].bias.data()
        bias[:] = bias.copy() * 2
        losses.append(loop.step())           # 9
        losses = np.stack([loss.asnumpy() for loss in losses])
        return losses, _params(net), after_zero


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_mutation_between_steps_is_seen_by_the_next_step(hybridize, tmp_path):
    losses, final, after_zero = _mutation_loop(True, hybridize, str(tmp_path / "c.params"))
    e_losses, e_final, _ = _mutation_loop(False, hybridize, str(tmp_path / "e.params"))
    _close(losses, e_losses, "per-step losses")
    _assert_same_params(final, e_final)
    _close(losses[3], losses[1], "loss after load_parameters")
    # with the second layer zeroed, no gradient reaches the first layer
    np.testing.assert_array_equal(after_zero, np.zeros_like(after_zero))


# ---- 6. the recompile warning and MXJAX_CAPTURE=0 ---------------------------------------
BATCHES = (2, 3, 4, 5, 6, 7)
_SHAPE_CHANGE = r"captured step was compiled for \d+ different input shapes"


def _batches(step):
    """Run ``step(x, y, batch)`` for six batch sizes (data arriving from the host, as from
    a DataLoader); returns the step-capture recompile warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for batch in BATCHES:
            step(mx.nd.array(np.ones((batch, 5))), mx.nd.array(np.zeros((batch, 3))), batch)
        mx.nd.waitall()
    ours = [w for w in caught
            if issubclass(w.category, UserWarning) and "different input shapes" in str(w.message)]
    assert all(w.filename == __file__ for w in ours), [w.filename for w in ours]
    assert not any("MXJAX_CAPTURE" in str(w.message) for w in ours)  # advice that hurts
    return [str(w.message) for w in ours]


def test_changing_batch_size_warns_once_naming_the_shapes():
    w, b = mx.nd.ones((5, 3)) * 0.1, mx.nd.zeros((3,))
    for param in (w, b):
        param.attach_grad()

    def step(x, y, batch):
        with autograd.record():
            loss = ((mx.nd.dot(x, w) + b - y) ** 2).sum()
        loss.backward()
        for param in (w, b):
            param[:] = param - 0.1 * param.grad / batch

    ours = _batches(step)
    assert len(ours) == 1, ours
    assert "(6, 5) -> (7, 5)" in ours[0] or "(5, 5) -> (6, 5)" in ours[0], ours[0]
    assert "dot" in ours[0]
    # pytest.warns sees it too (a new structure: the loss is scaled)
    with pytest.warns(UserWarning, match=_SHAPE_CHANGE + r" \(input \d of dot: \(\d, 5\) ->"):
        for batch in BATCHES:
            x, y = mx.nd.array(np.ones((batch, 5))), mx.nd.array(np.zeros((batch, 3)))
            with autograd.record():
                loss = ((mx.nd.dot(x, w) + b - y) ** 2).sum() * 1.5
            loss.backward()
            for param in (w, b):
                param[:] = param - 0.1 * param.grad / batch
        mx.nd.waitall()


def test_changing_batch_size_warns_once_with_gluon_loss_and_trainer():
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=5))
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    loss_fn = gluon.loss.L2Loss()

    def step(x, y, batch):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(batch)

    ours = _batches(step)
    assert _stats()["compiles"] >= len(BATCHES), _stats()  # it did recompile per batch size
    assert len(ours) == 1, ours
    assert "(6, 5) -> (7, 5)" in ours[0] or "(5, 5) -> (6, 5)" in ours[0], ours[0]


_NO_CAPTURE_SCRIPT = """
import json
import mxjax as mx
from mxjax import autograd, gluon
net = gluon.nn.Dense(2, in_units=4)
net.initialize(mx.init.One())
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
x = mx.nd.ones((3, 4))
with autograd.record():
    inside = mx.engine.is_capturing()
    loss = (net(x) ** 2).sum()
    pending = type(loss._lazy).__name__
loss.backward()
trainer.step(3)
w = net.weight.data().asnumpy().tolist()
mx.nd.waitall()
print(json.dumps({"inside": inside, "pending": pending, "stats": mx.engine.compile_stats(),
                  "w": w}))
"""


def test_mxjax_capture_0_runs_op_by_op():
    env = dict(os.environ, MXJAX_CAPTURE="0")
    proc = subprocess.run([sys.executable, "-c", _NO_CAPTURE_SCRIPT], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["inside"] is False
    assert got["pending"] != "Pending"
    assert got["stats"]["runs"] == 0 and got["stats"]["compiles"] == 0, got["stats"]
    # the same step in this process (capture on) is captured and gives the same weights
    net = gluon.nn.Dense(2, in_units=4)
    net.initialize(mx.init.One())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        assert mx.engine.is_capturing()
        loss = (net(mx.nd.ones((3, 4))) ** 2).sum()
        assert type(loss._lazy).__name__ == "Pending"
    loss.backward()
    trainer.step(3)
    _close(net.weight.data().asnumpy(), np.array(got["w"]), "weight")
    assert _stats()["runs"] >= 1


# ---- 7. errors keep their place ---------------------------------------------------------
def test_shape_error_raises_at_the_operator_call():
    net = nn.Dense(3, in_units=5)
    net.initialize()
    hybrid = nn.HybridSequential()
    hybrid.add(nn.Dense(3, in_units=5))
    hybrid.initialize()
    hybrid.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        ok = net(mx.nd.ones((4, 5)))
        runs = _stats()["runs"]
        with pytest.raises(MXNetError, match="FullyConnected"):
            net(mx.nd.ones((4, 6)))
        with pytest.raises(MXNetError, match="dot"):
            mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((4, 2)))
        with pytest.raises(MXNetError, match="FullyConnected"):
            hybrid(mx.nd.ones((4, 6)))
        assert _stats()["runs"] == runs  # raised while capturing, nothing ran
        loss = ok.sum()
    # the step goes on after the errors
    loss.backward()
    trainer.step(4)
    np.testing.assert_allclose(net.bias.data().asnumpy(), np.full(3, -0.1), rtol=1e-6)


class _BadBackward(autograd.Function):
    def forward(self, x):
        return x * 2

    def backward(self, dy):
        raise ValueError("boom from backward")


class _Double(autograd.Function):
    def forward(self, x):
        return x * 2

    def backward(self, dy):
        return dy * 2


def test_custom_function_backward_error_raises_at_backward():
    x = mx.nd.ones((2, 3))
    x.attach_grad()
    with autograd.record():
        y = _BadBackward()(x)
        loss = (y * y).sum()
    with pytest.raises(ValueError, match="boom from backward"):
        loss.backward()
    # a working custom function, captured, gives the right gradient
    with autograd.record():
        loss = (_Double()(x) * 3).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 3), 6.0))


# ---- 8. a hybridized block is one node --------------------------------------------------
def _three_layers(hybridize):
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(8, activation="relu"), nn.Dense(3))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    return net, mx.nd.array(np.random.RandomState(7).rand(4, 5))


def _nodes_of(fn):
    mx.nd.waitall()
    before = _stats()["nodes"]
    fn()
    mx.nd.waitall()
    return _stats()["nodes"] - before


def test_hybridized_block_is_one_node_of_the_step():
    counts = {}
    for hybridize in (False, True):
        net, x = _three_layers(hybridize)
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
        loss_fn = gluon.loss.L2Loss()

        def forward(net=net, x=x):
            with autograd.record():
                net(x).asnumpy()

        def step(net=net, x=x, trainer=trainer, loss_fn=loss_fn):
            with autograd.record():
                loss = loss_fn(net(x), mx.nd.zeros((4, 3)))
            loss.backward()
            trainer.step(4)

        for _ in range(4):
            step()
        counts[hybridize] = (_nodes_of(forward), _nodes_of(step))
        if hybridize:
            assert net._cache_info()["compiles"] == 1, net._cache_info()
    assert counts[True][0] <= 2, counts     # the block and its random key
    assert counts[False][0] >= 5, counts    # three FullyConnected, two Activation
    # the rest of the step (loss, backward, update) is the same in both
    assert counts[False][1] - counts[True][1] == counts[False][0] - counts[True][0], counts


# ---- 7. evaluation loops outside record() ---------------------------------------------------
def _accuracy(net, batches):
    correct = 0.0
    for x, y in batches:
        correct += (net(x).argmax(axis=1) == y.astype("float32")).sum().asscalar()
    return correct


def test_a_repeating_evaluation_loop_is_captured_and_gives_the_eager_numbers():
    net = nn.Sequential()
    for _ in range(12):
        net.add(nn.Dense(6, in_units=6, activation="relu"))
    net.initialize(mx.init.Xavier())
    rs = np.random.RandomState(3)
    batches = [(mx.nd.array(rs.rand(4, 6)), mx.nd.array(rs.randint(0, 6, 4))) for _ in range(6)]
    with mx.engine.capture(False):
        expected = _accuracy(net, batches)
    before = _stats()
    assert _accuracy(net, batches) == expected
    after = _stats()
    # the first batches run op by op; once the body repeats, one program per batch
    assert after["forced_total"] - before["forced_total"] >= 3
    assert after["compiles"] - before["compiles"] <= 2


def test_a_short_repeated_expression_stays_op_by_op():
    with mx.engine.capture(False):  # whatever an earlier test left capturing ends
        x = mx.nd.ones((3,))
    before = _stats()
    for _ in range(5):
        (x * 2 + 1).asnumpy()
    assert not mx.engine.is_capturing()
    assert _stats()["runs"] == before["runs"]
