"""numpy versions of the per-sample transforms, for images still on the host.

A transform whose input is an NDArray with a host value (``mxjax.ndarray.host``: a
dataset sample, or the output of another host transform), outside autograd recording
and hybridized tracing, computes with these instead of its operator: no JAX dispatch
per sample. They compute in float32, step by step in MXNet's order (its sequential sum
for contrast, its truncating cast back to uint8), and give MXNet 1.9.1's numbers bit for
bit on the goldens (the colour operators, compiled by XLA, may differ by an ulp, or 1 on
uint8). Saturation uses the real luma, as the operator does (MXNet 1.9.1 uses only
``0.114 * B``, a bug). A kernel returns ``None`` where it has no host version for its
input (its operator runs then).
"""

import numpy as np

from ....base import MXNetError
from ....operator.image import LUMA, PCA_EIGEN

__all__ = ["check_to_tensor", "to_tensor", "check_normalize", "normalize", "flip",
           "saturate", "adjust_brightness", "adjust_contrast", "adjust_saturation",
           "adjust_hue", "adjust_lighting"]

_F32 = np.float32


_BYTE_TO_UNIT = np.arange(256, dtype=_F32) / _F32(255)


def check_to_tensor(shape):
    if len(shape) not in (3, 4):
        raise MXNetError(f"ToTensor: input must have shape (H, W, C) or (N, H, W, C), got "
                         f"{tuple(shape)}")


def to_tensor(x):
    check_to_tensor(x.shape)
    axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
    # float32 division (looked up for uint8), or for float64 images a float64 one rounded
    # to float32 (as MXNet)
    if x.dtype == np.uint8:
        scaled = _BYTE_TO_UNIT.take(x)
    elif x.dtype == np.float64:
        scaled = (x / 255.0).astype(_F32)
    else:
        scaled = x.astype(_F32) / _F32(255)
    return scaled.transpose(axes)


def check_normalize(shape):
    if len(shape) not in (3, 4) or shape[-3] not in (1, 3):
        raise MXNetError(f"Normalize: input must be (C, H, W) or (N, C, H, W) with 1 or 3 "
                         f"channels, got shape {tuple(shape)}")


def normalize(x, mean, std):
    """``(x - mean) / std`` per channel; ``mean``/``std`` already of x's dtype, (C, 1, 1)."""
    if x.dtype not in (np.float32, np.float64):
        return None  # float16: MXNet rounds each step to half precision
    return (x - mean) / std


def flip(x, axis):
    return x[::-1] if axis == 0 else x[:, ::-1]  # HWC: rows or columns


def saturate(val, dtype):
    """MXNet's cast back to the image dtype: uint8 clips to [0, 255] and truncates."""
    if dtype == np.uint8:
        val = np.clip(val, _F32(0.0), _F32(255.0))
    return val.astype(dtype)


def _gray(f):
    return f[..., 0] * _F32(LUMA[0]) + f[..., 1] * _F32(LUMA[1]) + f[..., 2] * _F32(LUMA[2])


def adjust_brightness(x, alpha):
    return saturate(x.astype(_F32) * _F32(alpha), x.dtype)


def adjust_contrast(x, alpha):
    f = x.astype(_F32)
    terms = f * np.asarray(LUMA, _F32) if x.shape[-1] > 1 else f
    # MXNet adds up the grey levels one after another in float32 (cumsum does too)
    gray_mean = np.cumsum(terms.reshape(-1), dtype=_F32)[-1] / _F32(f[..., 0].size)
    beta = (_F32(1.0) - _F32(alpha)) * gray_mean
    return saturate(f * _F32(alpha) + beta, x.dtype)


def adjust_saturation(x, alpha):
    # As the operator: the real luma (MXNet 1.9.1 uses 0.114 * B, a bug).
    if x.shape[-1] == 1:
        return x
    f = x.astype(_F32)
    gray = (_gray(f) * (_F32(1.0) - _F32(alpha)))[..., None]
    return saturate(gray + f * _F32(alpha), x.dtype)


def _rgb_to_hls(rgb):
    r, g, b = (rgb[..., i] / _F32(255.0) for i in range(3))
    vmax = np.maximum(np.maximum(r, g), b)
    vmin = np.minimum(np.minimum(r, g), b)
    diff = vmax - vmin
    light = (vmax + vmin) * _F32(0.5)
    colour = diff > np.finfo(np.float32).eps
    safe = np.where(colour, diff, _F32(1.0))
    sat = np.where(light < 0.5, diff / np.where(colour, vmax + vmin, _F32(1.0)),
                   diff / np.where(colour, _F32(2.0) - vmax - vmin, _F32(1.0)))
    k = _F32(60.0) / safe
    hue = np.where(vmax == r, (g - b) * k,
                   np.where(vmax == g, (b - r) * k + _F32(120.0), (r - g) * k + _F32(240.0)))
    hue = np.where(hue < 0, hue + _F32(360.0), hue)
    return np.where(colour, hue, _F32(0.0)), light, np.where(colour, sat, _F32(0.0))


# per sector of the hue circle: which of (p2, p1, rising, falling) gives (b, g, r)
_SECTORS = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])


def _hls_to_rgb(hue, light, sat):
    p2 = np.where(light <= 0.5, light * (_F32(1.0) + sat), light + sat - light * sat)
    p1 = _F32(2.0) * light - p2
    h = np.mod(hue * _F32(1.0 / 60.0), _F32(6.0))
    sector = np.clip(np.floor(h), _F32(0.0), _F32(5.0))
    h = h - sector
    tab = np.stack([p2, p1, p1 + (p2 - p1) * (_F32(1.0) - h), p1 + (p2 - p1) * h], -1)
    picks = np.take_along_axis(tab, _SECTORS[sector.astype(np.intp)], axis=-1)
    rgb = picks[..., ::-1] * _F32(255.0)
    return np.where((sat == 0)[..., None], (light * _F32(255.0))[..., None], rgb)


def adjust_hue(x, alpha):
    if x.shape[-1] == 1:
        return x
    hue, light, sat = _rgb_to_hls(x.astype(_F32))
    return saturate(_hls_to_rgb(hue + _F32(alpha) * _F32(360.0), light, sat), x.dtype)


def adjust_lighting(x, alpha):
    if x.shape[-1] == 1:
        return x
    pca = PCA_EIGEN @ np.asarray(alpha, _F32)
    return saturate(x.astype(_F32) + pca, x.dtype)
