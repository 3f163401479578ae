"""Image operators (``mx.nd.image``, ``mx.sym.image``) and the kernels behind them.

Pure JAX functions on HWC (or NHWC) images, also used by ``gluon.data.vision.transforms``.
``resize`` reproduces OpenCV's ``cv::resize``, which MXNet calls: its source-pixel
mapping, its border handling and, for uint8 images, its 11-bit fixed-point weights.
The colour kernels follow MXNet's ``_image_random_*`` operators, including the
saturating uint8 cast that truncates.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..base import MXNetError
from .spec import Required, register

__all__ = ["LUMA", "PCA_EIGEN", "resize_shape", "resize", "flip", "random_flip",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "adjust_lighting", "random_enhance", "random_color_jitter", "random_lighting"]

_COEF_BITS = 11                    # OpenCV's INTER_RESIZE_COEF_BITS
_COEF_SCALE = 1 << _COEF_BITS
LUMA = (0.299, 0.587, 0.114)       # MXNet's (and OpenCV's) luma weights
PCA_EIGEN = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                      [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                      [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]], np.float32)


def _saturate(val, dtype):
    """MXNet's cast back to the image dtype: uint8 clips to [0, 255] and truncates."""
    if dtype == jnp.uint8:
        val = jnp.clip(val, 0.0, 255.0)
    return val.astype(dtype)


# ---- resize ------------------------------------------------------------------------------
def resize_shape(height, width, size, keep_ratio):
    """``(new_height, new_width)`` for ``size`` = int or (width, height), as MXNet's
    ``_image_resize`` computes it."""
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    if len(size) not in (1, 2) or min(size) <= 0:
        raise MXNetError(f"image resize: size must be a positive int or (width, height), "
                         f"got {size}")
    if len(size) == 2:
        return size[1], size[0]
    if not keep_ratio:
        return size[0], size[0]
    if height > width:
        return height * size[0] // width, size[0]
    return size[0], width * size[0] // height


def _cubic(f):
    a = -0.75
    c0 = ((a * (f + 1) - 5 * a) * (f + 1) + 8 * a) * (f + 1) - 4 * a
    c1 = ((a + 2) * f - (a + 3)) * f * f + 1
    c2 = ((a + 2) * (1 - f) - (a + 3)) * (1 - f) * (1 - f) + 1
    return np.stack([c0, c1, c2, 1 - c0 - c1 - c2], -1)


def _lanczos4(f):
    s45 = math.sqrt(0.5)
    phase = np.array([[1, 0], [-s45, -s45], [0, 1], [s45, -s45], [-1, 0], [s45, s45],
                      [0, -1], [-s45, s45]])
    exact = f < np.finfo(np.float32).eps
    f3 = (np.where(exact, 0.5, f) + np.float32(3)).astype(np.float32)[:, None]
    # OpenCV forms x + 3 - i in float32 before going to double: keep that rounding
    y0 = -f3.astype(np.float64) * math.pi * 0.25
    y = -(f3 - np.arange(8, dtype=np.float32)).astype(np.float64) * math.pi * 0.25
    c = ((phase[:, 0] * np.sin(y0) + phase[:, 1] * np.cos(y0)) / (y * y)).astype(np.float32)
    total = np.zeros(len(c), np.float32)
    for k in range(8):  # float32, left to right, then times the reciprocal: as OpenCV
        total = total + c[:, k]
    c = c * (np.float32(1) / total)[:, None]
    return np.where(exact[:, None], np.eye(8, dtype=np.float32)[3], c)


def _area_taps(src, dst):
    """Shrinking with INTER_AREA: each output averages the source cells it covers."""
    scale = src / dst
    taps = []
    for d in range(dst):
        lo, hi = d * scale, d * scale + scale
        cell = min(scale, src - lo)
        first, last = math.ceil(lo), min(math.floor(hi), src - 1)
        first = min(first, last)
        row = []
        if first - lo > 1e-3:
            row.append((first - 1, (first - lo) / cell))
        row += [(s, 1.0 / cell) for s in range(first, last)]
        if hi - last > 1e-3:
            row.append((last, min(hi - last, 1.0, cell) / cell))
        taps.append(row)
    width = max(len(r) for r in taps)
    index = np.zeros((dst, width), np.int64)
    weight = np.zeros((dst, width), np.float32)
    for d, row in enumerate(taps):
        for k, (s, w) in enumerate(row):
            index[d, k], weight[d, k] = s, w
    return index, weight


