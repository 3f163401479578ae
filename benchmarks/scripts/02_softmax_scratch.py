"""Softmax regression from scratch (D2L 3.6 style): DataLoader with ToTensor, manual SGD,
evaluate_accuracy every epoch."""

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon.data.vision import transforms
from synthetic import fashion_like

mx.random.seed(0)
np.random.seed(0)

(train_x, train_y), (test_x, test_y) = fashion_like(6000, 1000)
transformer = transforms.ToTensor()
train_set = gluon.data.ArrayDataset(nd.array(train_x, dtype='uint8'), train_y)
test_set = gluon.data.ArrayDataset(nd.array(test_x, dtype='uint8'), test_y)
batch_size = 256
train_iter = gluon.data.DataLoader(train_set.transform_first(transformer), batch_size,
                                   shuffle=True)
test_iter = gluon.data.DataLoader(test_set.transform_first(transformer), batch_size,
                                  shuffle=False)

num_inputs, num_outputs = 784, 10
W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs))
b = nd.zeros(num_outputs)
W.attach_grad()
b.attach_grad()


def softmax(X):
    X_exp = X.exp()
    partition = X_exp.sum(axis=1, keepdims=True)
    return X_exp / partition


def net(X):
    return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)


def cross_entropy(y_hat, y):
    return -nd.pick(y_hat, y).log()


def accuracy(y_hat, y):
    return (y_hat.argmax(axis=1) == y.astype('float32')).mean().asscalar()


def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


num_epochs, lr = 5, 0.1
for epoch in range(num_epochs):
    train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = cross_entropy(y_hat, y).sum()
        l.backward()
        sgd([W, b], lr, batch_size)
        y = y.astype('float32')
        train_l_sum += l.asscalar()
        train_acc_sum += (y_hat.argmax(axis=1) == y).sum().asscalar()
        n += y.size
    test_acc = evaluate_accuracy(test_iter, net)
    print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
          % (epoch + 1, train_l_sum / n, train_acc_sum / n, test_acc))

print('RESULT test_acc=%.4f' % test_acc)
