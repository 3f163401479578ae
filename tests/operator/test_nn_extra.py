"""Neural-network operator behaviour the goldens cannot express: channel-last layouts,
parameter-shape inference, randomness (Dropout, rrelu), BatchNorm's running statistics,
CTCLoss against brute force, the output layers' head-gradient-free backward, and error
messages. Formulas were checked against MXNet 1.9.1."""

import itertools

import numpy as np
import pytest
from jax import monitoring

import mxjax as mx
from mxjax import autograd
from mxjax.operator import infer_param_shapes

_traces = []
monitoring.register_event_duration_secs_listener(
    lambda event, _secs, **_kw: _traces.append(event)
    if event == "/jax/core/compile/jaxpr_trace_duration" else None)

rng = np.random.default_rng(0)


def _nd(a):
    return mx.nd.array(np.asarray(a, np.float32))


def _value_and_grads(fn, arrays, head):
    nds = [_nd(a) for a in arrays]
    for x in nds:
        x.attach_grad()
    with autograd.record():
        out = fn(*nds)
    out.backward(_nd(head))
    return out.asnumpy(), [x.grad.asnumpy() for x in nds]


def _to_last(a):
    return np.moveaxis(a, 1, -1)


@pytest.mark.parametrize("op, nd, kw", [
    ("Convolution", 1, dict(kernel=(3,), num_filter=4, stride=(2,), pad=(1,), num_group=2)),
    ("Convolution", 2, dict(kernel=(3, 2), num_filter=4, dilate=(2, 1), no_bias=True)),
    ("Convolution", 3, dict(kernel=(2, 2, 2), num_filter=2, no_bias=True)),
    ("Deconvolution", 2, dict(kernel=(3, 3), num_filter=4, stride=(2, 2), adj=(1, 1),
                              pad=(1, 1), num_group=2)),
])
def test_channel_last_convolution_is_transposed_channel_first(op, nd, kw):
    shape = (2, 4) + (5,) * nd
    first = "NC" + "DHW"[3 - nd:]
    last = "N" + "DHW"[3 - nd:] + "C"
    shapes = infer_param_shapes(op, dict(data=shape, weight=None, bias=None), kw)
    x, w = rng.standard_normal(shape), rng.standard_normal(shapes["weight"])
    arrays = [x, w] + ([] if kw.get("no_bias", op == "Deconvolution") else
                       [rng.standard_normal(shapes["bias"])])
    fn = getattr(mx.nd, op)
    out_first = fn(*[_nd(a) for a in arrays], layout=first, **kw).asnumpy()
    head = rng.standard_normal(out_first.shape)
    ref, ref_grads = _value_and_grads(lambda *a: fn(*a, layout=first, **kw), arrays, head)
    last_arrays = [_to_last(x), _to_last(w)] + arrays[2:]
    out, grads = _value_and_grads(lambda *a: fn(*a, layout=last, **kw), last_arrays,
                                  _to_last(head))
    np.testing.assert_allclose(out, _to_last(ref), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grads[0], _to_last(ref_grads[0]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grads[1], _to_last(ref_grads[1]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pool_type", ["max", "avg"])
def test_channel_last_pooling_is_transposed_channel_first(pool_type):
    x = rng.standard_normal((2, 3, 5, 6))
    kw = dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), pool_type=pool_type,
              pooling_convention="full")
    ref = mx.nd.Pooling(_nd(x), **kw).asnumpy()
    out = mx.nd.Pooling(_nd(_to_last(x)), layout="NHWC", **kw).asnumpy()
    np.testing.assert_allclose(out, _to_last(ref), rtol=1e-6)


def test_parameter_shapes_are_inferred_from_the_data():
    def infer(op, attrs, data, *names):
        return {k: v for k, v in infer_param_shapes(
            op, dict(data=data, **dict.fromkeys(names)), attrs).items() if k != "data"}

    assert infer("FullyConnected", dict(num_hidden=5), (2, 3, 4), "weight", "bias") == \
        {"weight": (5, 12), "bias": (5,)}
    assert infer("FullyConnected", dict(num_hidden=5, flatten=False, no_bias=True),
                 (2, 3, 4), "weight", "bias") == {"weight": (5, 4), "bias": None}
    assert infer("Convolution", dict(kernel=(3, 3), num_filter=4, num_group=2),
                 (2, 6, 8, 8), "weight", "bias") == {"weight": (4, 3, 3, 3), "bias": (4,)}
    assert infer("Convolution", dict(kernel=(3,), num_filter=4, layout="NWC"), (2, 8, 6),
                 "weight", "bias") == {"weight": (4, 3, 6), "bias": (4,)}
    assert infer("Deconvolution", dict(kernel=(3, 3), num_filter=4, num_group=2),
                 (2, 6, 8, 8), "weight", "bias") == {"weight": (6, 2, 3, 3), "bias": None}
    assert infer("BatchNorm", dict(axis=-1), (2, 6, 8), "gamma", "moving_var") == \
        {"gamma": (8,), "moving_var": (8,)}
    assert infer("GroupNorm", dict(num_groups=3), (2, 6, 8), "gamma", "beta") == \
        {"gamma": (3,), "beta": (3,)}
    assert infer("Embedding", dict(input_dim=10, output_dim=3), (2, 6), "weight") == \
        {"weight": (10, 3)}
    assert infer("LeakyReLU", dict(act_type="prelu"), (2, 6, 3), "gamma") == {"gamma": (6,)}


def test_dropout_drops_and_rescales_only_when_training():
    x = mx.nd.ones((200, 50))
    assert np.array_equal(mx.nd.Dropout(x, p=0.3).asnumpy(), x.asnumpy())
    with autograd.train_mode():
        y = mx.nd.Dropout(x, p=0.3).asnumpy()
        y_axes = mx.nd.Dropout(x, p=0.3, axes=(1,)).asnumpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.03
    assert np.all(y_axes == y_axes[:, :1])  # one draw per row, shared along axis 1
    always = mx.nd.Dropout(x, p=0.3, mode="always").asnumpy()
    assert 0 < (always == 0).mean() < 1


def test_dropout_gradient_is_the_mask():
    x = mx.nd.ones((30, 40))
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Dropout(x, p=0.5)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), y.asnumpy())


