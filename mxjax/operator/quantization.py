"""INT8 quantization operators: quantize, quantize_v2, quantize_asym, dequantize,
requantize and calibrate_entropy.

MXNet 1.9.1's CPU build runs these through oneDNN reorders: the value is multiplied by a
float32 scale, rounded half to even and saturated to the target type. The scales use
MXNet's ranges (127.5 / 255.5 for quantize_v2 and dequantize, 127 / 255 for quantize and
requantize). Min/max outputs are float32 arrays of shape (1,). None of these operators
has a gradient (MXNet: zero gradients), so every input is a constant to autograd.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .spec import register

_F32 = jnp.float32
_INT8_RANGE, _UINT8_RANGE = 127.5, 255.5
_LIMITS = {"int8": (-128, 127), "uint8": (0, 255)}


def _scalar(x):
    return lax.stop_gradient(x).reshape(-1)[0].astype(_F32)


def _max_abs(a, b):
    return jnp.maximum(jnp.abs(a), jnp.abs(b))


def _reorder(x, scale, out_type, shift=None):
    """oneDNN's quantizing reorder: ``saturate(round_half_even(x * scale [+ shift]))``."""
    y = x.astype(_F32) * scale
    if shift is not None:
        y = y + shift
    lo, hi = _LIMITS[out_type]
    return jnp.clip(jnp.round(y), lo, hi).astype(out_type)


def _range(value):
    return jnp.reshape(value, (1,)).astype(_F32)


def _check_type(op, name, x, allowed):
    if x.dtype.name not in allowed:
        raise MXNetError(f"{op}: {name} must be {' or '.join(allowed)}, got {x.dtype.name}")


def _out_type(op, out_type, min_calib_range, max_calib_range):
    """``auto`` is uint8 when the calibrated range starts at or above 0, else int8."""
    if out_type not in ("auto", "int8", "uint8"):
        raise MXNetError(f"{op}: out_type must be 'auto', 'int8' or 'uint8', got {out_type!r}")
    if out_type != "auto":
        return out_type
    calibrated = min_calib_range is not None and max_calib_range is not None
    return "uint8" if calibrated and min_calib_range >= 0 else "int8"


def _calibrated(min_calib_range, max_calib_range):
    return min_calib_range is not None and max_calib_range is not None


def _data_range(data):
    """The float32 minimum and maximum of the data."""
    x = lax.stop_gradient(data).astype(_F32)
    return jnp.min(x), jnp.max(x)


@register("_contrib_quantize", inputs=("data", "min_range", "max_range"),
          attrs=dict(out_type="uint8"), num_outputs=3, lists_input_names=True)
def quantize(data, min_range, max_range, *, out_type):
    """Quantize float32 ``data`` to int8 (zero-centred, scale 127 / max|range|) or uint8
    (scale 255 / max|range|, negatives saturate to 0); returns ``(quantized, min, max)``."""
    op = "quantize"
    if out_type not in ("int8", "uint8"):
        raise MXNetError(f"{op}: out_type must be 'int8' or 'uint8', got {out_type!r}")
    _check_type(op, "data", data, ("float32",))
    for name, x in (("min_range", min_range), ("max_range", max_range)):
        if x.size != 1:
            raise shape_error(op, name, x.shape, (1,))
    lo, hi = _scalar(min_range), _scalar(max_range)
    real = _max_abs(lo, hi)
    scale = jnp.float32(255 if out_type == "uint8" else 127) / real
    out = _reorder(lax.stop_gradient(data), scale, out_type)
    if out_type == "uint8":
        return out, _range(lo), _range(hi)
    return out, _range(-real), _range(real)


@register("_contrib_quantize_v2", attrs=dict(out_type="int8", min_calib_range=None,
                                             max_calib_range=None), num_outputs=3,
          lists_input_names=True)
