"""``mx.image.ImageIter``: batches of decoded, augmented images from a RecordIO file, an
image list (``.lst`` or a Python list) and an image folder.

A batch is filled on the host with numpy (decode, augment, HWC -> CHW) and handed out
as host-valued NDArrays, moved to the device once when used. Shuffling uses Python's
``random``, as MXNet's does.
"""

import os
import random

import numpy as np

from .. import recordio
from ..io import DataBatch, DataIter
from ..ndarray import host
from .augmenters import CreateAugmenter
from .image import _result, _value, imdecode

__all__ = ["ImageIter"]

_LAST_BATCH = ("pad", "discard", "roll_over")


def _read_lst(path, dtype):
    """``index<TAB>label(s)<TAB>path`` lines -> ({index: (labels, path)}, [index, ...])."""
    imglist, keys = {}, []
    with open(path) as f:
        for line in f:
            fields = line.strip().split("\t")
            key = int(fields[0])
            try:
                label = np.array(fields[1:-1], dtype)
            except ValueError:
                raise TypeError(f"ImageIter: the labels {fields[1:-1]} in {path} are not "
                                f"{dtype} numbers") from None
            imglist[key] = (label, fields[-1])
            keys.append(key)
    return imglist, keys


def _from_list(items, dtype):
    """[[label(s)..., path], ...] -> ({"1": (labels, path), ...}, ["1", ...])."""
    imglist = {}
    for index, item in enumerate(items, 1):
        if len(item) > 2:
            label = item[:-1]
        elif isinstance(item[0], (int, float, np.number)):
            label = [item[0]]
        else:
            label = item[0]
        imglist[str(index)] = (np.array(label, dtype), item[-1])
    return imglist, list(imglist)