def test_rrelu_draws_slopes_between_the_bounds_in_training():
    x = mx.nd.array(-np.ones((100,)))
    with autograd.train_mode():
        out, slopes = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.2, upper_bound=0.4)
    s = slopes.asnumpy()
    assert s.min() >= 0.2 and s.max() <= 0.4 and s.std() > 0.01
    np.testing.assert_allclose(out.asnumpy(), -s)
    out, _ = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.2, upper_bound=0.4)
    np.testing.assert_allclose(out.asnumpy(), -0.3)


def _bn_inputs(c=3):
    return ([_nd(rng.standard_normal((4, c, 5))), mx.nd.ones((c,)), mx.nd.zeros((c,)),
             mx.nd.zeros((c,)), mx.nd.ones((c,))])


def test_batchnorm_updates_running_stats_in_backward_only():
    x, gamma, beta, mean, var = _bn_inputs()
    x.attach_grad()
    with autograd.record():
        y = mx.nd.BatchNorm(x, gamma, beta, mean, var, momentum=0.8)
    assert np.array_equal(mean.asnumpy(), np.zeros(3))  # forward left them alone
    y.backward()
    xs = x.asnumpy()
    np.testing.assert_allclose(mean.asnumpy(), 0.2 * xs.mean((0, 2)), rtol=1e-5)
    np.testing.assert_allclose(var.asnumpy(), 0.8 + 0.2 * xs.var((0, 2)), rtol=1e-5)
    with autograd.train_mode():  # training without recording updates nothing
        mx.nd.BatchNorm(x, gamma, beta, mean, var, momentum=0.8)
    np.testing.assert_allclose(mean.asnumpy(), 0.2 * xs.mean((0, 2)), rtol=1e-5)


def test_batchnorm_training_steps_do_not_retrace():
    x, gamma, beta, mean, var = _bn_inputs(4)
    x.attach_grad()
    for step in range(4):
        with autograd.record():
            y = mx.nd.BatchNorm(x, gamma, beta, mean, var)
        y.backward()
        mx.nd.waitall()  # a captured step compiles when it runs
        if step == 1:
            traced = len(_traces)
    assert len(_traces) == traced


def _ctc_brute_force(logits, label, blank):
    """-log of the summed probability of every alignment that collapses to ``label``."""
    steps, classes = logits.shape
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [c for i, c in enumerate(path) if c != blank and
                     (i == 0 or c != path[i - 1])]
        if collapsed == list(label):
            total += np.prod([p[t, c] for t, c in enumerate(path)])
    return -np.log(total)


