"""Datasets: indexable collections of samples."""

import os

import jax
import numpy as np

from ... import recordio
from ...ndarray import NDArray, host

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


@jax.jit
def _take_row(values, index):
    return values[index]


def _rows(data):
    """What ``_sample`` reads ``data`` through: a numpy copy of an NDArray of rows."""
    if isinstance(data, NDArray) and data.ndim > 1:
        return host.HostCopy(data)
    return data


def _field_batch(rows, indices):
    """Rows ``indices`` of a field (as ``_rows`` gives it) stacked as the default batchify
    would stack its samples, in numpy: ``(array, context or None)``, or ``None``."""
    if type(rows) is host.HostCopy:
        return rows.get()[indices], rows.array.context
    if type(rows) is np.ndarray and rows.dtype.kind in "biuf":
        return rows[indices], None
    return None


def _fields_batch(fields, indices):
    batch = [_field_batch(rows, indices) for rows in fields]
    return None if any(b is None for b in batch) else batch


def _sample(data, idx):
    """``data[idx]`` (``data`` as ``_rows`` gives it). A row of an NDArray is an NDArray
    whose value stays on the host (``mxjax.ndarray.host``) until it is used on a device;
    a 1-D NDArray gives one compiled gather with the index as an argument (an NDArray
    view would compile once per distinct index)."""
    if isinstance(idx, (int, np.integer)):
        if type(data) is host.HostCopy:
            return host.wrap(data.get()[idx], data.array.context)
        if isinstance(data, NDArray):
            n = data.shape[0]
            if not -n <= idx < n:
                raise IndexError(f"index {idx} is out of bounds for axis 0 with size {n}")
            return NDArray(_take_row(data._data, idx), data._ctx)
    if type(data) is host.HostCopy:
        return data.array[idx]
    return data[idx]


