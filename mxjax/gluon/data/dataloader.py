"""``DataLoader``: mini-batches from a dataset, optionally built by worker processes.

MXNet forks its workers from the main process. mxjax cannot: JAX runs thread pools
there, a forked child keeps none of those threads, and datasets and transforms do run
JAX operators (images are NDArrays), which would then wait forever on locks or threads
that no longer exist. Workers are forked instead from a *fork server*, a clean process
that imported mxjax once but never started JAX, and are restricted to JAX's CPU backend
so they never claim accelerator memory. (Where there is no fork server, they are
spawned, and re-run an unguarded script: there, guard it.)

Such a worker would normally re-run the main script to find the functions and classes
it defines -- and a script without an ``if __name__ == "__main__"`` guard (the usual
case with MXNet, which forks) would run its whole top level again in every worker. It
does not here: the fork server's ``__main__`` takes the script's name, which tells
multiprocessing that the script is already there (as after a fork), and what the script
defines travels with the dataset, by value (``_pickling.py``), as a fork would have
copied it.

Workers receive the dataset and batchify function once, build batches and send them back
as numpy arrays; the pool's result thread turns each finished batch into NDArrays
(``jax.device_put``) in the background while the main thread consumes earlier ones. A
dataset that cannot be pickled (one holding a lock, or a lambda of an imported module)
falls back to a thread pool, with a warning.
"""

import copyreg
import functools
import importlib.machinery
import io
import multiprocessing
import multiprocessing.pool
import multiprocessing.spawn
import os
import pickle
import signal
import sys
import threading
import warnings
import weakref
from contextlib import contextmanager

import jax
import numpy as np

from ... import _alias, context, engine
from ... import ndarray as nd
from ...base import MXNetError
from ...ndarray import NDArray, host
from . import _pickling, _shm
from . import sampler as _sampler
from .dataset import Dataset, SimpleDataset

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn"]

_ALIAS_FLAG = "MXJAX_WORKER_MXNET_ALIAS"
_MAIN_FLAG = "MXJAX_WORKER_MAIN"
if os.environ.get(_ALIAS_FLAG) == "1":
    # In the fork server of a script run by ``mxjax run``: modules its workers import
    # may ``import mxnet``, which must resolve to mxjax there too.
    _alias.install()
if _MAIN_FLAG in os.environ:
    # In the fork server: workers forked from it find the parent's script already in
    # ``__main__`` and do not run it (multiprocessing's check after a fork).
    _kind, _, _target = os.environ.pop(_MAIN_FLAG).partition(":")
    if _kind == "path":
        sys.modules["__main__"].__file__ = _target
    else:
        sys.modules["__main__"].__spec__ = importlib.machinery.ModuleSpec(_target, None)


def _host_stack(data):
    """The numpy stack of NDArray samples whose values are all on the host and of one
    dtype and shape (``mxjax.ndarray.host``), else ``None`` (``nd.stack`` then stacks
    them, or raises MXNet's error)."""
    values = [host.value(d) for d in data]
    if any(v is None for v in values) or len({(v.dtype, v.shape) for v in values}) > 1:
        return None
    return np.stack(values)


def default_batchify_fn(data):
    """Stack a list of samples into a batch: NDArrays as ``nd.stack`` would (with numpy,
    then one transfer, when their values are on the host), tuples field by field (giving
    a *list* of batches, as MXNet does), anything else through numpy (keeping its dtype:
    Python ints give int64, floats float64)."""
    if isinstance(data[0], NDArray):
        stacked = _host_stack(data)
        if stacked is None:
            return nd.stack(*data)
        return host.transfer(host.wrap(stacked, data[0].context))
    if isinstance(data[0], tuple):
        return [default_batchify_fn(list(field)) for field in zip(*data)]
    data = np.asarray(data)
    nd.dtype_np(data.dtype)  # MXNet's dtypes only
    return host.transfer(host.wrap(data, context.current_context()))


def default_mp_batchify_fn(data):
    """``default_batchify_fn`` for workers: the same batch, stacked with numpy and left
    on the host (it travels to the main process as numpy)."""
    if isinstance(data[0], NDArray):
        stacked = _host_stack(data)
        data = np.stack([d.asnumpy() for d in data]) if stacked is None else stacked
    elif isinstance(data[0], tuple):
        return [default_mp_batchify_fn(list(field)) for field in zip(*data)]
    else:
        data = np.asarray(data)
        nd.dtype_np(data.dtype)
    return host.wrap(data, context.cpu())


