"""NDArrays whose value is still a numpy array on the host: the data plane.

A dataset sample, a transformed image or a batch being stacked is an NDArray like any
other, but its value stays a numpy array until something needs it on its device (an
operator, ``wait_to_read``, a write): then it is transferred once, and the NDArray is an
ordinary one from there on. Data preparation (``gluon.data``: datasets, vision
transforms, batchify) works on these values with numpy, without a JAX dispatch per
sample, and hands the training step one device transfer per batch.

Host computation is used only where nothing is recorded for autograd or traced; there
``value`` says ``None`` and callers take their operator path.
"""

import jax
import numpy as np

from .. import _tracing, autograd
from ..context import Context, current_context
from .ndarray import NDArray

__all__ = ["wrap", "value", "enabled", "transfer", "assign", "HostCopy"]


def wrap(array, ctx=None):
    """An NDArray over the numpy array ``array`` (not copied: the caller gives it away),
    on ``ctx`` (default: the current context) once it is transferred."""
    if type(ctx) is not Context:
        ctx = Context(ctx) if ctx is not None else current_context()
    return NDArray(array, ctx)


def value(x):
    """The numpy value of NDArray ``x`` if it is still on the host and host computation is
    allowed now (nothing recorded or traced), else ``None``."""
    if type(x) is NDArray and x._root is None and type(x._value) is np.ndarray and enabled():
        return x._value
    return None


def enabled():
    """Whether host computation is allowed now: nothing is recorded or traced."""
    return not autograd.is_recording() and not _tracing.active()


def transfer(x):
    """Move a host-valued NDArray to its device now (an asynchronous copy); returns it."""
    if type(x) is NDArray and x._root is None and type(x._value) is np.ndarray:
        x._value = jax.device_put(x._value, x._ctx.jax_device)
    return x


def assign(x, array):
    """Write the numpy ``array`` (broadcastable to ``x``'s shape) into NDArray ``x`` in
    place: a host-valued ``x`` keeps a host value, any other is written on its device."""
    current = value(x)
    if current is None:
        x[:] = array
        return
    if not x.writable:
        raise ValueError("trying to write into a readonly NDArray")
    x._set_data(np.ascontiguousarray(np.broadcast_to(array, current.shape), current.dtype))


class HostCopy:
    """A numpy copy of an NDArray, made again only after the array was written to: rows
    of a dataset, read without a device round trip per sample."""

    __slots__ = ("array", "_source", "_copy")

    def __init__(self, array):
        self.array = array
        self._source = self._copy = None

    def get(self):
        """The array's current contents as a (read-only) numpy array."""
        array = self.array
        source = array._value if array._root is None else array._lazy
        if source is not self._source:
            copy = source if type(source) is np.ndarray else np.asarray(array._data)
            copy = copy.view()
            copy.flags.writeable = False
            self._source, self._copy = source, copy
        return self._copy

    def __getstate__(self):
        return self.array

    def __setstate__(self, array):
        self.array = array
        self._source = self._copy = None