def quantize_v2(data, *, out_type, min_calib_range, max_calib_range):
    """Quantize float32 ``data`` with the calibrated range, or the data's own range when
    none is given (scales 127.5 / 255.5 over max|range|); int8/uint8 data passes through.
    Returns ``(quantized, min, max)``."""
    op = "quantize_v2"
    _check_type(op, "data", data, ("float32", "int8", "uint8"))
    kind = _out_type(op, out_type, min_calib_range, max_calib_range)
    calibrated = _calibrated(min_calib_range, max_calib_range)
    if data.dtype.name in ("int8", "uint8"):
        if calibrated:
            lo, hi = jnp.float32(min_calib_range), jnp.float32(max_calib_range)
        elif data.dtype.name == "uint8":
            lo, hi = jnp.float32(0), jnp.float32(_UINT8_RANGE)
        else:
            lo, hi = jnp.float32(-_INT8_RANGE), jnp.float32(_INT8_RANGE)
        return lax.stop_gradient(data).astype(kind), _range(lo), _range(hi)
    if calibrated:
        lo, hi = jnp.float32(min_calib_range), jnp.float32(max_calib_range)
    else:
        lo, hi = _data_range(data)
    real = _max_abs(lo, hi)
    scale = jnp.float32(_UINT8_RANGE if kind == "uint8" else _INT8_RANGE) / real
    out = _reorder(lax.stop_gradient(data), scale, kind)
    if kind == "uint8":
        return out, _range(lo), _range(hi)
    return out, _range(-real), _range(real)


@register("_contrib_quantize_asym", attrs=dict(min_calib_range=None, max_calib_range=None),
          num_outputs=3, lists_input_names=True)
def quantize_asym(data, *, min_calib_range, max_calib_range):
    """Asymmetric uint8 quantization ``x * scale + shift`` mapping the (calibrated or
    data) range onto [0, 255]; returns ``(quantized, scale, shift)``.

    MXNet 1.9.1 runs this on CPU only for 3-D data (other shapes crash there); mxjax uses
    the same oneDNN arithmetic for every shape."""
    op = "quantize_asym"
    _check_type(op, "data", data, ("float32",))
    if _calibrated(min_calib_range, max_calib_range):
        lo, hi = jnp.float32(min_calib_range), jnp.float32(max_calib_range)
    else:
        lo, hi = _data_range(data)
    scale = jnp.float32(255) / (hi - lo)
    shift = jnp.float32(255) - hi * scale
    out = _reorder(lax.stop_gradient(data), scale, "uint8", shift)
    return out, _range(scale), _range(shift)


@register("_contrib_dequantize", inputs=("data", "min_range", "max_range"),
          attrs=dict(out_type="float32"), lists_input_names=True)
def dequantize(data, min_range, max_range, *, out_type):
    """int8/uint8 ``data`` back to float32: ``x * max|range| / 127.5`` (int8) or
    ``/ 255.5`` (uint8; MXNet's oneDNN path ignores the range's minimum)."""
    op = "dequantize"
    if out_type != "float32":
        raise MXNetError(f"{op}: out_type must be 'float32', got {out_type!r}")
    _check_type(op, "data", data, ("int8", "uint8"))
    real = _max_abs(_scalar(min_range), _scalar(max_range))
    quantized = _UINT8_RANGE if data.dtype.name == "uint8" else _INT8_RANGE
    scale = real / jnp.float32(quantized)
    return lax.stop_gradient(data).astype(_F32) * scale


@register("_contrib_requantize", inputs=("data", "min_range", "max_range"),
          attrs=dict(out_type="int8", min_calib_range=None, max_calib_range=None),
          num_outputs=3, lists_input_names=True)
def requantize(data, min_range, max_range, *, out_type, min_calib_range, max_calib_range):
    """int32 ``data`` (with its float range) to int8/uint8, in the calibrated range or
    the range its values actually use; returns ``(quantized, min, max)``."""
    op = "requantize"
    _check_type(op, "data", data, ("int32",))
    kind = _out_type(op, out_type, min_calib_range, max_calib_range)
    int32_range = jnp.float32(2147483647)
    first_scale = _max_abs(_scalar(min_range), _scalar(max_range)) / int32_range
    if _calibrated(min_calib_range, max_calib_range):
        real = _max_abs(jnp.float32(min_calib_range), jnp.float32(max_calib_range))
    else:
        x = lax.stop_gradient(data)
        used = _max_abs(jnp.min(x).astype(_F32), jnp.max(x).astype(_F32)).astype(jnp.int32)
        real = used.astype(_F32) * _max_abs(_scalar(min_range), _scalar(max_range)) \
            / int32_range
    second_scale = jnp.float32(255 if kind == "uint8" else 127) / real
    out = _reorder(lax.stop_gradient(data), first_scale * second_scale, kind)
    low = jnp.float32(0) if kind == "uint8" else -real
    return out, _range(low), _range(real)


