"""numpy versions of the per-sample transforms, for images still on the host.

A transform whose input is an NDArray with a host value (``mxjax.ndarray.host``: a
dataset sample, or the output of another host transform), outside autograd recording
and hybridized tracing, computes with these instead of its operator: no JAX dispatch
per sample. They give MXNet's numbers as the operators do (float32 arithmetic; the
truncating cast back to uint8). A kernel returns ``None`` where it has no host version
for its input (its operator runs then).
"""

import numpy as np

from ....base import MXNetError
from ....operator.image import LUMA, PCA_EIGEN

__all__ = ["check_to_tensor", "to_tensor", "check_normalize", "normalize", "flip",
           "saturate", "adjust_brightness", "adjust_contrast", "adjust_saturation",
           "adjust_lighting"]

_F32 = np.float32


def check_to_tensor(shape):
    if len(shape) not in (3, 4):
        raise MXNetError(f"ToTensor: input must have shape (H, W, C) or (N, H, W, C), got "
                         f"{tuple(shape)}")


def to_tensor(x):
    check_to_tensor(x.shape)
    axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
    return (x.astype(_F32) / _F32(255.0)).transpose(axes)


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
    gray = _gray(f) if x.shape[-1] > 1 else f[..., 0]
    beta = (_F32(1.0) - _F32(alpha)) * gray.mean(dtype=_F32)
    return saturate(f * _F32(alpha) + beta, x.dtype)


def adjust_saturation(x, alpha):
    # As the operator: the real luma (MXNet 1.9.1 uses 0.114 * B, a bug).
    if x.shape[-1] == 1:
        return x
    f = x.astype(_F32)
    gray = (_gray(f) * (_F32(1.0) - _F32(alpha)))[..., None]
    return saturate(gray + f * _F32(alpha), x.dtype)


def adjust_lighting(x, alpha):
    if x.shape[-1] == 1:
        return x
    pca = PCA_EIGEN @ np.asarray(alpha, _F32)
    return saturate(x.astype(_F32) + pca, x.dtype)
