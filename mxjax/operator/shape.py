"""Shape manipulation: reshape, transpose, concat/stack/split, tile, repeat, flip, diag, ...

Axis arguments follow MXNet 1.9.1, which is stricter than numpy in places: ``transpose``
and ``flip`` reject negative axes, ``repeat`` accepts only ``-ndim <= axis < ndim``.
"""

import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError
from .shape_rules import fully_known, reshape_shape
from .spec import Required, register


def _axis(op, axis, ndim, *, extra=0, negative=True):
    """``axis`` in ``[0, ndim + extra)``; negative values count from the end if allowed."""
    if negative and -(ndim + extra) <= axis < 0:
        axis += ndim + extra
    if not 0 <= axis < ndim + extra:
        low = -(ndim + extra) if negative else 0
        raise MXNetError(f"{op}: axis {axis} is out of range [{low}, {ndim + extra - 1}] for "
                         f"an input with {ndim} dimensions")
    return axis


def _axes(op, axes, ndim, *, negative=True):
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    return tuple(_axis(op, a, ndim, negative=negative) for a in axes)


# ---- reshape family ---------------------------------------------------------------------
def _legacy_target(src, target_shape, keep_highest):
    """The deprecated ``target_shape`` (one 0 is inferred) and ``keep_highest`` arguments."""
    target = list(target_shape)
    if keep_highest:
        target[0] = src[0]
    if target.count(0) > 1:
        raise MXNetError(f"Reshape: target_shape {target_shape} may hold at most one 0")
    if 0 in target:
        known = math.prod(d for d in target if d != 0)
        target[target.index(0)] = math.prod(src) // known if known else 0
    if math.prod(target) != math.prod(src):
        raise MXNetError(f"Reshape: cannot reshape array of shape {src} into target_shape "
                         f"{target_shape}")
    return tuple(target)


