"""The in-process store behind ``Trainer(kvstore='local' | 'device')``.

MXNet's Trainer hands gradients to a KVStore: ``pushpull`` sums a parameter's gradients
over its contexts and either writes the sum back (``update_on_kvstore=False``) or runs
the optimizer on the store's copy of the weight and copies the result to every context
(``update_on_kvstore=True``). Within one process both stores do the same arithmetic, so
this one class serves both names. The context's first copy of a weight stands for the
store's copy: ``broadcast`` makes every copy equal to it and every update goes through
it, so the two never differ. Several keys go to one ``pushpull`` so that the optimizer
updates them all in one compiled function.

A row_sparse weight is different: the store keeps its full value (``init``), gradients
are ``push``ed into it (the optimizer updates it there, lazily for row_sparse gradients),
and the parameter's arrays receive the rows a forward needs (``row_sparse_pull``).
"""

import os

import jax

from .. import optimizer as opt
from ..ndarray import serialization
from ..ndarray.ndarray import NDArray

__all__ = ["LocalStore"]


def _nd_op(name):
    from .. import ndarray as nd
    return nd.sparse.retain if name == "retain" else getattr(nd, name)


def _on(value, target):
    """``value`` (a jax array) placed on the device of NDArray ``target``."""
    device = target.context.jax_device
    return value if device in value.devices() else jax.device_put(value, device)


def _sum(arrays):
    """The sum of NDArrays living on different contexts, on the first one's device."""
    total = arrays[0]._data
    for a in arrays[1:]:
        total = total + _on(a._data, arrays[0])
    return total


def _any_sparse(arrays):
    return any(a.stype != "default" for a in arrays)


def _sparse_sum(arrays):
    """The sum of one key's arrays, some sparse (as MXNet merges them: row_sparse ones sum
    to a row_sparse array storing the union of their rows), on the first one's context."""
    moved = [a.as_in_context(arrays[0].context) for a in arrays]
    return moved[0] if len(moved) == 1 else _nd_op("add_n")(*moved)


class LocalStore:
    """A 'local' or 'device' store for one process (the subset of the KVStore interface
    ``gluon.Trainer`` uses)."""

    def __init__(self, name):
        self.type = name
        self._updater = None
        self._store = {}  # key -> the full value of a weight the store owns (row_sparse)

    def is_capable(self, capability):
        """Whether the store can run the optimizer itself (it can)."""
        return capability == "optimizer"

    def set_optimizer(self, optimizer):
        """Run ``optimizer`` on pushed gradients from now on."""
        self._updater = opt.get_updater(optimizer)

    def set_gradient_compression(self, compression_params):
        raise NotImplementedError(
            f"gradient compression ({compression_params}) is not implemented in mxjax: "
            "gradients are summed uncompressed; create the Trainer without "
            "compression_params")

    def broadcast(self, key, value, out, priority=0):  # noqa: ARG002 - MXNet's signature
        """Copy ``value`` into every array of ``out``."""
        for o in out:
            if o is not value:
                o._set_data(_on(value._data, o))

    def pushpull(self, key, value, out=None, priority=0):  # noqa: ARG002 - MXNet signature
        """Sum each key's arrays in ``value``; without an optimizer, write the sum into
        ``out`` (or back into ``value``); with one, update ``out[k][0]`` with the sum and
        copy it to the rest of ``out[k]``.

        ``key`` is a key or a list of keys (then ``value`` and ``out`` are lists of lists).
        """
        many = isinstance(key, (list, tuple))
        keys = list(key) if many else [key]
        values = value if many else [value]
        outs = (out if many else [out]) if out is not None else values
        values = [v if isinstance(v, (list, tuple)) else [v] for v in values]
        outs = [o if isinstance(o, (list, tuple)) else [o] for o in outs]
        sums = [_sparse_sum(v) if _any_sparse(v) else _sum(v) for v in values]
        if self._updater is None:
            for total, targets in zip(sums, outs):
                for t in targets:
                    if isinstance(total, NDArray):  # sparse: keeps the stored rows
                        t._assign(total.as_in_context(t.context))
                    else:
                        t._set_data(_on(total, t))
            return
        weights = [o[0] for o in outs]
        grads = [total.as_in_context(w.context) if isinstance(total, NDArray)
                 else NDArray(_on(total, w), w.context) for total, w in zip(sums, weights)]
        self._updater._update(keys, grads, weights, donate=True)
        for o in outs:
            self.broadcast(None, o[0], o[1:])

    def init(self, key, value):
        """Keep a copy of ``value`` (a row_sparse weight) as the store's value of ``key``."""
        self._store[key] = value.copyto(value.context)

    def push(self, key, value, priority=0):  # noqa: ARG002 - MXNet's signature
        """Sum ``value`` (arrays of one key, on any contexts) into the store's value of
        ``key``: with an optimizer, update it with the sum (row_sparse gradients sum to a
        row_sparse gradient storing the union of their rows), else replace it."""
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        stored = self._store[key]
        total = _sparse_sum(values).as_in_context(stored.context)
        if self._updater is None:
            stored._assign(total)
        else:
            self._updater._update([key], [total], [stored], donate=False)

    def pull(self, key, out, priority=0, ignore_sparse=True):  # noqa: ARG002 - MXNet's
        """Copy the store's value of ``key`` into ``out`` (an array or a list)."""
        stored = self._store[key]
        for o in out if isinstance(out, (list, tuple)) else [out]:
            o._assign(stored.as_in_context(o.context))

    def row_sparse_pull(self, key, out, priority=0, row_ids=None):  # noqa: ARG002
        """Write the rows ``row_ids`` of the store's value of ``key`` into each array of
        ``out`` (every other row zero, as a row_sparse array storing those rows)."""
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        ids = list(row_ids) if isinstance(row_ids, (list, tuple)) else [row_ids] * len(outs)
        stored = self._store[key]
        for o, rows in zip(outs, ids):
            local = stored.as_in_context(o.context)
            o._assign(_nd_op("retain")(local, rows.as_in_context(o.context)))

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the optimizer's states (and the optimizer) in MXNet's format."""
        assert self._updater is not None, "Cannot save states for distributed training"
        serialization._write_atomically(os.fspath(fname),
                                        self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Read what ``save_optimizer_states`` (mxjax's or MXNet's) wrote."""
        assert self._updater is not None, "Cannot load states for distributed training"
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())
