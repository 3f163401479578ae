"""A small CNN with BatchNorm (D2L 7.5 style), imperative (not hybridized), SGD."""

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn
from mxnet.gluon.data.vision import transforms
from synthetic import fashion_like

mx.random.seed(0)
np.random.seed(0)

(train_x, train_y), (test_x, test_y) = fashion_like(3000, 500)
train_iter = gluon.data.DataLoader(
    gluon.data.ArrayDataset(nd.array(train_x, dtype='uint8'), train_y)
    .transform_first(transforms.ToTensor()), batch_size=128, shuffle=True)
test_iter = gluon.data.DataLoader(
    gluon.data.ArrayDataset(nd.array(test_x, dtype='uint8'), test_y)
    .transform_first(transforms.ToTensor()), batch_size=128)

net = nn.Sequential()
net.add(nn.Conv2D(16, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation('relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Conv2D(32, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation('relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Dense(64), nn.BatchNorm(), nn.Activation('relu'),
        nn.Dense(10))
net.initialize(init.Xavier())

loss = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})


def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


for epoch in range(3):
    train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y).sum()
        l.backward()
        trainer.step(X.shape[0])
        y = y.astype('float32')
        train_l_sum += l.asscalar()
        train_acc_sum += (y_hat.argmax(axis=1) == y).sum().asscalar()
        n += y.size
    test_acc = evaluate_accuracy(test_iter, net)
    print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
          % (epoch + 1, train_l_sum / n, train_acc_sum / n, test_acc))

print('RESULT test_acc=%.4f' % test_acc)
