"""MXNet's C++ file iterators (``CSVIter``, ``MNISTIter``) rewritten in numpy.

In MXNet these are C++ iterators behind ``MXDataIter``: a reader of single examples, a
batch loader, and a prefetch thread that runs up to 16 batches ahead of the consumer.
That read-ahead is visible: ``reset()`` acts on the loader's state after the prefetcher
has run ahead, so e.g. a ``round_batch`` CSVIter reset in mid-epoch (or right after
construction) often continues from the wrap-around point instead of restarting. The
classes below reproduce that deterministically (as if the thread always had time to run
ahead), along with MXNet's padding, index and label-shape conventions.
"""

import ast
import functools
import logging
import os
import struct
from collections import deque

import numpy as np

from ..base import MXNetError
from ..ndarray import array
from .io import DataBatch, DataDesc, DataIter

_PREFETCH_CAPACITY = 16  # batches MXNet's prefetch thread may read ahead


class MXDataIter(DataIter):
    """A file iterator driven through a ``handle`` (here a Python loader with ``next()``,
    ``value()`` and ``before_first()``), with MXNet's Python-side behaviour: the first
    batch is read at construction to fill ``provide_data``/``provide_label``, labels of
    shape (N, 1) come out as (N,).

    Parameters
    ----------
    handle : loader
        The underlying iterator.
    data_name, label_name : str
        Names in ``provide_data`` / ``provide_label``.
    """

    def __init__(self, handle, data_name="data", label_name="softmax_label", **_):
        super().__init__()
        self.handle = handle
        self._debug_skip_load = False
        self._debug_at_begin = True
        self.first_batch = None
        self.first_batch = self.next()
        data, label = self.first_batch.data[0], self.first_batch.label[0]
        self.provide_data = [DataDesc(data_name, data.shape, data.dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, label.dtype)]
        self.batch_size = data.shape[0]

    def debug_skip_load(self):
        """Return the first batch forever (to time a model without the input pipeline)."""
        self._debug_skip_load = True
        logging.info("Set debug_skip_load to be true, will simply return first batch")

    def reset(self):
        """Back to the beginning of the data."""
        self._debug_at_begin = True
        self.first_batch = None
        self.handle.before_first()

    def _batch(self):
        return DataBatch(data=[self.getdata()], label=[self.getlabel()], pad=self.getpad(),
                         index=self.getindex())

    def next(self):
        """The next ``DataBatch`` (data and label lists of one NDArray each)."""
        if self._debug_skip_load and not self._debug_at_begin:
            return self._batch()
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            return batch
        self._debug_at_begin = False
        if self.handle.next():
            return self._batch()
        raise StopIteration

    def iter_next(self):
        """Advance; whether there was a batch."""
        return self.first_batch is not None or self.handle.next()

    def getdata(self):
        """The data of the current batch."""
        return array(self.handle.value()[0], dtype=self.handle.value()[0].dtype)

    def getlabel(self):
        """The label of the current batch; shape (N, 1) becomes (N,)."""
        label = self.handle.value()[1]
        if label.ndim > 1 and label.shape[1] == 1:
            label = label.reshape(label.shape[0])
        return array(label, dtype=label.dtype)

    def getindex(self):
        """The example indices (uint64) of the current batch, or None."""
        index = self.handle.value()[3]
        return index.copy() if index.size else None

    def getpad(self):
        """Padding examples in the current batch."""
        return self.handle.value()[2]


class _Prefetcher:
    """MXNet's prefetch thread, deterministically: batches are read lazily, but a reset
    first lets the loader run up to ``_PREFETCH_CAPACITY`` batches ahead."""

    def __init__(self, loader):
        self._loader = loader
        self._queue = deque()
        self._done = False
        self._current = None

    def _produce(self):
        if self._done:
            return False
        batch = self._loader.next()
        if batch is None:
            self._done = True
            return False
        self._queue.append(batch)
        return True

    def next(self):
        if not self._queue and not self._produce():
            return False
        self._current = self._queue.popleft()
        return True

    def value(self):
        return self._current

    def before_first(self):
        while len(self._queue) < _PREFETCH_CAPACITY and self._produce():
            pass
        self._queue.clear()
        self._done = False
        self._loader.before_first()


