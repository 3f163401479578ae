"""``dist_sync`` and its kin: one store per worker process, kept equal by all-reduces.

There is no parameter server: every worker holds every key, and a push sums the pushed
values over the worker's contexts (as ``'local'`` does) and then over all workers, with
an XLA all-reduce across the processes of ``mxjax launch`` (``jax.distributed``; gloo on
CPU, NCCL on GPU). With an optimizer set, every worker then applies the same update to
its copy, which is what a server applying it and every worker pulling the result gives.
``init`` takes rank 0's value.

``dist_async`` has no faithful equivalent on collectives (a server applying each worker's
push as it arrives): it runs synchronously, with a warning.
"""

import warnings

from jax.experimental import multihost_utils

from .. import _distributed
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from . import _reduce
from .kvstore import KVStore

__all__ = ["DistKVStore"]

_ASYNC = ("kvstore {name!r}: mxjax runs asynchronous distributed training synchronously "
          "(an all-reduce per push; there is no parameter server to apply pushes as they "
          "arrive), so results match 'dist_sync'")


class DistKVStore(KVStore):
    """A store of type ``dist_sync``, ``dist_device_sync``, ``dist_sync_device`` or
    ``dist_async``, in each worker process of ``mxjax launch``; with no launcher, the
    process is the only worker.

    Parameters
    ----------
    name : str
        The store's type, as given to ``mx.kv.create``.
    """

    def __init__(self, name="dist_sync"):
        super().__init__(name)
        if "async" in name:
            warnings.warn(_ASYNC.format(name=name), stacklevel=3)

    def _init(self, keys, vals):
        if self.num_workers > 1:
            dense = [v for v in vals if v.stype == "default"]
            if len(dense) != len(vals):
                raise MXNetError(f"{self.type}: sparse values across several workers are not "
                                 "supported; use dense parameters")
            values = _reduce.across_workers([v._data for v in vals], keep_mine=self.rank == 0)
            vals = [NDArray(value, v.context) for value, v in zip(values, vals)]
        super()._init(keys, vals)

    def _reduce(self, groups):
        merged = super()._reduce(groups)
        if self.num_workers == 1 or not merged:
            return merged
        if any(m.stype != "default" for m in merged):
            raise MXNetError(f"{self.type}: sparse values across several workers are not "
                             "supported; use dense gradients")
        totals = _reduce.across_workers([m._data for m in merged])
        return [NDArray(total, m.context) for total, m in zip(totals, merged)]

    @property
    def rank(self):
        """This worker's rank (``DMLC_WORKER_ID`` under ``mxjax launch``)."""
        return _distributed.rank()

    @property
    def num_workers(self):
        """The number of worker processes."""
        return _distributed.num_workers()

    def _barrier(self):
        """Wait until every worker has reached this point."""
        if self.num_workers > 1:
            multihost_utils.sync_global_devices("mxjax kvstore barrier")
