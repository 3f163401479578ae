"""``mx.image``: read, decode, resize and crop single images (HWC NDArrays).

Images are decoded with OpenCV when it is installed (as MXNet does; Pillow or mxjax's
own PNG reader otherwise) and resized with mxjax's port of ``cv::resize``. The work is
done with numpy on the host: results are host-valued NDArrays (``ndarray.host``), moved
to their device once, when something computes with them. Random choices use Python's
``random`` module, as MXNet's do, so ``random.seed`` reproduces MXNet's crops.
"""

import numbers
import random
import warnings

import numpy as np

from .. import _image_codec
from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import NDArray, host
from ..operator.image import resize

__all__ = ["imread", "imdecode", "imresize", "scale_down", "copyMakeBorder", "resize_short",
           "fixed_crop", "random_crop", "center_crop", "color_normalize", "random_size_crop",
           "imrotate", "random_rotate"]


def _value(src):
    """The numpy value of an NDArray (on the host or a device) or of anything array-like."""
    if not isinstance(src, NDArray):
        return np.asarray(src)
    current = host.value(src)
    return current if current is not None else src.asnumpy()


def _result(array, like=None, out=None):
    """``array`` as a host-valued NDArray on ``like``'s context, or written into ``out``."""
    if out is not None:
        if tuple(out.shape) != array.shape:
            raise MXNetError(f"out: result has shape {array.shape}, but the out array has "
                             f"shape {tuple(out.shape)}")
        host.assign(out, array)
        return out
    ctx = like.context if isinstance(like, NDArray) else None
    return host.wrap(np.ascontiguousarray(array), ctx)


def _decoded(buf, flag, to_rgb):
    if flag < 0:
        raise MXNetError(f"imdecode: flag must be 0 (grayscale) or 1 (color), got {flag}")
    try:
        img = _image_codec.decode(buf, 0 if flag == 0 else 1, bgr=not to_rgb)
    except ValueError as err:
        raise MXNetError(f"imdecode: decoding failed, invalid image file ({err})") from None
    return np.asarray(img, np.uint8)


def imread(filename, flag=1, to_rgb=1, out=None):
    """Read and decode the image file ``filename``: an HxWx3 (``flag=1``) or HxWx1
    (``flag=0``) uint8 NDArray, in RGB order unless ``to_rgb`` is false (BGR)."""
    try:
        with open(filename, "rb") as f:
            buf = f.read()
    except OSError as err:
        raise MXNetError(f"imread: cannot read file {filename!r}: {err}") from None
    return _result(_decoded(buf, flag, to_rgb), out=out)


def imdecode(buf, flag=1, to_rgb=1, out=None):
    """Decode image bytes (bytes, bytearray, a numpy uint8 array or an NDArray of them) to
    an HxWxC uint8 NDArray; ``flag`` and ``to_rgb`` as in ``imread``."""
    if isinstance(buf, NDArray):
        buf = _value(buf).astype(np.uint8).tobytes()
    elif isinstance(buf, np.ndarray):
        buf = buf.astype(np.uint8, copy=False).tobytes()
    elif not isinstance(buf, (bytes, bytearray)):
        raise ValueError("buf must be of type bytes, bytearray or numpy.ndarray, got "
                         f"{type(buf).__name__}; convert a str to bytes first")
    if not buf:
        raise MXNetError("imdecode: the buffer is empty")
    return _result(_decoded(bytes(buf), flag, to_rgb), out=out)


def _resized(img, w, h, interp):
    if interp not in (0, 1, 2, 3, 4):
        raise MXNetError(f"imresize: unknown interpolation method {interp} (0 nearest, "
                         "1 bilinear, 2 bicubic, 3 area, 4 Lanczos; the automatic codes 9 "
                         "and 10 are for resize_short, the crops and the augmenters)")
    if img.ndim != 3:
        raise MXNetError(f"imresize: the image must be HxWxC, got shape {img.shape}")
    if w < 1 or h < 1:
        raise MXNetError(f"imresize: w and h must be at least 1, got w={w}, h={h}")
    try:
        return np.asarray(resize(img, size=(int(w), int(h)), interp=interp, xp=np))
    except MXNetError as err:
        raise MXNetError(f"imresize: {err}") from None


def imresize(src, w, h, interp=1, out=None):
    """Resize the HxWxC image ``src`` to ``w`` x ``h`` as OpenCV does; ``interp``: 0
    nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos."""
    return _result(_resized(_value(src), w, h, interp), src, out)


