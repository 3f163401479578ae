"""ResNet V1 (He et al., 2015, arXiv:1512.03385) and V2 (He et al., 2016,
arXiv:1603.05027), with MXNet 1.9.1's layer structure and parameter names."""

from ... import nn
from ...block import HybridBlock
from ._pretrained import load_pretrained

__all__ = ["ResNetV1", "ResNetV2", "BasicBlockV1", "BasicBlockV2", "BottleneckV1",
           "BottleneckV2", "resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1",
           "resnet152_v1", "resnet18_v2", "resnet34_v2", "resnet50_v2", "resnet101_v2",
           "resnet152_v2", "get_resnet"]


def _conv3x3(channels, stride, in_channels):
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def _projection_v1(channels, stride, in_channels):
    """The shortcut of a V1 block whose shape changes: 1x1 convolution, BatchNorm."""
    shortcut = nn.HybridSequential(prefix="")
    shortcut.add(nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                           in_channels=in_channels))
    shortcut.add(nn.BatchNorm())
    return shortcut


class _ResidualV1(HybridBlock):
    """``relu(body(x) + shortcut(x))``; the shortcut is the identity unless downsampling."""

    def hybrid_forward(self, F, x):
        shortcut = self.downsample(x) if self.downsample else x
        return F.Activation(self.body(x) + shortcut, act_type="relu")


class BasicBlockV1(_ResidualV1):
    """The two-convolution residual block of ResNet-18/34 V1.

    Parameters
    ----------
    channels : int
        Number of output channels.
    stride : int
        Stride of the first convolution (and of the shortcut).
    downsample : bool, default False
        Whether the shortcut is a strided 1x1 convolution with BatchNorm.
    in_channels : int, default 0
        Number of input channels; 0 infers it from the first input.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        self.body.add(_conv3x3(channels, stride, in_channels))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(_conv3x3(channels, 1, channels))
        self.body.add(nn.BatchNorm())
        self.downsample = _projection_v1(channels, stride, in_channels) if downsample else None


class BottleneckV1(_ResidualV1):
    """The 1x1-3x3-1x1 residual block of ResNet-50/101/152 V1 (stride on the first 1x1).

    Parameters
    ----------
    channels : int
        Number of output channels (the inner convolutions have ``channels // 4``).
    stride : int
        Stride of the first convolution (and of the shortcut).
    downsample : bool, default False
        Whether the shortcut is a strided 1x1 convolution with BatchNorm.
    in_channels : int, default 0
        Number of input channels; 0 infers it from the first input.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        self.body.add(nn.Conv2D(channels // 4, kernel_size=1, strides=stride))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(_conv3x3(channels // 4, 1, channels // 4))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(nn.Conv2D(channels, kernel_size=1, strides=1))
        self.body.add(nn.BatchNorm())
        self.downsample = _projection_v1(channels, stride, in_channels) if downsample else None


class _ResidualV2(HybridBlock):
    """Pre-activation residual: ``x' = relu(bn1(x))``, then the convolutions of
    ``_layers()`` each preceded (but the first) by BatchNorm and relu, plus the shortcut
    (``x``, or a strided 1x1 convolution of ``x'``)."""

    def hybrid_forward(self, F, x):
        shortcut = x
        x = F.Activation(self.bn1(x), act_type="relu")
        if self.downsample:
            shortcut = self.downsample(x)
        for i, (bn, conv) in enumerate(self._layers()):
            if i:
                x = F.Activation(bn(x), act_type="relu")
            x = conv(x)
        return x + shortcut


class BasicBlockV2(_ResidualV2):
    """The two-convolution pre-activation block of ResNet-18/34 V2.

    Parameters
    ----------
    channels : int
        Number of output channels.
    stride : int
        Stride of the first convolution (and of the shortcut).
    downsample : bool, default False
        Whether the shortcut is a strided 1x1 convolution.
    in_channels : int, default 0
        Number of input channels; 0 infers it from the first input.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = (nn.Conv2D(channels, 1, stride, use_bias=False,
                                     in_channels=in_channels) if downsample else None)

    def _layers(self):
        return [(self.bn1, self.conv1), (self.bn2, self.conv2)]


class BottleneckV2(_ResidualV2):
    """The 1x1-3x3-1x1 pre-activation block of ResNet-50/101/152 V2 (stride on the 3x3).

    Parameters
    ----------
    channels : int
        Number of output channels (the inner convolutions have ``channels // 4``).
    stride : int
        Stride of the 3x3 convolution (and of the shortcut).
    downsample : bool, default False
        Whether the shortcut is a strided 1x1 convolution.
    in_channels : int, default 0
        Number of input channels; 0 infers it from the first input.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(channels // 4, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels // 4, stride, channels // 4)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = (nn.Conv2D(channels, 1, stride, use_bias=False,
                                     in_channels=in_channels) if downsample else None)

    def _layers(self):
        return [(self.bn1, self.conv1), (self.bn2, self.conv2), (self.bn3, self.conv3)]


def _stem(features, channels, thumbnail):
    """The first convolution: 3x3 stride 1 for small images (``thumbnail``), else
    7x7 stride 2, BatchNorm, relu and 3x3 max pooling."""
    if thumbnail:
        features.add(_conv3x3(channels, 1, 0))
    else:
        features.add(nn.Conv2D(channels, 7, 2, 3, use_bias=False))
        features.add(nn.BatchNorm())
        features.add(nn.Activation("relu"))
        features.add(nn.MaxPool2D(3, 2, 1))


def _make_stage(block, num_blocks, channels, stride, stage_index, in_channels):
    stage = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=""))
        for _ in range(num_blocks - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=""))
    return stage