def _whole_batch(dataset, indices, batchify_fn):
    """The batch made by the default batchify, computed on the whole batch in numpy where
    the dataset can (``Dataset._host_batch``: rows of arrays, then a transform_first
    with a batched numpy version); ``None`` elsewhere."""
    if (batchify_fn not in (default_batchify_fn, default_mp_batchify_fn)
            or not isinstance(dataset, Dataset) or not host.enabled()):
        return None
    got = dataset._host_batch(indices)
    if got is None:
        return None
    fields, is_tuple = got
    batch = []
    for array, ctx in fields:
        try:
            nd.dtype_np(array.dtype)
        except TypeError:
            return None  # the samples' path raises MXNet's error
        if batchify_fn is default_mp_batchify_fn:
            batch.append(host.wrap(array, context.cpu()))
        else:
            batch.append(host.transfer(host.wrap(array, ctx or context.current_context())))
    return batch if is_tuple else batch[0]


def _make_batch(dataset, indices, batchify_fn):
    batch = _whole_batch(dataset, indices, batchify_fn)
    return batchify_fn([dataset[i] for i in indices]) if batch is None else batch


def _transfer(data):
    """Start the device transfer of every host-valued NDArray in a batch."""
    if isinstance(data, NDArray):
        return host.transfer(data)
    if type(data) in (list, tuple):
        return type(data)(_transfer(d) for d in data)
    return data


def _as_in_context(data, ctx):
    if isinstance(data, NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        return [_as_in_context(d, ctx) for d in data]
    return data


# ---- worker processes ----------------------------------------------------------------
_worker_dataset = _worker_batchify = _worker_error = _worker_shm_dir = None


def _rebuild_ndarray(array):
    """Unpickled in the main process: a host NDArray from a worker's numpy array."""
    ctx = context.cpu()
    return NDArray(jax.device_put(array, ctx.jax_device), ctx)


def _rebuild_shared(path, shape, dtype):
    return _rebuild_ndarray(_shm.read(path, shape, dtype))


def _reduce_ndarray(x):
    value = host.value(x)
    value = x.asnumpy() if value is None else value
    if _worker_shm_dir is not None and value.nbytes >= _shm.MIN_BYTES:
        return _rebuild_shared, _shm.write(value, _worker_shm_dir)
    return _rebuild_ndarray, (value,)


def _worker_initializer(payload, shm_dir=None):
    """Runs first in each worker: CPU-only JAX, then the dataset and batchify function
    (pickled once). A failure is reported with the first batch: a worker that died here
    would only be restarted, again and again."""
    global _worker_dataset, _worker_batchify, _worker_error, _worker_shm_dir
    _worker_shm_dir = shm_dir
    os.environ["JAX_PLATFORMS"] = "cpu"
    jax.config.update("jax_platforms", "cpu")
    try:
        _worker_dataset, _worker_batchify = pickle.loads(payload)
    except Exception as e:
        _worker_error = f"{type(e).__name__}: {e}"


def _worker_fn(samples, batchify_fn=None, dataset=None):
    """Build one batch in a worker; NDArrays travel as numpy arrays."""
    if _worker_error is not None:
        raise MXNetError(f"DataLoader worker could not rebuild the dataset ({_worker_error}); "
                         "pass thread_pool=True to build batches in threads instead")
    batch = _make_batch(_worker_dataset, samples, batchify_fn or _worker_batchify)
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[NDArray] = _reduce_ndarray
    pickler.dump(batch)
    return buf.getvalue()


def _thread_worker_fn(samples, batchify_fn, dataset):
    return _make_batch(dataset, samples, batchify_fn)


@contextmanager
def _worker_environment():
    """What worker processes (and the fork server) inherit: CPU-only JAX, the ``mxnet``
    alias if this process has it, the main script's name, and Ctrl-C left to the
    parent."""
    aliased = any(isinstance(f, _alias._MXNetAlias) for f in sys.meta_path)
    changes = {"JAX_PLATFORMS": "cpu", _ALIAS_FLAG: "1" if aliased else None,
               _MAIN_FLAG: _main_script()}
    saved = {k: os.environ.get(k) for k in changes}
    main = threading.current_thread() is threading.main_thread()
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        for key, value in changes.items():
            _set_env(key, value)
        yield
    finally:
        for key, value in saved.items():
            _set_env(key, value)
        if main:
            signal.signal(signal.SIGINT, handler)


def _set_env(key, value):
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def _main_script():
    """``"path:<file>"`` or ``"name:<module>"``: how multiprocessing would have a new
    process re-create this process's ``__main__`` (``None``: it would not)."""
    data = multiprocessing.spawn.get_preparation_data("mxjax-dataloader")
    if "init_main_from_name" in data:
        return "name:" + data["init_main_from_name"]
    if "init_main_from_path" in data:
        return "path:" + data["init_main_from_path"]
    return None


def _process_context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])   # mxjax imported once, not per worker
        return ctx
    return multiprocessing.get_context("spawn")


