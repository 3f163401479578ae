"""``autograd.Function``: traced into the captured step as one node, on the host only
where its methods leave JAX (seed 001 allows both)."""

import numpy as np
import pytest

import mxjax as mx
from mxjax import _host, autograd, gluon
from mxjax.base import MXNetError
from mxjax.gluon import nn


class Sigmoid(autograd.Function):  # seed 001's stable sigmoid
    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class HostSigmoid(Sigmoid):
    """The same sigmoid with methods that leave JAX: forward makes the step run up to it
    and backward runs as a host callback, as every Function did before."""

    def forward(self, x):
        x.asnumpy()
        return super().forward(x)

    def backward(self, dy):
        dy.asnumpy()
        return super().backward(dy)


def _stats():
    stats = mx.engine.compile_stats()
    return np.array([stats["runs"], stats["forced_total"], stats["compiles"],
                     _host.callbacks_run()])


def _train(function_class, steps=6):
    """A small training step through ``function_class``; the per-step losses, the final
    weights and, per step, how many (runs, forced runs, compiles, host callbacks)."""
    rs = np.random.RandomState(0)
    net, out = nn.Dense(8, in_units=5), nn.Dense(1, in_units=8)
    for block in (net, out):
        block.initialize()
        block.weight.set_data(mx.nd.array(rs.uniform(-0.5, 0.5, block.weight.shape)))
    params = net.collect_params()
    params.update(out.collect_params())
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": 0.5})
    x, y = mx.nd.array(rs.rand(4, 5)), mx.nd.array(rs.rand(4, 1))
    loss_fn = gluon.loss.L2Loss()
    losses, stats = [], []
    with mx.engine.capture(True):
        for _ in range(steps):
            with autograd.record():
                stats.append(_stats())  # the previous step has run
                loss = loss_fn(out(function_class()(net(x))), y)
            loss.backward()
            trainer.step(4)
            losses.append(loss)
        with autograd.record():
            stats.append(_stats())
    weights = [p.data().asnumpy() for p in params.values()]
    return np.stack([loss.asnumpy() for loss in losses]), weights, np.diff(stats, axis=0)


def test_training_step_with_seed_001_sigmoid_is_one_xla_call_without_host_callback():
    losses, weights, per_step = _train(Sigmoid)
    runs, forced, compiles, callbacks = per_step[2:].T  # after warm-up
    assert (runs == 1).all(), per_step
    assert (forced == 0).all(), per_step
    assert (compiles == 0).all(), per_step
    assert (callbacks == 0).all(), per_step
    # The same numbers as the host path (the way every Function ran before).
    host_losses, host_weights, host_per_step = _train(HostSigmoid)
    assert (host_per_step[2:, 3] > 0).all(), host_per_step  # that one did use the host
    np.testing.assert_allclose(losses, host_losses, rtol=1e-6, atol=1e-7)
    for w, host_w in zip(weights, host_weights, strict=True):
        np.testing.assert_allclose(w, host_w, rtol=1e-6, atol=1e-7)
    assert losses[-1].mean() < losses[0].mean()


def _seed_001(function_class):
    """Seed 001's example, with a fixed seed: what it prints."""
    mx.random.seed(1)
    func = function_class()
    x = mx.nd.random.uniform(shape=(10,))
    x.attach_grad()
    with mx.autograd.record():
        m = func(x)
    m.backward()
    dx_grad = x.grad.asnumpy()
    s = 1 / (1 + np.exp(-x.asnumpy()))
    np.testing.assert_allclose(dx_grad, s * (1 - s), rtol=1e-5)
    return repr(dx_grad)


def test_seed_001_example_prints_the_same_traced_and_on_the_host():
    before = _host.callbacks_run()
    traced = _seed_001(Sigmoid)
    assert _host.callbacks_run() == before
    assert traced == _seed_001(HostSigmoid)
    assert traced.startswith("array([") and traced.endswith("dtype=float32)")


def test_example_script_runs_and_prints_the_gradient(capsys):
    import pathlib
    import runpy

    script = pathlib.Path(__file__).parent.parent / "examples" / "autograd_function.py"
    runpy.run_path(str(script), run_name="__main__")  # it asserts the gradient itself
    printed = capsys.readouterr().out
    assert printed.startswith("array([") and printed.rstrip().endswith("dtype=float32)")
    assert printed.count(",") == 10  # ten values and the dtype


