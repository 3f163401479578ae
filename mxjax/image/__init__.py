"""``mx.image`` (also ``mx.img``): image decoding, resizing, cropping and augmentation."""

from ..util import is_np_array  # noqa: F401  (MXNet's mx.image re-exports it)
from .augmenters import *  # noqa: F403
from .augmenters import __all__ as _augmenters_all
from .image import *  # noqa: F403
from .image import __all__ as _image_all
from .iterator import ImageIter

__all__ = list(_image_all) + list(_augmenters_all) + ["ImageIter"]
