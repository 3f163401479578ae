"""Data iterators over in-memory arrays, and the batch / descriptor types they return."""

import threading
from collections import namedtuple

import numpy as np

from ..ndarray import array, concat, tile
from ..ndarray.sparse import CSRNDArray
from .utils import _getdata_by_idx, _has_instance, _init_data


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name and shape of an input (a ``(name, shape)`` tuple), plus its dtype and layout.

    Parameters
    ----------
    name : str
        Data name.
    shape : tuple of int
        Data shape, batch axis included.
    dtype : numpy dtype, default float32
        Data type.
    layout : str, default 'NCHW'
        What each axis means; ``'N'`` marks the batch axis.
    """

    def __new__(cls, name, shape, dtype=np.float32, layout="NCHW"):
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self):
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout):
        """The batch axis of ``layout`` (position of ``'N'``; 0 for None, -1 if absent)."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes, types):
        """``DataDesc`` list from ``[(name, shape)]`` and optional ``[(name, dtype)]``."""
        if types is None:
            return [DataDesc(x[0], x[1]) for x in shapes]
        type_dict = dict(types)
        return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]


class DataBatch:
    """One batch of a data iterator.

    Parameters
    ----------
    data : list of NDArray
        The inputs, each holding ``batch_size`` examples.
    label : list of NDArray, optional
        The labels.
    pad : int, optional
        Number of examples at the end that only fill the batch up (ignore their outputs).
    index : numpy.ndarray, optional
        Indices of the examples.
    bucket_key : optional
        Bucket of the batch (bucketing modules).
    provide_data, provide_label : list of DataDesc, optional
        Descriptions of ``data`` and ``label``.
    """

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        if data is not None:
            assert isinstance(data, (list, tuple)), "Data must be list of NDArrays"
        if label is not None:
            assert isinstance(label, (list, tuple)), "Label must be list of NDArrays"
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lbl.shape for lbl in self.label] if self.label else None
        return (f"{self.__class__.__name__}: data shapes: {data_shapes} "
                f"label shapes: {label_shapes}")


class DataIter:
    """Base class of the data iterators: a Python iterator of ``DataBatch``.

    Subclasses implement ``iter_next`` (advance; False at the end), ``getdata``,
    ``getlabel``, ``getpad`` and optionally ``getindex`` and ``reset``, or override
    ``next`` directly.

    Parameters
    ----------
    batch_size : int, optional
        Examples per batch.
    """

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the beginning of the data."""

    def next(self):
        """The next ``DataBatch``; raises ``StopIteration`` at the end of the data."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                             index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Move to the next batch; whether there was one."""

    def getdata(self):
        """The data (list of NDArray) of the current batch."""

    def getlabel(self):
        """The labels (list of NDArray) of the current batch."""

    def getindex(self):
        """The example indices of the current batch (None if unknown)."""
        return None

    def getpad(self):
        """The number of padding examples in the current batch."""


class _BatchHoldingIter(DataIter):
    """An iterator that keeps its current batch in ``current_batch`` and reads from it."""

    def getdata(self):
        """Data of the current batch."""
        return self.current_batch.data

    def getlabel(self):
        """Labels of the current batch."""
        return self.current_batch.label

    def getindex(self):
        """Indices of the current batch."""
        return self.current_batch.index

    def getpad(self):
        """Padding of the current batch."""
        return self.current_batch.pad


