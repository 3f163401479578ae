"""``gluon.Trainer`` over two contexts and its store (kvstore='device', 'local', None;
``update_on_kvstore``), against MXNet 1.9.1 goldens (tests/reference/generate_gluon_io.py):
weights and gradients per step, the store's attributes, the reset when parameters are
loaded, states files and the errors MXNet raises."""

import json

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, gluon
from tests.reference import gluon_io_cases as cases
from tests.reference.generate_gluon_io import JSON

with open(JSON, encoding="utf-8") as _f:
    GOLDEN = json.load(_f)["trainer"]

TOL = dict(rtol=1e-5, atol=1e-6)


def test_goldens_cover_every_case():
    assert set(GOLDEN) == set(cases.TRAINER_CASES)


@pytest.mark.parametrize("cid", sorted(cases.TRAINER_CASES))
def test_two_context_training_matches_mxnet(cid, tmp_path):
    record = cases.run_trainer_case(mx, cid, str(tmp_path / "p"))
    for step, (got, want) in enumerate(zip(record, GOLDEN[cid])):
        assert got["kvstore"] == want["kvstore"], step
        assert got["update_on_kvstore"] is want["update_on_kvstore"], step
        assert got.get("after_load") == want.get("after_load"), step
        for key in ("weights", "grads"):  # update on the store leaves gradients per context
            for ctx, (g, w) in enumerate(zip(got[key], want[key])):
                np.testing.assert_allclose(g, w, err_msg=f"step {step} {key} ctx {ctx}", **TOL)


def _param(ctxs=(0, 1)):
    x = gluon.Parameter("x", shape=(10,))
    x.initialize(ctx=[mx.cpu(i) for i in ctxs], init="zeros")
    return x


def _backward(x):
    with autograd.record():
        for w in x.list_data():
            (w + 1).backward()


def test_the_store_is_created_at_the_first_step():
    x = _param()
    trainer = gluon.Trainer([x], "sgd", {"learning_rate": 1.0, "momentum": 0.5})
    assert trainer._kvstore is None and not trainer._kv_initialized
    assert x._trainer is trainer
    _backward(x)
    trainer.step(1)
    assert trainer._kv_initialized and trainer._kvstore.type == "device"
    assert trainer._update_on_kvstore is True
    assert trainer._optimizer is trainer._kvstore._updater.optimizer
    # updates run on the store: calling update / allreduce_grads directly is an error
    with pytest.raises(AssertionError, match="update_on_kvstore"):
        trainer.update(1)
    with pytest.raises(AssertionError, match="update_on_kvstore"):
        trainer.allreduce_grads()


def test_one_context_needs_no_store():
    x = _param((0,))
    trainer = gluon.Trainer([x], "sgd", {"learning_rate": 1.0})
    _backward(x)
    trainer.step(1)
    assert trainer._kvstore is None and trainer._update_on_kvstore is None
    assert (x.data().asnumpy() == -1).all()


def test_states_on_the_store_save_and_load(tmp_path):
    x = _param()
    trainer = gluon.Trainer([x], "sgd", {"learning_rate": 0.1, "momentum": 0.5})
    _backward(x)
    trainer.step(1)
    states = {k: v.asnumpy() for k, v in trainer._kvstore._updater.states.items()}
    trainer.save_states(str(tmp_path / "s"))
    trainer.load_states(str(tmp_path / "s"))
    assert trainer._optimizer is trainer._kvstore._updater.optimizer
    for k, v in trainer._kvstore._updater.states.items():
        np.testing.assert_array_equal(v.asnumpy(), states[k])
    x.lr_mult = 2.0  # the loaded optimizer sees the current parameters' multipliers
    assert trainer._kvstore._updater.optimizer._get_lr(0) == pytest.approx(0.2)


def test_setting_data_resets_the_store():
    x = _param()
    trainer = gluon.Trainer([x], "sgd", {"learning_rate": 0.1})
    _backward(x)
    trainer.step(1)
    x.set_data(mx.nd.zeros((10,)))
    assert trainer._kvstore is None and trainer._kv_initialized is False
    _backward(x)
    trainer.step(1)
    assert np.allclose(x.data(mx.cpu(1)).asnumpy(), -0.2)


def test_allreduce_then_update_without_the_store_updating():
    x = _param()
    trainer = gluon.Trainer([x], "sgd", {"learning_rate": 1.0}, update_on_kvstore=False)
    with autograd.record():
        for i, w in enumerate(x.list_data()):
            (i * w).backward()
    trainer.allreduce_grads()
    assert (x.grad(mx.cpu(0)).asnumpy() == x.grad(mx.cpu(1)).asnumpy()).all()
    trainer.update(1)
    assert (x.data(mx.cpu(1)).asnumpy() == -1).all()


def test_a_sparse_parameter_belongs_to_one_trainer():
    x = gluon.Parameter("x", shape=(10,), stype="row_sparse")
    x.initialize()
    first = gluon.Trainer([x], "sgd")
    x._set_trainer(None)
    assert x._trainer is None
    x._set_trainer(first)
    with pytest.raises(RuntimeError, match="More than one trainers"):
        gluon.Trainer([x], "sgd")


def test_unknown_kvstore_types():
    x = _param()
    _backward(x)
    trainer = gluon.Trainer([x], "sgd", kvstore="dist_sync")  # one worker: no launcher
    trainer.step(1)
    assert trainer._kvstore.num_workers == 1 and trainer._update_on_kvstore
    with pytest.raises(TypeError, match="kvstore must be KVStore, str or None"):
        gluon.Trainer([x], "sgd", kvstore=3).step(1)
