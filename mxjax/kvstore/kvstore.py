"""``KVStore``: MXNet's 'local' and 'device' stores, for the contexts of one process.

The store keeps its own copy of every key's value (made by ``init`` or ``broadcast``).
``push`` sums the arrays given for a key (over devices as one compiled all-reduce, see
``_reduce``) and, without an updater, replaces the stored value with the sum; with one
(``set_optimizer``, ``_set_updater``) it calls ``updater(key, merged, stored)``, which
changes the stored value. ``pull`` copies the stored value into each output. A store's
keys are all ints or all strs.

Both types compute the same numbers; the stored value and the sum live on the device of
the value the key was initialised with (MXNet's 'local' keeps them in host memory).
"""

import logging

import jax
import numpy as np

from .. import autograd
from .. import ndarray as nd
from .. import optimizer as opt
from .._files import write_atomically
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from . import _reduce
from .base import KVStoreBase

__all__ = ["KVStore"]

_log = logging.getLogger(__name__)


def _key_value_pairs(keys, vals):
    """``(keys, values, use_str_keys)`` flattened: a list of keys pairs each key with its
    value or list of values; every key must be an int or every key a str."""
    if isinstance(keys, (tuple, list)):
        assert len(keys) == len(vals)
        flat_keys, flat_vals, use_str = [], [], None
        for key, val in zip(keys, vals):
            k, v, s = _key_value_pairs(key, val)
            flat_keys += k
            flat_vals += v
            use_str = s if use_str is None else use_str
            assert use_str == s, "inconsistent types of keys detected."
        return flat_keys, flat_vals, use_str
    assert isinstance(keys, (int, str)), "unexpected type for keys: " + str(type(keys))
    use_str = isinstance(keys, str)
    if isinstance(vals, NDArray):
        return [keys], [vals], use_str
    for val in vals:
        assert isinstance(val, NDArray)
    return [keys] * len(vals), list(vals), use_str


def _write(out, value):
    """``out[:] = value``, not recorded by autograd: the store's writes happen outside the
    graph (a Trainer pulls rows into a parameter during a recorded forward)."""
    with autograd.pause():
        out[:] = value


def _compression_threshold(params):
    """The threshold of MXNet's gradient compression parameters (only '2bit' exists)."""
    params = {str(k): str(v) for k, v in params.items()}
    if "type" not in params:
        raise MXNetError("set_gradient_compression: Required parameter type of string is "
                         "not presented")
    try:
        threshold = float(params.get("threshold", 0.5))
    except ValueError:
        raise MXNetError(f"set_gradient_compression: invalid threshold "
                         f"{params['threshold']!r}") from None
    if not threshold > 0:
        raise MXNetError("set_gradient_compression: threshold must be greater than 0, got "
                         f"{threshold}")
    if params["type"] != "2bit":
        raise MXNetError(f"Unknown type for gradient compression {params['type']}")
    return threshold


