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
kv._barrier()
np.savez(f"{out_dir}/rank{kv.rank}.npz", **seen)