_KERNELS = {"linear": (None, np.arange(2)), "area_up": (None, np.arange(2)),
            "cubic": (_cubic, np.arange(-1, 3)), "lanczos": (_lanczos4, np.arange(-3, 5))}


@functools.cache
def _taps(src, dst, mode, columns, fixed):
    """Source indices ``(dst, K)`` and weights for one axis, following cv::resize:
    float32 weights, or OpenCV's 11-bit fixed-point ones (``fixed``, for uint8)."""
    inv = dst / src
    scale = 1.0 / inv
    d = np.arange(dst)
    if mode == "nearest":
        return np.minimum(np.floor(d * scale), src - 1).astype(np.int64)[:, None], None
    if mode == "area":
        return _area_taps(src, dst)
    if mode == "area_up":  # INTER_AREA when some axis grows: linear with these phases
        s = np.floor(d * scale).astype(np.int64)
        f = ((d + 1) - (s + 1) * inv).astype(np.float32)
        f = np.where(f <= 0, np.float32(0), f - np.floor(f)).astype(np.float32)
    else:
        f = ((d + 0.5) * scale - 0.5).astype(np.float32)
        s = np.floor(f).astype(np.int64)
        f = (f - s).astype(np.float32)
    weights_of, offsets = _KERNELS[mode]
    if weights_of is None:
        if columns:  # cv::resize pins the column weights at the borders, not the rows'
            f = np.where((s < 0) | (s >= src - 1), np.float32(0), f)
            s = np.clip(s, 0, src - 1)
        weight = np.stack([1 - f, f], -1)
    else:
        weight = weights_of(f)
    index = np.clip(s[:, None] + offsets, 0, src - 1)
    if fixed:
        return index, np.rint(weight.astype(np.float32) * _COEF_SCALE).astype(np.int64)
    return index, weight.astype(np.float32)