class _BatchLoader:
    """Groups single examples into batches, reusing one buffer as MXNet does.

    An incomplete last batch is completed from the start of the data with
    ``round_batch`` (the next epoch then resumes after those examples, without a
    restart); without it the rest of the buffer keeps the previous batch's examples
    and ``pad`` counts them.
    """

    def __init__(self, examples, batch_size, round_batch):
        self._examples = examples
        self._batch_size = batch_size
        self._round_batch = round_batch
        self._num_overflow = 0
        self._buffers = None
        self._index = np.zeros(batch_size, np.uint64)

    def before_first(self):
        if not self._round_batch or self._num_overflow == 0:
            self._examples.before_first()
        else:
            self._num_overflow = 0

    def _put(self, top, example):
        index, arrays = example
        if self._buffers is None:
            self._buffers = [np.zeros((self._batch_size,) + a.shape, a.dtype) for a in arrays]
        for buf, a in zip(self._buffers, arrays):
            buf[top] = a
        self._index[top] = index

    def _snapshot(self, pad):
        data, label = (b.copy() for b in self._buffers)
        return data, label, pad, self._index.copy()

    def next(self):
        if self._num_overflow:  # the wrapped batch ended the epoch
            return None
        top = 0
        while (example := self._examples.next()) is not None:
            self._put(top, example)
            top += 1
            if top == self._batch_size:
                return self._snapshot(0)
        if top == 0:
            return None
        if not self._round_batch:
            return self._snapshot(self._batch_size - top)
        self._examples.before_first()
        while top < self._batch_size:
            example = self._examples.next()
            if example is None:
                raise MXNetError("number of input must be bigger than batch size")
            self._put(top, example)
            top += 1
            self._num_overflow += 1
        return self._snapshot(self._num_overflow)


class _Rows:
    """Examples of an in-memory list of (data, label) rows, indexed by position."""

    def __init__(self, data, label):
        self._data, self._label = data, label
        self._pos = 0

    def before_first(self):
        self._pos = 0

    def next(self):
        if self._pos >= len(self._data):
            return None
        i = self._pos
        self._pos += 1
        return i, (self._data[i], self._label[i])


# ---- argument parsing, as MXNet's C++ parameters read their string forms -------------
_MISSING = object()


def _param(kwargs, name, convert, default=_MISSING, it="CSVIter"):
    value = kwargs.get(name, default)
    if value is _MISSING:
        raise MXNetError(f"{it}: Required parameter {name} is not presented")
    return convert(value)


def _shape(value):
    value = ast.literal_eval(value) if isinstance(value, str) else value
    return (int(value),) if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _parse_int(text):
    """An integer field; a fraction is truncated toward zero, as C's strtoll reads it."""
    try:
        return int(text)
    except ValueError:
        return int(float(text))


def _read_csv(uri, dtype, shape, what):
    """Rows of a CSV file (or of every file of a directory), each reshaped to ``shape``."""
    files = ([os.path.join(uri, f) for f in sorted(os.listdir(uri))] if os.path.isdir(uri)
             else [uri])
    size = int(np.prod(shape))
    parse = float if np.dtype(dtype).kind == "f" else _parse_int
    rows = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                lines = [ln.strip() for ln in f]
        except OSError as err:
            raise MXNetError(f"CSVIter: cannot read {what} {path}: {err}") from err
        for line in filter(None, lines):
            values = [parse(v) for v in line.split(",")]
            if len(values) != size:
                raise MXNetError(f"CSVIter: the data size in CSV do not match size of shape: "
                                 f"specified shape={shape}, the csv row-length={len(values)}")
            rows.append(np.asarray(values, dtype).reshape(shape))
    return rows


