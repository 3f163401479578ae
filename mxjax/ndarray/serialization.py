"""MXNet's binary NDArray file format, as written by ``mx.nd.save`` and ``save_parameters``.

Pure Python + numpy, so weights move both ways between MXNet 1.9.1 and mxjax. Every integer
is little-endian::

    file   := u64 0x112 | u64 0 (reserved) | u64 n | array * n | u64 k | name * k   (k is 0 or n)
    name   := u64 nbytes | utf-8 bytes
    shape  := i32 ndim | i64 dim * ndim
    ctx    := i32 dev_type | i32 dev_id
    array  := u32 magic | body, where magic is
      V2 0xF993FAC9 (what MXNet 1.9.1 writes) or V3 0xF993FACA (the same, saved under numpy
      shape semantics, where ndim -1 means unknown and ndim 0 is a scalar):
          i32 stype | [shape storage_shape] | shape | ctx | i32 dtype
          | [i32 aux_dtype | shape aux_shape] * naux | data | aux_data * naux
        stype 0 is dense (naux 0); 1 row_sparse (naux 1: row indices); 2 csr (naux 2: indptr,
        indices). The data of a sparse array holds storage_shape elements, not shape.
      V1 0xF993FAC8:                 shape | ctx | i32 dtype | data
      V0 (the magic is ndim itself): u32 dim * ndim | ctx | i32 dtype | data

A V2 array whose ndim is 0 (V1/V3: whose shape is unknown) is an empty NDArray handle and has
nothing after its shape. A sparse array reads as a :class:`SparseArray` (its stored values and
index arrays, checked against its shape) and is written from one; the device context is
read and ignored (everything loads to the host).
"""

import math
import os
import struct
from typing import NamedTuple

import numpy as np
from ml_dtypes import bfloat16

from .._files import write_all_atomically
from ..base import MXNetError

__all__ = ["SparseArray", "dumps", "loads", "save", "load", "dumps_array", "loads_array"]

_LIST_MAGIC = 0x112
_V1_MAGIC = 0xF993FAC8
_V2_MAGIC = 0xF993FAC9
_V3_MAGIC = 0xF993FACA
_MAX_LEGACY_NDIM = 32  # a larger V0 "magic" is taken for corruption, not for a rank
_CPU = 1

# mshadow's type flags that MXNet 1.9.1 can save and load (8-11 are not readable by it)
DTYPE_NAMES = {0: "float32", 1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8",
           6: "int64", 7: "bool", 12: "bfloat16"}
DTYPE_FLAGS = {name: flag for flag, name in DTYPE_NAMES.items()}
_NUM_AUX = {0: 0, 1: 1, 2: 2}  # storage type -> number of auxiliary arrays
_STYPE_IDS = {"row_sparse": 1, "csr": 2}


class SparseArray(NamedTuple):
    """A sparse array as the file holds it: ``stype`` 'row_sparse' (``aux = (indices,)``,
    ``data`` the stored rows) or 'csr' (``aux = (indptr, indices)``, ``data`` the stored
    values), of the dense ``shape``. ``np.asarray`` gives the dense array."""

    stype: str
    shape: tuple
    data: np.ndarray
    aux: tuple

    @property
    def dtype(self):
        return self.data.dtype

    def densify(self):
        """``(dense values, structure mask)``: the mask marks the stored rows (row_sparse)
        or elements (csr)."""
        try:
            dense = np.zeros(self.shape, self.data.dtype)
            mask = np.zeros(self.shape[:1] if self.stype == "row_sparse" else self.shape, bool)
        except (MemoryError, ValueError) as err:
            raise MXNetError(f"sparse array of shape {self.shape} is too large to hold "
                             "densely") from err
        if self.stype == "row_sparse":
            (rows,) = self.aux
            dense[rows] = self.data
            mask[rows] = True
        else:
            indptr, cols = self.aux
            rows = np.repeat(np.arange(self.shape[0]), np.diff(indptr))
            dense[rows, cols] = self.data
            mask[rows, cols] = True
        return dense, mask

    def __array__(self, dtype=None, copy=None):
        dense = self.densify()[0]
        return dense if dtype is None else dense.astype(dtype)