def test_forward_and_backward_that_leave_jax_run_once_per_call():
    runs = []

    class NumpyScale(autograd.Function):
        def forward(self, x, s):
            runs.append("forward")
            return mx.nd.array(x.asnumpy() * s.asnumpy())

        def backward(self, dy):
            runs.append("backward")
            return mx.nd.array(dy.asnumpy() * 3), mx.nd.array(dy.asnumpy() * 0 + 1)

    x, s = mx.nd.array([1.0, 2.0, 3.0, 4.0]), mx.nd.array([3.0, 3.0, 3.0, 3.0])
    x.attach_grad()
    s.attach_grad()
    for _ in range(3):
        with autograd.record():
            y = NumpyScale()(x, s) * 2
        y.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), [6, 6, 6, 6])
        np.testing.assert_array_equal(s.grad.asnumpy(), [1, 1, 1, 1])
        np.testing.assert_array_equal(y.asnumpy(), [6, 12, 18, 24])
    # backward's first call tried a trace first; then the class is remembered
    assert runs == ["forward", "backward", "backward"] + ["forward", "backward"] * 2


def test_backward_that_leaves_jax_runs_as_host_callback_with_the_traced_forward():
    backward_runs = []

    class HostBackward(Sigmoid):
        def backward(self, dy):
            backward_runs.append(1)
            (y,) = self.saved_tensors
            return mx.nd.array(dy.asnumpy() * y.asnumpy() * (1 - y.asnumpy()))

    grads = {}
    for cls in (Sigmoid, HostBackward):
        x = mx.nd.array([-1.0, 0.0, 0.5, 2.0])
        x.attach_grad()
        for _ in range(2):
            before = _host.callbacks_run()
            with autograd.record():
                out = (cls()(x) * mx.nd.array([1.0, 2.0, 3.0, 4.0])).sum()
            out.backward()
            grads[cls] = x.grad.asnumpy()
            assert (_host.callbacks_run() > before) == (cls is HostBackward)
    np.testing.assert_allclose(grads[HostBackward], grads[Sigmoid], rtol=1e-6)
    assert len(backward_runs) == 3  # the first call tried a trace first


def test_saved_tensors_attributes_and_several_outputs():
    class PowMul(autograd.Function):
        def forward(self, x, y):
            self.x = x  # kept as an attribute, not with save_for_backward
            self.save_for_backward(y, "tag")
            return [x ** 3 * y, x + y]

        def backward(self, da, db):
            y, tag = self.saved_tensors
            assert tag == "tag"
            return da * 3 * self.x ** 2 * y + db, da * self.x ** 3 + db

    xv, yv = np.array([1.0, 2.0, -1.0]), np.array([0.5, -2.0, 3.0])
    x, y = mx.nd.array(xv), mx.nd.array(yv)
    x.attach_grad()
    y.attach_grad()
    before = _host.callbacks_run()
    func = PowMul()
    with autograd.record():
        outputs = func(x, y)
        assert isinstance(outputs, list)  # MXNet returns what forward returned
        a, b = outputs
        loss = (a * 2 + b).sum()
    loss.backward()
    assert _host.callbacks_run() == before
    np.testing.assert_allclose(a.asnumpy(), xv ** 3 * yv, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * 3 * xv ** 2 * yv + 1, rtol=1e-6)
    np.testing.assert_allclose(y.grad.asnumpy(), 2 * xv ** 3 + 1, rtol=1e-6)
    # after the call, what forward kept holds values, as in MXNet
    np.testing.assert_array_equal(func.saved_tensors[0].asnumpy(), yv.astype(np.float32))
    assert func.saved_tensors[1] == "tag"
    np.testing.assert_array_equal(func.x.asnumpy(), xv.astype(np.float32))


