"""``mx.mod.Module``, ``mx.model`` and ``mx.callback`` against MXNet 1.9.1.

The scenarios of ``tests/reference/generate_module.py`` run here unchanged on mxjax:
training steps (SGD with momentum and weight decay, Adam with BatchNorm and a fixed
parameter, ``grad_req='add'``, two contexts), input gradients, reshaping, ``fit`` /
``score`` / ``predict`` with callbacks, ``init_params``' rule dispatch and a checkpoint
MXNet saved; their numbers must equal MXNet's. The rest checks what goldens cannot show.
"""

import json
import logging
import os
import warnings

import numpy as np
import pytest

import mxjax as mx
from mxjax.executor import Executor
from tests.reference.generate_module import SCENARIOS, mlp, param_values

GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")
with np.load(os.path.join(GOLDENS, "module.npz")) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(os.path.join(GOLDENS, "module.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)["scenarios"]


def _close(got, expected):
    if isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-5, abs=1e-6)
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), (got, expected)
        for g, e in zip(got, expected):
            _close(g, e)
    elif isinstance(expected, dict):
        assert sorted(got) == sorted(expected)
        for k in expected:
            _close(got[k], expected[k])
    else:
        assert got == expected


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


# ---- set-up -------------------------------------------------------------------------------
def _bound(grad_req="write", batch=4, **kwargs):
    sym = mlp(mx)
    mod = mx.mod.Module(sym, **kwargs)
    mod.bind(data_shapes=[("data", (batch, 5))], label_shapes=[("softmax_label", (batch,))],
             grad_req=grad_req)
    return mod


def _values(mod):
    return {k: v.asnumpy() for k, v in mod.get_params()[0].items()}


def test_module_runs_on_executors_and_updater():
    mod = _bound()
    mod.init_params()
    mod.init_optimizer()
    group = mod._exec_group
    assert all(isinstance(e, Executor) for e in group.execs)
    assert isinstance(mod._updater, mx.optimizer.Updater)
    # the group's parameter arrays are the executor's own: an update reaches the executor
    before = group.execs[0].arg_dict["fc1_weight"].asnumpy()
    mod.forward_backward(mx.io.DataBatch([mx.nd.ones((4, 5))], [mx.nd.zeros((4,))]))
    mod.update()
    assert group.param_arrays[0][0] is group.execs[0].arg_dict["fc1_weight"]
    assert not np.array_equal(before, group.execs[0].arg_dict["fc1_weight"].asnumpy())


def test_optimizer_gets_batch_size_and_names():
    mod = _bound(batch=8)
    mod.init_params()
    mod.init_optimizer(optimizer="sgd", optimizer_params={"wd": 0.1})
    opt = mod._optimizer
    assert opt.rescale_grad == pytest.approx(1 / 8)
    assert sorted(opt.idx2name.values()) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"]
    assert opt.wd_mult == {"fc1_bias": 0.0, "fc2_bias": 0.0}
    with pytest.warns(UserWarning, match="rescale_grad"):
        mod.init_optimizer(optimizer=mx.optimizer.SGD(), force_init=True)


def test_two_contexts_split_the_batch():
    mod = _bound(batch=6, context=[mx.cpu(0), mx.cpu(1)])
    group = mod._exec_group
    assert [s for s in group.slices] == [slice(0, 3), slice(3, 6)]
    assert [e.arg_dict["data"].shape for e in group.execs] == [(3, 5), (3, 5)]
    assert mod.output_shapes == [("softmax_output", (6, 3))]
    mod.init_params()
    mod.forward(mx.io.DataBatch([mx.nd.ones((6, 5))], [mx.nd.zeros((6,))]), is_train=False)
    assert mod.get_outputs()[0].shape == (6, 3)
    assert [o.shape for o in mod.get_outputs(merge_multi_context=False)[0]] == [(3, 3), (3, 3)]
    with pytest.raises(ValueError, match="Too many slices"):
        _bound(batch=1, context=[mx.cpu(0), mx.cpu(1)])


