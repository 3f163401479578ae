"""A small ResNet (D2L 7.6 style): residual blocks with an optional 1x1 convolution,
hybridized, Adam, accuracy every epoch."""

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn
from mxnet.gluon.data.vision import transforms
from synthetic import fashion_like

mx.random.seed(0)
np.random.seed(0)


class Residual(nn.HybridBlock):
    def __init__(self, num_channels, use_1x1conv=False, strides=1, **kwargs):
        super(Residual, self).__init__(**kwargs)
        self.conv1 = nn.Conv2D(num_channels, kernel_size=3, padding=1, strides=strides)
        self.conv2 = nn.Conv2D(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2D(num_channels, kernel_size=1, strides=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm()
        self.bn2 = nn.BatchNorm()

    def hybrid_forward(self, F, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        return F.relu(Y + X)


net = nn.HybridSequential()
net.add(nn.Conv2D(16, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation('relu'))
net.add(Residual(16), Residual(32, use_1x1conv=True, strides=2),
        Residual(32))
net.add(nn.GlobalAvgPool2D(), nn.Dense(10))
net.initialize(init.Xavier())
net.hybridize()

(train_x, train_y), (test_x, test_y) = fashion_like(1500, 300)
train_iter = gluon.data.DataLoader(
    gluon.data.ArrayDataset(nd.array(train_x, dtype='uint8'), train_y)
    .transform_first(transforms.ToTensor()), batch_size=32, shuffle=True)
test_iter = gluon.data.DataLoader(
    gluon.data.ArrayDataset(nd.array(test_x, dtype='uint8'), test_y)
    .transform_first(transforms.ToTensor()), batch_size=32)

loss = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.002})


def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


for epoch in range(2):
    train_l_sum, n = 0.0, 0
    for X, y in train_iter:
        with autograd.record():
            l = loss(net(X), y).sum()
        l.backward()
        trainer.step(X.shape[0])
        train_l_sum += l.asscalar()
        n += X.shape[0]
    test_acc = evaluate_accuracy(test_iter, net)
    print('epoch %d, loss %.4f, test acc %.3f' % (epoch + 1, train_l_sum / n, test_acc))

print('RESULT test_acc=%.4f' % test_acc)
