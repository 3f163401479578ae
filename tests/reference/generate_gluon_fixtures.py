"""Gluon parameter files written by real MXNet 1.9.1, with MXNet's results for them.

    .refvenv/bin/python tests/reference/generate_gluon_fixtures.py

* ``fixtures/seed000.params``: seed 000's two-layer net (Dense(3), Dense(1)) with
  parameters from a seeded numpy generator, saved by ``save_parameters``.
* ``fixtures/seed000_expected.npz``: its input, label, L2 loss and every gradient.
"""

import os

import mxnet as mx
import numpy as np
from mxnet import autograd
from mxnet.gluon.loss import L2Loss
from mxnet.gluon.nn import Dense, HybridSequential

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def seed000():
    with mx.name.NameManager():
        net = HybridSequential()
        net.add(Dense(units=3))
        net.add(Dense(units=1))
        net.initialize()
        x = mx.nd.array([[0.5, 0.9]])
        y = mx.nd.array([[1.5]])
        net(x)
        rng = np.random.RandomState(0)
        for p in net.collect_params().values():
            p.set_data(mx.nd.array(rng.uniform(-1, 1, p.shape)))
        net.save_parameters(os.path.join(FIXTURES, "seed000.params"))
        with autograd.record():
            loss = L2Loss()(net(x), y)
        loss.backward()
        expected = {"x": x.asnumpy(), "y": y.asnumpy(), "loss": loss.asnumpy()}
        for name, p in net._collect_params_with_prefix().items():
            expected["grad:" + name] = p.grad().asnumpy()
        np.savez(os.path.join(FIXTURES, "seed000_expected.npz"), **expected)


if __name__ == "__main__":
    seed000()
    print("wrote seed000 fixtures")