def _along(xp, x, axis, index, weight, acc_dtype):
    """Weighted sum of the taps along ``axis``, accumulated left to right."""
    if weight is None:
        return xp.take(x, xp.asarray(index[:, 0]), axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    total = None
    for k in range(index.shape[1]):
        taken = xp.take(x, xp.asarray(index[:, k]), axis=axis).astype(acc_dtype)
        term = taken * xp.asarray(weight[:, k], acc_dtype).reshape(shape)
        total = term if total is None else total + term
    return total


def _fixed_vertical(xp, rows, ax, index, beta, mode):
    """OpenCV's vertical pass over the fixed-point rows of a uint8 image, with the exact
    arithmetic of its (SIMD and scalar) code for each method."""
    taps = [xp.take(rows, xp.asarray(index[:, k]), axis=ax) for k in range(index.shape[1])]
    shape = [1] * rows.ndim
    shape[ax] = -1

    def b(k, dtype):
        return xp.asarray(beta[:, k], dtype).reshape(shape)

    if mode in ("linear", "area_up"):
        # 16-bit arithmetic: (((s >> 4) * b) >> 16) per tap, summed, then a rounding >> 2
        out = sum(((t >> 4) * b(k, np.int32)) >> 16 for k, t in enumerate(taps))
        return xp.clip((out + 2) >> 2, 0, 255).astype(np.uint8)
    out = sum(t.astype(np.int64) * b(k, np.int64) for k, t in enumerate(taps))
    out = (out + (1 << (2 * _COEF_BITS - 1))) >> (2 * _COEF_BITS)
    if mode == "cubic":
        # The vector loop (8 elements a step, the row's tail left to the exact code above)
        # works in float32: s0*b0 + (s1*b1 + (s2*b2 + s3*b3)), rounded to nearest even.
        scale = np.float32(1.0 / (_COEF_SCALE * _COEF_SCALE))
        vec = None
        for k in reversed(range(len(taps))):
            term = taps[k].astype(np.float32) * (b(k, np.float32) * scale)
            vec = term if vec is None else term + vec
        width = rows.shape[-1] * rows.shape[-2]
        in_vector = np.arange(width).reshape(rows.shape[-2:]) < width // 8 * 8
        out = xp.where(xp.asarray(in_vector), xp.rint(vec).astype(np.int64), out)
    return xp.clip(out, 0, 255).astype(np.uint8)


def _area_fast(xp, x, fy, fx, axis_h):
    """Integer-factor shrink: block means (OpenCV's resizeAreaFast)."""
    h, w = (x.shape[axis_h] // fy) * fy, (x.shape[axis_h + 1] // fx) * fx
    x = x[(slice(None),) * axis_h + (slice(0, h), slice(0, w))]
    blocks = x.shape[:axis_h] + (h // fy, fy, w // fx, fx, x.shape[-1])
    axes = (axis_h + 1, axis_h + 3)
    if x.dtype == np.uint8:
        total = x.astype(np.int32).reshape(blocks).sum(axes)
        if fy == fx == 2:
            return ((total + 2) >> 2).astype(np.uint8)
        mean = total.astype(np.float32) * np.float32(1.0 / (fx * fy))
        return xp.clip(xp.rint(mean), 0, 255).astype(np.uint8)
    acc = x.dtype if x.dtype == np.float64 else np.float32
    cells = x.astype(acc).reshape(blocks)
    terms = [[xp.take(xp.take(cells, i, axis=axes[0]), j, axis=axes[1] - 1)
              for j in range(fx)] for i in range(fy)]
    if fx == fy == 2:  # OpenCV's 2x2 code: the four cells left to right, top to bottom
        total = terms[0][0] + terms[0][1] + terms[1][0] + terms[1][1]
    else:  # its general code: each row of a block, then the row sums top to bottom
        total = _left_to_right([_left_to_right(row) for row in terms])
    return (total * np.array(1.0 / (fx * fy), acc)).astype(x.dtype)


def _left_to_right(terms):
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


_MODES = {0: "nearest", 1: "linear", 2: "cubic", 3: "area", 4: "lanczos"}


def resize(x, *, size, keep_ratio=False, interp=1, xp=jnp):
    """cv::resize of an (H, W, C) or (N, H, W, C) image; ``size`` is int or (w, h).
    ``xp=numpy`` computes it with numpy, for an image on the host."""
    if x.ndim not in (3, 4):
        raise MXNetError(f"image resize: input must be (H, W, C) or (N, H, W, C), "
                         f"got shape {x.shape}")
    if x.dtype not in (np.uint8, np.float32, np.float64):
        raise MXNetError(f"image resize: dtype {x.dtype} is not supported (OpenCV resizes "
                         "uint8, float32 and float64 images)")
    if interp not in _MODES:
        raise MXNetError(f"image resize: unknown interpolation method {interp} "
                         "(0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos)")
    ax = x.ndim - 3
    src_h, src_w = x.shape[ax], x.shape[ax + 1]
    dst_h, dst_w = resize_shape(src_h, src_w, size, keep_ratio)
    if (dst_h, dst_w) == (src_h, src_w):
        return x
    sy, sx = src_h / dst_h, src_w / dst_w
    whole = sy == int(sy) and sx == int(sx)
    if whole and (interp == 3 or (interp == 1 and sy == sx == 2)):
        return _area_fast(xp, x, int(sy), int(sx), ax)
    mode = _MODES[interp]
    if mode == "area" and not (sy >= 1 and sx >= 1):
        mode = "area_up"
    fixed = x.dtype == np.uint8 and mode not in ("nearest", "area")
    taps_x = _taps(src_w, dst_w, mode, True, fixed)
    taps_y = _taps(src_h, dst_h, mode, False, fixed)
    if fixed:
        rows = _along(xp, x, ax + 1, *taps_x, np.int32)
        return _fixed_vertical(xp, rows, ax, *taps_y, mode)
    acc = np.float64 if x.dtype == np.float64 else np.float32
    out = _along(xp, _along(xp, x, ax + 1, *taps_x, acc), ax, *taps_y, acc)
    if x.dtype == np.uint8 and mode == "area":
        return xp.clip(xp.rint(out), 0, 255).astype(np.uint8)
    return out.astype(x.dtype)


# ---- flips -------------------------------------------------------------------------------
def flip(x, *, axis):
    """Reverse the rows (axis 0) or columns (axis 1) of an HWC image."""
    return jnp.flip(x, axis)


def random_flip(x, key, *, axis):
    """Flip with probability 1/2."""
    return jnp.where(jax.random.bernoulli(key), x, jnp.flip(x, axis))


# ---- colour ------------------------------------------------------------------------------
def _gray(x):
    f = x.astype(jnp.float32)
    return f[..., 0] * LUMA[0] + f[..., 1] * LUMA[1] + f[..., 2] * LUMA[2]


def adjust_brightness(x, alpha):
    return _saturate(x.astype(jnp.float32) * alpha, x.dtype)


def adjust_contrast(x, alpha):
    gray = _gray(x) if x.shape[-1] > 1 else x[..., 0].astype(jnp.float32)
    beta = (1 - alpha) * jnp.mean(gray)
    return _saturate(x.astype(jnp.float32) * alpha + beta, x.dtype)


def adjust_saturation(x, alpha):
    # MXNet 1.9.1's kernel assigns instead of summing the luma terms (grey = 0.114 * B);
    # mxjax blends with the real luma, which is what the operator documents.
    if x.shape[-1] == 1:
        return x
    gray = (_gray(x) * (1 - alpha))[..., None]
    return _saturate(gray + x.astype(jnp.float32) * alpha, x.dtype)


def _rgb_to_hls(rgb):
    r, g, b = (rgb[..., i] / 255.0 for i in range(3))
    vmax = jnp.maximum(jnp.maximum(r, g), b)
    vmin = jnp.minimum(jnp.minimum(r, g), b)
    diff = vmax - vmin
    light = (vmax + vmin) * 0.5
    colour = diff > np.finfo(np.float32).eps
    safe = jnp.where(colour, diff, 1.0)
    sat = jnp.where(light < 0.5, diff / jnp.where(colour, vmax + vmin, 1.0),
                    diff / jnp.where(colour, 2.0 - vmax - vmin, 1.0))
    k = 60.0 / safe
    hue = jnp.where(vmax == r, (g - b) * k,
                    jnp.where(vmax == g, (b - r) * k + 120.0, (r - g) * k + 240.0))
    hue = jnp.where(hue < 0, hue + 360.0, hue)
    return jnp.where(colour, hue, 0.0), light, jnp.where(colour, sat, 0.0)


def _hls_to_rgb(hue, light, sat):
    p2 = jnp.where(light <= 0.5, light * (1 + sat), light + sat - light * sat)
    p1 = 2 * light - p2
    h = jnp.mod(hue * (1.0 / 60.0), 6.0)
    sector = jnp.clip(jnp.floor(h), 0, 5).astype(jnp.int32)
    h = h - sector
    tab = jnp.stack([p2, p1, p1 + (p2 - p1) * (1 - h), p1 + (p2 - p1) * h], -1)
    # per sector: which of tab gives (b, g, r)
    order = jnp.asarray([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])
    picks = jnp.take_along_axis(tab, order[sector], axis=-1)
    rgb = picks[..., ::-1] * 255.0
    return jnp.where((sat == 0)[..., None], (light * 255.0)[..., None], rgb)


def adjust_hue(x, alpha):
    if x.shape[-1] == 1:
        return x
    hue, light, sat = _rgb_to_hls(x.astype(jnp.float32))
    return _saturate(_hls_to_rgb(hue + alpha * 360.0, light, sat), x.dtype)


def adjust_lighting(x, alpha):
    """Add AlexNet's PCA colour noise ``eig @ alpha`` to each pixel."""
    if x.shape[-1] == 1:
        return x
    pca = jnp.asarray(PCA_EIGEN) @ jnp.asarray(alpha, jnp.float32)
    return _saturate(x.astype(jnp.float32) + pca, x.dtype)


_ADJUST = {"brightness": adjust_brightness, "contrast": adjust_contrast,
           "saturation": adjust_saturation, "hue": adjust_hue}


def random_enhance(x, key, *, kind, min_factor, max_factor):
    """One of brightness/contrast/saturation/hue with a factor uniform in [min, max)."""
    alpha = jax.random.uniform(key, (), jnp.float32, min_factor, max_factor)
    return _ADJUST[kind](x, alpha)


def random_color_jitter(x, key, *, brightness, contrast, saturation, hue):
    """The four adjustments in a random order, each with a random factor around 1
    (around 0 for hue); an amount of 0 skips that adjustment."""
    order_key, *keys = jax.random.split(key, 5)
    order = jax.random.permutation(order_key, 4)
    steps = []
    for i, (kind, amount) in enumerate(zip(_ADJUST, (brightness, contrast, saturation, hue))):
        if amount <= 0:
            steps.append(lambda y: y)
            continue
        alpha = jax.random.uniform(keys[i], (), jnp.float32, -amount, amount)
        alpha = alpha if kind == "hue" else 1.0 + alpha
        steps.append(functools.partial(lambda y, f, a: f(y, a), f=_ADJUST[kind], a=alpha))
    for position in range(4):
        x = jax.lax.switch(order[position], steps, x)
    return x


def random_lighting(x, key, *, alpha_std):
    alpha = jax.random.normal(key, (3,), jnp.float32) * alpha_std
    return adjust_lighting(x, alpha)


# ---- the registered operators ------------------------------------------------------------
def _image_channels(op, data):
    """MXNet's check for the (H, W, C) augmenters: three axes, 1 or 3 channels."""
    if data.ndim != 3 or data.shape[-1] not in (1, 3):
        raise MXNetError(f"{op}: the input image must have shape (height, width, channels) "
                         f"with 1 or 3 channels, got {data.shape}")


def _hwc_or_nhwc(op, data):
    if data.ndim not in (3, 4):
        raise MXNetError(f"{op}: the input image must have shape (height, width, channels) "
                         f"or (N, height, width, channels), got {data.shape}")


@register("_image_to_tensor", lists_input_names=True)
def to_tensor(data):
    """(H, W, C) or (N, H, W, C) values in [0, 255] -> float32 (C, H, W) or (N, C, H, W)
    in [0, 1]."""
    _hwc_or_nhwc("_image_to_tensor", data)
    return jnp.moveaxis(data.astype(jnp.float32) / np.float32(255.0), -1, -3)


def _per_channel(op, name, value, channels, shape):
    value = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(value) not in (1, channels):
        raise MXNetError(f"{op}: invalid {name} for input with shape {shape}: {name} must "
                         f"have either 1 or {channels} elements, got {value}")
    return np.broadcast_to(np.asarray(value, np.float32), (channels,))


@register("_image_normalize", attrs=dict(mean=(0.0, 0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0, 1.0)),
          lists_input_names=True)
def normalize(data, *, mean, std):
    """``(data - mean) / std`` per channel of a (C, H, W) or (N, C, H, W) tensor."""
    op = "_image_normalize"
    if data.ndim not in (3, 4) or data.shape[-3] not in (1, 3):
        raise MXNetError(f"{op}: the input must have shape (C, H, W) or (N, C, H, W) with "
                         f"1 or 3 channels, got {data.shape}")
    channels = data.shape[-3]
    mean = _per_channel(op, "mean", mean, channels, data.shape).reshape(channels, 1, 1)
    std = _per_channel(op, "std", std, channels, data.shape).reshape(channels, 1, 1)
    if jnp.issubdtype(data.dtype, jnp.floating):
        acc = jnp.float32 if data.dtype == jnp.float16 else data.dtype  # float16 via float
        out = (data.astype(acc) - mean.astype(acc)) / std.astype(acc)
        return out.astype(data.dtype)
    # MXNet computes an integer image's values in float32 and casts them back the C way:
    # truncated, then wrapped into the type (-1.0 becomes 255 for uint8).
    out = jnp.trunc((data.astype(jnp.float32) - mean) / std)
    return out.astype(jnp.int64).astype(data.dtype)


def _register_flip(name, axis):
    @register(f"_image_{name}", doc=f"Flip an (H, W, C) image {name[5:].replace('_', ' ')}.")
    def fixed(data):
        _image_channels(f"_image_{name}", data)
        return flip(data, axis=axis)

    @register(f"_image_random_{name}", random=True,
              doc=f"Flip an (H, W, C) image {name[5:].replace('_', ' ')} with "
                  "probability 1/2.")
    def random(data, *, key):
        _image_channels(f"_image_random_{name}", data)
        return random_flip(data, key, axis=axis)


_register_flip("flip_left_right", 1)
_register_flip("flip_top_bottom", 0)


def _register_enhance(kind):
    op = f"_image_random_{kind}"

    @register(op, attrs=dict(min_factor=Required, max_factor=Required), random=True,
              doc=f"Adjust the {kind} of an (H, W, C) image by a factor drawn uniformly "
                  "from [min_factor, max_factor).")
    def enhance(data, *, min_factor, max_factor, key):
        _image_channels(op, data)
        if min_factor < 0:
            raise MXNetError(f"{op}: min_factor must be at least 0, got {min_factor}")
        return random_enhance(data, key, kind=kind, min_factor=min_factor,
                              max_factor=max_factor)


for _kind in ("brightness", "contrast", "saturation", "hue"):
    _register_enhance(_kind)


@register("_image_random_color_jitter", random=True,
          attrs=dict(brightness=Required, contrast=Required, saturation=Required,
                     hue=Required))
def image_random_color_jitter(data, *, brightness, contrast, saturation, hue, key):
    """Brightness, contrast, saturation and hue jitter of an (H, W, C) image, in a random
    order."""
    _image_channels("_image_random_color_jitter", data)
    return random_color_jitter(data, key, brightness=brightness, contrast=contrast,
                               saturation=saturation, hue=hue)


@register("_image_adjust_lighting", attrs=dict(alpha=Required))
def image_adjust_lighting(data, *, alpha):
    """AlexNet-style PCA lighting noise with the given R, G, B alphas."""
    _image_channels("_image_adjust_lighting", data)
    alpha = tuple(alpha) if isinstance(alpha, (tuple, list)) else (alpha,)
    if len(alpha) != 3:
        raise MXNetError(f"_image_adjust_lighting: alpha needs 3 values (R, G, B), got "
                         f"{alpha}")
    return adjust_lighting(data, alpha)


@register("_image_random_lighting", attrs=dict(alpha_std=0.05), random=True)
def image_random_lighting(data, *, alpha_std, key):
    """PCA lighting noise with alphas drawn from N(0, alpha_std)."""
    _image_channels("_image_random_lighting", data)
    return random_lighting(data, key, alpha_std=alpha_std)


@register("_image_crop", attrs=dict(x=Required, y=Required, width=Required, height=Required))
def image_crop(data, *, x, y, width, height):
    """The ``height`` x ``width`` window at (``y``, ``x``) of an (N,) H, W, C image."""
    op = "_image_crop"
    _hwc_or_nhwc(op, data)
    if data.shape[-1] not in (1, 3):
        raise MXNetError(f"{op}: expects 1 or 3 channels, got shape {data.shape}")
    if width <= 0 or height <= 0:
        raise MXNetError(f"{op}: height and width must be greater than 0, got "
                         f"height={height}, width={width}")
    h, w = data.shape[-3], data.shape[-2]
    if x + width > w or y + height > h:
        raise MXNetError(f"{op}: the window x={x}, y={y}, width={width}, height={height} "
                         f"does not fit an image of shape {data.shape}")
    return data[..., y:y + height, x:x + width, :]


@register("_image_resize", attrs=dict(size=(), keep_ratio=False, interp=1))
def image_resize(data, *, size, keep_ratio, interp):
    """Resize an (N,) H, W, C image to ``size`` (an int, or (width, height)) as OpenCV
    does."""
    _hwc_or_nhwc("_image_resize", data)
    return resize(data, size=size, keep_ratio=keep_ratio, interp=interp)
