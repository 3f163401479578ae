"""SqueezeNet 1.0 (Iandola et al., 2016, arXiv:1602.07360) and 1.1 (from the authors'
repository), with MXNet 1.9.1's layer structure and parameter names."""

from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from ._pretrained import load_pretrained

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


def _conv_relu(channels, kernel_size, padding=0):
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(channels, kernel_size, padding=padding))
    out.add(nn.Activation("relu"))
    return out


def _fire(squeeze, expand1x1, expand3x3):
    """A fire module: 1x1 squeeze, then 1x1 and 3x3 expansions concatenated."""
    out = nn.HybridSequential(prefix="")
    out.add(_conv_relu(squeeze, 1))
    expand = HybridConcurrent(axis=1, prefix="")
    expand.add(_conv_relu(expand1x1, 1))
    expand.add(_conv_relu(expand3x3, 3, 1))
    out.add(expand)
    return out


def _pool():
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


# Per version: the first convolution (channels, kernel), then "pool" or a fire module's
# (squeeze, expand) channels, in order.
_LAYOUT = {
    "1.0": ((96, 7), ["pool", (16, 64), (16, 64), (32, 128), "pool", (32, 128), (48, 192),
                      (48, 192), (64, 256), "pool", (64, 256)]),
    "1.1": ((64, 3), ["pool", (16, 64), (16, 64), "pool", (32, 128), (32, 128), "pool",
                      (48, 192), (48, 192), (64, 256), (64, 256)]),
}


class SqueezeNet(HybridBlock):
    """SqueezeNet: ``features`` (a strided convolution, fire modules and max poolings,
    Dropout(0.5)), then ``output`` (1x1 convolution to ``classes``, relu, 13x13 average
    pooling, flatten).

    Parameters
    ----------
    version : str
        '1.0' or '1.1'.
    classes : int, default 1000
        Number of classes.
    """

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        assert version in ["1.0", "1.1"], \
            f"Unsupported SqueezeNet version {version}: 1.0 or 1.1 expected"
        (stem_channels, stem_kernel), stages = _LAYOUT[version]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(stem_channels, kernel_size=stem_kernel, strides=2))
            self.features.add(nn.Activation("relu"))
            for stage in stages:
                self.features.add(_pool() if stage == "pool"
                                  else _fire(stage[0], stage[1], stage[1]))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1))
            self.output.add(nn.Activation("relu"))
            self.output.add(nn.AvgPool2D(13))
            self.output.add(nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, pretrained=False, ctx=None, root=None, **kwargs):
    """SqueezeNet of version '1.0' or '1.1'.

    Parameters
    ----------
    version : str
        '1.0' or '1.1'.
    pretrained : bool, default False
        Load MXNet's pretrained parameters from the local model store
        (:func:`~mxjax.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context, default cpu()
        Context of the pretrained parameters.
    root : str, default ``$MXNET_HOME/models``
        Directory holding the pretrained parameter files.
    **kwargs
        Passed to :class:`SqueezeNet` (``classes``, ``prefix``, ``params``).
    """
    net = SqueezeNet(version, **kwargs)
    return load_pretrained(net, f"squeezenet{version}", pretrained, ctx, root)


def squeezenet1_0(**kwargs):
    """SqueezeNet 1.0; keyword arguments as :func:`get_squeezenet`."""
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs):
    """SqueezeNet 1.1 (about 2.4x less computation than 1.0); keyword arguments as
    :func:`get_squeezenet`."""
    return get_squeezenet("1.1", **kwargs)
