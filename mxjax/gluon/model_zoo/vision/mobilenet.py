"""MobileNet (Howard et al., 2017, arXiv:1704.04861) and MobileNetV2 (Sandler et al.,
2018, arXiv:1801.04381), with MXNet 1.9.1's layer structure and parameter names."""

from ... import nn
from ...block import HybridBlock
from ._pretrained import load_pretrained

__all__ = ["MobileNet", "MobileNetV2", "mobilenet1_0", "mobilenet_v2_1_0", "mobilenet0_75",
           "mobilenet_v2_0_75", "mobilenet0_5", "mobilenet_v2_0_5", "mobilenet0_25",
           "mobilenet_v2_0_25", "get_mobilenet", "get_mobilenet_v2"]


class RELU6(HybridBlock):
    """``min(max(x, 0), 6)``, the activation of MobileNetV2."""

    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name="relu6")


def _add_conv(out, channels=1, kernel=1, stride=1, pad=0, num_group=1, active=True,
              relu6=False):
    """Append convolution (no bias), BatchNorm and, when ``active``, relu or relu6."""
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False))
    out.add(nn.BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else nn.Activation("relu"))


def _add_conv_dw(out, dw_channels, channels, stride, relu6=False):
    """Append a depthwise 3x3 convolution then a pointwise 1x1 one."""
    _add_conv(out, channels=dw_channels, kernel=3, stride=stride, pad=1,
              num_group=dw_channels, relu6=relu6)
    _add_conv(out, channels=channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """MobileNetV2's inverted residual: 1x1 expansion by ``t``, depthwise 3x3 (stride
    ``stride``), linear 1x1 projection, plus the input when the shapes agree.

    Parameters
    ----------
    in_channels : int
        Number of input channels.
    channels : int
        Number of output channels.
    t : int
        Expansion ratio.
    stride : int
        Stride of the depthwise convolution.
    """

    def __init__(self, in_channels, channels, t, stride, **kwargs):
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = nn.HybridSequential()
            _add_conv(self.out, in_channels * t, relu6=True)
            _add_conv(self.out, in_channels * t, kernel=3, stride=stride, pad=1,
                      num_group=in_channels * t, relu6=True)
            _add_conv(self.out, channels, active=False, relu6=True)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


def _scaled(multiplier, channels):
    return [int(c * multiplier) for c in channels]


class MobileNet(HybridBlock):
    """MobileNet: ``features`` (a strided 3x3 convolution, 13 depthwise-separable
    convolutions, global average pooling, flatten), then the ``output`` Dense layer.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier of every layer's channels (at least 0.25).
    classes : int, default 1000
        Number of classes.
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                _add_conv(self.features, channels=int(32 * multiplier), kernel=3, pad=1,
                          stride=2)
                dw_channels = _scaled(multiplier, [32, 64] + [128] * 2 + [256] * 2
                                      + [512] * 6 + [1024])
                channels = _scaled(multiplier, [64] + [128] * 2 + [256] * 2 + [512] * 6
                                   + [1024] * 2)
                strides = [1, 2] * 3 + [1] * 5 + [2, 1]
                for dwc, c, s in zip(dw_channels, channels, strides):
                    _add_conv_dw(self.features, dw_channels=dwc, channels=c, stride=s)
                self.features.add(nn.GlobalAvgPool2D())
                self.features.add(nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNetV2: ``features`` (a strided 3x3 convolution, 17 linear bottlenecks, a 1x1
    convolution to 1280 channels, global average pooling), then ``output`` (1x1
    convolution to ``classes``, flatten).

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier of every layer's channels (the last convolution keeps 1280
        unless the multiplier exceeds 1).
    classes : int, default 1000
        Number of classes.
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1,
                          relu6=True)
                in_channels = _scaled(multiplier, [32] + [16] + [24] * 2 + [32] * 3
                                      + [64] * 4 + [96] * 3 + [160] * 3)
                channels = _scaled(multiplier, [16] + [24] * 2 + [32] * 3 + [64] * 4
                                   + [96] * 3 + [160] * 3 + [320])
                ts = [1] + [6] * 16
                strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
                for in_c, c, t, s in zip(in_channels, channels, ts, strides):
                    self.features.add(LinearBottleneck(in_channels=in_c, channels=c, t=t,
                                                       stride=s))
                last_channels = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _add_conv(self.features, last_channels, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix="output_")
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix="pred_"),
                                nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _version_suffix(multiplier):
    """MXNet's file-name form of a multiplier: '1.0', '0.75', '0.5', '0.25'."""
    suffix = f"{multiplier:.2f}"
    return suffix[:-1] if suffix in ("1.00", "0.50") else suffix


def get_mobilenet(multiplier, pretrained=False, ctx=None, root=None, **kwargs):
    """MobileNet with width multiplier ``multiplier``.

    Parameters
    ----------
    multiplier : float
        Width multiplier (1.0, 0.75, 0.5 and 0.25 have pretrained parameters).
    pretrained : bool, default False
        Load MXNet's pretrained parameters from the local model store
        (:func:`~mxjax.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context, default cpu()
        Context of the pretrained parameters.
    root : str, default ``$MXNET_HOME/models``
        Directory holding the pretrained parameter files.
    **kwargs
        Passed to :class:`MobileNet` (``classes``, ``prefix``, ``params``).
    """
    net = MobileNet(multiplier, **kwargs)
    return load_pretrained(net, f"mobilenet{_version_suffix(multiplier)}", pretrained, ctx,
                           root)


def get_mobilenet_v2(multiplier, pretrained=False, ctx=None, root=None, **kwargs):
    """MobileNetV2 with width multiplier ``multiplier``.

    Parameters
    ----------
    multiplier : float
        Width multiplier (1.0, 0.75, 0.5 and 0.25 have pretrained parameters).
    pretrained : bool, default False
        Load MXNet's pretrained parameters from the local model store
        (:func:`~mxjax.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context, default cpu()
        Context of the pretrained parameters.
    root : str, default ``$MXNET_HOME/models``
        Directory holding the pretrained parameter files.
    **kwargs
        Passed to :class:`MobileNetV2` (``classes``, ``prefix``, ``params``).
    """
    net = MobileNetV2(multiplier, **kwargs)
    return load_pretrained(net, f"mobilenetv2_{_version_suffix(multiplier)}", pretrained,
                           ctx, root)


def _mobilenet(get, multiplier, name):
    def build(**kwargs):
        return get(multiplier, **kwargs)
    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"{'MobileNetV2' if get is get_mobilenet_v2 else 'MobileNet'} with "
                     f"width multiplier {multiplier}; keyword arguments as "
                     f":func:`{get.__name__}` (``pretrained``, ``ctx``, ``root``, "
                     f"``classes``, ...).")
    return build


mobilenet1_0 = _mobilenet(get_mobilenet, 1.0, "mobilenet1_0")
mobilenet0_75 = _mobilenet(get_mobilenet, 0.75, "mobilenet0_75")
mobilenet0_5 = _mobilenet(get_mobilenet, 0.5, "mobilenet0_5")
mobilenet0_25 = _mobilenet(get_mobilenet, 0.25, "mobilenet0_25")
mobilenet_v2_1_0 = _mobilenet(get_mobilenet_v2, 1.0, "mobilenet_v2_1_0")
mobilenet_v2_0_75 = _mobilenet(get_mobilenet_v2, 0.75, "mobilenet_v2_0_75")
mobilenet_v2_0_5 = _mobilenet(get_mobilenet_v2, 0.5, "mobilenet_v2_0_5")
mobilenet_v2_0_25 = _mobilenet(get_mobilenet_v2, 0.25, "mobilenet_v2_0_25")
