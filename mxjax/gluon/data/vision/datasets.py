"""Vision datasets: MNIST, FashionMNIST, CIFAR10/100, image folders and image records.

Nothing is downloaded: the data files must already be in ``root`` (by default MXNet's
``~/.mxnet/datasets/<name>``, or ``$MXNET_HOME/datasets/<name>``); a missing file raises
``FileNotFoundError`` saying which files to put where.
"""

import gzip
import os
import struct
import tarfile
import warnings

import numpy as np

from .... import _image_codec, recordio
from ....ndarray import host
from .. import dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset",
           "ImageFolderDataset"]


def _default_root(name):
    return os.path.join(dataset._data_dir(), "datasets", name)


_ROOTS = {name: _default_root(name) for name in ("mnist", "fashion-mnist", "cifar10", "cifar100")}


def _read_idx(path):
    """An array from an IDX file (MNIST's format), gzip-compressed or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        zero, dtype_code, ndim = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype_code != 0x08:
            raise ValueError(f"{path}: not an unsigned-byte IDX file (magic "
                             f"{zero:#x} {dtype_code:#x})")
        dims = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


class MNIST(dataset._DownloadedDataset):
    """The MNIST handwritten digits (http://yann.lecun.com/exdb/mnist).

    Samples are ``(image, label)``: a uint8 NDArray of shape (28, 28, 1) and an int32
    label. ``root`` must hold ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``
    (``train=True``) or ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``
    (``train=False``), gzip-compressed or not (without ``.gz``).

    Parameters
    ----------
    root : str, default ``$MXNET_HOME/datasets/mnist``
        Directory holding the files.
    train : bool, default True
        Training set, else test set.
    transform : callable, default None
        ``transform(data, label)`` returning the transformed sample, e.g.
        ``lambda data, label: (data.astype('float32') / 255, label)``.
    """

    _source = "http://yann.lecun.com/exdb/mnist"

    def __init__(self, root=_ROOTS["mnist"], train=True, transform=None):
        self._train = train
        self._train_data = "train-images-idx3-ubyte.gz"
        self._train_label = "train-labels-idx1-ubyte.gz"
        self._test_data = "t10k-images-idx3-ubyte.gz"
        self._test_label = "t10k-labels-idx1-ubyte.gz"
        super().__init__(root, transform)

    def _find(self, names):
        paths, missing = [], []
        for name in names:
            candidates = [os.path.join(self._root, n) for n in (name, name[:-len(".gz")])]
            found = [p for p in candidates if os.path.exists(p)]
            (paths if found else missing).append(found[0] if found else name)
        if missing:
            raise self._missing_files(missing, self._source)
        return paths

    def _get_data(self):
        names = ((self._train_data, self._train_label) if self._train
                 else (self._test_data, self._test_label))
        data_file, label_file = self._find(names)
        label = _read_idx(label_file).astype(np.int32)
        data = _read_idx(data_file)
        data = data.reshape(len(label), data.shape[1], data.shape[2], 1)
        self._data = host.wrap(np.ascontiguousarray(data))  # moved only when used
        self._label = label


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist): the
    same files and format as ``MNIST``, by default in
    ``$MXNET_HOME/datasets/fashion-mnist``."""

    _source = "https://github.com/zalandoresearch/fashion-mnist"

    def __init__(self, root=_ROOTS["fashion-mnist"], train=True, transform=None):
        super().__init__(root, train, transform)


class CIFAR10(dataset._DownloadedDataset):
    """CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html), binary version.

    Samples are ``(image, label)``: a uint8 NDArray of shape (32, 32, 3) and an int32
    label. ``root`` must hold ``data_batch_1.bin`` ... ``data_batch_5.bin`` and
    ``test_batch.bin`` (the contents of ``cifar-10-binary.tar.gz``; the archive itself,
    or its ``cifar-10-batches-bin`` folder, in ``root`` also works).

    Parameters
    ----------
    root : str, default ``$MXNET_HOME/datasets/cifar10``
        Directory holding the files.
    train : bool, default True
        Training set, else test set.
    transform : callable, default None
        ``transform(data, label)`` returning the transformed sample.
    """

    _archive = ("cifar-10-binary.tar.gz", "cifar-10-batches-bin")
    _label_bytes = 1

    def __init__(self, root=_ROOTS["cifar10"], train=True, transform=None):
        self._train = train
        self._train_data = [f"data_batch_{i}.bin" for i in range(1, 6)]
        self._test_data = ["test_batch.bin"]
        super().__init__(root, transform)

    def _label_column(self):
        return 0

    def _read_batch(self, filename):
        record = self._label_bytes + 3072
        with open(filename, "rb") as f:
            data = np.frombuffer(f.read(), dtype=np.uint8)
        if data.size % record:
            raise ValueError(f"{filename}: size {data.size} is not a multiple of the "
                             f"{record}-byte record of {type(self).__name__}")
        data = data.reshape(-1, record)
        images = data[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, data[:, self._label_column()].astype(np.int32)

    def _locate(self, names):
        """The folder holding all of ``names``: root or the archive's folder, extracting
        the archive first if only it is there."""
        archive, folder = self._archive

        def holder():
            for base in (self._root, os.path.join(self._root, folder)):
                if all(os.path.exists(os.path.join(base, n)) for n in names):
                    return base
            return None

        if holder() is None and os.path.exists(os.path.join(self._root, archive)):
            with tarfile.open(os.path.join(self._root, archive)) as tar:
                tar.extractall(self._root, filter="data")
        base = holder()
        if base is None:
            raise self._missing_files(names, f"https://www.cs.toronto.edu/~kriz/{archive}")
        return base

    def _get_data(self):
        names = self._train_data if self._train else self._test_data
        base = self._locate(names)
        data, label = zip(*(self._read_batch(os.path.join(base, n)) for n in names))
        data = np.concatenate(data)
        self._data = host.wrap(np.ascontiguousarray(data))  # moved only when used
        self._label = np.concatenate(label)


class CIFAR100(CIFAR10):
    """CIFAR-100, binary version: ``train.bin`` and ``test.bin`` in ``root`` (default
    ``$MXNET_HOME/datasets/cifar100``). Labels are the 20 coarse classes, or the 100 fine
    ones with ``fine_label=True``."""

    _archive = ("cifar-100-binary.tar.gz", "cifar-100-binary")
    _label_bytes = 2

    def __init__(self, root=_ROOTS["cifar100"], fine_label=False, train=True,
                 transform=None):
        self._train = train
        self._train_data = ["train.bin"]
        self._test_data = ["test.bin"]
        self._fine_label = fine_label
        dataset._DownloadedDataset.__init__(self, root, transform)

    def _label_column(self):
        return int(bool(self._fine_label))


class ImageRecordDataset(dataset.RecordFileDataset):
    """Images and labels from a RecordIO file (as written by ``im2rec`` or
    ``recordio.pack_img``); needs the ``.idx`` file beside it.

    Parameters
    ----------
    filename : str
        Path of the ``.rec`` file.
    flag : {0, 1}, default 1
        1: decode to 3-channel RGB; 0: to 1-channel greyscale.
    transform : callable, default None
        ``transform(data, label)`` returning the transformed sample.

    PNG records decode without extra packages; JPEG needs OpenCV or Pillow.
    """

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        header, img = recordio.unpack(super().__getitem__(idx))
        img = host.wrap(np.asarray(_image_codec.decode(img, self._flag), np.uint8))
        if self._transform is not None:
            return self._transform(img, header.label)
        return img, header.label


class ImageFolderDataset(dataset.Dataset):
    """Images stored as ``root/<class name>/<image file>``; labels number the class
    folders in sorted order.

    Parameters
    ----------
    root : str
        Directory holding one folder per class.
    flag : {0, 1}, default 1
        1: 3-channel RGB images; 0: 1-channel greyscale.
    transform : callable, default None
        ``transform(data, label)`` returning the transformed sample.

    Attributes
    ----------
    synsets : list of str
        Class names; ``synsets[i]`` is the name of label ``i``.
    items : list of (str, int)
        Every image file with its label.

    ``.jpg``, ``.jpeg`` and ``.png`` files are listed, as in MXNet, and also ``.npy``
    files holding HxWxC arrays. PNG and ``.npy`` load without extra packages; JPEG needs
    OpenCV or Pillow.
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = [".jpg", ".jpeg", ".png", ".npy"]
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets = []
        self.items = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn(f"Ignoring {filename} of type {ext}. Only support "
                                  f"{', '.join(self._exts)}", stacklevel=3)
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        filename, label = self.items[idx]
        img = host.wrap(np.asarray(_image_codec.read(filename, self._flag), np.uint8))
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)
