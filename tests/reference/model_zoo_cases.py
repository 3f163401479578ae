"""Model zoo cases shared by ``generate_model_zoo.py`` (real MXNet 1.9.1) and
``tests/gluon/test_model_zoo.py`` (mxjax): numpy and the library's public API only, so
the same functions run on either library, passed in as ``mx``.

A forward case builds one network of a family with 10 classes, initialises it, resolves
deferred shapes with one predict-mode forward, sets every parameter to seeded numpy
values (``param_value``: He-scaled weights so activations stay of order one through deep
networks), then records the predict-mode output and, where BatchNorm makes them differ,
the training-mode output. Networks with Dropout (fixed rate 0.5 in their constructors)
record the training-mode output of ``features`` up to the first Dropout.
"""

import hashlib
import json
import warnings
import zlib

import numpy as np

# Every name get_model accepts.
ALL_MODELS = (
    [f"resnet{d}_v{v}" for v in (1, 2) for d in (18, 34, 50, 101, 152)]
    + [f"vgg{d}{bn}" for bn in ("", "_bn") for d in (11, 13, 16, 19)]
    + ["alexnet"] + [f"densenet{d}" for d in (121, 161, 169, 201)]
    + ["squeezenet1.0", "squeezenet1.1", "inceptionv3"]
    + [f"mobilenet{m}" for m in ("1.0", "0.75", "0.5", "0.25")]
    + [f"mobilenetv2_{m}" for m in ("1.0", "0.75", "0.5", "0.25")])

# Forward cases: model name -> (input shape, whether a training-mode output is recorded).
# Input sizes are the smallest each network's fixed pooling accepts, or 64x64: the last
# stages then keep 2x2 pixels, so training-mode BatchNorm never normalises two values
# (whose output amplifies float rounding differences without bound).
FORWARD = {
    "resnet18_v1": ((2, 3, 64, 64), True),
    "resnet18_v2": ((2, 3, 64, 64), True),
    "vgg11_bn": ((2, 3, 64, 64), True),
    "alexnet": ((1, 3, 63, 63), False),  # no BatchNorm: train = predict + dropout
    "densenet121": ((1, 3, 221, 221), True),    # final 7x7 average pooling
    "squeezenet1.1": ((1, 3, 223, 223), False),  # final 13x13 average pooling
    "inceptionv3": ((1, 3, 299, 299), True),    # final 8x8 average pooling
    "mobilenet0.25": ((2, 3, 64, 64), True),
    "mobilenetv2_0.25": ((2, 3, 64, 64), True),
}

# The network whose save_parameters / export files MXNet writes as fixtures: MobileNet
# at width 0.125 (its class, names and structure; a quarter of mobilenet0.25's size).
FILE_MODEL = dict(multiplier=0.125, classes=10)
FILE_INPUT = (2, 3, 32, 32)


def seed(name, what):
    return zlib.crc32(f"{name}:{what}".encode())


def param_value(case, param_name, shape):
    """Seeded float32 values for one parameter of ``case``."""
    rng = np.random.RandomState(seed(case, param_name))
    if param_name.endswith(("running_var", "gamma")):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if param_name.endswith(("running_mean", "beta", "bias")):
        return (0.1 * rng.randn(*shape)).astype(np.float32)
    fan_in = int(np.prod(shape[1:]))
    return (np.sqrt(2.0 / fan_in) * rng.randn(*shape)).astype(np.float32)


def make_input(case, shape):
    return np.random.RandomState(seed(case, "input")).randn(*shape).astype(np.float32)


def param_list(net):
    """``[[name, shape], ...]`` of ``net.collect_params()`` in its order."""
    return [[k, list(p.shape)] for k, p in net.collect_params().items()]


def param_digest(params):
    """sha256 of a ``param_list`` (for networks whose full list is not stored)."""
    return hashlib.sha256(json.dumps(params).encode()).hexdigest()


def construct(mx, name, **kwargs):
    """``get_model(name, **kwargs)`` under fresh names, as a new process would build it."""
    with mx.name.NameManager(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mx.gluon.model_zoo.vision.get_model(name, **kwargs)


def set_seeded_params(mx, net, case, x):
    """Resolve deferred shapes with one predict-mode forward on ``x``, then set every
    parameter to ``param_value``."""
    net(x)
    for k, p in net.collect_params().items():
        p.set_data(mx.nd.array(param_value(case, k, p.shape)))


def train_forward(mx, net, x):
    """Training-mode output: the whole network, or ``features`` up to its first Dropout."""
    with mx.autograd.record(train_mode=True):
        for i in range(len(net.features)):
            block = net.features[i]
            if isinstance(block, mx.gluon.nn.Dropout):
                return x
            x = block(x)
        return net.output(x)


def build_forward_case(mx, name):
    """(net with seeded parameters, input NDArray) of forward case ``name``."""
    shape, _ = FORWARD[name]
    net = construct(mx, name, classes=10)
    net.initialize()
    x = mx.nd.array(make_input(name, shape))
    set_seeded_params(mx, net, name, x)
    return net, x


def run_forward_case(mx, name, net=None, x=None):
    """{'predict': array[, 'train': array]} of forward case ``name``."""
    if net is None:
        net, x = build_forward_case(mx, name)
    out = {"predict": net(x).asnumpy()}
    if FORWARD[name][1]:
        out["train"] = train_forward(mx, net, x).asnumpy()
    return out


def build_file_model(mx):
    """The fixture network with seeded parameters, and its input."""
    with mx.name.NameManager(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = mx.gluon.model_zoo.vision.get_mobilenet(**FILE_MODEL)
    net.initialize()
    x = mx.nd.array(make_input("file_model", FILE_INPUT))
    set_seeded_params(mx, net, "file_model", x)
    return net, x


def finetune_params(mx):
    """``param_list`` of mobilenet0.25 after the fine-tuning idiom: a new ``output``
    Dense(2) assigned inside the network's name scope, and ``features`` taken from
    another mobilenet0.25 (with its own prefix)."""
    with mx.name.NameManager(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vision = mx.gluon.model_zoo.vision
        net = vision.get_model("mobilenet0.25", classes=10)
        donor = vision.get_model("mobilenet0.25")
        with net.name_scope():
            net.output = mx.gluon.nn.Dense(2)
        net.features = donor.features
        return param_list(net)
