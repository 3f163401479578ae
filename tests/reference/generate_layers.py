"""Gluon layer goldens from real MXNet 1.9.1, for tests/gluon/test_layers.py.

    /work/refvenv/bin/python tests/reference/generate_layers.py

Each case builds a layer through ``mx.gluon`` (the library under test is passed in as
``mx``; the cases use only its public API and numpy, so the test runs them unchanged on
mxjax), initialises it, runs one forward to resolve deferred shapes where needed, sets
every parameter to seeded numpy values with ``set_data``, then runs a training-mode
forward under ``autograd.record()`` and backward with a seeded head gradient, and a
predict-mode forward after it. ``goldens/layers.npz`` holds, per case, the output, the
input gradients, the parameter gradients, every parameter's value after backward
(BatchNorm's running statistics change there) and the predict-mode output;
``goldens/layers.json`` holds the reprs (before and after the first forward) and the
parameters' names, shapes, dtypes and grad_req.
"""

import io
import json
import os
import sys
import warnings
import zipfile
import zlib
from collections import namedtuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "layers.npz")
JSON = os.path.join(HERE, "goldens", "layers.json")

In = namedtuple("In", "shape dtype kind", defaults=("float32", "normal"))
Case = namedtuple("Case", "build inputs train set_params")

CASES = {}


def case(name, build, *inputs, train=True, set_params=True):
    """Register a case. ``train=False``: only the predict-mode forward is recorded (the
    training forward is random); ``set_params=False``: keep the initializers' values."""
    CASES[name] = Case(build, inputs, train, set_params)


def seed(name, what):
    return zlib.crc32(f"{name}:{what}".encode())


def make_inputs(name, specs):
    rng = np.random.RandomState(seed(name, "inputs"))
    out = []
    for s in specs:
        if s.kind == "normal":
            out.append(rng.randn(*s.shape).astype(s.dtype))
        elif s.kind.startswith("index"):  # "index<n>": integer values in [0, n)
            out.append(rng.randint(0, int(s.kind[5:]), s.shape).astype(s.dtype))
        else:
            raise ValueError(s.kind)
    return out


def param_value(name, param_name, shape, dtype):
    """Seeded values for one parameter; variances and scales stay positive."""
    rng = np.random.RandomState(seed(name, param_name))
    if param_name.endswith(("running_var", "gamma")):
        return rng.uniform(0.5, 1.5, shape).astype(dtype)
    if param_name.endswith("alpha"):
        return rng.uniform(0.1, 0.4, shape).astype(dtype)
    return (0.5 * rng.randn(*shape)).astype(dtype)


def _np_dtype(dtype):
    return np.dtype(dtype).name


def _params_meta(layer):
    return [[k, list(p.shape), _np_dtype(p.dtype), p.grad_req]
            for k, p in sorted(layer.collect_params().items())]