def dtype_of(name):
    return np.dtype(bfloat16) if name == "bfloat16" else np.dtype(name)


# ---------------------------------------------------------------------------- writing

def _dtype_flag(index, dtype):
    flag = DTYPE_FLAGS.get(dtype.name)
    if flag is None:
        raise MXNetError(f"nd.save: array #{index} has dtype {dtype}, which an MXNet "
                         f"NDArray file cannot hold (supported: {', '.join(DTYPE_FLAGS)})")
    return flag


def _shape_bytes(shape):
    return struct.pack(f"<i{len(shape)}q", len(shape), *shape)


def _le_bytes(arr):
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def _encode_sparse(index, sp, np_shape):
    data = np.asarray(sp.data)
    aux = [np.asarray(a, np.int64) for a in sp.aux]
    parts = [struct.pack("<Ii", _V3_MAGIC if np_shape else _V2_MAGIC, _STYPE_IDS[sp.stype]),
             _shape_bytes(data.shape), _shape_bytes(tuple(sp.shape)),
             struct.pack("<iii", _CPU, 0, _dtype_flag(index, data.dtype))]
    for a in aux:
        parts += [struct.pack("<i", DTYPE_FLAGS["int64"]), _shape_bytes(a.shape)]
    parts.append(_le_bytes(data))
    parts += [_le_bytes(a) for a in aux]
    return b"".join(parts)


def _encode_array(index, value, np_shape=False):
    if isinstance(value, SparseArray):
        return _encode_sparse(index, value, np_shape)
    arr = np.asarray(value)
    flag = _dtype_flag(index, arr.dtype)
    if arr.ndim == 0 and not np_shape:
        # MXNet 1.9.1 writes a 0-d array (outside numpy shape semantics) in a form that its own
        # loader reads as an empty handle, leaving the rest of the file unreadable.
        raise MXNetError(f"nd.save: array #{index} is 0-d; MXNet 1.9.1 cannot load a 0-d "
                         "array back from an NDArray file, reshape it to (1,) first")
    header = struct.pack(f"<Iii{arr.ndim}qiii", _V3_MAGIC if np_shape else _V2_MAGIC, 0,
                         arr.ndim, *arr.shape, _CPU, 0, flag)
    return header + arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def dumps(data, np_shape=False):
    """Serialize arrays to the bytes ``mx.nd.save`` of MXNet 1.9.1 writes for them.

    ``data`` is a list (or tuple) of numpy arrays, or a dict mapping str names to numpy arrays
    (saved in insertion order); a :class:`SparseArray` is saved sparse, every other array
    densely, all with a cpu(0) context. Dtypes:
    float32, float64, float16, uint8, int8, int32, int64, bool and ``ml_dtypes.bfloat16``.
    As in MXNet, an empty dict is written like an empty list. With ``np_shape`` (numpy shape
    semantics on) arrays are written in format V3, which holds 0-d arrays too.
    """
    if isinstance(data, dict):
        names, arrays = list(data), list(data.values())
        bad = [name for name in names if not isinstance(name, str)]
        if bad:
            raise TypeError(f"nd.save: names must be str, got {type(bad[0]).__name__} {bad[0]!r}")
    elif isinstance(data, (list, tuple)):
        names, arrays = [], list(data)
    else:
        raise ValueError(f"nd.save: data must be a list of arrays or a dict of str to arrays, "
                         f"got {type(data).__name__}")
    parts = [struct.pack("<QQQ", _LIST_MAGIC, 0, len(arrays))]
    parts += [_encode_array(i, arr, np_shape) for i, arr in enumerate(arrays)]
    parts.append(struct.pack("<Q", len(names)))
    for name in names:
        encoded = name.encode("utf-8")
        parts += [struct.pack("<Q", len(encoded)), encoded]
    return b"".join(parts)