def _sequential_sum(values):
    """float32 sum in index order (C++ ``std::accumulate``)."""
    return np.cumsum(values, dtype=np.float32)[-1] if len(values) else np.float32(0)


_SMOOTH_EPS = np.float32(1e-4)


def _smooth(p, eps=_SMOOTH_EPS):
    zeros = p == 0
    n_zero, n_nonzero = int(zeros.sum()), int((~zeros).sum())
    if not n_nonzero:
        return None
    eps1 = np.float32(eps * np.float32(n_zero) / np.float32(n_nonzero))
    if eps1 >= 1.0:
        return None
    return (p + np.where(zeros, eps, -eps1).astype(np.float32)).astype(np.float32)


def _kl_divergence(p, q):
    p = (p / _sequential_sum(p)).astype(np.float32)
    q = (q / _sequential_sum(q)).astype(np.float32)
    if not (np.all(p > 0) and np.all(q > 0)):
        raise MXNetError("calibrate_entropy: the smoothed distributions must be positive")
    return _sequential_sum((p * np.log(p / q)).astype(np.float32))


def _entropy_threshold(hist, edges, num_quantized_bins):
    """Host computation of calibrate_entropy (MXNet's KL-divergence search)."""
    hist, edges = np.asarray(hist, np.float32), np.asarray(edges, np.float32)
    num_bins = hist.size
    zero = num_bins // 2
    half = num_quantized_bins // 2
    thresholds, divergence = [], []
    for i in range(half, zero + 1):
        start, stop = zero - i, zero + i + 1
        thresholds.append(edges[stop])
        p = hist[start:stop].copy()
        # the outer bins collect the tails; the last keeps its own count too (as in MXNet)
        p[0] = _sequential_sum(hist[:start + 1])
        p[-1] = _sequential_sum(hist[stop - 1:])
        sliced = hist[start:stop].astype(np.uint64)       # counts, truncated like size_t
        sliced[0] = 0
        merged = len(sliced) // num_quantized_bins
        bins = np.array([int(sliced[j * merged:(j + 1) * merged].sum())
                         for j in range(num_quantized_bins)], np.int64)
        bins[-1] += int(sliced[num_quantized_bins * merged:].sum())
        q = np.zeros(len(sliced), np.float32)
        for j in range(num_quantized_bins):
            lo = j * merged
            hi = len(q) if j == num_quantized_bins - 1 else (j + 1) * merged
            norm = int(np.count_nonzero(sliced[lo:hi]))
            if norm:
                fill = np.float32(np.float32(bins[j].astype(np.int32)) / np.float32(norm))
                q[lo:hi] = np.where(p[lo:hi] != 0, fill, q[lo:hi])
        p, q = _smooth(p), _smooth(q)
        divergence.append(np.float32(np.inf) if q is None else _kl_divergence(p, q))
    best, best_value = 0, np.finfo(np.float32).max
    for k, value in enumerate(divergence):
        if value < best_value:
            best, best_value = k, value
    return (np.array([thresholds[best]], np.float32), np.array([best_value], np.float32))


@register("_contrib_calibrate_entropy", inputs=("hist", "hist_edges"),
          attrs=dict(num_quantized_bins=255), num_outputs=2, lists_input_names=True)
def calibrate_entropy(hist, hist_edges, *, num_quantized_bins):
    """The clipping threshold whose quantized distribution (``num_quantized_bins`` bins)
    is closest in KL divergence to the histogram; returns ``(threshold, divergence)``.
    Runs on the host, like MXNet's CPU-only kernel."""
    op = "calibrate_entropy"
    _check_type(op, "hist", hist, ("float32",))
    if hist_edges.size != hist.size + 1:
        raise shape_error(op, "hist_edges", hist_edges.shape, (hist.size + 1,),
                          hist=hist.shape)
    if hist.size // 2 + 1 - num_quantized_bins // 2 <= 0:
        raise MXNetError(f"{op}: num_quantized_bins={num_quantized_bins} needs a histogram "
                         f"of at least {num_quantized_bins} bins, got {hist.size}")
    struct = jax.ShapeDtypeStruct((1,), np.float32)
    return jax.pure_callback(
        lambda h, e: _entropy_threshold(h, e, num_quantized_bins), (struct, struct),
        lax.stop_gradient(hist).reshape(-1),
        lax.stop_gradient(hist_edges).reshape(-1).astype(_F32), vmap_method="sequential")
