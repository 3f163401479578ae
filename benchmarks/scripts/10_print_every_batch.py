"""A training loop that prints the loss of every batch (Gluon crash-course style):
hybridized MLP with Dropout, Adam, `loss.mean().asscalar()` after each step."""

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn
from mxnet.gluon.data.vision import transforms
from synthetic import fashion_like

mx.random.seed(0)
np.random.seed(0)

(train_x, train_y), _ = fashion_like(6000, 10)
train_data = gluon.data.DataLoader(
    gluon.data.ArrayDataset(nd.array(train_x, dtype='uint8'), train_y)
    .transform_first(transforms.ToTensor()), batch_size=100, shuffle=True, last_batch='discard')

net = nn.HybridSequential()
net.add(nn.Flatten(),
        nn.Dense(128, activation='relu'), nn.Dropout(0.2),
        nn.Dense(64, activation='relu'), nn.Dropout(0.2),
        nn.Dense(10))
net.initialize(mx.init.Xavier())
net.hybridize()
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.002})

for epoch in range(3):
    for i, (data, label) in enumerate(train_data):
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(data.shape[0])
        print('epoch %d batch %d loss %.4f' % (epoch, i, loss.mean().asscalar()))

print('RESULT loss=%.4f' % loss.mean().asscalar())
