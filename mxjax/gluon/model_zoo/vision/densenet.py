"""DenseNet-BC (Huang et al., 2016, arXiv:1608.06993), with MXNet 1.9.1's layer structure
and parameter names."""

from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent, Identity
from ._pretrained import load_pretrained

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _dense_layer(growth_rate, bn_size, dropout):
    """``concat(x, conv3x3(conv1x1(x)))`` with pre-activation BatchNorm + relu."""
    new_features = nn.HybridSequential(prefix="")
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False))
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity())
    out.add(new_features)
    return out


def _dense_block(num_layers, bn_size, growth_rate, dropout, stage_index):
    out = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_dense_layer(growth_rate, bn_size, dropout))
    return out


def _transition(channels):
    out = nn.HybridSequential(prefix="")
    out.add(nn.BatchNorm())
    out.add(nn.Activation("relu"))
    out.add(nn.Conv2D(channels, kernel_size=1, use_bias=False))
    out.add(nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """DenseNet-BC: ``features`` (7x7 stride-2 convolution, max pooling, dense blocks
    joined by halving transitions, BatchNorm, relu, 7x7 average pooling, flatten), then
    the ``output`` Dense layer.

    Parameters
    ----------
    num_init_features : int
        Channels of the first convolution.
    growth_rate : int
        Channels each dense layer adds (``k`` in the paper).
    block_config : list of int
        Number of dense layers in each block.
    bn_size : int, default 4
        The bottleneck 1x1 convolutions have ``bn_size * growth_rate`` channels.
    dropout : float, default 0
        Dropout rate after each dense layer (none when 0).
    classes : int, default 1000
        Number of classes.
    """

    def __init__(self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0,
                 classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                                        padding=3, use_bias=False))
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            channels = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_dense_block(num_layers, bn_size, growth_rate, dropout,
                                               i + 1))
                channels += num_layers * growth_rate
                if i != len(block_config) - 1:
                    channels //= 2
                    self.features.add(_transition(channels))
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.AvgPool2D(pool_size=7))
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (first convolution's channels, growth rate, dense layers per block)
densenet_spec = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """A DenseNet-BC of depth 121, 161, 169 or 201.

    Parameters
    ----------
    num_layers : int
        121, 161, 169 or 201.
    pretrained : bool, default False
        Load MXNet's pretrained parameters from the local model store
        (:func:`~mxjax.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context, default cpu()
        Context of the pretrained parameters.
    root : str, default ``$MXNET_HOME/models``
        Directory holding the pretrained parameter files.
    **kwargs
        Passed to :class:`DenseNet` (``bn_size``, ``dropout``, ``classes``, ``prefix``,
        ``params``).
    """
    num_init_features, growth_rate, block_config = densenet_spec[num_layers]
    net = DenseNet(num_init_features, growth_rate, block_config, **kwargs)
    return load_pretrained(net, f"densenet{num_layers}", pretrained, ctx, root)


def _densenet(num_layers):
    def build(**kwargs):
        return get_densenet(num_layers, **kwargs)
    build.__name__ = build.__qualname__ = f"densenet{num_layers}"
    build.__doc__ = (f"DenseNet-BC {num_layers}; keyword arguments as :func:`get_densenet` "
                     f"(``pretrained``, ``ctx``, ``root``, ``classes``, ...).")
    return build


densenet121 = _densenet(121)
densenet161 = _densenet(161)
densenet169 = _densenet(169)
densenet201 = _densenet(201)
