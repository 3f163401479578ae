"""Turning Python indexing keys into hashable, static descriptions.

A basic key (ints, slices, ``None``, ``...``) becomes a ``BasicKey``; a key that holds
arrays or lists (advanced indexing) becomes a structure in which each array is replaced
by a placeholder, the arrays themselves travelling as traced inputs.
"""

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["BasicKey", "parse_basic", "take", "put", "is_basic", "split_advanced",
           "build_advanced", "slices_contiguous",
           "check_host_bounds"]


def _is_array_like(k):
    if isinstance(k, np.integer):  # a numpy scalar index is a basic index, as an int is
        return False
    return hasattr(k, "shape") or isinstance(k, (list, np.ndarray))


def is_basic(key):
    key = key if isinstance(key, tuple) else (key,)
    return not any(_is_array_like(k) or isinstance(k, (bool, np.bool_, tuple)) for k in key)


@dataclass(frozen=True)
class BasicKey:
    """A basic index: a static layout (compiled in) and dynamic start positions.

    ``layout`` holds ``(length, stride, reversed)`` per input axis, ``lows`` the lowest
    selected position per axis. ``lows`` is left out of equality and hashing: compiled
    readers and writers take it as an argument, so ``x[i]`` compiles once for every ``i``.
    """

    layout: tuple
    out_shape: tuple     # integer axes dropped, None axes added; MXNet: () becomes (1,)
    contiguous: bool     # a view in MXNet (writes reach the source)
    lows: tuple = field(compare=False)


def take(x, key, lows):
    """``x`` indexed by ``key`` with traced start positions ``lows``."""
    sizes = [(n - 1) * stride + 1 if n else 0 for n, stride, _ in key.layout]
    y = lax.dynamic_slice(x, lows, sizes)
    if any(stride > 1 for _, stride, _ in key.layout):
        y = y[tuple(slice(None, None, stride) for _, stride, _ in key.layout)]
    flips = tuple(i for i, (_, _, rev) in enumerate(key.layout) if rev)
    return (jnp.flip(y, flips) if flips else y).reshape(key.out_shape)


def put(x, key, lows, value):
    """``x`` with the region ``key`` selects (at ``lows``) replaced by ``value``."""
    value = value.reshape(tuple(n for n, _, _ in key.layout)).astype(x.dtype)
    flips = tuple(i for i, (_, _, rev) in enumerate(key.layout) if rev)
    value = jnp.flip(value, flips) if flips else value
    if all(stride == 1 for _, stride, _ in key.layout):
        return lax.dynamic_update_slice(x, value, lows)
    idx = [lo + jnp.arange(n) * stride for (n, stride, _), lo in zip(key.layout, lows)]
    return x.at[jnp.ix_(*idx)].set(value)


def parse_basic(key, shape):
    key = key if isinstance(key, tuple) else (key,)
    n_real = sum(k is not None and k is not Ellipsis for k in key)
    if n_real > len(shape):
        raise IndexError(f"too many indices ({n_real}) for array with {len(shape)} dimensions")
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    expanded = []
    for k in key:
        if k is Ellipsis:
            expanded += [slice(None)] * (len(shape) - n_real)
        else:
            expanded.append(k)
    if Ellipsis not in key:
        expanded += [slice(None)] * (len(shape) - n_real)

    layout, lows, out_shape, axis = [], [], [], 0
    for k in expanded:
        if k is None:
            out_shape.append(1)
            continue
        dim = shape[axis]
        if isinstance(k, (int, np.integer)):
            if not -dim <= k < dim:
                raise IndexError(f"index {k} is out of bounds for axis {axis} with size {dim}")
            layout.append((1, 1, False))
            lows.append(int(k) % dim)
        elif isinstance(k, slice):
            start, stop, step = k.indices(dim)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            n = len(range(start, stop, step))
            layout.append((n, abs(step), step < 0))
            lows.append(0 if n == 0 else min(start, start + (n - 1) * step))
            out_shape.append(n)
        else:
            raise IndexError(f"NDArray does not support index {k!r} of type {type(k)}")
        axis += 1
    if not out_shape:
        out_shape = [1]  # MXNet: indexing every axis with an integer gives shape (1,)
    return BasicKey(tuple(layout), tuple(out_shape), _contiguous(layout, lows, shape),
                    tuple(lows))


def _contiguous(layout, lows, shape):  # noqa: ARG001 - positions do not matter
    """MXNet returns a view when the selected elements are one contiguous memory block:
    no axis selects several elements with a step other than 1, and from the last axis
    back, once an axis selects a proper subset every earlier axis selects at most one."""
    if np.prod([n for n, _, _ in layout], dtype=np.int64) in (0, 1):
        return True
    subset = False
    for (n, stride, rev), dim in zip(reversed(layout), reversed(shape)):
        if n == 0:
            return True
        if n > 1 and (stride != 1 or rev):
            return False
        if subset and n > 1:
            return False
        subset = subset or n < dim
    return True


def slices_contiguous(slices, shape):
    """Whether indexing an array of ``shape`` with one ``slice`` per axis selects one
    contiguous block (MXNet's ``NDArray._basic_indexing_slice_is_contiguous``)."""
    if len(slices) != len(shape):
        raise ValueError(f"expected one slice per axis of {tuple(shape)}, got {len(slices)}")
    layout = []
    for slc, dim in zip(slices, shape):
        start, stop, step = slc.indices(dim)
        layout.append((len(range(start, stop, step)), abs(step), step < 0))
    return _contiguous(layout, None, shape)


def split_advanced(key):
    """``(structure, arrays)``: arrays replaced by ``("arr", i)``, slices by tuples."""
    key = key if isinstance(key, tuple) else (key,)
    structure, arrays = [], []
    for k in key:
        if _is_array_like(k) or isinstance(k, tuple):  # a tuple inside the key: a sequence
            structure.append(("arr", len(arrays)))
            arrays.append(k)
        elif isinstance(k, slice):
            structure.append(("slice", k.start, k.stop, k.step))
        elif k is None or k is Ellipsis:
            structure.append((k,))
        else:
            structure.append(("int", int(k)))
    return tuple(structure), arrays


def build_advanced(structure, arrays):
    """The jax indexing key for ``structure`` with traced index ``arrays``."""
    key = []
    for item in structure:
        tag = item[0]
        if tag == "arr":
            key.append(jnp.asarray(arrays[item[1]]).astype(jnp.int32))
        elif tag == "slice":
            key.append(slice(*item[1:]))
        elif tag == "int":
            key.append(item[1])
        else:
            key.append(tag)
    return tuple(key)


def check_host_bounds(structure, arrays, shape):
    """IndexError, as MXNet raises, for an out-of-range list or numpy index (NDArray
    indices live on the device and are not checked, to avoid a synchronisation)."""
    axis = 0
    for item in structure:
        if item[0] is Ellipsis:  # axes after it are not known here
            return
        if item[0] == "arr" and not hasattr(arrays[item[1]], "_data") and axis < len(shape):
            idx = np.asarray(arrays[item[1]]).astype(np.int64)
            dim = shape[axis]
            bad = idx[(idx >= dim) | (idx < -dim)]
            if bad.size:
                raise IndexError(f"index {bad.flat[0]} is out of bounds for axis {axis} with "
                                 f"size {dim}")
        if item[0] is not None:
            axis += 1