class KVStore(KVStoreBase):
    """A key-value store over the contexts of one process (``mx.kv.create('local')`` or
    ``'device'``).

    Parameters
    ----------
    name : str
        The store's type, as given to ``mx.kv.create``.
    """

    def __init__(self, name="local"):
        self._type = name
        self._store = {}        # key -> the store's own NDArray
        self._str_ids = {}      # str key -> init position (MXNet orders str keys by it)
        self._key_type = None   # int or str, fixed by the first call
        self._updater = None
        self._threshold = None  # 2-bit gradient compression
        self._residuals = {}    # key -> one residual (jax array) per pushed position
        self._warned_pull = set()

    # ---- keys ----------------------------------------------------------------------------------
    def _use_keys(self, use_str):
        kind = str if use_str else int
        if self._key_type is None:
            self._key_type = kind
        elif self._key_type is not kind:
            raise MXNetError(f"Mixed key types are not allowed: this store's keys are "
                             f"{self._key_type.__name__}s, got a {kind.__name__} key")

    def _order(self, key):
        if isinstance(key, int):
            return key
        if key not in self._str_ids:
            raise MXNetError(f"key {key} doesn't exist. Did you init?")
        return self._str_ids[key]

    def _grouped(self, keys, vals):
        """``[(key, [values...])]`` in MXNet's order (ascending key id, stable)."""
        groups = {}
        for pos in sorted(range(len(keys)), key=lambda i: self._order(keys[i])):
            groups.setdefault(keys[pos], []).append(vals[pos])
        return list(groups.items())

    def _stored(self, key):
        if key not in self._store:
            raise MXNetError(f"key {key} has not been inited")
        return self._store[key]

    # ---- data --------------------------------------------------------------------------------
    def init(self, key, value):
        """Initialise ``key`` (or each key of a list) with a copy of ``value``.

        Parameters
        ----------
        key : int, str or list of them
        value : NDArray, RowSparseNDArray or a list of them (one per key)
        """
        keys, vals, use_str = _key_value_pairs(key, value)
        self._use_keys(use_str)
        self._init(keys, vals)

    def _init(self, keys, vals):
        for key, val in zip(keys, vals):
            if key in self._store:
                raise MXNetError(f"duplicate init of key {key}. Please double check if you "
                                 "called kv.init or kv.broadcast with this key multiple times")
            if isinstance(key, str):
                self._str_ids[key] = len(self._str_ids)
            self._store[key] = val.copyto(val.context)

    def push(self, key, value, priority=0):  # noqa: ARG002 - priority: MXNet's signature
        """Push ``value`` to ``key``: the arrays given for one key are summed, and the sum
        replaces the stored value, or, with an updater, is passed to
        ``updater(key, sum, stored)``.

        Parameters
        ----------
        key : int, str or list of them
        value : NDArray or RowSparseNDArray, a list of them (summed), or, for a list of
            keys, a list with one of those per key
        priority : int
            Accepted for compatibility (mxjax runs pushes in call order).
        """
        keys, vals, use_str = _key_value_pairs(key, value)
        self._use_keys(use_str)
        self._push(keys, vals)

    def _push(self, keys, vals):
        for val in vals:
            if val.stype not in ("default", "row_sparse"):
                raise MXNetError(f"Unexpected storage type detected during kvstore push: "
                                 f"{val.stype}")
        groups = self._grouped(keys, vals)
        merged = self._reduce(groups)
        keys = [key for key, _ in groups]
        if self._updater is None:
            self._store.update(zip(keys, merged))
            return
        stored = [self._stored(key) for key in keys]
        merged = [m.as_in_context(s.context) for m, s in zip(merged, stored)]
        if isinstance(self._updater, opt.Updater):  # all keys in one compiled update
            self._updater._update(keys, merged, stored)
        else:
            for key, m, s in zip(keys, merged, stored):
                self._updater(key, m, s)

    def _reduce(self, groups):
        """The sum of each ``(key, values)`` group, as an NDArray of its own, on the stored
        value's context (or the first value's, for a key not initialised yet)."""
        merged = [None] * len(groups)
        dense = []
        for i, (key, values) in enumerate(groups):
            shapes = {v.shape for v in values}
            if len(shapes) > 1:
                raise MXNetError(f"kvstore push: the arrays pushed to key {key} have different "
                                 f"shapes {sorted(shapes)}")
            ctx = self._store[key].context if key in self._store else values[0].context
            if all(v.stype == "default" for v in values):
                dense.append((i, key, ctx))
                continue
            moved = [v.as_in_context(ctx) for v in values]  # row_sparse: union of rows
            merged[i] = moved[0].copyto(ctx) if len(moved) == 1 else nd.add_n(*moved)
        if not dense:
            return merged
        groups_data = [[v._data for v in groups[i][1]] for i, _, _ in dense]
        residuals = None
        if self._threshold is not None:
            residuals = [self._residuals_of(key, data) for (_, key, _), data in
                         zip(dense, groups_data)]
        sums, new_res = _reduce.sum_groups(groups_data, [ctx.jax_device for _, _, ctx in dense],
                                           residuals, self._threshold)
        for (i, key, ctx), total, res in zip(dense, sums, new_res):
            merged[i] = NDArray(total, ctx)
            if res is not None:
                self._residuals[key] = res
        return merged

    def _residuals_of(self, key, data):
        """The key's residual per pushed position (zeros at first), on each value's device."""
        res = self._residuals.get(key)
        if res is None or len(res) != len(data) or res[0].shape != data[0].shape:
            res = [jax.device_put(np.zeros(d.shape, d.dtype), next(iter(d.devices())))
                   for d in data]
        return res

    def pull(self, key, out=None, priority=0, ignore_sparse=True):  # noqa: ARG002
        """Copy the stored value of ``key`` into ``out`` (an array, a list of arrays, or
        one of those per key of a list).

        With ``ignore_sparse`` (the default) sparse outputs are skipped: use
        ``row_sparse_pull`` for them.
        """
        assert out is not None
        keys, outs, use_str = _key_value_pairs(key, out)
        self._use_keys(use_str)
        self._pull(keys, outs, ignore_sparse)

    def _pull(self, keys, outs, ignore_sparse):
        kept = []
        for key, o in zip(keys, outs):
            if o.stype == "default" or not ignore_sparse:
                kept.append((key, o))
            elif key not in self._warned_pull:
                _log.info("Warning: non-default weights detected during kvstore pull. This "
                          "call has been ignored. Please make sure to use kv.row_sparse_pull() "
                          "or module.prepare() with row_ids.")
                self._warned_pull.add(key)
        if not kept:
            return
        dense = []
        for key, targets in self._grouped(*zip(*kept)):
            stored = self._stored(key)
            for o in targets:
                if o.shape != stored.shape:
                    raise MXNetError(f"kvstore pull: key {key} holds an array of shape "
                                     f"{stored.shape}, the output has shape {o.shape}")
                if stored.stype != "default":
                    _write(o, stored.copyto(o.context))
                elif o is not stored:
                    dense.append((o, stored))
        # Copies, never the stored buffer itself (a Trainer donates its weights' buffers).
        copies = _reduce.copies([s._data for _, s in dense],
                                [o.context.jax_device for o, _ in dense])
        for (o, _), value in zip(dense, copies):
            _write(o, NDArray(value, o.context))

    def pushpull(self, key, value, out=None, priority=0):  # noqa: ARG002
        """``push(key, value)`` then ``pull(key, out)`` (into ``value`` when ``out`` is
        None; sparse outputs are skipped)."""
        keys, vals, use_str = _key_value_pairs(key, value)
        okeys, outs = (keys, vals) if out is None else _key_value_pairs(key, out)[:2]
        self._use_keys(use_str)
        self._push(keys, vals)
        self._pull(okeys, outs, True)

    def broadcast(self, key, value, out, priority=0):  # noqa: ARG002
        """Initialise ``key`` with ``value`` and copy it into ``out`` (sparse outputs are
        skipped). A key can be initialised only once."""
        keys, vals, use_str = _key_value_pairs(key, value)
        okeys, outs, _ = _key_value_pairs(key, out)
        self._use_keys(use_str)
        self._init(keys, vals)
        self._pull(okeys, outs, True)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):  # noqa: ARG002
        """Copy the rows ``row_ids`` of the stored row_sparse value of ``key`` into ``out``
        (row_sparse arrays; every other row zero, and not stored).

        mxjax keeps row_sparse arrays densely (see ``mx.nd.sparse``), so the whole array
        moves to each output's device, the rows not asked for zeroed there: a dense
        fallback for MXNet's transfer of the selected rows only.

        Parameters
        ----------
        key : int, str or list of them
        out : RowSparseNDArray, list of them, or one of those per key
        row_ids : NDArray or list of NDArray
            The rows to pull for each output (any shape, order and repetitions); a single
            one serves every output of a list.
        """
        assert out is not None
        assert row_ids is not None
        if isinstance(row_ids, NDArray):
            row_ids = [row_ids]
        assert isinstance(row_ids, list), "row_ids should be NDArray or list of NDArray"
        first_out, single_rowid = out, False
        if len(row_ids) == 1 and isinstance(out, list):
            single_rowid, first_out = True, [out[0]]
        keys, outs, use_str = _key_value_pairs(key, first_out)
        _, rids, _ = _key_value_pairs(key, row_ids)
        assert len(rids) == len(outs), "the number of row_ids doesn't match the number of values"
        self._use_keys(use_str)
        for o, rid in zip(outs, rids):
            if o.stype != "row_sparse":
                raise MXNetError(f"Expected row_sparse storage type for row_sparse_pull "
                                 f"values, but detected storage type {o.stype}")
            if rid.stype != "default":
                raise MXNetError(f"Expected default storage type for row_sparse_pull rowids, "
                                 f"but detected storage type {rid.stype}")
        for key, pairs in self._grouped(keys, list(zip(outs, rids))):
            stored = self._stored(key)
            if stored.stype != "row_sparse":
                raise MXNetError(f"PullRowSparse expects row_sparse src NDArray: key {key} "
                                 f"holds a {stored.stype} array")
            for o, rid in pairs:
                local = stored.copyto(o.context)
                _write(o, nd.sparse.retain(local, rid.as_in_context(o.context)))
        if single_rowid:
            for o in out[1:]:
                out[0].copyto(o)

    # ---- optimizer and compression -------------------------------------------------------------
    def set_gradient_compression(self, compression_params):
        """Compress every pushed array with MXNet's 2-bit scheme before summing it.

        Each value is added to its residual (kept per key and pushed position); where
        the result is at least ``threshold`` the value sent is ``threshold``, where it is
        at most ``-threshold`` it is ``-threshold``, elsewhere 0; the difference stays in
        the residual for the next push. Computed in XLA with the sum.

        Parameters
        ----------
        compression_params : dict
            ``{'type': '2bit', 'threshold': 0.5}`` (``threshold`` defaults to 0.5).
        """
        if "device" not in self.type and "dist" not in self.type:
            raise Exception("Gradient compression is not supported for this type of kvstore")
        self._threshold = _compression_threshold(compression_params)

    def set_optimizer(self, optimizer):
        """Update the stored values with ``optimizer`` when gradients are pushed."""
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater):
        """Call ``updater(key, merged, stored)`` on each push, which must update ``stored``
        in place (e.g. ``stored += merged``)."""
        self._updater = updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the optimizer's states (and the optimizer, with ``dump_optimizer``) in the
        format of MXNet 1.9.1's ``Updater.get_states``."""
        assert self._updater is not None, "Cannot save states for distributed training"
        write_atomically(fname, self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Read states written by ``save_optimizer_states`` (mxjax's or MXNet's); only
        optimizers, schedulers and arrays are accepted in the file."""
        assert self._updater is not None, "Cannot load states for distributed training"
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    # ---- properties --------------------------------------------------------------------------
    def is_capable(self, capability):
        """Whether the store supports ``capability`` ('optimizer': it does)."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return True
        raise ValueError(f"Unknown capability: {capability}")

    @property
    def type(self):
        """The type name given to ``mx.kv.create``."""
        return self._type

    @property
    def rank(self):
        """0: one process is the only worker."""
        return 0

    @property
    def num_workers(self):
        """1: one process is the only worker."""
        return 1

    def _barrier(self):
        """Wait for the other workers (there are none in one process)."""


def pushpull_all(store, keys, values, out, priorities):
    """``store.pushpull`` of every key: all keys in one call on mxjax's own store (one
    compiled sum, and update), key by key with ``priorities``, as MXNet's callers do, on
    any other store (a custom one sees each call)."""
    if isinstance(store, KVStore):
        store.pushpull(keys, values, out=out)
        return
    for n, (key, priority) in enumerate(zip(keys, priorities)):
        store.pushpull(key, values[n], out=None if out is None else out[n], priority=priority)
