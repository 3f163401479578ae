"""``vision.transforms``: image transforms as Gluon blocks (HWC images in, as MXNet).

On a host image (an NDArray whose value is still numpy: a dataset sample, see
``mxjax.ndarray.host``), outside autograd recording and hybridized tracing, ``ToTensor``,
``Normalize``, ``Cast``, ``Resize``, the crops, the flips and the colour transforms
compute with numpy (``_host_ops.py``; ``Resize`` runs its kernel with numpy): no JAX
dispatch per sample. Elsewhere they run as operators.

Deterministic transforms match MXNet 1.9.1's values: ``Resize`` and the crops reproduce
the OpenCV ``resize`` MXNet calls, bit for bit on JAX's CPU backend for every method and
for uint8 and float images (backends that fuse multiply-adds may differ by one unit in
the last place, or by 1 on uint8). Random transforms draw from ``mx.random``
(reproducible with ``mx.random.seed``; on host images from ``mx.random.host_generator()``,
also reseeded by ``mx.random.seed``), except those that draw as MXNet does:
``RandomResizedCrop`` and ``RandomApply`` from Python's ``random``, ``RandomRotation``
from numpy's global generator. ``Rotate`` and ``RandomRotation`` take float32 CHW images
(``mx.image.imrotate``).
"""

import random

import numpy as np

from .... import image
from .... import ndarray as nd
from .... import random as _random
from ....base import MXNetError, numeric_types
from ....image.image import interp_method
from ....ndarray import host
from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential
from . import _host_ops as host_ops
from . import _image_ops as ops

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Rotate", "RandomRotation",
           "RandomResizedCrop", "CropResize", "CenterCrop", "Resize", "RandomFlipLeftRight",
           "RandomFlipTopBottom", "RandomBrightness", "RandomContrast", "RandomSaturation",
           "RandomHue", "RandomColorJitter", "RandomLighting", "RandomApply"]


class _HostPath:
    """A transform with a numpy version, ``_host(value)``, used on host images (it may
    return ``None``: no host version for that input).

    ``_batch_ndim``: the rank of a batch on which ``_host`` gives the stack of what it
    gives for each sample (0: any rank; ``None``: it does not); ``DataLoader`` then
    transforms whole batches (``_host_batch``).
    """

    _batch_ndim = None

    def forward(self, x, *args):
        value = None if args else host.value(x)
        if value is not None:
            out = self._host(value)
            if out is not None:
                return host.wrap(out, x.context)
        return super().forward(x, *args)

    def _host(self, value):
        raise NotImplementedError

    def _host_batch(self, batch):
        """``_host`` on a batch of samples, or ``None`` (each sample goes through
        ``__call__`` then, which raises what it should)."""
        if (self._batch_ndim is None or self._batch_ndim not in (0, batch.ndim)
                or self._forward_hooks or self._forward_pre_hooks or not host.enabled()):
            return None
        try:
            return self._host(batch)
        except MXNetError:
            return None


def _through_on_host(blocks, x):
    """Host image ``x`` through ``blocks`` in order: numpy to numpy where a block has a
    numpy version (and no hooks), else through its call."""
    ctx, value = x.context, host.value(x)
    for block in blocks:
        if value is not None and isinstance(block, _HostPath) \
                and not (block._forward_hooks or block._forward_pre_hooks):
            out = block._host(value)
            if out is not None:
                value = out
                continue
        x = block(x if value is None else host.wrap(value, ctx))
        value = host.value(x)
    return x if value is None else host.wrap(value, ctx)


class Compose(Sequential):
    """Applies ``transforms`` in order. Consecutive HybridBlocks are grouped into one
    hybridized ``HybridSequential``, as in MXNet.

    Examples
    --------
    >>> t = transforms.Compose([transforms.Resize(300), transforms.CenterCrop(256),
    ...                         transforms.ToTensor()])
    """

    def __init__(self, transforms):
        super().__init__()
        self._transforms = list(transforms)
        hybrid = []
        for t in self._transforms + [None]:
            if isinstance(t, HybridBlock):
                hybrid.append(t)
                continue
            if len(hybrid) == 1:
                self.add(hybrid[0])
            elif len(hybrid) > 1:
                group = HybridSequential()
                for h in hybrid:
                    group.add(h)
                group.hybridize()
                self.add(group)
            hybrid = []
            if t is not None:
                self.add(t)

    def _steps(self):
        """The transforms in order, a hybridized group's one by one."""
        for block in self._children.values():
            if type(block) is HybridSequential:
                yield from block._children.values()
            else:
                yield block

    def _host_batch(self, batch):
        if self._forward_hooks or self._forward_pre_hooks:
            return None
        for block in self._steps():
            batch = block._host_batch(batch) if hasattr(block, "_host_batch") else None
            if batch is None:
                return None
        return batch

    def forward(self, x, *args):
        for block in self._children.values():
            if type(block) is HybridSequential and not args and host.value(x) is not None:
                # A host image goes through the group's transforms one by one, each with
                # its numpy version, rather than through the compiled group.
                x = _through_on_host(block._children.values(), x)
            else:
                x = block(x, *args)
                args = ()
                if isinstance(x, (tuple, list)):
                    args, x = x[1:], x[0]
        return (x, *args) if args else x

    def __reduce__(self):
        # Rebuilt from its transforms when unpickled (in DataLoader workers): the compiled
        # function of the hybridized group cannot be pickled.
        return type(self), (self._transforms,)


