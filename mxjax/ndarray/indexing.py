"""Turning Python indexing keys into hashable, static descriptions.

A basic key (ints, slices, ``None``, ``...``) becomes a ``BasicKey``; a key that holds
arrays or lists (advanced indexing) becomes a structure in which each array is replaced
by a placeholder, the arrays themselves travelling as traced inputs.
"""

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

__all__ = ["BasicKey", "parse_basic", "is_basic", "split_advanced", "build_advanced",
           "check_host_bounds"]


def _is_array_like(k):
    return hasattr(k, "shape") or isinstance(k, (list, np.ndarray))


def is_basic(key):
    key = key if isinstance(key, tuple) else (key,)
    return not any(_is_array_like(k) or isinstance(k, (bool, np.bool_)) for k in key)


@dataclass(frozen=True)
class BasicKey:
    """Per-axis ``(start, stop, step)`` of a basic index, plus the result's shape."""

    slices: tuple        # one (start, stop, step) per input axis, normalised
    int_axes: tuple      # axes indexed by an integer (dropped from the result)
    out_shape: tuple     # MXNet: () becomes (1,)
    contiguous: bool     # a view in MXNet (writes reach the source)

    def jax_key(self):
        return tuple(slice(*s) for s in self.slices)


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

    slices, int_axes, out_shape, axis = [], [], [], 0
    for k in expanded:
        if k is None:
            out_shape.append(1)
            continue
        dim = shape[axis]
        if isinstance(k, (int, np.integer)):
            if not -dim <= k < dim:
                raise IndexError(f"index {k} is out of bounds for axis {axis} with size {dim}")
            k = int(k) % dim
            slices.append((k, k + 1, 1))
            int_axes.append(axis)
        elif isinstance(k, slice):
            start, stop, step = k.indices(dim)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            slices.append((start, stop, step))
            out_shape.append(len(range(start, stop, step)))
        else:
            raise IndexError(f"NDArray does not support index {k!r} of type {type(k)}")
        axis += 1
    if not out_shape:
        out_shape = [1]  # MXNet: indexing every axis with an integer gives shape (1,)
    return BasicKey(tuple(slices), tuple(int_axes), tuple(out_shape),
                    _contiguous(slices, shape))


def _contiguous(slices, shape):
    """MXNet returns a view when the selected elements are one contiguous memory block."""
    lengths = [len(range(*s)) for s in slices]
    partial = [i for i, (s, dim) in enumerate(zip(slices, shape)) if s != (0, dim, 1)]
    if not partial:
        return True
    k = partial[-1]
    if slices[k][2] != 1 and lengths[k] > 1:
        return False
    return all(lengths[i] == 1 for i in range(k))


def split_advanced(key):
    """``(structure, arrays)``: arrays replaced by ``("arr", i)``, slices by tuples."""
    key = key if isinstance(key, tuple) else (key,)
    structure, arrays = [], []
    for k in key:
        if _is_array_like(k):
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
