"""Multilayer perceptron with Gluon (D2L 4.3 / MXNet crash-course style): DataLoader over
ArrayDataset(...).transform_first(ToTensor()), Trainer with SGD, accuracy every epoch."""

import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn
from mxnet.gluon.data.vision import transforms
from synthetic import fashion_like

mx.random.seed(0)
np.random.seed(0)

(train_x, train_y), (test_x, test_y) = fashion_like(6000, 1000)
train_set = gluon.data.ArrayDataset(nd.array(train_x, dtype='uint8'), train_y)
test_set = gluon.data.ArrayDataset(nd.array(test_x, dtype='uint8'), test_y)
transformer = transforms.ToTensor()
batch_size = 256
train_data = gluon.data.DataLoader(train_set.transform_first(transformer), batch_size,
                                   shuffle=True, num_workers=0)
valid_data = gluon.data.DataLoader(test_set.transform_first(transformer), batch_size,
                                   num_workers=0)

net = nn.Sequential()
net.add(nn.Dense(256, activation='relu'),
        nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))

softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})


def acc(output, label):
    return (output.argmax(axis=1) == label.astype('float32')).mean().asscalar()


for epoch in range(5):
    train_loss, train_acc, valid_acc = 0., 0., 0.
    tic = time.time()
    for data, label in train_data:
        with autograd.record():
            output = net(data)
            loss = softmax_cross_entropy(output, label)
        loss.backward()
        trainer.step(batch_size)
        train_loss += loss.mean().asscalar()
        train_acc += acc(output, label)
    for data, label in valid_data:
        valid_acc += acc(net(data), label)
    print("Epoch %d: loss %.3f, train acc %.3f, test acc %.3f, in %.1f sec" % (
        epoch, train_loss / len(train_data), train_acc / len(train_data),
        valid_acc / len(valid_data), time.time() - tic))

print('RESULT test_acc=%.4f' % (valid_acc / len(valid_data)))
