"""``BucketingModule``, ``SequentialModule``, ``PythonLossModule`` and ``mx.mon.Monitor``
against MXNet 1.9.1 (the scenarios of tests/reference/generate_module_family.py run
here unchanged), then what goldens cannot show: sharing between buckets, MXNet's
warnings, the executor-group buffers buckets share."""

import json
import logging
import os
import warnings

import numpy as np
import pytest

import mxjax as mx
from tests.reference.generate_module_family import (
    BATCH,
    SCENARIOS,
    _bucket_batch,
    _params,
    bag_of_words,
)

GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")
with np.load(os.path.join(GOLDENS, "module_family.npz")) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(os.path.join(GOLDENS, "module_family.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)["scenarios"]


def _close(got, expected, key=""):
    if isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-4, abs=1e-6), key
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), (key, got, expected)
        for g, e in zip(got, expected):
            _close(g, e, key)
    elif isinstance(expected, dict):
        assert sorted(got) == sorted(expected), key
        for k in expected:
            _close(got[k], expected[k], k)
    else:
        assert got == expected, key


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_matches_mxnet(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mx.name.NameManager():
            arrays, meta = SCENARIOS[name](mx, str(tmp_path))
    expected = {k.split("/", 1)[1]: v for k, v in ARRAYS.items() if k.startswith(name + "/")}
    assert sorted(arrays) == sorted(expected)
    for key, value in expected.items():
        assert arrays[key].shape == value.shape, key
        np.testing.assert_allclose(arrays[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    _close(json.loads(json.dumps(meta)), EXPECTED[name])


# ---- bucketing ----------------------------------------------------------------------------
def _bucketing(default=5, **bind_kwargs):
    mod = mx.mod.BucketingModule(lambda k: bag_of_words(mx, k), default_bucket_key=default)
    mod.bind(data_shapes=[("data", (BATCH, default))],
             label_shapes=[("softmax_label", (BATCH,))], **bind_kwargs)
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in _params(mx, default).items()})
    return mod


def test_buckets_share_parameter_gradient_and_input_arrays():
    mod = _bucketing()
    mod.switch_bucket(3, [("data", (BATCH, 3))], [("softmax_label", (BATCH,))])
    default, small = (mod._buckets[k]._exec_group for k in (5, 3))
    for name in ("embed_weight", "hidden_weight", "out_bias"):
        assert small.execs[0].arg_dict[name] is default.execs[0].arg_dict[name]
        assert small.execs[0].grad_dict[name] is default.execs[0].grad_dict[name]
    # the smaller bucket's data is a view of the default bucket's buffer
    assert small.shared_data_arrays is default.shared_data_arrays
    small.execs[0].arg_dict["data"][:] = 3
    assert (default.execs[0].arg_dict["data"].asnumpy().ravel()[:BATCH * 3] == 3).all()


def test_an_update_through_one_bucket_is_seen_by_the_others():
    mod = _bucketing()
    mod.init_optimizer(optimizer_params={"learning_rate": 1.0})
    mod.forward(_bucket_batch(mx, 5, 0), is_train=False)
    before = mod.get_outputs()[0].asnumpy()
    mod.forward_backward(_bucket_batch(mx, 3, 1))
    mod.update()
    assert mod._curr_module is mod._buckets[3]
    assert mod._buckets[3]._optimizer is mod._buckets[5]._optimizer
    mod.forward(_bucket_batch(mx, 5, 0), is_train=False)
    assert not np.allclose(mod.get_outputs()[0].asnumpy(), before)


def test_bind_twice_warns_and_keeps_the_buckets(caplog):
    mod = _bucketing()
    mod.switch_bucket(3, [("data", (BATCH, 3))], [("softmax_label", (BATCH,))])
    with caplog.at_level(logging.WARNING):
        mod.bind(data_shapes=[("data", (BATCH, 5))])
    assert "Already bound, ignoring bind()" in caplog.text
    assert sorted(mod._buckets) == [3, 5]
    values = mod.get_params()[0]["hidden_weight"].asnumpy()
    mod.bind(data_shapes=[("data", (BATCH, 5))], label_shapes=[("softmax_label", (BATCH,))],
             force_rebind=True, for_training=False)
    assert sorted(mod._buckets) == [5]  # rebinding drops the other buckets, not the values
    np.testing.assert_array_equal(mod.get_params()[0]["hidden_weight"].asnumpy(), values)


def test_init_optimizer_twice_warns(caplog):
    mod = _bucketing()
    mod.init_optimizer()
    with caplog.at_level(logging.WARNING):
        mod.init_optimizer()
    assert "optimizer already initialized, ignoring." in caplog.text


def test_bucketing_rejects_a_shared_module():
    mod = mx.mod.BucketingModule(lambda k: bag_of_words(mx, k), default_bucket_key=5)
    with pytest.raises(AssertionError, match="shared_module for BucketingModule"):
        mod.bind(data_shapes=[("data", (BATCH, 5))], shared_module=_bucketing())


def test_data_names_before_binding_come_from_the_default_bucket():
    mod = mx.mod.BucketingModule(lambda k: bag_of_words(mx, k), default_bucket_key=5)
    assert mod.data_names == ("data",)
    assert mod.output_names == ["softmax_output"]


# ---- sequential and python modules -----------------------------------------------------------
def _chain():
    net1 = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=6, name="fc1")
    net2 = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3,
                                                      name="fc2"), name="softmax")
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(net1, label_names=None))
    seq.add(mx.mod.Module(net2), take_labels=True, auto_wiring=True)
    return seq


