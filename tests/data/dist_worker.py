"""A worker of tests/test_kvstore_dist.py: run as ``mxjax launch -n 2 dist_worker.py OUT``.

Pushes and pulls through a 'dist_sync' store, trains a Dense layer for three steps with a
Trainer on it (each worker its own half of the batch) and saves what it saw to
``OUT/rank<r>.npz``."""

import sys

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

out_dir = sys.argv[1]
kv = mx.kv.create("dist_sync")
seen = {"rank": kv.rank, "num_workers": kv.num_workers}
kv.init(3, nd.ones((2, 3)) * (kv.rank + 5))
value = nd.zeros((2, 3))
kv.pull(3, out=value)
seen["init"] = value.asnumpy()
kv.push(3, [nd.ones((2, 3)) * (kv.rank + 1), nd.ones((2, 3))])
kv.pull(3, out=value)
seen["pushed"] = value.asnumpy()

mx.random.seed(0)  # as users do: the Trainer broadcasts rank 0's weights only at its first step
net = gluon.nn.Dense(2, in_units=3)
net.initialize(mx.init.Uniform())
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9},
                        kvstore=kv)
data = np.arange(24, dtype=np.float32).reshape(8, 3) / 10
x = nd.array(data[kv.rank * 4:(kv.rank + 1) * 4])
for _ in range(3):
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    trainer.step(8)
seen["weight"] = net.weight.data().asnumpy()
seen["bias"] = net.bias.data().asnumpy()
# Module on its own store: the same data split, rescale_grad = 1 / (4 * 2 workers)
data_sym = mx.sym.var("data")
out_sym = mx.sym.LinearRegressionOutput(mx.sym.FullyConnected(data_sym, num_hidden=2, name="fc"),
                                        name="lro")
mod = mx.mod.Module(out_sym, label_names=["lro_label"])
mod.bind(data_shapes=[("data", (4, 3))], label_shapes=[("lro_label", (4, 2))])
mx.random.seed(0)
mod.init_params(initializer=mx.init.Uniform())
mod.init_optimizer(kvstore=mx.kv.create("dist_sync"), optimizer="sgd",
                   optimizer_params={"learning_rate": 0.1})
seen["module_rescale"] = mod._optimizer.rescale_grad
for _ in range(2):
    mod.forward_backward(mx.io.DataBatch([x], [nd.zeros((4, 2))]))
    mod.update()
seen["module_weight"] = mod.get_params()[0]["fc_weight"].asnumpy()
kv._barrier()
np.savez(f"{out_dir}/rank{kv.rank}.npz", **seen)
