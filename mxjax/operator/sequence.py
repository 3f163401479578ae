"""Operators on padded batches of sequences: ``SequenceMask``, ``SequenceLast``,
``SequenceReverse``.

The sequence axis is ``axis`` (0: ``(seq, batch, ...)``, 1: ``(batch, seq, ...)``); the
optional ``sequence_length`` input holds each batch element's valid length. MXNet reads
the lengths as integers whatever their dtype (a float length is truncated), and no
gradient reaches them.
"""

import jax.numpy as jnp

from ..base import MXNetError, shape_error
from .spec import if_attr, register

__all__ = ["lengths_as_int", "reverse_time_index"]

_ATTRS = dict(use_sequence_length=False, axis=0)
_GRAPH = dict(conditional_inputs={"sequence_length": if_attr("use_sequence_length")},
              lists_input_names=True)


def lengths_as_int(op, sequence_length, batch, use_sequence_length):
    """``sequence_length`` as int32 after MXNet's input checks, or None when unused."""
    if not use_sequence_length:
        if sequence_length is not None:
            raise MXNetError(f"{op}: sequence_length was given but use_sequence_length is "
                             "False (set use_sequence_length=True to use it)")
        return None
    if sequence_length is None:
        raise MXNetError(f"{op}: use_sequence_length=True needs the sequence_length input")
    if sequence_length.shape != (batch,):
        raise shape_error(op, "sequence_length", sequence_length.shape, (batch,),
                          batch_size=batch)
    return sequence_length.astype(jnp.int32)


def reverse_time_index(seq_len, lengths, batch):
    """(seq_len, batch) time indices reversing each sequence within its valid length;
    steps past the length keep their place. The map is its own inverse."""
    t = jnp.arange(seq_len, dtype=jnp.int32)[:, None]
    if lengths is None:
        return jnp.broadcast_to(seq_len - 1 - t, (seq_len, batch))
    return jnp.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def _check(op, data, axis, axes=(0, 1)):
    if data.ndim < 2:
        raise shape_error(op, "data", data.shape, "rank 2 or greater")
    if axis not in axes:
        raise MXNetError(f"{op}: axis={axis} is not supported; expected one of {axes}")
    return data.shape[1 - axis]  # the batch size


def _along(v, axis, ndim):
    """A (seq, batch) array laid out to broadcast against data with sequence axis ``axis``."""
    v = v if axis == 0 else v.T
    return v.reshape(v.shape + (1,) * (ndim - 2))


@register("SequenceMask", inputs=("data", "sequence_length"),
          attrs=dict(use_sequence_length=False, value=0.0, axis=0), **_GRAPH)
def sequence_mask(data, sequence_length, *, use_sequence_length, value, axis):
    """Set the steps past each sequence's length to ``value``."""
    batch = _check("SequenceMask", data, axis)
    lengths = lengths_as_int("SequenceMask", sequence_length, batch, use_sequence_length)
    if lengths is None:
        return data
    steps = jnp.arange(data.shape[axis], dtype=jnp.int32)[:, None]
    keep = _along(steps < lengths[None, :], axis, data.ndim)
    # MXNet casts value to the data's dtype (truncating for integer data).
    return jnp.where(keep, data, jnp.asarray(value).astype(data.dtype))


@register("SequenceLast", inputs=("data", "sequence_length"), attrs=_ATTRS, **_GRAPH)
def sequence_last(data, sequence_length, *, use_sequence_length, axis):
    """The last valid step of each sequence (the last step without lengths)."""
    batch = _check("SequenceLast", data, axis)
    lengths = lengths_as_int("SequenceLast", sequence_length, batch, use_sequence_length)
    if lengths is None:
        return jnp.take(data, data.shape[axis] - 1, axis=axis)
    rows = jnp.arange(batch)
    return data[lengths - 1, rows] if axis == 0 else data[rows, lengths - 1]


@register("SequenceReverse", inputs=("data", "sequence_length"), attrs=_ATTRS, **_GRAPH)
def sequence_reverse(data, sequence_length, *, use_sequence_length, axis):
    """Reverse each sequence within its valid length; padding steps stay in place."""
    batch = _check("SequenceReverse", data, axis, axes=(0,))
    lengths = lengths_as_int("SequenceReverse", sequence_length, batch, use_sequence_length)
    if lengths is None:
        return jnp.flip(data, axis=0)
    index = reverse_time_index(data.shape[0], lengths, batch)
    return jnp.take_along_axis(data, _along(index, 0, data.ndim), axis=0)
