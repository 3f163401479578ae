"""Block.register_op_hook cases, run unchanged by real MXNet 1.9.1 (goldens) and mxjax.

Each case hybridizes a small block, installs a hook and runs it once; the result is the
list of ``[node name, operator name, shape, values]`` the hook saw, in order.
"""

import ctypes

import numpy as np


def _dense_relu(mx):
    net = mx.gluon.nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(3, in_units=4), mx.gluon.nn.Activation("relu"))
    return net, (2, 4)


def _conv_pool(mx):
    net = mx.gluon.nn.HybridSequential(prefix="cnn_")
    with net.name_scope():
        net.add(mx.gluon.nn.Conv2D(2, 3, padding=1, in_channels=1),
                mx.gluon.nn.BatchNorm(in_channels=2),
                mx.gluon.nn.MaxPool2D())
    return net, (1, 1, 4, 4)


BLOCKS = {"dense_relu": _dense_relu, "conv_pool": _conv_pool}
# Not in training for conv_pool: there MXNet also reports hidden outputs (BatchNorm's saved
# statistics, the oneDNN pooling workspace), which mxjax does not (README: differences).
CASES = ["dense_relu/outputs", "dense_relu/all", "dense_relu/train", "conv_pool/outputs",
         "conv_pool/all"]


def run_case(mx, case):
    name, mode = case.split("/")
    net, shape = BLOCKS[name](mx)
    net.initialize(mx.init.Xavier(rnd_type="gaussian"))
    rng = np.random.RandomState(0)
    for name, param in sorted(net.collect_params().items()):
        low = 0.5 if name.endswith("_var") else -1  # a variance is positive
        param.set_data(mx.nd.array(rng.uniform(low, 1, param.shape)))
    net.hybridize()
    seen = []

    def hook(node_name, op_name, handle):
        value = mx.nd.NDArray(ctypes.cast(handle, mx.base.NDArrayHandle)).asnumpy()
        seen.append([node_name.decode(), op_name.decode(), list(value.shape),
                     value.round(5).ravel().tolist()])

    net.register_op_hook(hook, monitor_all=mode != "outputs")
    x = mx.nd.array(rng.uniform(-1, 1, shape))
    if mode == "train":
        with mx.autograd.record():
            net(x)
    else:
        net(x)
    return seen
