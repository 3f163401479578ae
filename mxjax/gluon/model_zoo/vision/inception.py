"""Inception v3 (Szegedy et al., 2015, arXiv:1512.00567), with MXNet 1.9.1's layer
structure and parameter names."""

from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from ._pretrained import load_pretrained

__all__ = ["Inception3", "inception_v3"]


def _conv_bn_relu(**conv_args):
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(use_bias=False, **conv_args))
    out.add(nn.BatchNorm(epsilon=0.001))
    out.add(nn.Activation("relu"))
    return out


def _branch(pool, *convs):
    """An optional pooling ('avg': 3x3 stride 1 pad 1; 'max': 3x3 stride 2), then one
    conv-BatchNorm-relu per ``(channels, kernel_size, strides, padding)`` (None: the
    Conv2D default)."""
    out = nn.HybridSequential(prefix="")
    if pool == "avg":
        out.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif pool == "max":
        out.add(nn.MaxPool2D(pool_size=3, strides=2))
    for conv in convs:
        args = dict(zip(("channels", "kernel_size", "strides", "padding"), conv))
        out.add(_conv_bn_relu(**{k: v for k, v in args.items() if v is not None}))
    return out


def _concurrent(prefix, *branches):
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        for make in branches:
            out.add(make())
    return out


def _split(*convs):
    """Branches of one convolution each, concatenated (Inception-E's 1x3 / 3x1 pairs)."""
    out = HybridConcurrent(axis=1, prefix="")
    for conv in convs:
        out.add(_branch(None, conv))
    return out


def _make_A(pool_features, prefix):
    return _concurrent(
        prefix,
        lambda: _branch(None, (64, 1, None, None)),
        lambda: _branch(None, (48, 1, None, None), (64, 5, None, 2)),
        lambda: _branch(None, (64, 1, None, None), (96, 3, None, 1), (96, 3, None, 1)),
        lambda: _branch("avg", (pool_features, 1, None, None)))


def _make_B(prefix):
    return _concurrent(
        prefix,
        lambda: _branch(None, (384, 3, 2, None)),
        lambda: _branch(None, (64, 1, None, None), (96, 3, None, 1), (96, 3, 2, None)),
        lambda: _branch("max"))


def _make_C(channels_7x7, prefix):
    c = channels_7x7
    return _concurrent(
        prefix,
        lambda: _branch(None, (192, 1, None, None)),
        lambda: _branch(None, (c, 1, None, None), (c, (1, 7), None, (0, 3)),
                        (192, (7, 1), None, (3, 0))),
        lambda: _branch(None, (c, 1, None, None), (c, (7, 1), None, (3, 0)),
                        (c, (1, 7), None, (0, 3)), (c, (7, 1), None, (3, 0)),
                        (192, (1, 7), None, (0, 3))),
        lambda: _branch("avg", (192, 1, None, None)))


def _make_D(prefix):
    return _concurrent(
        prefix,
        lambda: _branch(None, (192, 1, None, None), (320, 3, 2, None)),
        lambda: _branch(None, (192, 1, None, None), (192, (1, 7), None, (0, 3)),
                        (192, (7, 1), None, (3, 0)), (192, 3, 2, None)),
        lambda: _branch("max"))


def _then_split(first, *split):
    def make():
        out = nn.HybridSequential(prefix="")
        out.add(_branch(None, *first))
        out.add(_split(*split))
        return out
    return make


def _make_E(prefix):
    return _concurrent(
        prefix,
        lambda: _branch(None, (320, 1, None, None)),
        _then_split([(384, 1, None, None)],
                    (384, (1, 3), None, (0, 1)), (384, (3, 1), None, (1, 0))),
        _then_split([(448, 1, None, None), (384, 3, None, 1)],
                    (384, (1, 3), None, (0, 1)), (384, (3, 1), None, (1, 0))),
        lambda: _branch("avg", (192, 1, None, None)))


def make_aux(classes):
    """The auxiliary classifier head (not part of :class:`Inception3`)."""
    out = nn.HybridSequential(prefix="")
    out.add(nn.AvgPool2D(pool_size=5, strides=3))
    out.add(_conv_bn_relu(channels=128, kernel_size=1))
    out.add(_conv_bn_relu(channels=768, kernel_size=5))
    out.add(nn.Flatten())
    out.add(nn.Dense(classes))
    return out


class Inception3(HybridBlock):
    """Inception v3: ``features`` (five conv-BatchNorm-relu layers with two max poolings,
    the Inception blocks A1-A3, B, C1-C4, D, E1-E2, 8x8 average pooling, Dropout(0.5)),
    then the ``output`` Dense layer. Expects 299x299 inputs.

    Parameters
    ----------
    classes : int, default 1000
        Number of classes.
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            add = self.features.add
            add(_conv_bn_relu(channels=32, kernel_size=3, strides=2))
            add(_conv_bn_relu(channels=32, kernel_size=3))
            add(_conv_bn_relu(channels=64, kernel_size=3, padding=1))
            add(nn.MaxPool2D(pool_size=3, strides=2))
            add(_conv_bn_relu(channels=80, kernel_size=1))
            add(_conv_bn_relu(channels=192, kernel_size=3))
            add(nn.MaxPool2D(pool_size=3, strides=2))
            add(_make_A(32, "A1_"))
            add(_make_A(64, "A2_"))
            add(_make_A(64, "A3_"))
            add(_make_B("B_"))
            for i, channels_7x7 in enumerate((128, 160, 160, 192)):
                add(_make_C(channels_7x7, f"C{i + 1}_"))
            add(_make_D("D_"))
            add(_make_E("E1_"))
            add(_make_E("E2_"))
            add(nn.AvgPool2D(pool_size=8))
            add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def inception_v3(pretrained=False, ctx=None, root=None, **kwargs):
    """Inception v3.

    Parameters
    ----------
    pretrained : bool, default False
        Load MXNet's pretrained parameters from the local model store
        (:func:`~mxjax.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context, default cpu()
        Context of the pretrained parameters.
    root : str, default ``$MXNET_HOME/models``
        Directory holding the pretrained parameter files.
    **kwargs
        Passed to :class:`Inception3` (``classes``, ``prefix``, ``params``).
    """
    return load_pretrained(Inception3(**kwargs), "inceptionv3", pretrained, ctx, root)
