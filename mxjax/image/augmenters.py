"""``mx.image``'s augmenters: callables on one HWC image NDArray, and ``CreateAugmenter``.

They compute with numpy on the host (``image.py``) and draw their random numbers as
MXNet's do: Python's ``random`` for crops, flips, colour jitters and orders, numpy's
global generator for the PCA lighting noise. The colour augmenters that MXNet runs in
place (brightness, contrast, saturation, lighting, normalisation) write into their input
and return it, as there.
"""

import json
import random
import warnings

import numpy as np

from ..base import MXNetError
from ..ndarray import NDArray, host
from .image import (
    _center_crop,
    _normalized,
    _random_crop,
    _random_size_crop,
    _resized,
    _result,
    _short_side,
    _value,
    interp_method,
)

__all__ = ["Augmenter", "SequentialAug", "ResizeAug", "ForceResizeAug", "RandomCropAug",
           "RandomSizedCropAug", "CenterCropAug", "RandomOrderAug", "BrightnessJitterAug",
           "ContrastJitterAug", "SaturationJitterAug", "HueJitterAug", "ColorJitterAug",
           "LightingAug", "ColorNormalizeAug", "RandomGrayAug", "HorizontalFlipAug", "CastAug",
           "CreateAugmenter"]

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
_F32 = np.float32


def _float32(aug, img):
    # MXNet combines the image with float32 constants, which needs a float32 image
    if img.dtype != np.float32:
        raise MXNetError(f"{aug}: the image must be float32 (add CastAug first), got "
                         f"{img.dtype}")
    return img


def _in_place(src, array):
    host.assign(src, array)
    return src


class Augmenter:
    """Base class of the augmenters: keeps the constructor's arguments for ``dumps``."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        for key, value in kwargs.items():
            if isinstance(value, NDArray):
                value = value.asnumpy()
            if isinstance(value, np.ndarray):
                kwargs[key] = value.tolist()

    def dumps(self):
        """A JSON string ``[class name in lower case, constructor arguments]``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src):
        raise NotImplementedError("Must override implementation.")


class _ListAug(Augmenter):
    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        """``[class name, [each augmenter's dumps()]]`` (a list, not a string)."""
        return [self.__class__.__name__.lower(), [t.dumps() for t in self.ts]]

    def _apply(self, src):
        for aug in self.ts:
            src = aug(src)
        return src


class SequentialAug(_ListAug):
    """Apply the augmenters ``ts`` one after another."""

    def __call__(self, src):
        return self._apply(src)


class RandomOrderAug(_ListAug):
    """Apply the augmenters ``ts`` in a random order (``ts`` is shuffled in place)."""

    def __call__(self, src):
        random.shuffle(self.ts)
        return self._apply(src)


class ResizeAug(Augmenter):
    """Resize the shorter edge to ``size``."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return _result(_short_side(_value(src), self.size, self.interp), src)


class ForceResizeAug(Augmenter):
    """Resize to ``size`` (w, h), whatever the aspect ratio."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        img = _value(src)
        sizes = (img.shape[0], img.shape[1], self.size[1], self.size[0])
        interp = interp_method(self.interp, sizes)
        return _result(_resized(img, self.size[0], self.size[1], interp), src)


class RandomCropAug(Augmenter):
    """A random crop of ``size`` (w, h), as ``random_crop``."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return _result(_random_crop(_value(src), self.size, self.interp)[0], src)


class RandomSizedCropAug(Augmenter):
    """A crop of random area and aspect ratio resized to ``size``, as
    ``random_size_crop``."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size = size
        if "min_area" in kwargs:
            warnings.warn("`min_area` is deprecated. Please use `area` instead.",
                          DeprecationWarning, stacklevel=2)
            area = kwargs.pop("min_area")
        if kwargs:
            raise TypeError(f"RandomSizedCropAug: unexpected keyword arguments {sorted(kwargs)}")
        self.area = area
        self.ratio = ratio
        self.interp = interp

    def __call__(self, src):
        out = _random_size_crop(_value(src), self.size, self.area, self.ratio, self.interp)
        return _result(out[0], src)