def _make_pool(num_workers, dataset, batchify_fn, thread_pool):
    """``(pool, uses_threads, shm_dir)``: worker processes (sending large arrays through
    ``shm_dir``, see ``_shm.py``), or threads when asked or when the dataset or
    batchify_fn cannot be pickled."""
    if not thread_pool:
        try:
            payload = _pickling.dumps((dataset, batchify_fn))
        except Exception as e:  # whatever pickling a user's object raises
            warnings.warn(
                f"DataLoader: num_workers={num_workers} needs worker processes, which get "
                f"the dataset and batchify_fn pickled, but they cannot be pickled ({e}). "
                "Using threads instead (thread_pool=True). Define transforms as functions "
                "or classes of a module or of the script (not local functions or lambdas "
                "inside other modules) to use processes.", stacklevel=3)
        else:
            shm_dir = _shm.make_dir()
            with _worker_environment():
                pool = _process_context().Pool(
                    num_workers, initializer=_worker_initializer, initargs=(payload, shm_dir))
            return pool, False, shm_dir
    return multiprocessing.pool.ThreadPool(num_workers), True, None


class _Failed:
    def __init__(self, error):
        self.error = error


class _MultiWorkerIter:
    """Batches from a worker pool, in order, keeping ``prefetch`` of them in flight."""

    def __init__(self, worker_pool, batchify_fn, batch_sampler, pin_memory=False,
                 pin_device_id=0, worker_fn=_worker_fn, prefetch=0, dataset=None,
                 data_loader=None, timeout=120):
        self._worker_pool = worker_pool
        self._batchify_fn = batchify_fn
        self._batch_sampler = batch_sampler
        self._pending = {}
        self._ready = {}
        self._rcvd_idx = 0
        self._sent_idx = 0
        self._iter = iter(self._batch_sampler)
        self._worker_fn = worker_fn
        self._pin_ctx = context.cpu_pinned(pin_device_id) if pin_memory else None
        self._dataset = dataset
        self._data_loader = data_loader
        self._timeout = timeout
        for _ in range(prefetch):
            self._push_next()

    def __len__(self):
        return len(self._batch_sampler)

    def _push_next(self):
        indices = next(self._iter, None)
        if indices is None:
            return
        receive = functools.partial(self._receive, self._sent_idx)
        self._pending[self._sent_idx] = self._worker_pool.apply_async(
            self._worker_fn, (indices, self._batchify_fn, self._dataset), callback=receive)
        self._sent_idx += 1

    def _receive(self, idx, result):
        # Runs in the pool's result thread as soon as a batch is done: the batch becomes
        # NDArrays there, off the consumer's thread.
        try:
            batch = pickle.loads(result) if self._dataset is None else _transfer(result)
            if self._pin_ctx is not None:
                batch = _as_in_context(batch, self._pin_ctx)
        except Exception as e:  # handed to the consumer by __next__
            batch = _Failed(e)
        self._ready[idx] = batch

    def __next__(self):
        self._push_next()
        if self._rcvd_idx == self._sent_idx:
            assert not self._pending, "Data buffer should be empty at this moment"
            raise StopIteration
        pending = self._pending.pop(self._rcvd_idx)
        try:
            pending.get(self._timeout)  # re-raises a worker's exception
        except multiprocessing.TimeoutError:
            raise multiprocessing.TimeoutError(
                f"DataLoader worker timed out after {self._timeout} seconds; the dataset "
                "or its transform may be too slow: pass a larger timeout=.") from None
        except Exception:
            self._worker_pool.terminate()
            raise
        batch = self._ready.pop(self._rcvd_idx)
        self._rcvd_idx += 1
        if isinstance(batch, _Failed):
            raise batch.error
        return batch

    next = __next__

    def __iter__(self):
        return self