def scale_down(src_size, size):
    """Shrink the crop ``size`` (w, h), keeping its aspect ratio, until it fits in an
    image of ``src_size`` (w, h)."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


# OpenCV's codes (MXNet's docstring lists them in another order)
_BORDERS = {0: "constant", 1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect"}


def copyMakeBorder(src, top, bot, left, right, type=0, value=0.0, values=(), out=None):  # noqa: A002,N802
    """Pad an HxWxC image as ``cv::copyMakeBorder``: ``type`` 0 constant (``values`` per
    channel, or ``value`` for all), 1 replicate, 2 reflect, 3 wrap, 4 reflect-101."""
    img = _value(src)
    if type not in _BORDERS:
        raise MXNetError(f"copyMakeBorder: unknown border type {type} (0 constant, "
                         "1 replicate, 2 reflect, 3 wrap, 4 reflect_101)")
    if min(top, bot, left, right) < 0:
        raise MXNetError(f"copyMakeBorder: margins must be >= 0, got top={top}, bot={bot}, "
                         f"left={left}, right={right}")
    if img.ndim != 3:
        raise MXNetError(f"copyMakeBorder: the image must be HxWxC, got shape {img.shape}")
    pads = ((top, bot), (left, right), (0, 0))
    if type != 0:
        return _result(np.pad(img, pads, mode=_BORDERS[type]), src, out)
    # cv::Scalar: ``value`` fills three channels, ``values`` up to four; the rest are 0
    fill = list(values)[:4] if len(values) else [value] * 3
    fill = np.array((fill + [0.0] * 4)[:img.shape[2]], np.float64)
    if img.dtype == np.uint8:
        fill = np.clip(np.rint(fill), 0, 255)
    padded = np.empty((img.shape[0] + top + bot, img.shape[1] + left + right, img.shape[2]),
                      img.dtype)
    padded[...] = fill.astype(img.dtype)
    padded[top:top + img.shape[0], left:left + img.shape[1]] = img
    return _result(padded, src, out)


def interp_method(interp, sizes=()):
    """An interpolation code 0-4: 9 picks by the resize's direction (``sizes`` = old h,
    old w, new h, new w), 10 picks at random (Python's ``random``)."""
    if interp == 9:
        if not sizes:
            return 2
        old_h, old_w, new_h, new_w = sizes
        if new_h > old_h and new_w > old_w:
            return 2
        if new_h < old_h and new_w < old_w:
            return 3
        return 1
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError(f"Unknown interp method {interp}")
    return interp


def _short_side(img, size, interp):
    h, w = img.shape[:2]
    new_h, new_w = (size * h // w, size) if h > w else (size, size * w // h)
    return _resized(img, new_w, new_h, interp_method(interp, (h, w, new_h, new_w)))


def resize_short(src, size, interp=2):
    """Resize so that the shorter edge is ``size``, keeping the aspect ratio."""
    return _result(_short_side(_value(src), size, interp), src)


def _fixed_crop(img, x0, y0, w, h, size, interp):
    out = img[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != size:
        sizes = (h, w, size[1], size[0])
        out = _resized(out, size[0], size[1], interp_method(interp, sizes))
    return out


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """The ``w`` x ``h`` window at (``x0``, ``y0``), resized to ``size`` (w, h) if given."""
    return _result(_fixed_crop(_value(src), x0, y0, w, h, size, interp), src)


def _random_crop(img, size, interp):
    h, w = img.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return _fixed_crop(img, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_crop(src, size, interp=2):
    """A random crop of ``size`` (w, h) (scaled down to fit, then resized back to
    ``size``) and its box (x, y, w, h)."""
    out, box = _random_crop(_value(src), size, interp)
    return _result(out, src), box


def _center_crop(img, size, interp):
    h, w = img.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return _fixed_crop(img, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src, size, interp=2):
    """The centred crop of ``size`` (w, h) (scaled down to fit, then resized back to
    ``size``) and its box (x, y, w, h)."""
    out, box = _center_crop(_value(src), size, interp)
    return _result(out, src), box


def _normalized(img, mean, std):
    if img.dtype.kind != "f":
        raise MXNetError(f"color_normalize: the image must be a float array (cast it "
                         f"first), got {img.dtype}")
    if mean is not None:
        img = img - _value(mean).astype(img.dtype)
    if std is not None:
        img = img / _value(std).astype(img.dtype)
    return img


def color_normalize(src, mean, std=None):
    """``(src - mean) / std``, written into ``src`` (as MXNet does) and returned."""
    host.assign(src, _normalized(_value(src), mean, std))
    return src


def _random_size_crop(img, size, area, ratio, interp):
    h, w = img.shape[:2]
    if isinstance(area, numbers.Number):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * h * w
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return _fixed_crop(img, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return _center_crop(img, size, interp)


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """A crop of random area (a fraction in ``area``: min, or (min, max)) and aspect ratio
    (log-uniform in ``ratio``), resized to ``size`` (w, h), and its box (x, y, w, h); after
    ten draws that do not fit, the centre crop."""
    if "min_area" in kwargs:
        warnings.warn("`min_area` is deprecated. Please use `area` instead.",
                      DeprecationWarning, stacklevel=2)
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError(f"random_size_crop: unexpected keyword arguments {sorted(kwargs)}")
    out, box = _random_size_crop(_value(src), size, area, ratio, interp)
    return _result(out, src), box


def _rotation_grid(angles, height, width, zoom_in, zoom_out):
    """The (N, 2, H, W) sampling grid rotating an image by each of ``angles`` (degrees)
    about its centre, in float32 steps as MXNet computes it."""
    f32 = np.float32
    rad = (f32(np.pi) * angles.astype(f32) / f32(180)).reshape(-1, 1, 1)
    hscale, wscale = f32((height - 1) / 2), f32((width - 1) / 2)
    rows = np.arange(height, dtype=f32).reshape(1, height, 1) - hscale
    cols = np.arange(width, dtype=f32).reshape(1, 1, width) - wscale
    cos, sin = np.cos(rad), np.sin(rad)
    x = (cols * cos - rows * sin) / wscale
    y = (cols * sin + rows * cos) / hscale
    grid = np.stack(np.broadcast_arrays(x, y), axis=1)
    if zoom_in or zoom_out:
        h, w = f32(height), f32(width)
        rho, corner = np.sqrt(h * h + w * w), np.arctan(h / w)
        turn = np.abs(rad)
        max_x = np.maximum(np.abs(rho * np.cos(corner + turn)), np.abs(rho * np.cos(corner - turn)))
        max_y = np.maximum(np.abs(rho * np.sin(corner + turn)), np.abs(rho * np.sin(corner - turn)))
        if zoom_out:
            scale = np.maximum(max_x / w, max_y / h)
        else:
            scale = np.minimum(w / max_x, h / max_y)
        grid = grid * scale[:, None]
    return grid


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """Rotate a float32 CHW image (by a number of degrees) or NCHW batch (by a number or
    one angle per image) about the centre, bilinearly; ``zoom_in`` scales so no padding
    shows, ``zoom_out`` so the whole image stays in view."""
    if zoom_in and zoom_out:
        raise ValueError("`zoom_in` and `zoom_out` cannot be both True")
    if src.dtype != np.float32:
        raise TypeError("Only `float32` images are supported by this function")
    single = src.ndim == 3
    if single:
        if not isinstance(rotation_degrees, numbers.Number):
            raise TypeError("When a single image is passed the rotation angle is "
                            "required to be a scalar.")
        src = src.expand_dims(axis=0)
    elif src.ndim != 4:
        raise ValueError("Only 3D and 4D are supported by this function")
    if isinstance(rotation_degrees, numbers.Number):
        angles = np.full(len(src), rotation_degrees, np.float32)
    else:
        angles = _value(rotation_degrees).reshape(-1)
    if len(angles) != len(src):
        raise ValueError("The number of images must be equal to the number of rotation "
                         f"angles, got {len(src)} images and {len(angles)} angles")
    grid = _rotation_grid(angles, src.shape[2], src.shape[3], zoom_in, zoom_out)
    out = nd.BilinearSampler(src, host.wrap(grid, src.context))
    return out[0] if single else out


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """``imrotate`` by angles drawn uniformly from ``angle_limits`` (degrees) with numpy's
    global generator, one per image."""
    if src.ndim == 3:
        angles = np.random.uniform(*angle_limits)
    else:
        angles = np.random.uniform(*angle_limits, size=src.shape[0]).astype(np.float32)
    return imrotate(src, angles, zoom_in=zoom_in, zoom_out=zoom_out)