def test_sequential_input_grads_reach_the_first_module():
    seq = _chain()
    seq.bind(data_shapes=[("data", (2, 4))], label_shapes=[("softmax_label", (2,))],
             inputs_need_grad=True)
    seq.init_params(initializer=mx.init.Uniform(0.5))
    seq.forward_backward(mx.io.DataBatch([mx.nd.ones((2, 4))], [mx.nd.zeros((2,))]))
    grad = seq.get_input_grads()[0]
    assert grad.shape == (2, 4) and np.abs(grad.asnumpy()).sum() > 0
    np.testing.assert_array_equal(grad.asnumpy(), seq._modules[0].get_input_grads()[0].asnumpy())


def test_sequential_checks_meta_keys_and_duplicate_names():
    seq = mx.mod.SequentialModule()
    with pytest.raises(AssertionError, match='Unknown meta "take_label"'):
        seq.add(mx.mod.Module(mx.sym.var("data") * 2, label_names=None), take_label=True)
    same = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc")
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(same, label_names=None))
    seq.add(mx.mod.Module(same, label_names=None), auto_wiring=True)
    seq.bind(data_shapes=[("data", (2, 4))])
    with pytest.raises(AssertionError, match='Duplicated parameter names: name "fc_weight"'):
        seq.init_params()


def test_python_loss_module_without_grad_func():
    loss = mx.mod.PythonLossModule()
    loss.bind(data_shapes=[("data", (2, 3))], label_shapes=[("softmax_label", (2,))])
    assert loss.output_shapes == [("pyloss_output", (2, 3))]
    loss.forward(mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2,))]))
    with pytest.raises(NotImplementedError):
        loss.backward()
    with pytest.raises(AssertionError, match="out_grads should be None"):
        loss.backward([mx.nd.ones((2, 3))])


# ---- monitor --------------------------------------------------------------------------------
def test_monitor_logs_every_interval(caplog):
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    mod = mx.mod.Module(sym, label_names=None)
    mod.bind(data_shapes=[("data", (1, 3))], for_training=False)
    mod.init_params(initializer=mx.init.One())
    mon = mx.mon.Monitor(2, pattern="fc_output|fc_weight")
    mod.install_monitor(mon)
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            mon.tic()
            mod.forward(mx.io.DataBatch([mx.nd.ones((1, 3))]), is_train=False)
            mon.toc_print()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Batch:")]
    # batches 1 and 3; norm(x)/sqrt(size): outputs are all 3.0 (1 + 1 + 1, bias 0)
    assert lines == [f"Batch: {b:7d} {n:30s} {v}\t" for b in (1, 3)
                     for n, v in (("fc_output", "3.0"), ("fc_weight", "1.0"))]