# ---------------------------------------------------------------------------- reading

class _Reader:
    """A cursor over the file's bytes; every read is checked against what is left."""

    def __init__(self, buf):
        self.buf = memoryview(buf).cast("B")
        self.pos = 0

    def error(self, message, pos=None):
        at = self.pos if pos is None else pos
        return MXNetError(f"invalid MXNet NDArray file: {message} (at byte offset {at})")

    def take(self, nbytes, what):
        left = len(self.buf) - self.pos
        if nbytes > left:
            raise self.error(f"truncated: expected {nbytes} bytes of {what}, only {left} left")
        self.pos += nbytes
        return self.buf[self.pos - nbytes:self.pos]

    def unpack(self, fmt, what):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))

    def shape(self, what):
        """A shape (tuple), or None for MXNet's unknown shape (ndim or a dim of -1)."""
        start = self.pos
        (ndim,) = self.unpack("<i", f"{what} ndim")
        if ndim == -1:
            return None
        if ndim < -1:
            raise self.error(f"{what} has ndim {ndim}", start)
        return self.dims(ndim, what)

    def dims(self, ndim, what, dim_format="q"):
        start = self.pos
        dims = struct.unpack(f"<{ndim}{dim_format}",
                             self.take(ndim * struct.calcsize(dim_format), f"{what} dims"))
        if any(d < -1 for d in dims):
            raise self.error(f"{what} has a negative dimension: {dims}", start)
        return None if -1 in dims else dims

    def dtype(self, what):
        (flag,) = self.unpack("<i", what)
        if flag not in DTYPE_NAMES:
            raise self.error(f"{what} is an unknown type flag {flag}", self.pos - 4)
        return dtype_of(DTYPE_NAMES[flag])

    def array(self, dtype, shape, what):
        count = math.prod(shape)
        raw = self.take(count * dtype.itemsize, f"{what} ({dtype.name} {shape})")
        le = np.frombuffer(raw, dtype=dtype.newbyteorder("<"), count=count)
        try:  # numpy refuses a 0-size shape whose other dims multiply past its limit
            le = le.reshape(shape)
        except ValueError as err:
            raise self.error(f"{what} has an impossible shape {shape}", self.pos) from err
        return le.astype(dtype)  # a writable copy that owns its memory

    def string(self, what):
        (nbytes,) = self.unpack("<Q", f"{what} length")
        start = self.pos
        raw = self.take(nbytes, what)
        try:
            return str(raw, "utf-8")
        except UnicodeDecodeError as err:
            raise self.error(f"{what} is not valid utf-8", start) from err


SPARSE_LIMIT_ENV = "MXJAX_SPARSE_DENSE_LIMIT"
_DEFAULT_SPARSE_LIMIT = 2 ** 31


def sparse_dense_limit():
    """Most bytes a sparse array read from a file may take held densely (how mxjax holds
    sparse arrays): ``$MXJAX_SPARSE_DENSE_LIMIT``, default 2 GiB."""
    text = os.environ.get(SPARSE_LIMIT_ENV)
    if text is None:
        return _DEFAULT_SPARSE_LIMIT
    try:
        return int(text)
    except ValueError:
        raise MXNetError(f"{SPARSE_LIMIT_ENV} must be a number of bytes, got {text!r}") from None