def test_saved_output_is_the_returned_array():
    func = Sigmoid()
    x = mx.nd.array([0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = func(x)
    assert func.saved_tensors[0] is y


def test_arrays_read_besides_the_arguments_are_taken_at_each_call():
    scale = mx.nd.array([2.0])

    class MulScale(autograd.Function):
        def forward(self, x):
            return x * scale

        def backward(self, dy):
            return dy * scale

    x = mx.nd.array([1.0, 1.0])
    x.attach_grad()
    for value in (2.0, 5.0, -1.0):
        scale[:] = value
        with autograd.record():
            y = MulScale()(x)
        y.backward()
        np.testing.assert_array_equal(y.asnumpy(), [value, value])
        np.testing.assert_array_equal(x.grad.asnumpy(), [value, value])


def test_instance_attributes_are_part_of_what_is_compiled():
    class Scale(autograd.Function):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def backward(self, dy):
            return dy * self.factor

    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    for factor in (2.0, 3.0):
        with autograd.record():
            y = Scale(factor)(x)
        y.backward()
        np.testing.assert_array_equal(y.asnumpy(), [factor, 2 * factor])
        np.testing.assert_array_equal(x.grad.asnumpy(), [factor, factor])


def test_random_operators_in_forward_draw_fresh_keys_at_each_call():
    class Noise(autograd.Function):
        def forward(self, x):
            return x + mx.nd.random.uniform(shape=x.shape)

        def backward(self, dy):
            return dy

    x = mx.nd.zeros((100,))
    x.attach_grad()
    values = []
    for _ in range(2):
        with autograd.record():
            y = Noise()(x)
        y.backward()
        values.append(y.asnumpy())
    assert not np.array_equal(values[0], values[1])
    np.testing.assert_array_equal(x.grad.asnumpy(), np.ones(100))


def test_a_print_in_backward_appears_when_backward_runs(capsys):
    class Loud(autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            print("backward ran")
            return dy * 2

    x = mx.nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = Loud()(x)
    assert capsys.readouterr().out == ""
    y.backward()
    assert capsys.readouterr().out == "backward ran\n"
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0])


def test_a_print_of_a_value_in_forward_shows_the_values(capsys):
    class Show(autograd.Function):
        def forward(self, x):
            print(x)
            return x * 1

        def backward(self, dy):
            return dy

    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        Show()(x)
    assert capsys.readouterr().out == "\n[1. 2.]\n<NDArray 2 @cpu(0)>\n"


class _WrongCount(autograd.Function):
    def forward(self, x, y):
        return x + y

    def backward(self, dz):
        return dz


class _WrongShape(autograd.Function):
    def forward(self, x):
        return x.sum()

    def backward(self, dz):
        return dz  # shape (1,), broadcast to x's shape as MXNet's igrad[:] = ret does


class _BadShape(autograd.Function):
    def forward(self, x):
        return x * 1

    def backward(self, dz):
        return mx.nd.ones((5,))


def _on_host(cls):
    class OnHost(cls):
        def backward(self, *grads):
            grads[0].asnumpy()
            return super().backward(*grads)

    OnHost.__name__ = cls.__name__
    return OnHost


@pytest.mark.parametrize("host", [False, True], ids=["traced", "host"])
def test_backward_results_are_checked_as_mxnet_checks_them(host):
    wrap = _on_host if host else (lambda cls: cls)
    x, y = mx.nd.array([1.0, 2.0, 3.0]), mx.nd.array([1.0, 1.0, 1.0])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        z = wrap(_WrongCount)()(x, y)
    with pytest.raises(MXNetError, match=r"_WrongCount.backward must return exactly the same "
                                         r"number .* Expecting 2 got 1"):
        z.backward()
    with autograd.record():
        z = wrap(_BadShape)()(x)
    with pytest.raises(MXNetError, match=r"_BadShape.backward returned a gradient of shape "
                                         r"\(5,\) for input 0 of forward, which has shape "
                                         r"\(3,\)"):
        z.backward()
    callbacks = _host.callbacks_run()
    with autograd.record():
        z = wrap(_WrongShape)()(x)
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 1.0, 1.0])
    assert (_host.callbacks_run() > callbacks) == host


def test_each_instance_can_be_called_once():
    func = Sigmoid()
    x = mx.nd.array([1.0])
    func(x)
    with pytest.raises(AssertionError, match="only be called once"):
        func(x)


def test_outside_record_forward_runs_and_nothing_is_recorded():
    x = mx.nd.array([0.0])
    x.attach_grad()
    y = Sigmoid()(x)
    np.testing.assert_array_equal(y.asnumpy(), [0.5])
    with pytest.raises(MXNetError, match="not in a computational graph"):
        y.backward()


def test_without_capture_the_function_is_traced_too():
    with mx.engine.capture(False):
        before = _host.callbacks_run()
        x = mx.nd.array([-1.0, 0.0, 2.0])
        x.attach_grad()
        with autograd.record():
            y = Sigmoid()(x)
        y.backward()
        s = 1 / (1 + np.exp(-x.asnumpy()))
        np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s), rtol=1e-6)
        assert _host.callbacks_run() == before


def test_backward_may_read_an_array_the_step_has_not_computed_yet():
    holder = {}

    class MulScale(autograd.Function):
        def forward(self, x):
            return x * holder["scale"]

        def backward(self, dy):
            return dy * holder["scale"]

    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    for value in (3.0, 4.0):
        with autograd.record():
            holder["scale"] = mx.nd.array([value]) * 1  # pending in the captured step
            y = MulScale()(x)
        y.backward()
        np.testing.assert_array_equal(y.asnumpy(), [value, 2 * value])
        np.testing.assert_array_equal(x.grad.asnumpy(), [value, value])
