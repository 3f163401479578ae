"""Linear regression from scratch (D2L 3.2 style): nd ops, autograd, manual minibatch SGD."""

import random

import mxnet as mx
from mxnet import autograd, nd
from synthetic import linear_data

mx.random.seed(0)
random.seed(0)

true_w, true_b = [2.0, -3.4], 4.2
features_np, labels_np = linear_data(true_w, true_b, 4000)
features, labels = nd.array(features_np), nd.array(labels_np)


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        j = nd.array(indices[i: min(i + batch_size, num_examples)])
        yield features.take(j), labels.take(j)


def linreg(X, w, b):
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


w = nd.random.normal(scale=0.01, shape=(2, 1))
b = nd.zeros(shape=(1,))
w.attach_grad()
b.attach_grad()

lr, num_epochs, batch_size = 0.03, 5, 10
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        with autograd.record():
            l = squared_loss(linreg(X, w, b), y)
        l.backward()
        sgd([w, b], lr, batch_size)
    train_l = squared_loss(linreg(features, w, b), labels)
    print('epoch %d, loss %f' % (epoch + 1, train_l.mean().asscalar()))

print('w error', (nd.array(true_w).reshape(w.shape) - w).asnumpy().ravel())
print('RESULT loss=%.6f' % train_l.mean().asscalar())