class ImageIter(DataIter):
    """Batches of ``data_shape`` (c, h, w) float32 images with their labels.

    The images come from ``path_imgrec`` (a ``.rec`` file; with ``path_imgidx`` its index,
    needed for ``shuffle`` and ``num_parts``), or from ``path_imglist`` (a ``.lst`` file)
    or ``imglist`` (a list of [label(s)..., path]) with files under ``path_root``. Each
    image goes through ``aug_list`` (default: ``CreateAugmenter(data_shape, **kwargs)``).
    ``last_batch_handle``: 'pad' fills the last batch from the start, 'discard' drops it,
    'roll_over' starts the next epoch's first batch with it.
    """

    def __init__(self, batch_size, data_shape, label_width=1, path_imgrec=None,
                 path_imglist=None, path_root=None, path_imgidx=None, shuffle=False,
                 part_index=0, num_parts=1, aug_list=None, imglist=None, data_name="data",
                 label_name="softmax_label", dtype="float32", last_batch_handle="pad",
                 **kwargs):
        super().__init__()
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise AssertionError("ImageIter: give path_imgrec, path_imglist or imglist")
        if dtype not in ("int32", "float32", "int64", "float64"):
            raise AssertionError(f"ImageIter: {dtype} label not supported")
        if last_batch_handle not in _LAST_BATCH:
            raise ValueError(f"ImageIter: last_batch_handle must be one of {_LAST_BATCH}, "
                             f"got {last_batch_handle!r}")
        self.imgrec = self.imgidx = None
        if path_imgrec:
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, "r")
        keys = None
        if path_imglist:
            self.imglist, keys = _read_lst(path_imglist, dtype)
        elif isinstance(imglist, list):
            self.imglist, keys = _from_list(imglist, dtype)
        else:
            self.imglist = None
        self.path_root = path_root
        self.check_data_shape(data_shape)
        self.provide_data = [(data_name, (batch_size,) + tuple(data_shape))]
        label_shape = (batch_size, label_width) if label_width > 1 else (batch_size,)
        self.provide_label = [(label_name, label_shape)]
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq = keys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise AssertionError("ImageIter: shuffle and num_parts > 1 need path_imgidx")
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if not part_index < num_parts:
                raise AssertionError(f"ImageIter: part_index {part_index} must be less than "
                                     f"num_parts {num_parts}")
            size = len(self.seq) // num_parts
            self.seq = self.seq[part_index * size:(part_index + 1) * size]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache = None  # roll_over: (data, label, count) of the last, partial batch
        self.reset()

    def reset(self):
        """Start again (a rolled-over partial batch is kept); reshuffles with ``shuffle``."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != "roll_over" or self._cache is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self):
        """Start again, dropping any rolled-over data."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache = None

    def next_sample(self):
        """The next (label, encoded image bytes); ``StopIteration`` at the end."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is None:
            record = self.imgrec.read()
            if record is None:
                if self.last_batch_handle != "discard":
                    self.imgrec.reset()
                raise StopIteration
            header, img = recordio.unpack(record)
            return header.label, img
        if self.cur >= self.num_image:
            if self.last_batch_handle != "discard":
                self.cur = 0
            raise StopIteration
        idx = self.seq[self.cur]
        self.cur += 1
        if self.imgrec is not None:
            header, img = recordio.unpack(self.imgrec.read_idx(idx))
            return (header.label if self.imglist is None else self.imglist[idx][0]), img
        label, fname = self.imglist[idx]
        return label, self.read_image(fname)

    def _batchify(self, batch_data, batch_label, start=0):
        """Fill numpy ``batch_data``/``batch_label`` from row ``start``; rows filled."""
        i = start
        try:
            while i < self.batch_size:
                label, encoded = self.next_sample()
                data = self.imdecode(encoded)
                try:
                    self.check_valid_image(data)
                except RuntimeError:
                    continue
                data = self.augmentation_transform(data)
                batch_data[i] = _value(self.postprocess_data(data))
                batch_label[i] = np.reshape(label, ()) if batch_label.ndim == 1 else label
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def next(self):
        """The next ``DataBatch`` (its ``pad``: rows not from this epoch's images)."""
        if self._cache is not None:
            batch_data, batch_label, i = self._cache
        else:
            batch_data = np.zeros((self.batch_size,) + tuple(self.data_shape), np.float32)
            batch_label = np.zeros(self.provide_label[0][1], np.float32)
            i = self._batchify(batch_data, batch_label)
        pad = self.batch_size - i
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and self._cache is None:
                self._cache = (batch_data, batch_label, i)
                raise StopIteration
            self._batchify(batch_data, batch_label, i)
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache = None
        return DataBatch([host.wrap(batch_data)], [host.wrap(batch_label)], pad=pad)

    def check_data_shape(self, data_shape):
        """``data_shape`` must be (3, h, w)."""
        if len(data_shape) != 3:
            raise ValueError("data_shape should have length 3, with dimensions CxHxW")
        if data_shape[0] != 3:
            raise ValueError("This iterator expects inputs to have 3 channels.")

    def check_valid_image(self, data):
        """Raise ``RuntimeError`` for an image that is not at least 2-D (it is skipped)."""
        if len(data.shape) < 2:
            raise RuntimeError("Data shape is wrong")

    def imdecode(self, s):
        """Decode image bytes (``mx.image.imdecode``); a broken image raises a
        ``RuntimeError`` naming its file or index."""
        try:
            return imdecode(s)
        except Exception as err:
            if self.seq is not None:
                idx = self.seq[(self.cur % self.num_image) - 1]
            else:
                idx = self.cur - 1
            where = (f"filename: {self.imglist[idx][1]}" if self.imglist is not None
                     else f"index: {idx}")
            raise RuntimeError(f"Broken image {where}, {err}") from None

    def read_image(self, fname):
        """The bytes of the image file ``fname`` under ``path_root``."""
        with open(os.path.join(self.path_root, fname), "rb") as f:
            return f.read()

    def augmentation_transform(self, data):
        """Apply each augmenter of ``auglist`` in turn."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """HWC -> CHW, the layout of a batch."""
        return _result(_value(datum).transpose(2, 0, 1), datum)