def test_init_params_rules():
    mod = _bound()
    with pytest.raises(AssertionError, match="call bind"):
        mx.mod.Module(mlp(mx)).init_params()
    args, _ = param_values(mod.symbol, "rules", data=(4, 5))
    partial = {k: mx.nd.array(v) for k, v in args.items() if k != "fc2_bias"}
    with pytest.raises(RuntimeError, match="fc2_bias is not presented"):
        mod.init_params(arg_params=partial)
    mod.init_params(initializer=mx.init.Constant(0.5), arg_params=partial, allow_missing=True)
    got = _values(mod)
    np.testing.assert_array_equal(got["fc1_weight"], args["fc1_weight"])
    np.testing.assert_array_equal(got["fc2_bias"], np.zeros(3, np.float32))  # suffix rule
    with pytest.warns(UserWarning, match="already initialized"):
        mod.init_params()
    extra = dict(partial, fc2_bias=mx.nd.ones((3,)), other=mx.nd.ones((2,)))
    mod.set_params(extra, {}, allow_extra=True)
    np.testing.assert_array_equal(_values(mod)["fc2_bias"], np.ones(3, np.float32))
    with pytest.raises(ValueError, match="other"):
        mod.set_params(extra, {}, allow_missing=True)


def test_set_params_allow_missing_keeps_other_values():
    mod = _bound()
    mod.init_params(initializer=mx.init.Constant(0.25))
    mod.set_params({"fc2_bias": mx.nd.full((3,), 7.0)}, {}, allow_missing=True)
    got = _values(mod)
    np.testing.assert_array_equal(got["fc2_bias"], np.full(3, 7.0, np.float32))
    np.testing.assert_array_equal(got["fc1_weight"], np.full((8, 5), 0.25, np.float32))


def test_names_are_checked():
    with pytest.raises(ValueError, match="input with name 'x' is not found"):
        mx.mod.Module(mlp(mx), data_names=("x",))
    with pytest.warns(UserWarning, match="'lbl' is not found"):
        mx.mod.Module(mlp(mx), label_names=("lbl",))
    mod = mx.mod.Module(mlp(mx))
    with pytest.raises(ValueError, match="don't match names"):
        mod.bind(data_shapes=[("x", (4, 5))])


def test_bind_twice_and_force_rebind(caplog):
    mod = _bound()
    with caplog.at_level(logging.WARNING):
        mod.bind(data_shapes=[("data", (4, 5))])
    assert "Already bound" in caplog.text
    mod.init_params(initializer=mx.init.Constant(0.1))
    mod.bind(data_shapes=[("data", (2, 5))], label_shapes=[("softmax_label", (2,))],
             force_rebind=True)
    assert mod.data_shapes[0].shape == (2, 5)
    np.testing.assert_array_equal(mod._exec_group.execs[0].arg_dict["fc1_weight"].asnumpy(),
                                  np.full((8, 5), 0.1, np.float32))


def test_for_training_false_has_no_gradients():
    mod = mx.mod.Module(mlp(mx))
    mod.bind(data_shapes=[("data", (4, 5))], for_training=False)
    mod.init_params()
    assert mod._exec_group.grad_arrays is None
    mod.forward(mx.io.DataBatch([mx.nd.ones((4, 5))]))
    with pytest.raises(AssertionError, match="for_training=True"):
        mod.backward()


def test_shared_module_shares_parameters():
    mod = _bound(batch=4)
    mod.init_params(initializer=mx.init.Uniform(0.5))
    mod.init_optimizer()
    before = mod.get_params()[0]["fc1_weight"].asnumpy()
    small = mx.mod.Module(mlp(mx))
    small.bind(data_shapes=[("data", (2, 5))], label_shapes=[("softmax_label", (2,))],
               shared_module=mod)
    assert small.params_initialized and small.optimizer_initialized
    assert small._exec_group.execs[0].arg_dict["fc1_weight"] is \
        mod._exec_group.execs[0].arg_dict["fc1_weight"]
    small.forward_backward(mx.io.DataBatch([mx.nd.ones((2, 5))], [mx.nd.zeros((2,))]))
    small.update()
    assert not np.allclose(mod._exec_group.execs[0].arg_dict["fc1_weight"].asnumpy(), before)