class Dataset:
    """Base class of datasets: subclasses define ``__getitem__`` and ``__len__``.

    A list, a numpy array or an NDArray can be used wherever a dataset is expected.
    """

    def __getitem__(self, idx):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def _host_batch(self, indices):
        """The samples at ``indices`` as the default batchify would stack them, computed
        on whole batches in numpy (``DataLoader``'s fast path): ``(fields, is_tuple)``
        with one ``(array, context or None)`` per field, or ``None`` where this dataset
        cannot tell without building each sample."""
        return None

    def filter(self, fn):
        """A dataset of the samples for which ``fn(sample)`` is true (scanned now)."""
        from .sampler import FilterSampler
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards, index):
        """Part ``index`` of ``num_shards`` contiguous, near-equal parts of this dataset
        (the first ``len % num_shards`` parts have one sample more)."""
        assert index < num_shards, f"Shard index of out bound: {index} out of {num_shards}"
        assert num_shards > 0, "Number of shards must be greater than 0"
        assert index >= 0, "Index must be non-negative"
        size, rest = divmod(len(self), num_shards)
        start = size * index + min(index, rest)
        from .sampler import SequentialSampler
        return _SampledDataset(self, SequentialSampler(size + (index < rest), start))

    def take(self, count):
        """The first ``count`` samples (all of them if ``count`` is None or too large)."""
        if count is None or count > len(self):
            count = len(self)
        from .sampler import SequentialSampler
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler):
        """The samples at the indices ``sampler`` yields (a ``gluon.data.Sampler``)."""
        from .sampler import Sampler
        if not isinstance(sampler, Sampler):
            raise TypeError(f"Invalid sampler type: {type(sampler)}. "
                            "Expected gluon.data.Sampler instead.")
        return _SampledDataset(self, sampler)

    def transform(self, fn, lazy=True):
        """A dataset whose samples are ``fn(*sample)`` (``fn(sample)`` for a non-tuple).

        With ``lazy=True`` (default) ``fn`` runs at each access, so a random ``fn`` gives
        new values every epoch; ``lazy=False`` transforms every sample once, now.
        """
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn, lazy=True):
        """Like ``transform``, applied to the first element of each sample only (the
        data, leaving the label as it is)."""
        return self.transform(_TransformFirstClosure(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset over any object with ``len()`` and ``[]`` (a list, an array, ...)."""

    def __init__(self, data):
        self._data = data
        self._rows = _rows(data)

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return _sample(self._rows, idx)

    def _host_batch(self, indices):
        batch = _fields_batch([self._rows], indices)
        return None if batch is None else (batch, False)


class _LazyTransformDataset(Dataset):
    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        return self._fn(*item) if isinstance(item, tuple) else self._fn(item)

    def _host_batch(self, indices):
        # A transform_first whose transform has a batched numpy version (ToTensor,
        # Normalize, Cast and their Compose): one call for the whole batch.
        batch_fn = getattr(getattr(self._fn, "_fn", None), "_host_batch", None)
        if type(self._fn) is not _TransformFirstClosure or batch_fn is None \
                or not isinstance(self._data, Dataset):
            return None
        inner = self._data._host_batch(indices)
        if inner is None:
            return None
        (first, ctx), *rest = inner[0]
        first = batch_fn(first)
        return None if first is None else ([(first, ctx), *rest], inner[1])


class _TransformFirstClosure:
    """A class rather than a closure so that it pickles (for worker processes)."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, x, *args):
        return (self._fn(x),) + args if args else self._fn(x)


class _SampledDataset(Dataset):
    def __init__(self, dataset, sampler):
        self._dataset = dataset
        self._sampler = sampler
        self._indices = list(iter(sampler))

    def __len__(self):
        return len(self._sampler)

    def __getitem__(self, idx):
        return self._dataset[self._indices[idx]]


class ArrayDataset(Dataset):
    """Zips dataset-like objects: sample ``i`` is ``(a[i], b[i], ...)`` (just ``a[i]``
    for one argument). All must have the same length.

    As in MXNet, a 1-D NDArray argument is converted to numpy, so its samples are numpy
    scalars rather than NDArrays of shape (1,).
    """

    def __init__(self, *args):
        assert len(args) > 0, "Needs at least 1 arrays"
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            assert len(data) == self._length, (
                f"All arrays must have the same length; array[0] has length {self._length} "
                f"while array[{i + 1}] has {len(data)}.")
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)
        self._rows = [_rows(data) for data in self._data]

    def __getitem__(self, idx):
        if len(self._rows) == 1:
            return _sample(self._rows[0], idx)
        return tuple([_sample(rows, idx) for rows in self._rows])

    def _host_batch(self, indices):
        batch = _fields_batch(self._rows, indices)
        return None if batch is None else (batch, len(batch) > 1)

    def __len__(self):
        return self._length


class RecordFileDataset(Dataset):
    """The records of a RecordIO file, as bytes; needs the ``.idx`` file next to it.

    Parameters
    ----------
    filename : str
        Path of the ``.rec`` file (``name.idx`` is looked for beside ``name.rec``).
    """

    def __init__(self, filename):
        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx):
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self):
        return len(self._record.keys)


def _data_dir():
    """MXNet's data directory: ``$MXNET_HOME``, else ``~/.mxnet``."""
    return os.environ.get("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))


class _DownloadedDataset(Dataset):
    """Base of MNIST, CIFAR10, ...: ``(data[i], label[i])`` through ``transform``.

    mxjax never downloads: ``_get_data`` reads files the user has put under ``root`` and
    raises ``_missing_files`` naming them when they are absent.
    """

    def __init__(self, root, transform):
        super().__init__()
        self._transform = transform
        self._data = None
        self._label = None
        self._rows_of = self._rows = None
        self._root = os.path.expanduser(root)
        os.makedirs(self._root, exist_ok=True)
        self._get_data()

    def __getitem__(self, idx):
        data = _sample(self._host_rows(), idx)
        if self._transform is not None:
            return self._transform(data, self._label[idx])
        return data, self._label[idx]

    def __len__(self):
        return len(self._label)

    def _host_rows(self):
        if self._rows_of is not self._data:  # _data is set by _get_data
            self._rows_of, self._rows = self._data, _rows(self._data)
        return self._rows

    def _host_batch(self, indices):
        if self._transform is not None:
            return None
        batch = _fields_batch([self._host_rows(), self._label], indices)
        return None if batch is None else (batch, True)

    def _get_data(self):
        raise NotImplementedError

    def _missing_files(self, names, source):
        return FileNotFoundError(
            f"{type(self).__name__}: cannot find {', '.join(names)} in {self._root}. "
            f"mxjax does not download data sets; get these files from {source} and put "
            f"them in {self._root} (or pass root= the directory that holds them).")