def run_case(mx, name, hybridize=False):
    """Run case ``name`` with library ``mx``: (arrays, meta)."""
    c = CASES[name]
    with mx.name.NameManager(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = c.build(mx)
        meta = {"repr_before": repr(layer)}
        layer.initialize()
        if hybridize:
            layer.hybridize()
    inputs = [mx.nd.array(v, dtype=v.dtype) for v in make_inputs(name, c.inputs)]
    params = sorted(layer.collect_params().items())
    if any(0 in p.shape for _, p in params):
        layer(*inputs)  # predict mode: resolves deferred shapes, changes no state
    if c.set_params:
        for k, p in params:
            p.set_data(mx.nd.array(param_value(name, k, p.shape, _np_dtype(p.dtype)),
                                   dtype=p.dtype))
    meta["repr_after"] = repr(layer)
    meta["params"] = _params_meta(layer)
    arrays = {}
    if c.train:
        for x, spec in zip(inputs, c.inputs):
            if spec.kind == "normal":  # not indices: MXNet's Embedding refuses a data grad
                x.attach_grad()
        with mx.autograd.record():
            out = layer(*inputs)
        head = np.random.RandomState(seed(name, "head")).randn(*out.shape)
        out.backward(mx.nd.array(head, dtype=out.dtype))
        arrays["out"] = out.asnumpy()
        for i, x in enumerate(inputs):
            if x.grad is not None:
                arrays[f"grad_in{i}"] = x.grad.asnumpy()
        for k, p in params:
            if p.grad_req != "null":
                arrays[f"grad:{k}"] = p.grad().asnumpy()
    for k, p in params:
        arrays[f"param:{k}"] = p.data().asnumpy()
    arrays["predict"] = layer(*inputs).asnumpy()
    return arrays, meta


# ---- cases ---------------------------------------------------------------------------------
def _nn(mx):
    return mx.gluon.nn


def _cnn(mx):
    return mx.gluon.contrib.nn


# Dense (deferred in_units, flatten)
case("dense-deferred", lambda mx: _nn(mx).Dense(4, activation="tanh"), In((2, 3, 2)))
case("dense-noflatten-nobias",
     lambda mx: _nn(mx).Dense(3, flatten=False, use_bias=False, in_units=2), In((2, 3, 2)))

# Convolutions
case("conv1d-deferred", lambda mx: _nn(mx).Conv1D(4, 3), In((2, 3, 7)))
case("conv1d-stride-pad-dilate",
     lambda mx: _nn(mx).Conv1D(4, 3, strides=2, padding=2, dilation=2, in_channels=3),
     In((2, 3, 9)))
case("conv1d-groups-nobias", lambda mx: _nn(mx).Conv1D(4, 2, groups=2, use_bias=False),
     In((2, 4, 6)))
case("conv2d-deferred", lambda mx: _nn(mx).Conv2D(3, 3), In((2, 2, 5, 5)))
case("conv2d-all-args",
     lambda mx: _nn(mx).Conv2D(4, (3, 2), strides=(2, 1), padding=(1, 0), groups=2,
                               activation="relu", in_channels=2), In((2, 2, 6, 7)))
case("conv2d-dilate", lambda mx: _nn(mx).Conv2D(2, 2, dilation=(2, 1), padding=1),
     In((1, 2, 5, 4)))
case("conv2d-initializers",
     lambda mx: _nn(mx).Conv2D(2, 1, in_channels=2, weight_initializer="ones",
                               bias_initializer=mx.init.Constant(0.5)),
     In((1, 2, 3, 3)), set_params=False)
case("conv2d-float64", lambda mx: _cast(_nn(mx).Conv2D(2, 3, in_channels=2), "float64"),
     In((1, 2, 4, 4), "float64"))
case("conv3d-deferred", lambda mx: _nn(mx).Conv3D(2, 2), In((1, 2, 3, 3, 3)))
# (XLA 0.10's CPU compiler aborts on the data gradient of a 3-D convolution with stride 2,
# padding 1 and a non-cubic kernel, so this case strides and pads per axis.)
case("conv3d-stride-pad",
     lambda mx: _nn(mx).Conv3D(2, (2, 3, 2), strides=(2, 1, 2), padding=(0, 1, 1),
                               in_channels=2), In((1, 2, 4, 4, 3)))
case("conv1dtranspose-deferred", lambda mx: _nn(mx).Conv1DTranspose(3, 3), In((2, 2, 4)))
case("conv1dtranspose-outpad",
     lambda mx: _nn(mx).Conv1DTranspose(3, 3, strides=2, padding=1, output_padding=1,
                                        in_channels=2), In((2, 2, 4)))
case("conv2dtranspose-groups",
     lambda mx: _nn(mx).Conv2DTranspose(4, 3, strides=2, padding=1, output_padding=1,
                                        groups=2, in_channels=2), In((1, 2, 3, 3)))
case("conv2dtranspose-dilate-nobias",
     lambda mx: _nn(mx).Conv2DTranspose(2, (2, 3), dilation=2, use_bias=False,
                                        activation="sigmoid"), In((1, 3, 3, 2)))
case("conv3dtranspose", lambda mx: _nn(mx).Conv3DTranspose(2, 2, strides=2),
     In((1, 2, 2, 2, 2)))

# Pooling and padding
case("maxpool1d-default", lambda mx: _nn(mx).MaxPool1D(), In((2, 3, 8)))
case("maxpool1d-ceil", lambda mx: _nn(mx).MaxPool1D(3, strides=2, padding=1, ceil_mode=True),
     In((2, 2, 8)))
case("maxpool1d-nwc", lambda mx: _nn(mx).MaxPool1D(2, layout="NWC"), In((2, 6, 3)))
case("maxpool2d-ceil-pad",
     lambda mx: _nn(mx).MaxPool2D(3, strides=2, padding=1, ceil_mode=True), In((1, 2, 6, 6)))
case("maxpool2d-nhwc", lambda mx: _nn(mx).MaxPool2D((2, 3), strides=(2, 1), layout="NHWC"),
     In((1, 4, 5, 2)))
case("maxpool3d", lambda mx: _nn(mx).MaxPool3D(), In((1, 2, 4, 4, 4)))
case("avgpool1d-nopadcount",
     lambda mx: _nn(mx).AvgPool1D(3, strides=2, padding=1, count_include_pad=False),
     In((2, 2, 7)))
case("avgpool2d-ceil",
     lambda mx: _nn(mx).AvgPool2D((3, 2), strides=(2, 1), padding=1, ceil_mode=True),
     In((1, 2, 6, 5)))
case("avgpool2d-nhwc", lambda mx: _nn(mx).AvgPool2D(2, layout="NHWC"), In((1, 4, 4, 3)))
# ceil_mode on an odd size: the window past the input is not counted in the average
case("avgpool2d-ceil-odd", lambda mx: _nn(mx).AvgPool2D(2, strides=2, ceil_mode=True),
     In((1, 2, 5, 5)))
case("avgpool2d-ceil-odd-nopadcount",
     lambda mx: _nn(mx).AvgPool2D(2, strides=2, ceil_mode=True, count_include_pad=False),
     In((1, 2, 5, 7)))
case("avgpool3d-nopadcount",
     lambda mx: _nn(mx).AvgPool3D(2, padding=1, count_include_pad=False), In((1, 2, 3, 3, 3)))
case("globalmaxpool1d", lambda mx: _nn(mx).GlobalMaxPool1D(), In((2, 3, 5)))
case("globalmaxpool2d-nhwc", lambda mx: _nn(mx).GlobalMaxPool2D(layout="NHWC"),
     In((2, 3, 4, 2)))
case("globalmaxpool3d", lambda mx: _nn(mx).GlobalMaxPool3D(), In((1, 2, 2, 3, 2)))
case("globalavgpool1d-nwc", lambda mx: _nn(mx).GlobalAvgPool1D(layout="NWC"), In((2, 5, 3)))
case("globalavgpool2d", lambda mx: _nn(mx).GlobalAvgPool2D(), In((2, 3, 4, 2)))
case("globalavgpool3d-ndhwc", lambda mx: _nn(mx).GlobalAvgPool3D(layout="NDHWC"),
     In((1, 2, 3, 2, 2)))
case("reflectionpad2d", lambda mx: _nn(mx).ReflectionPad2D(1), In((1, 2, 3, 4)))
case("reflectionpad2d-widths",
     lambda mx: _nn(mx).ReflectionPad2D((0, 0, 0, 0, 2, 0, 1, 3)), In((1, 1, 4, 5)))

# Normalisation
case("batchnorm-deferred", lambda mx: _nn(mx).BatchNorm(), In((4, 3, 5)))
case("batchnorm-4d", lambda mx: _nn(mx).BatchNorm(momentum=0.8, epsilon=1e-3),
     In((2, 3, 2, 3)))
case("batchnorm-axis-last",
     lambda mx: _nn(mx).BatchNorm(axis=-1, in_channels=3), In((2, 4, 3)))
case("batchnorm-noscale-nocenter",
     lambda mx: _nn(mx).BatchNorm(scale=False, center=False), In((3, 2, 4)))
case("batchnorm-global-stats",
     lambda mx: _nn(mx).BatchNorm(use_global_stats=True, in_channels=2), In((3, 2, 4)))
case("batchnorm-initializers",
     lambda mx: _nn(mx).BatchNorm(gamma_initializer=mx.init.Constant(2.0),
                                  beta_initializer="ones",
                                  running_mean_initializer=mx.init.Constant(0.5),
                                  running_variance_initializer=mx.init.Constant(3.0)),
     In((3, 2, 4)), set_params=False)
# MXNet 1.9.1 runs BatchNormWithReLU only through MKL-DNN, which takes 4-D data only.
case("batchnormrelu-4d", lambda mx: _nn(mx).BatchNormReLU(), In((2, 3, 2, 2)))
case("syncbatchnorm", lambda mx: _cnn(mx).SyncBatchNorm(num_devices=1), In((4, 3, 2)))
case("instancenorm-default", lambda mx: _nn(mx).InstanceNorm(), In((2, 3, 4)))
case("instancenorm-scale-axis2",
     lambda mx: _nn(mx).InstanceNorm(axis=2, scale=True, epsilon=1e-3), In((2, 3, 4, 2)))
case("layernorm-default", lambda mx: _nn(mx).LayerNorm(), In((2, 3, 4)))
case("layernorm-axis1-nocenter",
     lambda mx: _nn(mx).LayerNorm(axis=1, center=False, epsilon=1e-3, in_channels=3),
     In((2, 3, 4)))
case("groupnorm", lambda mx: _nn(mx).GroupNorm(num_groups=2), In((2, 4, 3)))
case("groupnorm-noscale", lambda mx: _nn(mx).GroupNorm(num_groups=3, scale=False,
                                                       epsilon=1e-3), In((2, 6, 2, 2)))

# Embedding, Flatten, Dropout, Lambda
case("embedding", lambda mx: _nn(mx).Embedding(10, 4), In((2, 3), kind="index10"))
case("embedding-float64",
     lambda mx: _nn(mx).Embedding(6, 3, dtype="float64"), In((4,), kind="index6"))
case("flatten", lambda mx: _nn(mx).Flatten(), In((2, 3, 2, 2)))
case("dropout-zero-rate", lambda mx: _nn(mx).Dropout(0.0), In((3, 4)))
case("dropout-predict", lambda mx: _nn(mx).Dropout(0.5, axes=(1,)), In((3, 4)), train=False)
case("lambda-name", lambda mx: _nn(mx).Lambda("tanh"), In((2, 3)))
case("lambda-function", lambda mx: _nn(mx).Lambda(lambda x: mx.nd.relu(x) * 2), In((2, 3)))
case("hybridlambda-name", lambda mx: _nn(mx).HybridLambda("sigmoid"), In((2, 3)))
case("hybridlambda-function",
     lambda mx: _nn(mx).HybridLambda(lambda F, x: F.LeakyReLU(x, slope=0.2)), In((2, 3)))

# Activations
case("leakyrelu", lambda mx: _nn(mx).LeakyReLU(0.1), In((2, 5)))
case("prelu-default", lambda mx: _nn(mx).PReLU(), In((2, 3, 2)))
case("prelu-channels", lambda mx: _nn(mx).PReLU(in_channels=3), In((2, 3, 2)))
case("elu", lambda mx: _nn(mx).ELU(0.5), In((2, 5)))
case("selu", lambda mx: _nn(mx).SELU(), In((2, 5)))
case("swish", lambda mx: _nn(mx).Swish(beta=2.0), In((2, 5)))
case("gelu", lambda mx: _nn(mx).GELU(), In((2, 5)))
case("activation-softrelu", lambda mx: _nn(mx).Activation("softrelu"), In((2, 5)))

# Contrib
case("identity", lambda mx: _cnn(mx).Identity(), In((2, 3)))
case("pixelshuffle1d", lambda mx: _cnn(mx).PixelShuffle1D(2), In((1, 4, 3)))
case("pixelshuffle2d", lambda mx: _cnn(mx).PixelShuffle2D((2, 3)), In((1, 12, 2, 2)))
case("pixelshuffle3d", lambda mx: _cnn(mx).PixelShuffle3D((2, 1, 2)), In((1, 8, 2, 1, 2)))


def _cast(layer, dtype):
    layer.cast(dtype)
    return layer


def _concurrent(mx):
    net = _cnn(mx).Concurrent(axis=1)
    with net.name_scope():
        net.add(_nn(mx).Dense(3), _nn(mx).Dense(2, activation="relu"), _cnn(mx).Identity())
    return net


def _hybrid_concurrent(mx):
    net = _cnn(mx).HybridConcurrent(axis=1)
    with net.name_scope():
        net.add(_nn(mx).Conv2D(2, 1), _nn(mx).Conv2D(1, 3, padding=1), _cnn(mx).Identity())
    return net


def _convnet(mx):
    nn = _nn(mx)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.MaxPool2D(), nn.Dropout(0.0), nn.Flatten(), nn.Dense(3))
    return net