def test_predict_numpy_and_save_load_params(tmp_path):
    mod = mx.mod.Module(mlp(mx))
    mod.bind(data_shapes=[("data", (4, 5))], for_training=False)
    mod.init_params(initializer=mx.init.Uniform(0.5))
    x = np.random.RandomState(0).uniform(-1, 1, (4, 5)).astype(np.float32)
    out = mod.predict(x)
    assert out.shape == (4, 3)
    fname = str(tmp_path / "p.params")
    mod.save_params(fname)
    saved = mx.nd.load(fname)
    assert sorted(saved) == ["arg:fc1_bias", "arg:fc1_weight", "arg:fc2_bias", "arg:fc2_weight"]
    other = mx.mod.Module(mlp(mx))
    other.bind(data_shapes=[("data", (4, 5))], for_training=False)
    other.load_params(fname)
    np.testing.assert_allclose(other.predict(x).asnumpy(), out.asnumpy(), rtol=1e-6)
    mx.nd.save(fname, {"bad:fc1_bias": mx.nd.zeros((8,))})
    with pytest.raises(ValueError, match="Invalid param file"):
        other.load_params(fname)


def test_optimizer_states_round_trip(tmp_path):
    mod = _bound()
    mod.init_params(initializer=mx.init.Constant(0.1))
    mod.init_optimizer(optimizer="adam")
    mod.forward_backward(mx.io.DataBatch([mx.nd.ones((4, 5))], [mx.nd.zeros((4,))]))
    mod.update()
    prefix = str(tmp_path / "m")
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    assert sorted(os.listdir(tmp_path)) == ["m-0001.params", "m-0001.states", "m-symbol.json"]
    again = mx.mod.Module.load(prefix, 1, load_optimizer_states=True)
    again.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])
    again.init_optimizer(optimizer="adam")
    assert sorted(again._updater.states) == sorted(mod._updater.states)
    for key, (mean, var) in mod._updater.states.items():
        np.testing.assert_array_equal(again._updater.states[key][0].asnumpy(), mean.asnumpy())
        np.testing.assert_array_equal(again._updater.states[key][1].asnumpy(), var.asnumpy())


@pytest.mark.parametrize("kvstore", ["dist_sync", "store_object"])
def test_a_store_in_one_process_updates_as_no_store(kvstore):
    """A 'dist_sync' store with one worker, or a KVStore object, runs the optimizer on the
    store (by parameter name) with the numbers of a Module without a store."""
    results = []
    for store in (None, mx.kv.create("local") if kvstore == "store_object" else kvstore):
        mx.random.seed(0)
        mod = _bound()
        mod.init_params(initializer=mx.init.Uniform())
        mod.init_optimizer(kvstore=store, optimizer="sgd",
                           optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
        for _ in range(2):
            mod.forward_backward(mx.io.DataBatch([mx.nd.ones((4, 5))], [mx.nd.zeros((4,))]))
            mod.update()
        results.append(_values(mod))
    assert mod._update_on_kvstore and mod._kvstore is not None
    for name in results[0]:
        np.testing.assert_allclose(results[1][name], results[0][name], rtol=1e-6, atol=1e-7)


def test_group2ctxs_places_each_group_on_its_context():
    with mx.AttrScope(ctx_group="dev1"):
        a = mx.sym.var("a") * 2
    with mx.AttrScope(ctx_group="dev2"):
        c = a + mx.sym.var("b")
    mod = mx.mod.Module(c, context=[mx.cpu(0), mx.cpu(1)], data_names=["a", "b"],
                        label_names=None, group2ctxs={"dev1": mx.cpu(2), "dev2": [mx.cpu(3)]})
    mod.bind(data_shapes=[("a", (2, 5)), ("b", (2, 5))], inputs_need_grad=True)
    mod.init_params()
    mod.forward(mx.io.DataBatch([mx.nd.ones((2, 5)), mx.nd.ones((2, 5))]), is_train=True)
    mod.backward([mx.nd.ones((2, 5))])
    exe = mod._exec_group.execs[1]
    assert (exe.arg_dict["a"].context, exe.grad_dict["b"].context) == (mx.cpu(2), mx.cpu(3))
    grad_a, grad_b = mod.get_input_grads()
    assert (grad_a.context, grad_b.context) == (mx.cpu(2), mx.cpu(3))
    np.testing.assert_array_equal(grad_a.asnumpy(), np.full((2, 5), 2.0))
    np.testing.assert_array_equal(grad_b.asnumpy(), np.ones((2, 5)))
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(), np.full((2, 5), 3.0))