class ResizeIter(_BatchHoldingIter):
    """``data_iter`` stretched or cut to ``size`` batches per epoch (it is reset and
    restarted whenever it runs out).

    Parameters
    ----------
    data_iter : DataIter
        The iterator to resize.
    size : int
        Batches per epoch.
    reset_internal : bool, default True
        Whether ``reset`` also resets ``data_iter``.
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        """Start a new epoch of ``size`` batches."""
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        """Fetch the next batch of ``data_iter``, restarting it at its end."""
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True


class PrefetchingIter(_BatchHoldingIter):
    """Reads the next batch of each iterator in a background thread; batches of several
    iterators are joined (their data and labels concatenated as lists).

    Parameters
    ----------
    iters : DataIter or list of DataIter
        The iterators; they must give the same number of batches with the same padding.
    rename_data, rename_label : list of dict, optional
        Per iterator, ``{old_name: new_name}`` for its ``provide_data`` / ``provide_label``.
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super().__init__()
        if not isinstance(iters, list):
            iters = [iters]
        self.n_iter = len(iters)
        assert self.n_iter > 0
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.data_ready = [threading.Event() for _ in iters]
        self.data_taken = [threading.Event() for _ in iters]
        for event in self.data_taken:
            event.set()
        self.started = True
        self.current_batch = None
        self.next_batch = [None] * self.n_iter
        self.prefetch_threads = [threading.Thread(target=self._prefetch, args=(i,), daemon=True)
                                 for i in range(self.n_iter)]
        for thread in self.prefetch_threads:
            thread.start()

    def _prefetch(self, i):
        """Thread body: whenever the last batch was taken, read the next one."""
        while True:
            self.data_taken[i].wait()
            if not self.started:
                break
            try:
                self.next_batch[i] = self.iters[i].next()
            except StopIteration:
                self.next_batch[i] = None
            self.data_taken[i].clear()
            self.data_ready[i].set()

    def __del__(self):
        self.started = False
        for event in getattr(self, "data_taken", ()):
            event.set()
        for thread in getattr(self, "prefetch_threads", ()):
            thread.join()

    def _renamed(self, attr, renames):
        descs = []
        for k, it in enumerate(self.iters):
            for desc in getattr(it, attr):
                if renames is None:
                    descs.append(desc)
                elif isinstance(desc, DataDesc):
                    descs.append(DataDesc(renames[k][desc.name], desc.shape, desc.dtype))
                else:
                    descs.append(DataDesc(*desc))
        return descs

    @property
    def provide_data(self):
        """The data descriptions of all the iterators, renamed."""
        return self._renamed("provide_data", self.rename_data)

    @property
    def provide_label(self):
        """The label descriptions of all the iterators, renamed."""
        return self._renamed("provide_label", self.rename_label)

    def reset(self):
        """Wait for the pending reads, reset every iterator and start reading again."""
        for event in self.data_ready:
            event.wait()
        for it in self.iters:
            it.reset()
        for event in self.data_ready:
            event.clear()
        for event in self.data_taken:
            event.set()

    def iter_next(self):
        """Take the prefetched batches and start reading the next ones."""
        for event in self.data_ready:
            event.wait()
        batches = self.next_batch
        if batches[0] is None:
            for batch in batches:
                assert batch is None, "Number of entry mismatches between iterators"
            return False
        for batch in batches:
            assert batch.pad == batches[0].pad, "Number of entry mismatches between iterators"
        self.current_batch = DataBatch(
            [d for b in batches for d in b.data], [lb for b in batches for lb in b.label or ()],
            batches[0].pad, batches[0].index,
            provide_data=self.provide_data, provide_label=self.provide_label)
        for event in self.data_ready:
            event.clear()
        for event in self.data_taken:
            event.set()
        return True

    def next(self):
        """The next joined batch."""
        if self.iter_next():
            return self.current_batch
        raise StopIteration


