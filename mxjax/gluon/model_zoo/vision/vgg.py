"""VGG (Simonyan & Zisserman, 2014, arXiv:1409.1556), with MXNet 1.9.1's layer structure
and parameter names."""

from ....initializer import Xavier
from ... import nn
from ...block import HybridBlock
from ._pretrained import load_pretrained

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn", "get_vgg"]


class VGG(HybridBlock):
    """VGG: ``features`` (3x3 convolution groups each closed by 2x2 max pooling, then two
    Dense(4096) + Dropout(0.5) layers), then the ``output`` Dense layer.

    Parameters
    ----------
    layers : list of int
        Number of convolutions in each group.
    filters : list of int
        Channels of each group's convolutions (as long as ``layers``).
    classes : int, default 1000
        Number of classes.
    batch_norm : bool, default False
        BatchNorm after each convolution.
    """

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(filters)
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation="relu",
                                           weight_initializer="normal",
                                           bias_initializer="zeros"))
                self.features.add(nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal",
                                   bias_initializer="zeros")

    @staticmethod
    def _make_features(layers, filters, batch_norm):
        features = nn.HybridSequential(prefix="")
        for num_convs, channels in zip(layers, filters):
            for _ in range(num_convs):
                features.add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                       weight_initializer=Xavier(rnd_type="gaussian",
                                                                 factor_type="out",
                                                                 magnitude=2),
                                       bias_initializer="zeros"))
                if batch_norm:
                    features.add(nn.BatchNorm())
                features.add(nn.Activation("relu"))
            features.add(nn.MaxPool2D(strides=2))
        return features

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (convolutions per group, channels per group)
vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """A VGG network of depth 11, 13, 16 or 19.

    Parameters
    ----------
    num_layers : int
        11, 13, 16 or 19.
    pretrained : bool, default False
        Load MXNet's pretrained parameters from the local model store
        (:func:`~mxjax.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context, default cpu()
        Context of the pretrained parameters.
    root : str, default ``$MXNET_HOME/models``
        Directory holding the pretrained parameter files.
    **kwargs
        Passed to :class:`VGG` (``classes``, ``batch_norm``, ``prefix``, ``params``).
    """
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    name = f"vgg{num_layers}{'_bn' if kwargs.get('batch_norm') else ''}"
    return load_pretrained(net, name, pretrained, ctx, root)


def _vgg(num_layers, batch_norm):
    def build(**kwargs):
        if batch_norm:
            kwargs["batch_norm"] = True
        return get_vgg(num_layers, **kwargs)
    build.__name__ = build.__qualname__ = f"vgg{num_layers}{'_bn' if batch_norm else ''}"
    build.__doc__ = (f"VGG-{num_layers}{' with BatchNorm' if batch_norm else ''}; keyword "
                     f"arguments as :func:`get_vgg` (``pretrained``, ``ctx``, ``root``, "
                     f"``classes``, ...).")
    return build


vgg11 = _vgg(11, False)
vgg13 = _vgg(13, False)
vgg16 = _vgg(16, False)
vgg19 = _vgg(19, False)
vgg11_bn = _vgg(11, True)
vgg13_bn = _vgg(13, True)
vgg16_bn = _vgg(16, True)
vgg19_bn = _vgg(19, True)
