"""LeNet with Adam, hybridized (D2L 6.6 style, Adam as in the Gluon crash course)."""

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn
from mxnet.gluon.data.vision import transforms
from synthetic import fashion_like

mx.random.seed(0)
np.random.seed(0)

(train_x, train_y), (test_x, test_y) = fashion_like(4000, 1000)
transformer = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.13, 0.31)])
train_iter = gluon.data.DataLoader(
    gluon.data.ArrayDataset(nd.array(train_x, dtype='uint8'), train_y).transform_first(transformer),
    batch_size=64, shuffle=True)
test_iter = gluon.data.DataLoader(
    gluon.data.ArrayDataset(nd.array(test_x, dtype='uint8'), test_y).transform_first(transformer),
    batch_size=64)

net = nn.HybridSequential()
net.add(nn.Conv2D(channels=6, kernel_size=5, padding=2, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Conv2D(channels=16, kernel_size=5, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Dense(120, activation='relu'),
        nn.Dense(84, activation='relu'),
        nn.Dense(10))
net.initialize(init.Xavier())
net.hybridize()

loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.001})


def evaluate_accuracy(data_iter, net):
    metric = mx.metric.Accuracy()
    for X, y in data_iter:
        metric.update(labels=[y], preds=[net(X)])
    return metric.get()[1]


for epoch in range(3):
    train_l_sum, n = 0.0, 0
    for X, y in train_iter:
        with autograd.record():
            l = loss_fn(net(X), y)
        l.backward()
        trainer.step(X.shape[0])
        train_l_sum += l.sum().asscalar()
        n += X.shape[0]
    test_acc = evaluate_accuracy(test_iter, net)
    print('epoch %d, loss %.4f, test acc %.3f' % (epoch + 1, train_l_sum / n, test_acc))

print('RESULT test_acc=%.4f' % test_acc)