def _sparse(r, stype, shape, values, aux, what, pos):
    """The row_sparse (stype 1) or csr (stype 2) array, its indices checked against its
    shape; refused when its dense form would exceed :func:`sparse_dense_limit`, so a tiny
    file cannot make mxjax allocate gigabytes."""
    dense_bytes = math.prod(shape) * values.dtype.itemsize
    limit = sparse_dense_limit()
    if dense_bytes > limit:
        name = "row_sparse" if stype == 1 else "csr"
        raise r.error(f"{what}: {name} array of shape {shape} {values.dtype} would take "
                      f"{dense_bytes / 2**30:,.1f} GiB held densely, more than the limit of "
                      f"{limit} bytes (mxjax holds sparse arrays densely; raise the limit "
                      f"with the environment variable {SPARSE_LIMIT_ENV})", pos)
    if stype == 1:
        (rows,) = aux
        if (not shape or rows.ndim != 1 or values.shape != rows.shape + shape[1:]
                or rows.size and not 0 <= rows.min() <= rows.max() < shape[0]):
            raise r.error(f"{what}: row_sparse rows {rows.shape} do not fit shape {shape}", pos)
        return SparseArray("row_sparse", shape, values, (rows.astype(np.int64),))
    indptr, cols = aux
    nnz = values.size
    if (len(shape) != 2 or indptr.shape != (shape[0] + 1,) or cols.shape != (nnz,)
            or values.shape != (nnz,) or indptr[0] != 0 or indptr[-1] != nnz
            or np.any(np.diff(indptr) < 0)
            or nnz and not 0 <= cols.min() <= cols.max() < shape[1]):
        raise r.error(f"{what}: csr indptr/indices do not describe shape {shape}", pos)
    return SparseArray("csr", shape, values, (indptr.astype(np.int64), cols.astype(np.int64)))


def _read_array(r, index, np_shape=False):
    """One NDArray; None for an empty handle (which mxjax cannot represent)."""
    what = f"array #{index}"
    start = r.pos
    (magic,) = r.unpack("<I", f"{what} magic")
    if np_shape is not None and (magic == _V3_MAGIC) != bool(np_shape):
        # MXNet loads an array only in the shape semantics it was saved in.
        raise MXNetError(
            f"{what} was saved in np shape semantics, must be loaded in the same semantics; "
            "turn them on with `with mx.np_shape(True)` to load it" if magic == _V3_MAGIC else
            f"{what} was not saved in np shape semantics, but is being loaded in np shape "
            "semantics; turn them off with `with mx.np_shape(False)` to load it")
    stype = 0
    if magic in (_V2_MAGIC, _V3_MAGIC):
        (stype,) = r.unpack("<i", f"{what} storage type")
        if stype not in _NUM_AUX:
            raise r.error(f"{what} has unknown storage type {stype}", r.pos - 4)
        storage_shape = r.shape(f"{what} storage shape") if _NUM_AUX[stype] else None
        shape = r.shape(f"{what} shape")
        if magic == _V2_MAGIC and shape == ():  # MXNet's legacy ndim 0 is "no shape"
            shape = None
    elif magic == _V1_MAGIC:
        shape = r.shape(f"{what} shape")
    elif magic <= _MAX_LEGACY_NDIM:
        shape = r.dims(magic, f"{what} shape", dim_format="I")
    else:
        raise r.error(f"{what} has unknown magic 0x{magic:08X} (expected 0x{_V2_MAGIC:08X})",
                      start)
    if shape is None:
        return None
    r.unpack("<ii", f"{what} context")
    dtype = r.dtype(f"{what} dtype")
    aux_meta = [(r.dtype(f"{what} aux dtype"), r.shape(f"{what} aux shape"))
                for _ in range(_NUM_AUX[stype])]
    if stype == 0:
        return r.array(dtype, shape, f"{what} data")
    if storage_shape is None or any(s is None or t.kind not in "iu" for t, s in aux_meta):
        raise r.error(f"{what}: sparse array with unknown or non-integer index shapes", start)
    values = r.array(dtype, storage_shape, f"{what} data")
    aux = [r.array(aux_dtype, aux_shape, f"{what} aux data") for aux_dtype, aux_shape in aux_meta]
    return _sparse(r, stype, shape, values, aux, what, start)