class CenterCropAug(Augmenter):
    """The centred crop of ``size`` (w, h), as ``center_crop``."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return _result(_center_crop(_value(src), self.size, self.interp)[0], src)


class BrightnessJitterAug(Augmenter):
    """Scale by 1 + uniform(-brightness, brightness), in place."""

    def __init__(self, brightness):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.brightness, self.brightness)
        img = _value(src)
        # MXNet casts the factor to the image's type (a uint8 image gets 0 or 1)
        return _in_place(src, img * np.asarray(alpha).astype(img.dtype))


class ContrastJitterAug(Augmenter):
    """Blend with the mean grey level: factor 1 + uniform(-contrast, contrast), in place."""

    def __init__(self, contrast):
        super().__init__(contrast=contrast)
        self.contrast = contrast

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        img = _float32("ContrastJitterAug", _value(src))
        gray = img * _LUMA
        gray = _F32(3.0 * (1.0 - alpha) / gray.size) * gray.sum(dtype=_F32)
        return _in_place(src, img * _F32(alpha) + gray)


class SaturationJitterAug(Augmenter):
    """Blend with each pixel's grey level: factor 1 + uniform(-saturation, saturation),
    in place."""

    def __init__(self, saturation):
        super().__init__(saturation=saturation)
        self.saturation = saturation

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        img = _float32("SaturationJitterAug", _value(src))
        weighted = img * _LUMA
        gray = (weighted[..., :1] + weighted[..., 1:2] + weighted[..., 2:3]) * _F32(1.0 - alpha)
        return _in_place(src, img * _F32(alpha) + gray)


class HueJitterAug(Augmenter):
    """Rotate the hue by uniform(-hue, hue) half turns, in YIQ space (a linear map)."""

    _TYIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
    _ITYIQ = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])

    def __init__(self, hue):
        super().__init__(hue=hue)
        self.hue = hue

    def __call__(self, src):
        alpha = random.uniform(-self.hue, self.hue)
        u, w = np.cos(alpha * np.pi), np.sin(alpha * np.pi)
        rotation = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = (self._ITYIQ @ rotation @ self._TYIQ).T.astype(_F32)
        img = _float32("HueJitterAug", _value(src))
        return _result(img @ t, src)


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those > 0), in a random order."""

    def __init__(self, brightness, contrast, saturation):
        ts = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """Add PCA noise: ``eigvec * alpha`` times ``eigval``, alpha ~ N(0, alphastd) from
    numpy's global generator, in place."""

    def __init__(self, alphastd, eigval, eigvec):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def __call__(self, src):
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        rgb = np.dot(np.asarray(self.eigvec) * alpha, np.asarray(self.eigval))
        img = _float32("LightingAug", _value(src))
        return _in_place(src, img + rgb.astype(_F32))


def _stat(value):
    """A mean or std as numpy: an NDArray's value, anything else as float32 (nd.array)."""
    if value is None or isinstance(value, NDArray):
        return None if value is None else _value(value)
    return np.asarray(value, _F32)


class ColorNormalizeAug(Augmenter):
    """``(src - mean) / std``, in place, as ``color_normalize``."""

    def __init__(self, mean, std):
        super().__init__(mean=mean, std=std)
        self.mean, self.std = _stat(mean), _stat(std)

    def __call__(self, src):
        return _in_place(src, _normalized(_value(src), self.mean, self.std))


class RandomGrayAug(Augmenter):
    """With probability ``p``, replace each channel by the grey level
    (0.21 R + 0.72 G + 0.07 B); the channel count stays."""

    _MAT = np.array([[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]], _F32)

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            return _result(_float32("RandomGrayAug", _value(src)) @ self._MAT, src)
        return src


class HorizontalFlipAug(Augmenter):
    """Flip left-right with probability ``p``."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            return _result(_value(src)[:, ::-1], src)
        return src


class CastAug(Augmenter):
    """Cast to ``typ``."""

    def __init__(self, typ="float32"):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return _result(_value(src).astype(self.typ), src)


_PCA_EIGVAL = np.array([55.46, 4.794, 1.148])
_PCA_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                        [-0.5808, -0.0045, -0.8140],
                        [-0.5836, -0.6948, 0.4203]])


def _checked_stat(name, value, default):
    if value is True:
        return np.array(default, _F32)
    if value is not None and not (isinstance(value, (np.ndarray, NDArray))
                                  and value.shape[0] in (1, 3)):
        raise AssertionError(f"CreateAugmenter: {name} must be True, None or a numpy array "
                             f"or NDArray of 1 or 3 values, got {value!r}")
    return value


def CreateAugmenter(data_shape, resize=0, rand_crop=False, rand_resize=False,  # noqa: N802
                    rand_mirror=False, mean=None, std=None, brightness=0, contrast=0,
                    saturation=0, hue=0, pca_noise=0, rand_gray=0, inter_method=2):
    """The list of augmenters MXNet's image iterators use for these options, in MXNet's
    order: resize, crop (random sized, random or centre) to ``data_shape`` (c, h, w),
    mirror, cast to float32, colour jitter, hue, PCA noise, grey, normalisation
    (``mean``/``std`` True for ImageNet's)."""
    auglist = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise AssertionError("CreateAugmenter: rand_resize needs rand_crop=True")
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        auglist.append(LightingAug(pca_noise, _PCA_EIGVAL, _PCA_EIGVEC))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))
    mean = _checked_stat("mean", mean, [123.68, 116.28, 103.53])
    std = _checked_stat("std", std, [58.395, 57.12, 57.375])
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist
