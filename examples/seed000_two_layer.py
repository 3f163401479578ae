"""Seed 000, unchanged MXNet code: a two-layer net, L2 loss, autograd, the first layer's
weight gradient. Run it the way an MXNet user would: ``mxjax run examples/seed000_two_layer.py``
(``import mxnet`` resolves to mxjax)."""

import mxnet as mx
from mxnet import autograd
from mxnet.gluon.loss import L2Loss
from mxnet.gluon.nn import Dense, HybridSequential

N_net = HybridSequential()
N_net.add(Dense(units=3))
N_net.add(Dense(units=1))
N_net.initialize()

loss_function = L2Loss()
x = mx.nd.array([[0.5, 0.9]])
y = mx.nd.array([[1.5]])
with autograd.record():
    y_hat = N_net(x)
    loss = loss_function(y_hat, y)
loss.backward()
print(N_net[0].weight.grad())