def _reshape_input(known, attrs, out):
    """The one unknown dimension of Reshape's input from the element count of a known
    output or of an explicit target shape (as MXNet infers it backward); else the shape
    unchanged."""
    if "data" not in known:
        return {}
    shape = known["data"]
    if fully_known(out) and list(shape).count(-1) == 1:
        size = int(np.prod([d for d in shape if d >= 0]))
        if size and int(np.prod(out)) % size == 0:
            return {"data": tuple(int(np.prod(out)) // size if d < 0 else d for d in shape)}
    target = attrs["shape"]
    if not target or any(d <= 0 for d in target) or list(shape).count(-1) != 1:
        return {"data": shape}
    size, total = int(np.prod([d for d in shape if d >= 0])), int(np.prod(target))
    if size == 0 or total % size:
        return {"data": shape}
    return {"data": tuple(total // size if d < 0 else d for d in shape)}


@register("Reshape", aliases=("reshape",),
          attrs=dict(shape=(), reverse=False, target_shape=(), keep_highest=False),
          infer_from_output=_reshape_input)
def reshape(data, *, shape, reverse, target_shape, keep_highest):
    """Reshape to ``shape``; the codes 0, -1, -2, -3, -4 copy, infer, merge or split axes."""
    if shape:
        return data.reshape(reshape_shape(data.shape, shape, reverse))
    if target_shape:
        return data.reshape(_legacy_target(data.shape, target_shape, keep_highest))
    raise MXNetError(f"Reshape: no target shape given for input of shape {data.shape}")


def _dim_range(op, side, ndim, begin, end):
    b = 0 if begin is None else begin + (ndim if begin < 0 else 0)
    e = ndim if end is None else end + (ndim if end < 0 else 0)
    if not 0 <= b < e <= ndim:
        raise MXNetError(f"{op}: invalid {side}_begin={begin}, {side}_end={end} for an input "
                         f"with {ndim} dimensions")
    return b, e


@register("reshape_like", inputs=("lhs", "rhs"),
          attrs=dict(lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None),
          lists_input_names=True)
def reshape_like(lhs, rhs, *, lhs_begin, lhs_end, rhs_begin, rhs_end):
    """Reshape ``lhs`` so that its axes ``lhs_begin:lhs_end`` take ``rhs``'s shape there."""
    lb, le = _dim_range("reshape_like", "lhs", lhs.ndim, lhs_begin, lhs_end)
    rb, re = _dim_range("reshape_like", "rhs", rhs.ndim, rhs_begin, rhs_end)
    shape = lhs.shape[:lb] + rhs.shape[rb:re] + lhs.shape[le:]
    if math.prod(shape) != lhs.size:
        raise MXNetError(f"reshape_like: cannot reshape lhs of shape {lhs.shape} into {shape} "
                         f"(rhs shape {rhs.shape}): the sizes differ")
    return lhs.reshape(shape)


@register("Flatten", aliases=("flatten",), infers_partial_shapes=False)
def flatten(data):
    """Collapse every axis but the first: ``(d0, d1, ..., dn) -> (d0, d1*...*dn)``."""
    return data.reshape(data.shape[0], -1) if data.ndim else data.reshape(1, 1)


@register("expand_dims", attrs=dict(axis=Required(int)))
def expand_dims(data, *, axis):
    """Insert an axis of size 1 at ``axis``."""
    return jnp.expand_dims(data, _axis("expand_dims", axis, data.ndim, extra=1))


@register("squeeze", attrs=dict(axis=None), lists_input_names=True)
def squeeze(data, *, axis):
    """Remove axes of size 1 (all of them, or those in ``axis``); never below shape (1,)."""
    if axis is None:
        axes = tuple(i for i, d in enumerate(data.shape) if d == 1)
    else:
        axes = _axes("squeeze", axis, data.ndim)
        if len(set(axes)) != len(axes):
            raise MXNetError(f"squeeze: duplicate value in axis {axis}")
        for a in axes:
            if data.shape[a] != 1:
                raise MXNetError(f"squeeze: cannot squeeze axis {a} of size {data.shape[a]} "
                                 f"(input shape {data.shape})")
    out = jnp.squeeze(data, axes)
    return out.reshape(1) if out.ndim == 0 else out  # MXNet never returns shape ()


@register("transpose", attrs=dict(axes=()))
def transpose(data, *, axes):
    """Permute the axes (reverse them when ``axes`` is empty)."""
    if not axes:
        return jnp.transpose(data)
    perm = _axes("transpose", axes, data.ndim, negative=False)
    if sorted(perm) != list(range(data.ndim)):
        raise MXNetError(f"transpose: axes {axes} is not a permutation of the {data.ndim} "
                         f"axes of an input of shape {data.shape}")
    return jnp.transpose(data, perm)


@register("SwapAxis", aliases=("swapaxes",), attrs=dict(dim1=0, dim2=0), lists_input_names=True)
def swapaxes(data, *, dim1, dim2):
    """Interchange two axes."""
    return jnp.swapaxes(data, _axis("SwapAxis", dim1, data.ndim),
                        _axis("SwapAxis", dim2, data.ndim))


def _check_block_input(op, data, block_size):
    """MXNet's checks shared by depth_to_space and space_to_depth."""
    if data.ndim != 4:
        raise MXNetError(f"{op}: needs exactly a 4-D input, got shape {data.shape}")
    if block_size <= 0:
        raise MXNetError(f"{op}: block_size must be a positive integer, got {block_size}")
    for axis, size in enumerate(data.shape):
        if size == 0:
            raise MXNetError(f"{op}: axis {axis} of the input (shape {data.shape}) cannot "
                             "be 0")


@register("depth_to_space", attrs=dict(block_size=Required(int)), lists_input_names=True)
def depth_to_space(data, *, block_size):
    """Move blocks of channels into space: (N, C*b*b, H, W) -> (N, C, H*b, W*b)."""
    b = block_size
    _check_block_input("depth_to_space", data, b)
    if data.shape[1] % (b * b):
        raise MXNetError(f"depth_to_space: needs a 4-D input whose axis 1 is a multiple of "
                         f"block_size^2={b * b}, got shape {data.shape}")
    n, c, h, w = data.shape
    x = data.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    return x.reshape(n, c // (b * b), h * b, w * b)


@register("space_to_depth", attrs=dict(block_size=Required(int)), lists_input_names=True)
def space_to_depth(data, *, block_size):
    """Move spatial blocks into channels: (N, C, H*b, W*b) -> (N, C*b*b, H, W)."""
    b = block_size
    _check_block_input("space_to_depth", data, b)
    if data.shape[2] % b or data.shape[3] % b:
        raise MXNetError(f"space_to_depth: needs a 4-D input whose axes 2 and 3 are "
                         f"multiples of block_size={b}, got shape {data.shape}")
    n, c, h, w = data.shape
    x = data.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return x.reshape(n, c * b * b, h // b, w // b)


# ---- joining and splitting -----------------------------------------------------------------
def _check_same(op, arrays, skip_axis=None):
    first = arrays[0]
    for i, a in enumerate(arrays[1:], 1):
        if a.dtype != first.dtype:
            raise MXNetError(f"{op}: inputs must share one dtype; data[0] is {first.dtype}, "
                             f"data[{i}] is {a.dtype}")
        same = a.ndim == first.ndim and all(
            x == y for k, (x, y) in enumerate(zip(a.shape, first.shape)) if k != skip_axis)
        if not same:
            raise MXNetError(f"{op}: incompatible input shapes data[0]={first.shape}, "
                             f"data[{i}]={a.shape}" +
                             (f" (only axis {skip_axis} may differ)" if skip_axis is not None
                              else ""))


@register("Concat", aliases=("concat",), variadic=True, attrs=dict(dim=1), lists_input_names=True)
def concat(*data, dim):
    """Join arrays along an existing axis ``dim``."""
    axis = _axis("Concat", dim, data[0].ndim)
    _check_same("Concat", data, skip_axis=axis)
    return jnp.concatenate(data, axis=axis)


# Gluon's RNN layers join their parameters with this one (in exported -symbol.json files);
# it computes what Concat does.
register("_rnn_param_concat", variadic=True, attrs=dict(dim=1))(concat)


@register("stack", variadic=True, attrs=dict(axis=0), lists_input_names=True)
def stack(*data, axis):
    """Join arrays of one shape along a new axis."""
    _check_same("stack", data)
    return jnp.stack(data, axis=_axis("stack", axis, data[0].ndim, extra=1))


def _split_at(op, data, axis, bounds, squeeze_axis):
    """Pieces ``data[bounds[i]:bounds[i+1]]`` along ``axis`` (optionally squeezed)."""
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if not 0 <= start <= stop <= data.shape[axis]:
            raise MXNetError(f"{op}: cannot take [{start}, {stop}) from axis {axis} of an "
                             f"input of shape {data.shape}")
        piece = lax.slice_in_dim(data, start, stop, axis=axis)
        pieces.append(jnp.squeeze(piece, axis) if squeeze_axis else piece)
    return tuple(pieces)


@register("SliceChannel", aliases=("split",),
          attrs=dict(num_outputs=Required(int, low=1), axis=1, squeeze_axis=False),
          num_outputs=lambda attrs: attrs["num_outputs"], lists_input_names=True)
def split(data, *, num_outputs, axis, squeeze_axis):
    """Split into ``num_outputs`` equal parts along ``axis``."""
    axis = _axis("SliceChannel", axis, data.ndim)
    size = data.shape[axis]
    if size % num_outputs or (squeeze_axis and size != num_outputs):
        need = "equal to" if squeeze_axis else "divisible by"
        raise MXNetError(f"SliceChannel: axis {axis} of input shape {data.shape} must be "
                         f"{need} num_outputs={num_outputs}")
    step = size // num_outputs
    return _split_at("SliceChannel", data, axis, range(0, size + 1, step), squeeze_axis)


def _split_v2_outputs(attrs):
    return attrs["sections"] or len(attrs["indices"])


@register("_split_v2", attrs=dict(indices=Required, axis=1, squeeze_axis=False, sections=0),
          num_outputs=_split_v2_outputs, lists_input_names=True)
def split_v2_internal(data, *, indices, axis, squeeze_axis, sections):
    """Split along ``axis`` at ``indices`` (which start at 0), or into ``sections`` parts."""
    axis = _axis("_split_v2", axis, data.ndim)
    size = data.shape[axis]
    if sections:
        if size % sections:
            raise MXNetError(f"_split_v2: axis {axis} of shape {data.shape} does not split "
                             f"into {sections} equal sections")
        indices = tuple(range(0, size, size // sections))
    if not indices or indices[0] != 0:
        raise MXNetError(f"_split_v2: indices {indices} must start at 0")
    return _split_at("_split_v2", data, axis, (*indices, size), squeeze_axis)


def _split_v2_py_outputs(attrs):
    how = attrs["indices_or_sections"]
    return how if isinstance(how, int) else len(how) + 1


# MXNet's Python-level ``nd.split_v2`` (a wrapper of ``_split_v2``), kept as an operator so
# that ``NDArray.split_v2`` and ``F.split_v2`` reach it like every other function.
@register("split_v2", inputs=("ary",),
          attrs=dict(indices_or_sections=Required, axis=0, squeeze_axis=False),
          num_outputs=_split_v2_py_outputs)
def split_v2(ary, *, indices_or_sections, axis, squeeze_axis):
    """Split into equal sections (an int) or at the given indices (a tuple), numpy-style."""
    if isinstance(indices_or_sections, int):
        return split_v2_internal(ary, indices=(), axis=axis, squeeze_axis=squeeze_axis,
                                 sections=indices_or_sections)
    return split_v2_internal(ary, indices=(0, *indices_or_sections), axis=axis,
                             squeeze_axis=squeeze_axis, sections=0)


# ---- repetition and reversal --------------------------------------------------------------
@register("tile", attrs=dict(reps=Required), lists_input_names=True)
def tile(data, *, reps):
    """Repeat the whole array ``reps[i]`` times along axis i (numpy.tile)."""
    if any(r <= 0 for r in reps):
        raise MXNetError(f"tile: reps {reps} must be positive (input shape {data.shape})")
    return jnp.tile(data, reps) if reps else data


@register("repeat", attrs=dict(repeats=Required(int), axis=None), lists_input_names=True)
def repeat(data, *, repeats, axis):
    """Repeat each element ``repeats`` times along ``axis`` (the flattened array if None)."""
    if repeats < 0:
        raise MXNetError(f"repeat: repeats cannot be negative, got {repeats}")
    if axis is not None:
        axis = _axis("repeat", axis, data.ndim)
    if repeats == 0:
        return jnp.zeros((0,), data.dtype)  # MXNet 1.9.1: shape (0,) whatever the axis
    return jnp.repeat(data, repeats, axis=axis)


@register("reverse", aliases=("flip",), attrs=dict(axis=Required), lists_input_names=True)
def reverse(data, *, axis):
    """Reverse the order of elements along the given axes."""
    for a in _axes("reverse", axis, data.ndim, negative=False):
        data = jnp.flip(data, a)  # one flip per entry: a repeated axis flips back
    return data


# ---- diagonals and shape queries -----------------------------------------------------------
@register("diag", attrs=dict(k=0, axis1=0, axis2=1), lists_input_names=True)
def diag(data, *, k, axis1, axis2):
    """A 1-D input becomes a diagonal matrix; otherwise take the k-th diagonal."""
    if data.ndim == 1:
        return jnp.diag(data, k)
    if data.ndim == 0:
        raise MXNetError("diag: the input must have at least one dimension")
    a1, a2 = _axis("diag", axis1, data.ndim), _axis("diag", axis2, data.ndim)
    if a1 == a2:
        raise MXNetError(f"diag: axis1 and axis2 cannot refer to the same axis {a1}")
    h, w = data.shape[a1] + min(k, 0), data.shape[a2] - max(k, 0)
    if min(h, w) < 0:
        raise MXNetError(f"diag: diagonal k={k} does not exist in an input of shape "
                         f"{data.shape} (axis1={axis1}, axis2={axis2})")
    return jnp.diagonal(data, k, a1, a2)


@register("shape_array", zero_gradient=True)
def shape_array(data):
    """The input's shape as a 1-D int64 array."""
    return jnp.asarray(np.array(data.shape, np.int64))


@register("size_array", zero_gradient=True)
def size_array(data):
    """The input's number of elements as an int64 array of shape (1,)."""
    return jnp.asarray(np.array([data.size], np.int64))