@pytest.mark.parametrize("blank_label", ["first", "last"])
def test_ctc_loss_matches_brute_force(blank_label):
    steps, classes = 4, 3
    logits = rng.standard_normal((steps, 3, classes))
    blank, pad = (0, 0) if blank_label == "first" else (classes - 1, -1)
    tokens = [c for c in range(classes) if c != blank]
    labels = [[tokens[0], tokens[1]], [tokens[1], tokens[1]], [tokens[0]]]
    padded = np.array([lab + [pad] * (2 - len(lab)) for lab in labels])
    loss = mx.nd.CTCLoss(_nd(logits), _nd(padded), blank_label=blank_label).asnumpy()
    expected = [_ctc_brute_force(logits[:, n], labels[n], blank) for n in range(3)]
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    lengths = mx.nd.contrib.ctc_loss(_nd(logits), _nd(padded), _nd([3, 4, 2]),
                                     use_data_lengths=True, blank_label=blank_label)
    short = _ctc_brute_force(logits[:3, 0], labels[0], blank)
    np.testing.assert_allclose(lengths.asnumpy()[0], short, rtol=1e-5)


@pytest.mark.parametrize("op, expected", [
    ("LinearRegressionOutput", lambda x, y: (x - y)),
    ("MAERegressionOutput", lambda x, y: np.where(x - y > 0, 1.0, -1.0)),
    ("LogisticRegressionOutput", lambda x, y: 1 / (1 + np.exp(-x)) - y),
])
def test_regression_outputs_ignore_the_head_gradient(op, expected):
    x, label = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    out, (grad, label_grad) = _value_and_grads(
        lambda a, b: getattr(mx.nd, op)(a, b, grad_scale=0.6), [x, label],
        rng.standard_normal((4, 3)))
    np.testing.assert_allclose(grad, expected(x, label) * 0.6 / 3, rtol=1e-5, atol=1e-6)
    assert not label_grad.any()


def test_l2_normalization_and_lrn_formulas():
    x = rng.standard_normal((2, 4, 3))
    inst = mx.nd.L2Normalization(_nd(x)).asnumpy()
    np.testing.assert_allclose(inst, x / np.sqrt((x ** 2).sum((1, 2), keepdims=True) + 1e-10),
                               rtol=1e-5)
    chan = mx.nd.L2Normalization(_nd(x), mode="channel").asnumpy()
    np.testing.assert_allclose(chan, x / np.sqrt((x ** 2).sum(1, keepdims=True) + 1e-10),
                               rtol=1e-5)
    sq = np.pad(x ** 2, ((0, 0), (1, 1), (0, 0)))
    window = sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:]
    lrn = mx.nd.LRN(_nd(x), nsize=3, alpha=0.3, beta=0.6, knorm=1.5).asnumpy()
    np.testing.assert_allclose(lrn, x * (1.5 + 0.1 * window) ** -0.6, rtol=1e-5)


@pytest.mark.parametrize("call, words", [
    (lambda: mx.nd.Convolution(mx.nd.ones((1, 3, 5, 5)), mx.nd.ones((2, 2, 3, 3)),
                               kernel=(3, 3), num_filter=2, no_bias=True),
     ["Convolution", "weight", "(2, 2, 3, 3)", "(2, 3, 3, 3)"]),
    (lambda: mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((2, 4)), mx.nd.ones((2,)),
                                  num_hidden=2), ["FullyConnected", "weight", "(2, 3)"]),
    (lambda: mx.nd.Pooling(mx.nd.ones((1, 1, 2, 2)), kernel=(3, 3)), ["Pooling", "kernel"]),
    (lambda: mx.nd.Activation(mx.nd.ones((2,)), act_type="gelu"), ["Activation", "gelu"]),
    (lambda: mx.nd.BatchNorm(*[mx.nd.ones(s) for s in ((2, 3), (4,), (3,), (3,), (3,))]),
     ["BatchNorm", "gamma", "(4,)"]),
])
def test_errors_name_the_operator_argument_and_shapes(call, words):
    with pytest.raises(mx.MXNetError) as info:
        call()
    for word in words:
        assert word in str(info.value)