class Cast(_HostPath, HybridBlock):
    """Casts the input to ``dtype`` (default float32)."""

    def __init__(self, dtype="float32"):
        super().__init__()
        self._dtype = dtype

    _batch_ndim = 0

    def _host(self, value):
        return value.astype(nd.dtype_np(self._dtype))

    def hybrid_forward(self, F, x):
        return F.cast(x, self._dtype)


class ToTensor(_HostPath, HybridBlock):
    """(H, W, C) or (N, H, W, C) image in [0, 255] -> float32 (C, H, W) or (N, C, H, W)
    in [0, 1]."""

    _host = staticmethod(host_ops.to_tensor)
    _batch_ndim = 4

    def hybrid_forward(self, F, x):
        host_ops.check_to_tensor(x.shape)
        axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
        return F.transpose(F.cast(x, "float32") / 255.0, axes=axes)


def _per_channel(values, channels, what, shape):
    values = np.atleast_1d(np.asarray(values, np.float32))
    if values.size not in (1, channels):
        raise MXNetError(f"Normalize: {what} must have 1 or {channels} elements for "
                             f"input of shape {shape}, got {values.tolist()}")
    return np.broadcast_to(values, (channels,))


class Normalize(_HostPath, HybridBlock):
    """``(x[c] - mean[c]) / std[c]`` for a (C, H, W) or (N, C, H, W) tensor with 1 or 3
    channels; a scalar mean or std applies to every channel.

    Parameters
    ----------
    mean : float or tuple of floats, default 0
    std : float or tuple of floats, default 1
    """

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean = mean
        self._std = std
        self._constants = {}

    _batch_ndim = 4

    def _mean_std(self, shape, dtype):
        """mean and std of ``dtype``, shaped (C, 1, 1), for an input of ``shape``."""
        host_ops.check_normalize(shape)
        channels = shape[-3]
        key = (channels, dtype)
        if key not in self._constants:
            self._constants[key] = tuple(
                _per_channel(v, channels, what, shape).astype(dtype).reshape(channels, 1, 1)
                for v, what in ((self._mean, "mean"), (self._std, "std")))
        return self._constants[key]

    def _host(self, value):
        return host_ops.normalize(value, *self._mean_std(value.shape, value.dtype))

    def hybrid_forward(self, F, x):
        dtype = np.dtype(x.dtype)
        mean, std = self._mean_std(x.shape, dtype)
        return F.broadcast_div(F.broadcast_sub(x, nd.array(mean, dtype=dtype)),
                               nd.array(std, dtype=dtype))


class Resize(_HostPath, HybridBlock):
    """Resizes an (H, W, C) or (N, H, W, C) image, before ``ToTensor``.

    Parameters
    ----------
    size : int or tuple of (W, H)
        Output size; an int gives a square, or with ``keep_ratio`` the shorter edge.
    keep_ratio : bool, default False
        With an int ``size``: scale the shorter edge to ``size``, keeping the aspect.
    interpolation : int, default 1
        OpenCV's method: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos.
    """

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._keep = keep_ratio
        self._size = size
        self._interpolation = interpolation

    _batch_ndim = 4

    def _host(self, value):
        return ops.resize(value, size=_hashable(self._size), keep_ratio=self._keep,
                          interp=self._interpolation, xp=np)

    def hybrid_forward(self, F, x):
        return ops.apply(ops.resize, x, size=_hashable(self._size), keep_ratio=self._keep,
                         interp=self._interpolation)


def _hashable(size):
    return tuple(size) if isinstance(size, (list, tuple)) else size


