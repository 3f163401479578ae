"""``gluon.model_zoo.vision``: MXNet 1.9.1's predefined image classification networks.

Each network has MXNet's layer structure and parameter names, so parameter files saved
by MXNet (``save_parameters``, or the pretrained files of its model zoo) load unchanged.
Every network has a ``features`` block and an ``output`` block (the classifier), for
fine-tuning. ``pretrained=True`` reads MXNet's pretrained parameters from the local model
store (:mod:`~mxjax.gluon.model_zoo.model_store`); nothing is downloaded.

Pretrained networks expect RGB images of at least 224x224 (299x299 for Inception v3)
scaled to [0, 1] and normalized with mean (0.485, 0.456, 0.406) and standard deviation
(0.229, 0.224, 0.225).
"""

from .alexnet import *  # noqa: F403
from .alexnet import __all__ as _alexnet_all
from .densenet import *  # noqa: F403
from .densenet import __all__ as _densenet_all
from .inception import *  # noqa: F403
from .inception import __all__ as _inception_all
from .mobilenet import *  # noqa: F403
from .mobilenet import __all__ as _mobilenet_all
from .resnet import *  # noqa: F403
from .resnet import __all__ as _resnet_all
from .squeezenet import *  # noqa: F403
from .squeezenet import __all__ as _squeezenet_all
from .vgg import *  # noqa: F403
from .vgg import __all__ as _vgg_all

__all__ = (_alexnet_all + _densenet_all + _inception_all + _resnet_all + _squeezenet_all
           + _vgg_all + _mobilenet_all + ["get_model"])

_MODELS = {
    **{f"resnet{d}_v{v}": globals()[f"resnet{d}_v{v}"]
       for v in (1, 2) for d in (18, 34, 50, 101, 152)},
    **{f"vgg{d}{bn}": globals()[f"vgg{d}{bn}"] for bn in ("", "_bn") for d in (11, 13, 16, 19)},
    "alexnet": alexnet,  # noqa: F405
    **{f"densenet{d}": globals()[f"densenet{d}"] for d in (121, 161, 169, 201)},
    "squeezenet1.0": squeezenet1_0,  # noqa: F405
    "squeezenet1.1": squeezenet1_1,  # noqa: F405
    "inceptionv3": inception_v3,  # noqa: F405
    "mobilenet1.0": mobilenet1_0,  # noqa: F405
    "mobilenet0.75": mobilenet0_75,  # noqa: F405
    "mobilenet0.5": mobilenet0_5,  # noqa: F405
    "mobilenet0.25": mobilenet0_25,  # noqa: F405
    "mobilenetv2_1.0": mobilenet_v2_1_0,  # noqa: F405
    "mobilenetv2_0.75": mobilenet_v2_0_75,  # noqa: F405
    "mobilenetv2_0.5": mobilenet_v2_0_5,  # noqa: F405
    "mobilenetv2_0.25": mobilenet_v2_0_25,  # noqa: F405
}


def get_model(name, **kwargs):
    """The model zoo network ``name`` (case-insensitive), e.g. 'resnet18_v1', 'vgg16_bn',
    'densenet121', 'squeezenet1.1', 'inceptionv3', 'mobilenet0.25', 'mobilenetv2_1.0'.

    Parameters
    ----------
    name : str
        Name of the model.
    **kwargs
        Passed to the model's function: ``pretrained`` (bool, default False: load MXNet's
        pretrained parameters from the local model store), ``ctx``, ``root`` (default
        ``$MXNET_HOME/models``), ``classes`` and the network's own arguments.

    Returns
    -------
    HybridBlock
        The network.
    """
    name = name.lower()
    if name not in _MODELS:
        raise ValueError("Model {} is not supported. Available options are\n\t{}".format(
            name, "\n\t".join(sorted(_MODELS))))
    return _MODELS[name](**kwargs)
