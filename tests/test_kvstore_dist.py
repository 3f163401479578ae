"""``dist_sync`` across two worker processes started by ``mxjax launch``: the workers
agree, ``init`` takes rank 0's value, a push sums over every worker's contexts, and a
Trainer on the store trains as one process with both halves of the batch on two
contexts of a 'device' store does (that store's numbers are checked against MXNet in
test_kvstore.py)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, gluon, nd

WORKER = os.path.join(os.path.dirname(__file__), "data", "dist_worker.py")


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "mxjax", "launch", "-n", "2", WORKER, str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(2)]


def test_ranks_and_worker_count(workers):
    assert [int(w["rank"]) for w in workers] == [0, 1]
    assert all(int(w["num_workers"]) == 2 for w in workers)


def test_init_takes_rank_0s_value_and_push_sums_over_workers(workers):
    for w in workers:
        np.testing.assert_array_equal(w["init"], np.full((2, 3), 5.0))
        # worker 0 pushes 1 + 1, worker 1 pushes 2 + 1
        np.testing.assert_array_equal(w["pushed"], np.full((2, 3), 5.0))


def test_trainer_on_two_workers_matches_two_contexts_in_one_process(workers):
    mx.random.seed(0)
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Uniform(), ctx=ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.1, "momentum": 0.9}, kvstore="device")
    data = np.arange(24, dtype=np.float32).reshape(8, 3) / 10
    for _ in range(3):
        with autograd.record():
            losses = [(net(nd.array(data[4 * k:4 * k + 4], ctx=c)) ** 2).sum()
                      for k, c in enumerate(ctxs)]
        autograd.backward(losses)
        trainer.step(8)
    # float32 sums of two workers' gradients, in another order: a few ulps over 3 steps
    for w in workers:
        np.testing.assert_allclose(w["weight"], net.weight.data(ctxs[0]).asnumpy(),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(w["bias"], net.bias.data(ctxs[0]).asnumpy(),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(workers[0]["weight"], workers[1]["weight"])


def test_module_on_two_workers_matches_one_module_on_both_halves(workers):
    for w in workers:
        assert float(w["module_rescale"]) == 1.0 / 8  # batch 4 on each of 2 workers
    np.testing.assert_array_equal(workers[0]["module_weight"], workers[1]["module_weight"])
    data = np.arange(24, dtype=np.float32).reshape(8, 3) / 10
    out = mx.sym.LinearRegressionOutput(
        mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc"), name="lro")
    mx.random.seed(0)
    mod = mx.mod.Module(out, label_names=["lro_label"], context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(data_shapes=[("data", (8, 3))], label_shapes=[("lro_label", (8, 2))])
    mod.init_params(initializer=mx.init.Uniform())
    mod.init_optimizer(kvstore="device", optimizer="sgd", optimizer_params={"learning_rate": 0.1})
    for _ in range(2):
        mod.forward_backward(mx.io.DataBatch([nd.array(data)], [nd.zeros((8, 2))]))
        mod.update()
    np.testing.assert_allclose(workers[0]["module_weight"],
                               mod.get_params()[0]["fc_weight"].asnumpy(), rtol=1e-5, atol=1e-6)