def test_install_monitor_reaches_the_executors():
    seen = []

    class Recorder:
        def install(self, exe):
            exe.set_monitor_callback(lambda name, arr: seen.append(name))

    mod = mx.mod.Module(mlp(mx))
    mod.bind(data_shapes=[("data", (4, 5))], for_training=False)
    mod.init_params()
    mod.install_monitor(Recorder())
    mod.forward(mx.io.DataBatch([mx.nd.ones((4, 5))]))
    assert "fc1_output" in seen and "softmax_output" in seen


# ---- mx.model and mx.callback --------------------------------------------------------------
def test_load_checkpoint_of_mxnet_files():
    prefix = os.path.join(os.path.dirname(__file__), "reference", "fixtures", "module_mlp")
    sym, args, aux = mx.model.load_checkpoint(prefix, 2)
    assert sym.list_arguments() == ["data", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias",
                                    "softmax_label"]
    assert sorted(args) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"] and aux == {}
    assert mx.model.load_params(prefix, 2)[0].keys() == args.keys()


def test_checkpoint_callbacks(tmp_path):
    sym = mlp(mx)
    args = {k: mx.nd.array(v) for k, v in param_values(sym, "cb", data=(4, 5))[0].items()}
    save = mx.callback.do_checkpoint(str(tmp_path / "cb"), period=2)
    for epoch in range(4):
        save(epoch, sym, args, {})
    assert sorted(os.listdir(tmp_path)) == ["cb-0002.params", "cb-0004.params", "cb-symbol.json"]
    mod = _bound()
    mod.init_params()
    mx.callback.module_checkpoint(mod, str(tmp_path / "mc"))(0)
    assert os.path.exists(tmp_path / "mc-0001.params")


def test_logging_callbacks(caplog):
    metric = mx.metric.create("acc")
    metric.update([mx.nd.array([0, 1])], [mx.nd.array([[0.9, 0.1], [0.2, 0.8]])])
    param = mx.model.BatchEndParam(epoch=1, nbatch=4, eval_metric=metric, locals=None)
    with caplog.at_level(logging.INFO):
        mx.callback.log_train_metric(2)(param)
        mx.callback.ProgressBar(8, length=4)(param)
        mx.callback.LogValidationMetricsCallback()(param)
        speed = mx.callback.Speedometer(batch_size=2, frequent=2)
        speed(param._replace(nbatch=2))
        speed(param)
    text = caplog.text
    assert "Iter[1] Batch[4] Train-accuracy=1.000000" in text
    assert "[==--] 50%" in text
    assert "Epoch[1] Validation-accuracy=1.000000" in text
    assert "Epoch[1] Batch [2-4]\tSpeed:" in text and "accuracy=1.000000" in text
    assert metric.num_inst == 0  # auto_reset cleared the local part


def test_two_contexts_without_update_on_kvstore(monkeypatch):
    # MXNET_UPDATE_ON_KVSTORE=0: gradients summed, then each device's copy is updated
    monkeypatch.setenv("MXNET_UPDATE_ON_KVSTORE", "0")
    with mx.name.NameManager():
        arrays, _ = SCENARIOS["two_contexts"](mx, None)
    for key, value in arrays.items():
        np.testing.assert_allclose(value, ARRAYS[f"two_contexts/{key}"], rtol=1e-5, atol=1e-6,
                                   err_msg=key)