def CSVIter(*args, **kwargs):  # noqa: N802 - MXNet's name
    """Iterate over the rows of a CSV file in batches (``MXDataIter``); keyword arguments
    only.

    Parameters
    ----------
    data_csv : str
        CSV file, or a directory whose files are all read.
    data_shape : tuple
        Shape of one example; each row is reshaped to it.
    label_csv : str, default 'NULL'
        CSV file of labels; 'NULL' gives zero labels.
    label_shape : tuple, default (1,)
        Shape of one label.
    batch_size : int
        Examples per batch.
    round_batch : bool, default True
        Complete the last batch from the start of the data (the next epoch resumes after
        those examples); if False, ``pad`` counts the unfilled examples, which hold the
        previous batch's values.
    dtype : {'float32', 'int32', 'int64'}, default 'float32'
        Type of data and labels.
    data_name, label_name : str
        Names in ``provide_data`` / ``provide_label``.

    Returns
    -------
    MXDataIter
    """
    dtype = kwargs.get("dtype", "float32")
    if dtype not in ("float32", "int32", "int64"):
        raise MXNetError(f"{dtype} is not supported for CSVIter")
    data_csv = _param(kwargs, "data_csv", str)
    data_shape = _param(kwargs, "data_shape", _shape)
    batch_size = _param(kwargs, "batch_size", int)
    data = _read_csv(data_csv, dtype, data_shape, "data_csv")
    label_csv = kwargs.get("label_csv", "NULL")
    if label_csv == "NULL":
        label = [np.zeros(1, dtype)] * len(data)
    else:
        label = _read_csv(label_csv, dtype, _param(kwargs, "label_shape", _shape, (1,)),
                          "label_csv")
        if len(label) < len(data):
            raise MXNetError("CSVIter: Data CSV's row is smaller than the number of rows "
                             "in label_csv")
    if args:
        raise TypeError("CSVIter can only accept keyword arguments")
    loader = _BatchLoader(_Rows(data, label), batch_size,
                          _param(kwargs, "round_batch", _bool, True))
    return MXDataIter(_Prefetcher(loader), **kwargs)