case("concurrent", _concurrent, In((2, 4)))
case("hybridconcurrent", _hybrid_concurrent, In((1, 2, 3, 3)))
case("convnet", _convnet, In((2, 3, 4, 4)))


# Construction only: reprs and parameters before any forward (MXNet 1.9.1's CPU build
# cannot run channel-last convolutions), and the errors constructors raise.
REPR_CASES = {
    "conv2d-nhwc": lambda mx: _nn(mx).Conv2D(8, 3, layout="NHWC", in_channels=4),
    "conv2d-nhwc-deferred": lambda mx: _nn(mx).Conv2D(8, 3, layout="NHWC"),
    "conv3d-ndhwc": lambda mx: _nn(mx).Conv3D(8, 2, layout="NDHWC", in_channels=2),
    "conv2dtranspose-nhwc":
        lambda mx: _nn(mx).Conv2DTranspose(6, 3, layout="NHWC", groups=2, in_channels=4),
    "conv3dtranspose-deferred": lambda mx: _nn(mx).Conv3DTranspose(4, 3, output_padding=1,
                                                                   strides=2),
    "conv2d-lists": lambda mx: _nn(mx).Conv2D(4, [3, 3], strides=[1, 1], padding=[0, 0]),
    "conv1d-everything":
        lambda mx: _nn(mx).Conv1D(6, 3, strides=2, padding=1, dilation=2, groups=3,
                                  use_bias=False, activation="tanh", in_channels=3),
    "maxpool2d-list-strides": lambda mx: _nn(mx).MaxPool2D(3, strides=[2, 1]),
    "avgpool3d-args": lambda mx: _nn(mx).AvgPool3D((1, 2, 3), 1, 1, True, "NDHWC", False),
    "globalavgpool1d": lambda mx: _nn(mx).GlobalAvgPool1D(),
    "embedding-numpy-dtype": lambda mx: _nn(mx).Embedding(10, 4, dtype=np.float32),
    "embedding-sparse-grad": lambda mx: _nn(mx).Embedding(10, 4, sparse_grad=True),
    "dropout-axes": lambda mx: _nn(mx).Dropout(0.5, axes=(1, 2)),
    "batchnorm-in-channels": lambda mx: _nn(mx).BatchNorm(in_channels=3, momentum=0.5),
    "syncbatchnorm-ndev": lambda mx: _cnn(mx).SyncBatchNorm(in_channels=4, num_devices=2),
    "instancenorm-in-channels": lambda mx: _nn(mx).InstanceNorm(in_channels=3),
    "layernorm-noscale": lambda mx: _nn(mx).LayerNorm(scale=False, in_channels=5),
    "groupnorm-nocenter": lambda mx: _nn(mx).GroupNorm(4, center=False),
    "leakyrelu-zero": lambda mx: _nn(mx).LeakyReLU(0),
    "prelu": lambda mx: _nn(mx).PReLU(in_channels=4),
    "elu": lambda mx: _nn(mx).ELU(),
    "activation": lambda mx: _nn(mx).Activation("relu"),
    "lambda-lambda": lambda mx: _nn(mx).Lambda(lambda x: x),
    "pixelshuffle2d-list": lambda mx: _cnn(mx).PixelShuffle2D([2, 3]),
    "pixelshuffle3d-int": lambda mx: _cnn(mx).PixelShuffle3D(2),
    "hybridconcurrent": _hybrid_concurrent,
    "convnet": _convnet,
}