class CropResize(_HostPath, HybridBlock):
    """Crops the ``width`` x ``height`` box at (``x``, ``y``) out of an (H, W, C) or
    (N, H, W, C) image, then optionally resizes it to ``size`` = (w, h) or int.

    ``interpolation`` defaults to bilinear (MXNet 1.9.1 fails when it is left at None).
    """

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._x, self._y = x, y
        self._width, self._height = width, height
        self._size = size
        self._interpolation = interpolation

    def _check(self, shape):
        if len(shape) not in (3, 4) or shape[-1] not in (1, 3):
            raise MXNetError(f"CropResize: input must be (H, W, C) or (N, H, W, C) with "
                             f"1 or 3 channels, got shape {tuple(shape)}")
        if (self._width <= 0 or self._height <= 0 or self._x + self._width > shape[-2]
                or self._y + self._height > shape[-3]):
            raise MXNetError(
                f"CropResize: box x={self._x}, y={self._y}, width={self._width}, "
                f"height={self._height} does not fit in an image of shape {tuple(shape)}")

    def _host(self, value):
        self._check(value.shape)
        out = value[..., self._y:self._y + self._height, self._x:self._x + self._width, :]
        if self._size:
            interp = 1 if self._interpolation is None else self._interpolation
            out = ops.resize(out, size=_hashable(self._size), interp=interp, xp=np)
        return out

    def hybrid_forward(self, F, x):
        h_axis = x.ndim - 3
        self._check(x.shape)
        begin = [None] * x.ndim
        end = [None] * x.ndim
        begin[h_axis:h_axis + 2] = [self._y, self._x]
        end[h_axis:h_axis + 2] = [self._y + self._height, self._x + self._width]
        out = F.slice(x, begin=tuple(begin), end=tuple(end))
        if self._size:
            interp = 1 if self._interpolation is None else self._interpolation
            out = ops.apply(ops.resize, out, size=_hashable(self._size), interp=interp)
        return out