def _std_shuffle_permutation(n, seed):
    """The order ``std::shuffle`` with ``std::mt19937(seed)`` gives ``range(n)`` in
    MXNet's build (libstdc++, one bounded draw per swap, by division and rejection)."""
    key, pos = np.random.RandomState(seed).get_state()[1:3]  # init_genrand(seed)
    bits = np.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
    raw = iter(())
    perm = list(range(n))
    for i in range(1, n):
        scaling = 0xFFFFFFFF // (i + 1)
        past = scaling * (i + 1)
        while True:
            r = next(raw, None)
            if r is None:
                raw = iter(bits.random_raw(max(n - i, 64)).tolist())
                continue
            if r < past:
                break
        j = r // scaling
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _read_idx(path, header_ints):
    """Header integers and the bytes of an MNIST idx file."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise MXNetError(f"MNISTIter: cannot read {path}: {err}") from err
    if len(raw) < 4 * header_ints:
        raise MXNetError("invalid mnist format")
    return struct.unpack(f">{header_ints}i", raw[:4 * header_ints]), raw[4 * header_ints:]


def _part(count, num_parts, part_index):
    if not 0 <= part_index < num_parts:
        raise MXNetError(f"MNISTIter: part_index {part_index} must be in [0, {num_parts})")
    return (int(count / num_parts * part_index), int(count / num_parts * (part_index + 1)))


class _MNISTBatches:
    """Consecutive full batches of the loaded images (a last incomplete one is dropped)."""

    def __init__(self, images, labels, batch_size):
        self._images, self._labels, self._batch_size = images, labels, batch_size
        self._loc = 0
        self._index = np.zeros(batch_size, np.uint64)  # MNIST gives no example indices

    def before_first(self):
        self._loc = 0

    def next(self):
        lo, hi = self._loc, self._loc + self._batch_size
        if hi > len(self._images):
            return None
        self._loc = hi
        return self._images[lo:hi], self._labels[lo:hi, None], 0, self._index


def MNISTIter(*args, **kwargs):  # noqa: N802 - MXNet's name
    """Iterate over MNIST idx files (uncompressed) in batches (``MXDataIter``); keyword
    arguments only.

    Images are scaled by 1/256 to float32 (N, 1, rows, cols), or (N, rows*cols) with
    ``flat``; labels are float32 (N,). A last incomplete batch is dropped.

    Parameters
    ----------
    image, label : str
        Paths of the image and label idx files (defaults: './train-images-idx3-ubyte',
        './train-labels-idx1-ubyte').
    batch_size : int, default 128
        Examples per batch.
    shuffle : bool, default True
        Shuffle once at construction, in MXNet's order for the same ``seed``.
    flat : bool, default False
        Flatten each image.
    seed : int, default 0
        Shuffle seed.
    silent : bool, default False
        Do not log the loaded size.
    num_parts, part_index : int, default 1, 0
        Read only part ``part_index`` of ``num_parts`` equal parts.
    data_name, label_name : str
        Names in ``provide_data`` / ``provide_label``.

    Returns
    -------
    MXDataIter
    """
    if kwargs.get("dtype") not in (None, "float32"):
        raise NotImplementedError("MNISTIter: only dtype='float32' is supported")
    get = functools.partial(_param, kwargs, it="MNISTIter")
    batch_size = get("batch_size", int, 128)
    num_parts, part_index = get("num_parts", int, 1), get("part_index", int, 0)
    (_, count, rows, cols), pixels = _read_idx(get("image", str, "./train-images-idx3-ubyte"), 4)
    start, end = _part(count, num_parts, part_index)
    images = np.frombuffer(pixels, np.uint8, (end - start) * rows * cols, start * rows * cols)
    images = images.reshape(end - start, rows, cols).astype(np.float32) * np.float32(1 / 256)
    (_, count), raw_labels = _read_idx(get("label", str, "./train-labels-idx1-ubyte"), 2)
    start, end = _part(count, num_parts, part_index)
    labels = np.frombuffer(raw_labels, np.uint8, end - start, start).astype(np.float32)
    if get("shuffle", _bool, True):
        perm = _std_shuffle_permutation(len(labels), get("seed", int, 0))
        images, labels = images[perm], labels[perm]
    flat = get("flat", _bool, False)
    images = images.reshape(len(images), -1) if flat else images[:, None]
    if not get("silent", _bool, False):
        logging.info("MNISTIter: load %d images, shuffle=%d, shape=%s", len(images),
                     get("shuffle", _bool, True), (batch_size,) + images.shape[1:])
    if args:
        raise TypeError("MNISTIter can only accept keyword arguments")
    return MXDataIter(_Prefetcher(_MNISTBatches(images, labels, batch_size)), **kwargs)


def _unsupported(name, reason):
    def creator(*args, **kwargs):
        raise NotImplementedError(f"mx.io.{name} is not available in mxjax: {reason}")
    creator.__name__ = creator.__qualname__ = name
    creator.__doc__ = f"Not available in mxjax: {reason}"
    return creator


_RECORDIO = ("MXNet's C++ RecordIO image pipeline is not reimplemented; decode the images "
             "with mx.gluon.data or your own reader and iterate with mx.io.NDArrayIter")
ImageRecordIter = _unsupported("ImageRecordIter", _RECORDIO)
ImageRecordIter_v1 = _unsupported("ImageRecordIter_v1", _RECORDIO)
ImageRecordUInt8Iter = _unsupported("ImageRecordUInt8Iter", _RECORDIO)
ImageRecordUInt8Iter_v1 = _unsupported("ImageRecordUInt8Iter_v1", _RECORDIO)
ImageRecordInt8Iter = _unsupported("ImageRecordInt8Iter", _RECORDIO)
ImageDetRecordIter = _unsupported("ImageDetRecordIter", _RECORDIO)
LibSVMIter = _unsupported("LibSVMIter", "it yields CSR sparse arrays, which mxjax does not have")