ERROR_CASES = {
    "conv1d-nwc": lambda mx: _nn(mx).Conv1D(4, 3, layout="NWC"),
    "conv2d-kernel-3": lambda mx: _nn(mx).Conv2D(4, (3, 3, 3)),
    "conv2d-ncdhw": lambda mx: _nn(mx).Conv2D(4, 3, layout="NCDHW"),
    "conv2dtranspose-outpad-3": lambda mx: _nn(mx).Conv2DTranspose(4, 3,
                                                                  output_padding=(1, 1, 1)),
    "maxpool2d-ncw": lambda mx: _nn(mx).MaxPool2D(layout="NCW"),
    "avgpool1d-size-2": lambda mx: _nn(mx).AvgPool1D((2, 2)),
    "globalmaxpool3d-nchw": lambda mx: _nn(mx).GlobalMaxPool3D(layout="NCHW"),
    "leakyrelu-negative": lambda mx: _nn(mx).LeakyReLU(-0.1),
    "lambda-unknown-name": lambda mx: _nn(mx).Lambda("no_such_operator"),
    "lambda-not-callable": lambda mx: _nn(mx).Lambda(3),
    "hybridlambda-not-callable": lambda mx: _nn(mx).HybridLambda(3),
    "reflectionpad2d-short": lambda mx: _nn(mx).ReflectionPad2D((1, 2)),
    "pixelshuffle2d-three": lambda mx: _cnn(mx).PixelShuffle2D((1, 2, 3)),
}


