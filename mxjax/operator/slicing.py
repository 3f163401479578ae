"""Slicing and padding: slice (crop), slice_axis, slice_like, Pad and the slice writers."""

import jax.numpy as jnp
from jax import lax

from ..base import MXNetError
from .spec import Required, register


def _slice_key(op, shape, begin, end, step):
    """MXNet's ``slice`` bounds as Python slices: ``None`` entries take the defaults for
    the step's direction, negative bounds count from the end, and out-of-range bounds are
    clamped. A single number is a one-axis bound (MXNet parses it as a 1-tuple)."""
    begin, end, step = (v if isinstance(v, tuple) or v is None else (v,)
                        for v in (begin, end, step))
    if len(begin) > len(shape):
        raise MXNetError(f"{op}: begin {begin} has more entries than the input of shape "
                         f"{shape} has axes")
    if len(begin) != len(end):
        raise MXNetError(f"{op}: begin {begin} and end {end} must have the same length")
    if step and len(step) != len(begin):
        raise MXNetError(f"{op}: step {step} and begin {begin} must have the same length")
    key = []
    for i, (b, e) in enumerate(zip(begin, end)):
        s = step[i] if step and step[i] is not None else 1
        if s == 0:
            raise MXNetError(f"{op}: step[{i}] cannot be 0")
        n = shape[i]
        b = (n - 1 if s < 0 else 0) if b is None else b + (n if b < 0 else 0)
        e = (-1 if s < 0 else n) if e is None else e + (n if e < 0 else 0)
        b = 0 if b < 0 and s > 0 else (n - 1 if b > n - 1 and s < 0 else b)
        e = min(max(e, -1), n)
        if not 0 <= b < n:
            count = 0
        elif s > 0:
            count = max(0, (e - b - 1) // s + 1)
        else:
            count = max(0, (b - e - 1) // -s + 1)
        stop = b + count * s
        key.append(slice(b, stop if stop >= 0 else None, s) if count else slice(0, 0))
    return tuple(key)


_SLICE_ATTRS = dict(begin=Required, end=Required, step=())


@register("slice", aliases=("crop",), attrs=_SLICE_ATTRS, keeps_unknown_dims=True)
def slice_(data, *, begin, end, step):
    """Slice with per-axis begin/end/step; ``None`` entries mean the whole axis."""
    return data[_slice_key("slice", data.shape, begin, end, step)]


@register("_slice_assign", aliases=("_crop_assign",), inputs=("lhs", "rhs"),
          attrs=_SLICE_ATTRS, lists_input_names=True)
def slice_assign(lhs, rhs, *, begin, end, step):
    """``lhs`` with the region ``slice(lhs, begin, end, step)`` replaced by ``rhs``."""
    key = _slice_key("_slice_assign", lhs.shape, begin, end, step)
    target = lhs[key].shape
    if rhs.shape != target:
        raise MXNetError(f"_slice_assign: rhs has shape {rhs.shape}, the slice of lhs "
                         f"{lhs.shape} has shape {target}")
    return lhs.at[key].set(rhs)


@register("_slice_assign_scalar", aliases=("_crop_assign_scalar",),
          attrs=dict(scalar=0.0, **_SLICE_ATTRS), dynamic=("scalar",))
def slice_assign_scalar(data, scalar, *, begin, end, step):
    """``data`` with the region ``slice(data, begin, end, step)`` set to ``scalar``."""
    key = _slice_key("_slice_assign_scalar", data.shape, begin, end, step)
    return data.at[key].set(jnp.asarray(scalar).astype(data.dtype))


@register("slice_axis", attrs=dict(axis=Required, begin=Required, end=Required),
          keeps_unknown_dims=True)
def slice_axis(data, *, axis, begin, end):
    """``data[begin:end]`` along one axis (``end=None``: to the end)."""
    ndim = data.ndim
    ax = axis + ndim if axis < 0 else axis
    if not 0 <= ax < ndim:
        raise MXNetError(f"slice_axis: axis {axis} is out of range for an input of shape "
                         f"{data.shape}")
    size = data.shape[ax]
    b = begin + size if begin < 0 else begin
    e = size if end is None else end + (size if end < 0 else 0)
    if size and not 0 <= b < e <= size:
        raise MXNetError(f"slice_axis: invalid begin={begin}, end={end} for axis {axis} of "
                         f"size {size}")
    return lax.slice_in_dim(data, b, e, axis=ax) if size else data


@register("slice_like", inputs=("data", "shape_like"), attrs=dict(axes=()), lists_input_names=True)
def slice_like(data, shape_like, *, axes):
    """Slice ``data`` to the shape of ``shape_like`` (on ``axes``, or on every axis)."""
    if not axes:
        if data.ndim != shape_like.ndim:
            raise MXNetError(f"slice_like: without axes both inputs need the same number of "
                             f"dimensions, got {data.shape} and {shape_like.shape}")
        axes = range(data.ndim)
    limit = list(data.shape)
    for a in axes:
        ax = a + data.ndim if a < 0 else a
        if not 0 <= ax < min(data.ndim, shape_like.ndim):
            raise MXNetError(f"slice_like: axis {a} is out of range for inputs of shape "
                             f"{data.shape} and {shape_like.shape}")
        if shape_like.shape[ax] > data.shape[ax]:
            raise MXNetError(f"slice_like: axis {ax} of shape_like {shape_like.shape} exceeds "
                             f"the input's {data.shape}")
        limit[ax] = shape_like.shape[ax]
    return lax.slice(data, (0,) * data.ndim, tuple(limit))


@register("Pad", aliases=("pad",),
          attrs=dict(mode=Required, pad_width=Required, constant_value=0.0), lists_input_names=True)
def pad(data, *, mode, pad_width, constant_value):
    """Pad the spatial axes of a 4-D or 5-D array (constant, edge or reflect)."""
    if data.ndim not in (4, 5):
        raise MXNetError(f"Pad: only 4-D or 5-D inputs are supported, got shape {data.shape}")
    if any(pad_width[:4]):
        raise MXNetError(f"Pad: padding on the first two axes must be zero, got pad_width "
                         f"{pad_width}")
    if len(pad_width) != 2 * data.ndim:
        raise MXNetError(f"Pad: pad_width {pad_width} needs {2 * data.ndim} entries for an "
                         f"input of shape {data.shape}")
    if not jnp.issubdtype(data.dtype, jnp.floating):
        raise MXNetError(f"Pad: only floating point inputs are supported, not {data.dtype}")
    pairs = tuple(zip(pad_width[::2], pad_width[1::2]))
    if mode == "constant":
        value = jnp.asarray(constant_value).astype(data.dtype)
        return lax.pad(data, value, [(lo, hi, 0) for lo, hi in pairs])
    if mode == "reflect" and any(p >= n for (lo, hi), n in zip(pairs[2:], data.shape[2:])
                                 for p in (lo, hi)):
        raise MXNetError(f"Pad: reflection padding {pad_width} must be smaller than the "
                         f"input size {data.shape}")
    if mode not in ("edge", "reflect"):
        raise MXNetError(f"Pad: mode must be 'constant', 'edge' or 'reflect', got {mode!r}")
    return jnp.pad(data, pairs, mode=mode)