class _ResNet(HybridBlock):
    def hybrid_forward(self, F, x):
        return self.output(self.features(x))

    @staticmethod
    def _make_layer(block, layers, channels, stride, stage_index, in_channels=0):
        return _make_stage(block, layers, channels, stride, stage_index, in_channels)


class ResNetV1(_ResNet):
    """ResNet V1: ``features`` (stem, four stages, global average pooling), then the
    ``output`` Dense layer.

    Parameters
    ----------
    block : type
        :class:`BasicBlockV1` or :class:`BottleneckV1`.
    layers : list of int
        Number of blocks in each stage.
    channels : list of int
        Channels of the stem, then of each stage (one more entry than ``layers``).
    classes : int, default 1000
        Number of classes.
    thumbnail : bool, default False
        A 3x3 stride-1 stem without pooling, for small images such as CIFAR's.
    """

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            _stem(self.features, channels[0], thumbnail)
            for i, num_blocks in enumerate(layers):
                self.features.add(self._make_layer(block, num_blocks, channels[i + 1],
                                                   1 if i == 0 else 2, i + 1,
                                                   in_channels=channels[i]))
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])


class ResNetV2(_ResNet):
    """ResNet V2: ``features`` (input BatchNorm without scale or shift, stem, four
    stages, BatchNorm, relu, global average pooling, flatten), then the ``output`` Dense
    layer.

    Parameters
    ----------
    block : type
        :class:`BasicBlockV2` or :class:`BottleneckV2`.
    layers : list of int
        Number of blocks in each stage.
    channels : list of int
        Channels of the stem, then of each stage (one more entry than ``layers``).
    classes : int, default 1000
        Number of classes.
    thumbnail : bool, default False
        A 3x3 stride-1 stem without pooling, for small images such as CIFAR's.
    """

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.BatchNorm(scale=False, center=False))
            _stem(self.features, channels[0], thumbnail)
            in_channels = channels[0]
            for i, num_blocks in enumerate(layers):
                self.features.add(self._make_layer(block, num_blocks, channels[i + 1],
                                                   1 if i == 0 else 2, i + 1,
                                                   in_channels=in_channels))
                in_channels = channels[i + 1]
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.GlobalAvgPool2D())
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes, in_units=in_channels)


# depth -> (block kind, blocks per stage, channels of the stem and each stage)
resnet_spec = {18: ("basic_block", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
               34: ("basic_block", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
               50: ("bottle_neck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
               101: ("bottle_neck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
               152: ("bottle_neck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
resnet_net_versions = [ResNetV1, ResNetV2]
resnet_block_versions = [{"basic_block": BasicBlockV1, "bottle_neck": BottleneckV1},
                         {"basic_block": BasicBlockV2, "bottle_neck": BottleneckV2}]


def get_resnet(version, num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """A ResNet of the given version (1 or 2) and depth (18, 34, 50, 101 or 152).

    Parameters
    ----------
    version : int
        1 or 2.
    num_layers : int
        18, 34, 50, 101 or 152.
    pretrained : bool, default False
        Load MXNet's pretrained parameters from the local model store
        (:func:`~mxjax.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context, default cpu()
        Context of the pretrained parameters.
    root : str, default ``$MXNET_HOME/models``
        Directory holding the pretrained parameter files.
    **kwargs
        Passed to :class:`ResNetV1` / :class:`ResNetV2` (``classes``, ``thumbnail``,
        ``prefix``, ``params``).
    """
    assert num_layers in resnet_spec, \
        f"Invalid number of layers: {num_layers}. Options are {list(resnet_spec)}"
    assert 1 <= version <= 2, f"Invalid resnet version: {version}. Options are 1 and 2."
    block_type, layers, channels = resnet_spec[num_layers]
    block = resnet_block_versions[version - 1][block_type]
    net = resnet_net_versions[version - 1](block, layers, channels, **kwargs)
    return load_pretrained(net, f"resnet{num_layers}_v{version}", pretrained, ctx, root)


def _resnet(version, num_layers):
    def build(**kwargs):
        return get_resnet(version, num_layers, **kwargs)
    build.__name__ = f"resnet{num_layers}_v{version}"
    build.__qualname__ = build.__name__
    build.__doc__ = (f"ResNet-{num_layers} V{version}; keyword arguments as "
                     f":func:`get_resnet` (``pretrained``, ``ctx``, ``root``, ``classes``, "
                     f"...).")
    return build


resnet18_v1 = _resnet(1, 18)
resnet34_v1 = _resnet(1, 34)
resnet50_v1 = _resnet(1, 50)
resnet101_v1 = _resnet(1, 101)
resnet152_v1 = _resnet(1, 152)
resnet18_v2 = _resnet(2, 18)
resnet34_v2 = _resnet(2, 34)
resnet50_v2 = _resnet(2, 50)
resnet101_v2 = _resnet(2, 101)
resnet152_v2 = _resnet(2, 152)