class NDArrayIter(DataIter):
    """Iterate over NDArrays or numpy arrays in batches.

    Parameters
    ----------
    data : array, list of arrays or dict of name -> array
        The inputs (numpy arrays become float32 NDArrays; a ``CSRNDArray`` or scipy CSR
        matrix needs ``last_batch_handle='discard'`` and gives dense batches). Named
        ``data_name`` if one, ``_<i>_<data_name>`` if a list; ordered by name.
    label : array, list of arrays or dict, optional
        The labels, named after ``label_name`` the same way.
    batch_size : int, default 1
        Examples per batch.
    shuffle : bool, default False
        Reorder the examples (with numpy's global RNG) at construction and each ``reset``;
        the shuffled arrays are float32.
    last_batch_handle : {'pad', 'discard', 'roll_over'}, default 'pad'
        The incomplete last batch: 'pad' fills it with examples from the start (``pad``
        says how many), 'discard' drops it, 'roll_over' keeps it for the first batch of
        the next epoch (which then reports them as ``pad``).
    data_name, label_name : str
        Names of the inputs / labels.
    layout : str, default 'NCHW'
        Position of the batch axis (``'N'``).
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle="pad",
                 data_name="data", label_name="softmax_label", layout="NCHW"):
        super().__init__(batch_size)
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        if ((_has_instance(self.data, CSRNDArray) or _has_instance(self.label, CSRNDArray))
                and last_batch_handle != "discard"):
            raise NotImplementedError("`NDArrayIter` only supports ``CSRNDArray`` with "
                                      "`last_batch_handle` set to `discard`.")
        self.idx = np.arange(self.data[0][1].shape[0])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = batch_size
        self.cursor = -self.batch_size
        self.num_data = self.idx.shape[0]
        self._host_cache = {}
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)
        self._cache_data = None  # the incomplete last batch, for 'roll_over'
        self._cache_label = None
        self.layout = layout

    def _descs(self, sources):
        axis = self.layout.find("N")
        return [DataDesc(k, tuple(v.shape[:axis]) + (self.batch_size,) + tuple(v.shape[axis + 1:]),
                         v.dtype, layout=self.layout)
                for k, v in sources]

    @property
    def provide_data(self):
        """Name, batch shape and dtype of each input."""
        return self._descs(self.data)

    @property
    def provide_label(self):
        """Name, batch shape and dtype of each label."""
        return self._descs(self.label)

    def hard_reset(self):
        """Back to the start, dropping any rolled-over examples."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self):
        """Back to the start; with 'roll_over', an incomplete last batch carries over."""
        if self.shuffle:
            self._shuffle_data()
        if (self.last_batch_handle == "roll_over"
                and self.num_data - self.batch_size < self.cursor < self.num_data):
            # the next cursor is minus the number of examples carried over
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self):
        """Advance the cursor by one batch; whether it is still inside the data."""
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        """The next batch; an incomplete one ends the epoch (kept for 'roll_over')."""
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self.layout.find("N")] != self.batch_size:
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _getdata(self, data_source, start=None, end=None):
        """Examples ``start:end`` of every array of ``data_source``."""
        assert start is not None or end is not None, "should at least specify start or end"
        start = 0 if start is None else start
        if end is None:
            end = data_source[0][1].shape[0] if data_source else 0
        key = (slice(None),) * self.layout.find("N") + (slice(start, end),)
        return [array(host[key], ctx, dtype=host.dtype) for host, ctx in self._host(data_source)]

    def _host(self, data_source):
        """Host (numpy) copies of the arrays of ``data_source``, made once per source list:
        a batch is sliced on the host and sent to the device in one transfer, as MXNet's
        ``slice_axis`` copy (it does not see later in-place writes to the source arrays)."""
        cached = self._host_cache.get(id(data_source))
        if cached is None or cached[0] is not data_source:
            cached = (data_source, [(v.asnumpy(), v.context) for _, v in data_source])
            self._host_cache[id(data_source)] = cached
        return cached[1]

    def _concat(self, first_data, second_data):
        """Join two lists of arrays along the batch axis."""
        if not first_data or not second_data:
            return first_data if first_data else second_data
        assert len(first_data) == len(second_data), "data source should contain the same size"
        return [concat(a, b, dim=self.layout.find("N")) for a, b in zip(first_data, second_data)]

    @staticmethod
    def _tile(data, repeats):
        """Each array repeated ``repeats`` times along axis 0."""
        return [tile(d, [repeats] + [1] * (len(d.shape) - 1)) for d in data]

    def _batchify(self, data_source):
        """The current batch of ``data_source`` (the inputs or the labels)."""
        assert self.cursor < self.num_data, "DataIter needs reset."
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            # first batch after a roll-over: the carried examples, then the new epoch's
            assert self._cache_data is not None or self._cache_label is not None, \
                "next epoch should have cached data"
            if self._cache_data is not None:
                cache, self._cache_data = self._cache_data, None
            else:
                cache, self._cache_label = self._cache_label, None
            rest = self._getdata(data_source, end=self.cursor + self.batch_size)
            return self._concat(cache, rest)
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            pad = self.batch_size - self.num_data + self.cursor
            first = self._getdata(data_source, start=self.cursor)
            if pad > self.num_data:
                second = self._tile(self._getdata(data_source, end=self.num_data),
                                    pad // self.num_data)
                if pad % self.num_data:
                    second = self._concat(second,
                                          self._getdata(data_source, end=pad % self.num_data))
            else:
                second = self._getdata(data_source, end=pad)
            return self._concat(first, second)
        end = min(self.cursor + self.batch_size, self.num_data)
        return self._getdata(data_source, self.cursor, end)

    def getdata(self):
        """The inputs of the current batch."""
        return self._batchify(self.data)

    def getlabel(self):
        """The labels of the current batch."""
        return self._batchify(self.label)

    def getpad(self):
        """Padding examples of the current batch ('pad': the fill; 'roll_over': the
        carried examples of the first batch)."""
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self):
        """Permute ``idx`` in place and reorder the arrays by it."""
        np.random.shuffle(self.idx)
        self.data = _getdata_by_idx(self.data, self.idx)
        self.label = _getdata_by_idx(self.label, self.idx)


__all__ = ["DataDesc", "DataBatch", "DataIter", "ResizeIter", "PrefetchingIter", "NDArrayIter"]
