"""``mx.image`` (also ``mx.img``): image decoding, resizing, cropping and augmentation."""

from .augmenters import *  # noqa: F403
from .augmenters import __all__ as _augmenters_all
from .image import *  # noqa: F403
from .image import __all__ as _image_all
from .iterator import ImageIter

__all__ = list(_image_all) + list(_augmenters_all) + ["ImageIter"]