def construct(mx, build):
    with mx.name.NameManager(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = build(mx)
    return {"repr": repr(layer), "params": _params_meta(layer)}


def construct_error(mx, build):
    """The name of the exception ``build`` raises (None if it raises nothing)."""
    try:
        construct(mx, build)
    except Exception as e:  # noqa: BLE001  (recorded: mxjax must raise the same type)
        return type(e).__name__
    return None


# ---- writing -------------------------------------------------------------------------------
def _savez(path, arrays):
    """Like np.savez_compressed, with fixed timestamps so reruns give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


# A hybridized Identity returns its input array itself, which MXNet 1.9.1 leaves off the
# autograd graph: backward raises ("not in a computational graph") or, inside Concurrent,
# drops that branch's gradient. Only the imperative results are recorded for these.
MXNET_HYBRID_BUGS = {"identity", "concurrent"}


def main():
    warnings.filterwarnings("ignore")
    import mxnet as mx

    arrays, meta, problems = {}, {}, []
    for name in CASES:
        got, meta[name] = run_case(mx, name)
        arrays.update({f"{name}:{k}": v for k, v in got.items()})
        # MXNet's hybridized run must agree with its imperative one, or the golden is moot.
        if name in MXNET_HYBRID_BUGS:
            continue
        hyb = run_case(mx, name, hybridize=True)[0]
        for k, v in got.items():
            if not np.allclose(hyb[k], v, rtol=1e-5, atol=1e-6):
                problems.append(f"{name}: hybridized {k} differs in MXNet")
    mx.nd.waitall()
    _savez(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, "cases": meta,
                   "construct": {k: construct(mx, b) for k, b in REPR_CASES.items()},
                   "errors": {k: construct_error(mx, b) for k, b in ERROR_CASES.items()}},
                  f, indent=1, sort_keys=True)
    for p in problems:
        print("warning:", p, file=sys.stderr)
    print(f"{len(CASES)} cases, {len(arrays)} arrays -> {NPZ}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
