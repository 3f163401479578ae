"""End-to-end Gluon training on the 8x8 handwritten digits (the ``make demo`` script).

The digits ship in ``examples/data/digits`` in MNIST's own file format, so the ordinary
``gluon.data.vision.MNIST`` loader reads them. A small CNN is hybridized, trained with
Adam for a few epochs (loss, accuracy and samples/s printed per epoch), checkpointed,
reloaded into a fresh network, and evaluated on the held-out test set.

    python examples/train_digits.py [--epochs 10]

Apart from the 8x8 images (MXNet's MNIST loader hard-codes 28x28; mxjax reads the size
from the file header), this is plain MXNet 1.x code.
"""

import argparse
import os
import tempfile
import time

import numpy as np

import mxjax as mx
from mxjax import autograd, gluon
from mxjax.gluon import nn
from mxjax.gluon.data.vision import MNIST, transforms

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits")


def build_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, kernel_size=3, padding=1, activation="relu"),
                nn.MaxPool2D(pool_size=2),
                nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
                nn.MaxPool2D(pool_size=2),
                nn.Flatten(),
                nn.Dense(64, activation="relu"),
                nn.Dense(10))
    return net


def evaluate(net, loader):
    metric = mx.metric.Accuracy()
    for data, label in loader:
        metric.update([label], [net(data)])
    return metric.get()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    mx.random.seed(42)
    np.random.seed(42)  # the DataLoader shuffles with numpy's generator, as MXNet's does

    to_tensor = transforms.ToTensor()
    train = MNIST(root=DATA, train=True).transform_first(to_tensor)
    test = MNIST(root=DATA, train=False).transform_first(to_tensor)
    train_loader = gluon.data.DataLoader(train, batch_size=args.batch_size, shuffle=True)
    test_loader = gluon.data.DataLoader(test, batch_size=args.batch_size)
    print(f"train: {len(train)} images, test: {len(test)} images")

    net = build_net()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 3e-3})
    metric = mx.metric.Accuracy()

    for epoch in range(args.epochs):
        metric.reset()
        total_loss, seen, start = 0.0, 0, time.time()
        for data, label in train_loader:
            with autograd.record():
                output = net(data)
                loss = loss_fn(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            metric.update([label], [output])
            total_loss += loss.sum().asscalar()
            seen += data.shape[0]
        elapsed = time.time() - start
        print(f"epoch {epoch + 1:2d}: loss {total_loss / seen:.4f}, "
              f"train accuracy {metric.get()[1]:.4f}, {seen / elapsed:.0f} samples/s")

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = os.path.join(tmp, "digits-cnn.params")
        net.save_parameters(checkpoint)
        restored = build_net()
        restored.load_parameters(checkpoint)
        restored.hybridize()
    accuracy = evaluate(restored, test_loader)
    print(f"checkpoint reloaded; test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