def _fixed_crop(src, x0, y0, w, h, size, interp):
    """Crop (x0, y0, w, h) out of an HWC image, resizing to ``size`` = (w, h) if needed."""
    value = host.value(src)
    out = src[y0:y0 + h, x0:x0 + w] if value is None else value[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        method = interp_method(interp, (h, w, size[1], size[0]))
        if value is None:
            return ops.apply(ops.resize, out, size=tuple(size), interp=method)
        out = ops.resize(out, size=tuple(size), interp=method, xp=np)
    return out if value is None else host.wrap(out, src.context)


def _scale_down(src_size, size):
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def _center_crop(src, size, interp):
    h, w, _ = src.shape
    new_w, new_h = _scale_down((w, h), size)
    x0, y0 = int((w - new_w) / 2), int((h - new_h) / 2)
    return _fixed_crop(src, x0, y0, new_w, new_h, size, interp)


class CenterCrop(Block):
    """Crops the centre of an (H, W, C) image to ``size`` = (W, H) or int; an image
    smaller than ``size`` is cropped to its aspect ratio and scaled up.

    Parameters
    ----------
    size : int or tuple of (W, H)
    interpolation : int, default 1
        Method for the resize, as in ``Resize`` (also 9: auto, 10: random).
    """

    def __init__(self, size, interpolation=1):
        super().__init__()
        self._size = (size, size) if isinstance(size, numeric_types) else tuple(size)
        self._interpolation = interpolation

    def forward(self, x):
        return _center_crop(x, self._size, self._interpolation)


class RandomResizedCrop(Block):
    """Crops a random part of an (H, W, C) image, of random area (``scale`` of the
    original) and aspect ratio (``ratio``), and resizes it to ``size`` = (W, H) or int.
    Falls back to a centre crop after 10 unsuccessful draws. Uses Python's ``random``.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=1):
        super().__init__()
        self._size = (size, size) if isinstance(size, numeric_types) else tuple(size)
        self._scale = scale
        self._ratio = ratio
        self._interpolation = interpolation

    def forward(self, x):
        h, w, _ = x.shape
        area = (self._scale, 1.0) if isinstance(self._scale, numeric_types) else self._scale
        log_ratio = (np.log(self._ratio[0]), np.log(self._ratio[1]))
        for _ in range(10):
            target = random.uniform(area[0], area[1]) * h * w
            aspect = np.exp(random.uniform(*log_ratio))
            new_w = int(round(np.sqrt(target * aspect)))
            new_h = int(round(np.sqrt(target / aspect)))
            if new_w <= w and new_h <= h:
                x0 = random.randint(0, w - new_w)
                y0 = random.randint(0, h - new_h)
                return _fixed_crop(x, x0, y0, new_w, new_h, self._size, self._interpolation)
        return _center_crop(x, self._size, self._interpolation)


class _RandomImageOp(_HostPath, HybridBlock):
    """A random image kernel with a fresh ``mx.random`` key per call; on a host image,
    ``_random_host(value, rng)`` with ``mx.random.host_generator()``."""

    _kernel = None

    def __init__(self, **static):
        super().__init__()
        self._static = static

    def _check(self, shape):
        if len(shape) != 3 or shape[-1] not in (1, 3):
            raise MXNetError(f"{type(self).__name__}: input must be an (H, W, C) image "
                             f"with 1 or 3 channels, got shape {tuple(shape)}")

    def _host(self, value):
        self._check(value.shape)
        return self._random_host(value, _random.host_generator())

    def _random_host(self, value, rng):
        return None

    def hybrid_forward(self, F, x):
        self._check(x.shape)
        return ops.apply(type(self)._kernel, x, _random.next_key(concrete=True), **self._static)


class RandomFlipLeftRight(_RandomImageOp):
    """Flips an (H, W, C) image left to right with probability 1/2."""

    _kernel = staticmethod(ops.random_flip)

    def __init__(self):
        super().__init__(axis=1)

    def _random_host(self, value, rng):
        return value if rng.random() < 0.5 else host_ops.flip(value, 1)


class RandomFlipTopBottom(_RandomImageOp):
    """Flips an (H, W, C) image upside down with probability 1/2."""

    _kernel = staticmethod(ops.random_flip)

    def __init__(self):
        super().__init__(axis=0)

    def _random_host(self, value, rng):
        return value if rng.random() < 0.5 else host_ops.flip(value, 0)


class _RandomEnhance(_RandomImageOp):
    _kernel = staticmethod(ops.random_enhance)
    _kind = None

    def __init__(self, amount):
        super().__init__(kind=self._kind, min_factor=max(0.0, 1.0 - amount),
                         max_factor=1.0 + amount)

    def _random_host(self, value, rng):
        return _HOST_ADJUST[self._kind](value, rng.uniform(self._static["min_factor"],
                                                           self._static["max_factor"]))


_HOST_ADJUST = {"brightness": host_ops.adjust_brightness,
                "contrast": host_ops.adjust_contrast,
                "saturation": host_ops.adjust_saturation, "hue": host_ops.adjust_hue}


class RandomBrightness(_RandomEnhance):
    """Scales the pixel values by a factor uniform in [max(0, 1 - brightness),
    1 + brightness]."""

    _kind = "brightness"


class RandomContrast(_RandomEnhance):
    """Blends with the mean grey level by a factor uniform in [max(0, 1 - contrast),
    1 + contrast]."""

    _kind = "contrast"


class RandomSaturation(_RandomEnhance):
    """Blends with the grey image by a factor uniform in [max(0, 1 - saturation),
    1 + saturation]."""

    _kind = "saturation"


class RandomHue(_RandomEnhance):
    """Rotates the hue by ``alpha * 360`` degrees, ``alpha`` uniform in
    [max(0, 1 - hue), 1 + hue] (MXNet's factor convention)."""

    _kind = "hue"


class RandomColorJitter(_RandomImageOp):
    """Jitters brightness, contrast, saturation (factors 1 +- amount) and hue (+- hue
    turns) in a random order; an amount of 0 leaves that property alone."""

    _kernel = staticmethod(ops.random_color_jitter)

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__(brightness=float(brightness), contrast=float(contrast),
                         saturation=float(saturation), hue=float(hue))

    def _random_host(self, value, rng):
        for kind in rng.permutation(list(_HOST_ADJUST)):
            amount = self._static[kind]
            if amount > 0:
                alpha = rng.uniform(-amount, amount)
                value = _HOST_ADJUST[kind](value, alpha if kind == "hue" else 1.0 + alpha)
        return value


class RandomLighting(_RandomImageOp):
    """Adds AlexNet's PCA-based colour noise with per-channel strengths drawn from
    N(0, alpha)."""

    _kernel = staticmethod(ops.random_lighting)

    def __init__(self, alpha):
        super().__init__(alpha_std=float(alpha))

    def _random_host(self, value, rng):
        return host_ops.adjust_lighting(value, rng.normal(0.0, self._static["alpha_std"], 3))


class RandomApply(Sequential):
    """Applies ``transforms`` with probability ``p`` (Python's ``random``)."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)


class Rotate(Block):
    """Rotate a float32 (N,) C, H, W image by ``rotation_degrees`` about its centre
    (``mx.image.imrotate``); ``zoom_in``/``zoom_out`` as there."""

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        super().__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x):
        if x.dtype != np.float32:
            raise TypeError("This transformation only supports float32. "
                            "Consider calling it after ToTensor")
        return image.imrotate(x, *self._args)


class RandomRotation(Block):
    """With probability ``rotate_with_proba``, rotate by an angle drawn uniformly from
    ``angle_limits`` (``mx.image.random_rotate``; numpy's global generator, as MXNet)."""

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("`angle_limits` must be an ordered tuple")
        if rotate_with_proba < 0 or rotate_with_proba > 1:
            raise ValueError("Probability of rotating the image should be between 0 and 1")
        self._args = (angle_limits, zoom_in, zoom_out)
        self._rotate_with_proba = rotate_with_proba

    def forward(self, x):
        if np.random.random() > self._rotate_with_proba:
            return x
        if x.dtype != np.float32:
            raise TypeError("This transformation only supports float32. "
                            "Consider calling it after ToTensor")
        return image.random_rotate(x, *self._args)