class DataLoader:
    """Loads mini-batches from a dataset.

    Parameters
    ----------
    dataset : Dataset
        Source of samples (a list, numpy array or NDArray works too).
    batch_size : int
        Samples per batch (required unless ``batch_sampler`` is given).
    shuffle : bool, default False
        Visit the samples in a random order (numpy's global generator) each epoch.
    sampler : Sampler
        Order of the samples; excludes ``shuffle``.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        A final incomplete batch is returned, dropped, or completed with the first
        samples of the next epoch.
    batch_sampler : Sampler
        Yields lists of indices; excludes batch_size, shuffle, sampler and last_batch.
    batchify_fn : callable
        Merges a list of samples into a batch (default: ``default_batchify_fn``).
    num_workers : int, default 0
        Worker processes building batches (0: build them in the calling thread).
    pin_memory : bool, default False
        Return batches in ``cpu_pinned(pin_device_id)`` context.
    pin_device_id : int, default 0
        Device of the pinned memory.
    prefetch : int, default ``2 * num_workers``
        Batches requested ahead from the workers (only with ``num_workers > 0``).
    thread_pool : bool, default False
        Use threads rather than processes for the workers.
    timeout : int, default 120
        Seconds to wait for one batch from a worker.
    auto_reload : bool, default False
        Start prefetching the next epoch as soon as one ends (and at construction).
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None,
                 last_batch=None, batch_sampler=None, batchify_fn=None, num_workers=0,
                 pin_memory=False, pin_device_id=0, prefetch=None, thread_pool=False,
                 timeout=120, auto_reload=False):
        if isinstance(dataset, NDArray):
            dataset = SimpleDataset(dataset)   # rows without compiling per index
        self._dataset = dataset
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._timeout = timeout
        assert timeout > 0, f"timeout must be positive, given {timeout}"
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless "
                                 "batch_sampler is specified")
            if sampler is None:
                sampler = (_sampler.RandomSampler if shuffle
                           else _sampler.SequentialSampler)(len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = _sampler.BatchSampler(sampler, batch_size, last_batch or "keep")
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must "
                             "not be specified if batch_sampler is specified.")
        self._batch_sampler = batch_sampler
        self._num_workers = max(0, num_workers)
        self._prefetch = max(0, int(prefetch) if prefetch is not None
                             else 2 * self._num_workers)
        if batchify_fn is None:
            batchify_fn = default_mp_batchify_fn if num_workers > 0 else default_batchify_fn
        self._batchify_fn = batchify_fn
        self._worker_pool = self._shm_dir = None
        self._thread_pool = thread_pool
        if self._num_workers > 0:
            self._worker_pool, self._thread_pool, self._shm_dir = _make_pool(
                self._num_workers, dataset, batchify_fn, thread_pool)
            if self._shm_dir is not None:  # also at exit, should the loader outlive it
                weakref.finalize(self, _shm.remove_dir, self._shm_dir)
        self.auto_reload = auto_reload
        self._iter = None
        if auto_reload:
            self.refresh()

    def __iter__(self):
        if self._iter is None:
            self.refresh()
        current, self._iter = self._iter, None  # an iterator is never used twice
        yield from current
        if self._iter is None and self.auto_reload:
            self.refresh()

    def _same_process_iter(self):
        for indices in self._batch_sampler:
            # Data preparation never joins the captured training step (mxjax.engine):
            # operators a transform calls run at once, outside its graph.
            with engine.suspended():
                batch = _make_batch(self._dataset, indices, self._batchify_fn)
                if self._pin_memory:
                    batch = _as_in_context(batch, context.cpu_pinned(self._pin_device_id))
            yield batch

    def _prefetch_iter(self):
        if self._num_workers == 0:
            return self._same_process_iter()
        # Worker processes have their own copy of batchify_fn (see _worker_initializer).
        return _MultiWorkerIter(
            self._worker_pool, self._batchify_fn if self._thread_pool else None,
            self._batch_sampler,
            pin_memory=self._pin_memory, pin_device_id=self._pin_device_id,
            worker_fn=_thread_worker_fn if self._thread_pool else _worker_fn,
            prefetch=self._prefetch, dataset=self._dataset if self._thread_pool else None,
            data_loader=self, timeout=self._timeout)

    def __len__(self):
        return len(self._batch_sampler)

    def __del__(self):
        pool = getattr(self, "_worker_pool", None)
        if pool is not None:
            pool.terminate()

    def refresh(self):
        """Start a new pass over the data (prefetching from now on)."""
        self._iter = self._prefetch_iter()

    def clean(self):
        """Drop the prefetched pass; the next ``iter()`` starts a fresh one."""
        self._iter = None
