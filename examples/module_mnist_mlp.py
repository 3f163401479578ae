"""MXNet's ``example/module/mnist_mlp.py`` pattern, unchanged MXNet 1.x code: a symbolic
MLP trained with ``Module.fit`` (Speedometer logging, ``do_checkpoint`` each epoch), then
the checkpoint reloaded for inference the way deployed MXNet code does it (a feature
layer taken with ``get_internals``, ``bind``, ``set_params``, ``forward``).

The data are synthetic MNIST-sized vectors (784 values, 10 classes: noisy copies of ten
nearby prototypes), so the script needs no download and runs in seconds:

    mxjax run examples/module_mnist_mlp.py        # ``import mxnet`` resolves to mxjax
"""

import logging
import os
import shutil
import tempfile

import mxnet as mx
import numpy as np

logging.basicConfig(level=logging.INFO, format="%(message)s")


def synthetic_mnist(n, rng, prototypes):
    labels = rng.randint(0, 10, n)
    images = prototypes[labels] + rng.normal(0, 1.0, (n, 784))
    return images.astype(np.float32), labels.astype(np.float32)


rng = np.random.RandomState(7)
prototypes = rng.uniform(0, 1, (1, 784)) + rng.uniform(-0.3, 0.3, (10, 784))
train_x, train_y = synthetic_mnist(2000, rng, prototypes)
val_x, val_y = synthetic_mnist(500, rng, prototypes)

batch_size = 100
train_iter = mx.io.NDArrayIter(train_x, train_y, batch_size, shuffle=True)
val_iter = mx.io.NDArrayIter(val_x, val_y, batch_size)

data = mx.sym.Variable("data")
fc1 = mx.sym.FullyConnected(data, name="fc1", num_hidden=128)
act1 = mx.sym.Activation(fc1, name="relu1", act_type="relu")
fc2 = mx.sym.FullyConnected(act1, name="fc2", num_hidden=64)
act2 = mx.sym.Activation(fc2, name="relu2", act_type="relu")
fc3 = mx.sym.FullyConnected(act2, name="fc3", num_hidden=10)
softmax = mx.sym.SoftmaxOutput(fc3, name="softmax")

workdir = tempfile.mkdtemp()
prefix = os.path.join(workdir, "mnist_mlp")

mod = mx.mod.Module(softmax, context=mx.cpu())
mod.fit(train_iter, eval_data=val_iter, eval_metric="acc",
        optimizer="sgd", optimizer_params={"learning_rate": 0.05, "momentum": 0.9},
        initializer=mx.init.Xavier(magnitude=2.24), num_epoch=3,
        batch_end_callback=mx.callback.Speedometer(batch_size, 5),
        epoch_end_callback=mx.callback.do_checkpoint(prefix))
score = dict(mod.score(val_iter, ["acc", "ce"]))
print(f"validation accuracy {score['accuracy']:.3f}, "
      f"cross-entropy {score['cross-entropy']:.3f}")

# Inference from the checkpoint of the last epoch, taking fc2's output as features.
sym, arg_params, aux_params = mx.model.load_checkpoint(prefix, 3)
features = sym.get_internals()["fc2_output"]
extractor = mx.mod.Module(features, context=mx.cpu(), label_names=None)
extractor.bind(data_shapes=[("data", (1, 784))], for_training=False)
extractor.set_params(arg_params, aux_params, allow_extra=True)
extractor.forward(mx.io.DataBatch([mx.nd.array(val_x[:1])]), is_train=False)
embedding = extractor.get_outputs()[0].asnumpy()
print("features of one image:", embedding.shape, "checkpoint files:",
      sorted(os.listdir(workdir)))
shutil.rmtree(workdir)