def loads(buf, np_shape=False):
    """Parse the bytes of an MXNet NDArray file into numpy arrays.

    Returns a list of arrays, or a dict name -> array (in file order) if the file was saved
    from a dict. Reads what MXNet 1.9.1 writes (format V2, and V3 from numpy shape semantics,
    where 0-d arrays exist) and the older V1/V0 formats it still reads. Dtypes keep their
    exact type (bfloat16 loads as ``ml_dtypes.bfloat16``). A sparse array loads as a
    :class:`SparseArray`.
    As in MXNet, V3 arrays load only with ``np_shape`` (numpy shape semantics on), and the
    other formats only without it. Truncated, corrupt or foreign data raises
    :class:`~mxjax.base.MXNetError`.
    """
    r = _Reader(buf)
    magic, _reserved, count = r.unpack("<QQQ", "file header")
    if magic != _LIST_MAGIC:
        raise r.error(f"not an NDArray file: header 0x{magic:X}, expected 0x{_LIST_MAGIC:X}", 0)
    arrays = []
    for i in range(count):  # no preallocation: a bogus count fails at the first missing byte
        start = r.pos
        arr = _read_array(r, i, np_shape)
        if arr is None:
            raise r.error(f"array #{i} has no shape: an empty NDArray handle, or a 0-d array "
                          "that MXNet 1.9.1 saved but cannot load back either", start)
        arrays.append(arr)
    (num_names,) = r.unpack("<Q", "name count")
    if num_names not in (0, count):
        raise r.error(f"{num_names} names for {count} arrays", r.pos - 8)
    names = [r.string(f"name #{i}") for i in range(num_names)]
    if r.pos != len(r.buf):
        raise r.error(f"{len(r.buf) - r.pos} unexpected bytes after the last name")
    return dict(zip(names, arrays)) if names else arrays


def dumps_array(value, np_shape=False):
    """One array as MXNet's raw bytes (``MXNDArraySaveRawBytes``, an NDArray's pickled
    state): the ``array`` record of the file format alone."""
    return _encode_array(0, value, np_shape)


def loads_array(buf, np_shape=False):
    """The array in raw bytes from :func:`dumps_array` (or MXNet's ``__getstate__``);
    ``np_shape=None`` accepts either format."""
    r = _Reader(buf)
    arr = _read_array(r, 0, np_shape)
    if arr is None:
        raise r.error("the array has no shape (an empty NDArray handle)", 0)
    if r.pos != len(r.buf):
        raise r.error(f"{len(r.buf) - r.pos} unexpected bytes after the array")
    return arr


# ---------------------------------------------------------------------------- files

def save(fname, data, np_shape=False, companions=()):
    """Write ``data`` (see :func:`dumps`) to the file ``fname`` as MXNet's ``mx.nd.save`` does.

    The bytes go to a temporary file in the same directory, which then replaces ``fname``, so
    ``fname`` is never left half-written; a symlink keeps pointing to the new content and an
    existing file keeps its permissions. ``companions`` are more ``(fname, bytes or str)``
    files (an export's ``-symbol.json``) written in the same step: all of them are on disk
    before any target is replaced. I/O failures raise :class:`~mxjax.base.MXNetError`.
    """
    payload = dumps(data, np_shape)  # a bad input fails before any file is touched
    fname = os.fspath(fname)
    try:
        write_all_atomically([*companions, (fname, payload)])
    except OSError as err:
        raise MXNetError(f"nd.save: cannot write {fname!r}: {err}") from err


def load(fname, np_shape=False):
    """Read the MXNet NDArray file ``fname``; see :func:`loads` for what comes back."""
    fname = os.fspath(fname)
    try:
        with open(fname, "rb") as f:
            buf = f.read()
    except OSError as err:
        raise MXNetError(f"nd.load: cannot read {fname!r}: {err}") from err
    try:
        return loads(buf, np_shape)
    except MXNetError as err:
        raise MXNetError(f"{fname}: {err}") from None
