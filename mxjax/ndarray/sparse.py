"""``mx.nd.sparse``: MXNet's ``csr`` and ``row_sparse`` storage types, stored densely.

A ``CSRNDArray`` or ``RowSparseNDArray`` is an NDArray -- its dense value, on which every
operator runs as on any NDArray (MXNet's storage fallback) -- plus its sparse structure:
the rows a row_sparse array stores, the elements a csr matrix stores. Entries outside
the structure are zero; a stored entry may be zero too, and MXNet tells the two apart
(``indices``, ``data``, lazy optimizer updates), so mxjax keeps the structure, as a
boolean mask on the device, or implicitly as "the nonzero entries" after a dense value
is cast (``tostype``, ``x[:] = dense``). Operators give their outputs the storage type
MXNet's storage inference gives (``mx.operator.storage``): ``dot(csr.T, dense)`` is
row_sparse, ``elemwise_add(rsp, rsp)`` row_sparse with the union of the rows, ``exp(rsp)``
dense.

Memory: being dense-backed, a sparse array costs as much as its dense counterpart (plus
one byte per row or element when it keeps an explicit structure). mxjax trades MXNet's
memory savings for XLA's dense kernels; a matrix too large to hold densely cannot be used.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import engine
from ..base import MXNetError, NotSupportedForSparseNDArray, integer_types, numeric_types
from ..context import Context, current_context
from . import ndarray as _dense
from .ndarray import NDArray, dtype_np

__all__ = ["BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "csr_matrix",
           "row_sparse_array", "zeros", "empty", "array", "add", "subtract", "multiply",
           "divide"]

_STORAGE_AUX_TYPES = {"row_sparse": [np.int64], "csr": [np.int64, np.int64]}
py_slice = slice  # the builtin: ``slice`` in this module becomes the operator (nd.sparse.slice)


def _op(name):
    if name.startswith("_sparse_"):  # routed to this module by the registry
        return globals()[name[len("_sparse_"):]]
    return _dense._op(name)


# ---- structure helpers: pure functions, run through the engine ------------------------------
def _nonzero_rows(value):
    flat = value.reshape(value.shape[0], int(np.prod(value.shape[1:], dtype=np.int64)))
    return (jnp.any(flat != 0, axis=1),)


def _nonzero_elements(value):
    return (value != 0,)


def _union_nonzero(mask, value):
    nonzero = (_nonzero_rows if mask.ndim == 1 and value.ndim >= 1 and mask.shape != value.shape
               else _nonzero_elements)(value)[0]
    return (mask | nonzero,)


def expand_mask(mask, ndim):
    """A row or element mask broadcastable against a value of rank ``ndim``."""
    return mask.reshape(mask.shape + (1,) * (ndim - mask.ndim))


def _cast(dtype):
    def cast(value):
        return (value.astype(dtype),)

    return cast


def _host(value):
    return np.asarray(engine.materialize(value) if type(value) is engine.Pending else value)


class BaseSparseNDArray(NDArray):
    """The base class of ``CSRNDArray`` and ``RowSparseNDArray``: a dense value plus the
    sparse structure (see the module docstring)."""

    __slots__ = ("_aux", "_derived", "_format_error")
    _STYPE = None

    def __init__(self, value, ctx=None, mask=None):
        super().__init__(value, ctx)
        self._aux = mask        # the structure mask, or None: the nonzero entries
        self._derived = None    # (version, mask) computed from the value
        self._format_error = None  # why the (data, indices) it was made from are invalid

    # ---- structure ------------------------------------------------------------------------
    def _structure(self):
        """The structure mask (rows for row_sparse, elements for csr), possibly pending."""
        if self._aux is not None:
            return self._aux
        derived = self._derived
        if derived is None or derived[0] != self._version:
            fn = _nonzero_rows if self._STYPE == "row_sparse" else _nonzero_elements
            mask = engine.call(fn, ("sparse_nonzero", self._STYPE), [self._lazy],
                               self.context)[0]
            derived = self._derived = (self._version, mask)
        return derived[1]

    def _host_structure(self):
        return _host(self._structure())

    def _set_data(self, value):
        super()._set_data(value)
        self._aux = None  # a dense write stores the nonzero entries (cast_storage)

    def _set_updated(self, value):
        """Rebind to ``value``, an update of this array (an optimizer step): it stores what
        it stored before plus every nonzero entry (MXNet keeps a weight's rows)."""
        mask = engine.call(_union_nonzero, ("sparse_union_nonzero", self._STYPE),
                           [self._structure(), value], self.context)[0]
        self._set_sparse(value, mask)

    def _set_sparse(self, value, mask):
        """Rebind to ``value`` (zero outside ``mask``) storing ``mask`` (None: nonzeros)."""
        NDArray._set_data(self, value)
        self._aux = mask

    def _assign(self, other):
        if isinstance(other, BaseSparseNDArray) and other.stype == self.stype:
            if other.shape != self.shape:
                raise MXNetError(f"out: result has shape {other.shape}, but the out array has "
                                 f"shape {self.shape}")
            value, mask = other._lazy, other._aux
            dt = np.dtype(self.dtype)
            if np.dtype(value.dtype) != dt:
                value = engine.call(_cast(dt), ("sparse_cast", dt.name), [value])[0]
            self._set_sparse(value, mask)
            return
        super()._assign(other)

    # ---- properties -----------------------------------------------------------------------
    @property
    def stype(self):
        return self._STYPE

    @property
    def size(self):
        raise NotImplementedError("size is not defined for sparse arrays (as in MXNet)")

    def __bool__(self):
        return bool(NDArray(self._lazy, self._ctx))

    @property
    def _num_aux(self):
        return len(_STORAGE_AUX_TYPES[self.stype])

    @property
    def _aux_types(self):
        return list(_STORAGE_AUX_TYPES[self.stype])

    def __repr__(self):
        shape_info = "x".join(str(d) for d in self.shape)
        return f"\n<{type(self).__name__} {shape_info} @{self.context}>"

    __str__ = __repr__

    def __reduce__(self):
        return type(self), (None,), self.__getstate__()

    def __getstate__(self):
        return {"data": self.asnumpy(), "mask": self._host_structure()}

    def __setstate__(self, state):
        mask = state.get("mask")
        type(self).__init__(self, jnp.asarray(state["data"]),
                            mask=None if mask is None else jnp.asarray(mask))

    # ---- arithmetic (MXNet: elemwise_* for equal shapes, broadcast_* otherwise) ------------
    def __add__(self, other):
        return add(self, other)

    def __sub__(self, other):
        return subtract(self, other)

    def __mul__(self, other):
        return multiply(self, other)

    def _update(self, result):
        result.copyto(self)
        return self

    def __iadd__(self, other):
        return self._update(self + other)

    def __isub__(self, other):
        return self._update(self - other)

    def __imul__(self, other):
        return self._update(self * other)

    def __itruediv__(self, other):
        return self._update(self / other)

    # ---- conversion -------------------------------------------------------------------------
    def reshape(self, *shape, **kwargs):
        raise NotSupportedForSparseNDArray(self.reshape, None, shape)

    def astype(self, dtype, copy=True):
        """A copy with ``dtype`` and the same storage type and structure."""
        dt = dtype_np(dtype)
        if not copy and dt == np.dtype(self.dtype):
            return self
        value = engine.call(_cast(dt), ("sparse_cast", dt.name), [self._lazy])[0]
        return type(self)(value, self.context, self._aux)

    def copyto(self, other):
        """Copy into ``other`` (an NDArray of this or the default storage type) or onto a
        Context (a new array of this storage type)."""
        if isinstance(other, NDArray):
            if other is self:
                warnings.warn("You are attempting to copy an array to itself", RuntimeWarning,
                              stacklevel=2)
                return False
            if other.stype not in ("default", self.stype):
                raise TypeError(f"copyto does not support destination NDArray stype "
                                f"{other.stype}")
            if other.shape != self.shape:
                raise MXNetError(f"copyto: shape mismatch, source {self.shape}, target "
                                 f"{other.shape}")
            other._assign(self)
            return other
        if not isinstance(other, Context):
            raise TypeError(f"copyto does not support type {type(other)}")
        device = other.jax_device
        value = jax.device_put(self._data, device, may_alias=False)
        mask = None if self._aux is None else jax.device_put(_host(self._aux), device)
        return type(self)(value, other, mask)

    def tostype(self, stype):
        """A copy with storage type ``stype`` (``cast_storage``)."""
        other = {"csr": "row_sparse", "row_sparse": "csr"}[self.stype]
        if stype == other:
            raise ValueError(f"cast_storage from {self.stype} to {stype} is not supported")
        return _op("cast_storage")(self, stype=stype)

    def detach(self):
        return type(self)(self._lazy, self._ctx, self._aux)

    def check_format(self, full_check=True):  # noqa: ARG002 - MXNet's signature
        """Raise ``MXNetError`` if the index arrays this array was made from are invalid
        (out of range, unsorted, inconsistent). mxjax holds the structure as a mask over
        the dense shape, so an array made any other way is valid."""
        if self._format_error:
            raise MXNetError(f"check_format: {self._format_error}")

    def _host_data(self, mask):
        value = np.asarray(self.asnumpy())
        return value[mask]

    def _to_record(self):
        return _to_record(self)


class CSRNDArray(BaseSparseNDArray):
    """A 2-D array in compressed sparse row format: row ``i`` stores the columns
    ``indices[indptr[i]:indptr[i+1]]`` with the values ``data[indptr[i]:indptr[i+1]]``
    (column indices sorted within each row). Stored densely; see ``mx.nd.sparse``."""

    __slots__ = ()
    _STYPE = "csr"

    def __getitem__(self, key):
        if isinstance(key, integer_types):
            begin = self.shape[0] - 1 if key == -1 else int(key)
            return _op("slice")(self, begin=(begin,), end=(begin + 1,))
        if isinstance(key, py_slice):
            if key.step is not None:
                raise ValueError("CSRNDArray only supports continuous slicing on axis 0")
            if key.start is None and key.stop is None:
                return self
            begin = key.start if key.start else 0
            end = key.stop if key.stop else self.shape[0]
            return _op("slice")(self, begin=(begin,), end=(end,))
        if isinstance(key, tuple):
            raise ValueError("Multi-dimension indexing is not supported")
        raise ValueError(f"Undefined behaviour for {key}")

    def __setitem__(self, key, value):
        if not isinstance(key, py_slice):
            raise Exception("CSRNDArray only supports [:] for assignment")
        if key.step is not None or key.start is not None or key.stop is not None:
            raise ValueError("Assignment with slice for CSRNDArray is not implemented yet.")
        if isinstance(value, NDArray):
            if value is not self:
                value.copyto(self)
        elif isinstance(value, jax.Array):  # a value computed inside mxjax
            self._assign(NDArray(value, self._ctx))
        elif isinstance(value, numeric_types):
            raise ValueError("Assigning numeric types to CSRNDArray is not implemented yet.")
        elif isinstance(value, (np.ndarray, np.generic)):
            warnings.warn("Assigning non-NDArray object to CSRNDArray is not efficient",
                          RuntimeWarning, stacklevel=2)
            _dense.array(value).copyto(self)
        else:
            raise TypeError(f"type {type(value)} not supported")

    @property
    def indices(self):
        """The column index of each stored element (int64 NDArray, a copy)."""
        _, cols = np.nonzero(self._host_structure())
        return _dense.array(cols, ctx=self.context, dtype=np.int64)

    @property
    def indptr(self):
        """The offsets of each row's elements in ``data``/``indices`` (int64, a copy)."""
        counts = self._host_structure().sum(axis=1, dtype=np.int64)
        return _dense.array(np.concatenate([[0], np.cumsum(counts)]), ctx=self.context,
                            dtype=np.int64)

    @property
    def data(self):
        """The stored values, row by row (a copy)."""
        return _dense.array(self._host_data(self._host_structure()), ctx=self.context,
                            dtype=self.dtype)

    def asscipy(self):
        """A ``scipy.sparse.csr_matrix`` with a copy of this matrix."""
        import scipy.sparse as spsp

        mask = self._host_structure()
        counts = mask.sum(axis=1, dtype=np.int64)
        return spsp.csr_matrix((self._host_data(mask), np.nonzero(mask)[1],
                                np.concatenate([[0], np.cumsum(counts)])),
                               shape=self.shape, dtype=self.dtype)


class RowSparseNDArray(BaseSparseNDArray):
    """An array that stores a set of its rows (first-axis slices): ``dense[indices[i]] ==
    data[i]``, every other row zero. Stored densely; see ``mx.nd.sparse``."""

    __slots__ = ()
    _STYPE = "row_sparse"

    def __getitem__(self, key):
        if isinstance(key, integer_types):
            raise Exception("__getitem__ with int key is not implemented for RowSparseNDArray "
                            "yet")
        if isinstance(key, py_slice):
            if key.step is not None or key.start is not None or key.stop is not None:
                raise Exception("RowSparseNDArray only supports [:] for __getitem__")
            return self
        if isinstance(key, tuple):
            raise ValueError("Multi-dimension indexing is not supported")
        raise ValueError(f"Undefined behaviour for {key}")

    def __setitem__(self, key, value):
        if not isinstance(key, py_slice):
            raise TypeError("RowSparseNDArray only supports [:] for assignment")
        if key.step is not None or key.start is not None or key.stop is not None:
            raise ValueError("Assignment with slice for RowSparseNDArray is not implemented "
                             "yet.")
        if isinstance(value, NDArray):
            if value is not self:
                value.copyto(self)
        elif isinstance(value, jax.Array):  # a value computed inside mxjax
            self._assign(NDArray(value, self._ctx))
        elif isinstance(value, numeric_types):
            # MXNet's _set_value: every row stored, holding the value
            full = jax.device_put(np.ones(self.shape[:1], bool), self.context.jax_device)
            self._set_sparse(_dense.full(self.shape, value, self.context, self.dtype)._lazy,
                             full)
        elif isinstance(value, (np.ndarray, np.generic)):
            warnings.warn("Assigning non-NDArray object to RowSparseNDArray is not efficient",
                          RuntimeWarning, stacklevel=2)
            _dense.array(value).copyto(self)
        else:
            raise TypeError(f"type {type(value)} not supported")

    @property
    def indices(self):
        """The stored rows, ascending (int64 NDArray, a copy)."""
        return _dense.array(np.flatnonzero(self._host_structure()), ctx=self.context,
                            dtype=np.int64)

    @property
    def data(self):
        """The stored rows' values, shape ``(len(indices),) + shape[1:]`` (a copy)."""
        return _dense.array(self._host_data(self._host_structure()), ctx=self.context,
                            dtype=self.dtype)

    def retain(self, *args, **kwargs):
        """``nd.sparse.retain(self, indices)``: only the rows listed in ``indices``."""
        return _op("_sparse_retain")(self, *args, **kwargs)


_CLASSES = {"csr": CSRNDArray, "row_sparse": RowSparseNDArray}


def _mask_shape(stype, shape):
    return tuple(shape[:1]) if stype == "row_sparse" else tuple(shape)


def _from_host(stype, value, mask, ctx, format_error=None):
    """A sparse array on ``ctx`` from host numpy ``value`` and ``mask``."""
    device = ctx.jax_device
    arr = _CLASSES[stype](jax.device_put(value, device), ctx,
                          None if mask is None else jax.device_put(mask, device))
    arr._format_error = format_error
    return arr


# ---- creation ---------------------------------------------------------------------------------
def _shape(shape):
    return (int(shape),) if isinstance(shape, integer_types) else tuple(int(s) for s in shape)


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """An array of zeros with storage type ``stype`` ('default', 'row_sparse' or 'csr');
    a sparse one stores nothing."""
    if stype == "default":
        return _dense.zeros(shape, ctx=ctx, dtype=dtype, **kwargs)
    if stype not in _CLASSES:
        raise ValueError(f"unknown storage type {stype}")
    shape = _shape(shape)
    if stype == "csr" and len(shape) != 2:
        raise ValueError(f"a csr array is 2-D, got shape {shape}")
    ctx = Context(ctx) if ctx is not None else current_context()
    value = _dense.zeros(shape, ctx=ctx, dtype=dtype, **kwargs)._lazy
    mask = jax.device_put(np.zeros(_mask_shape(stype, shape), bool), ctx.jax_device)
    return _CLASSES[stype](value, ctx, mask)


def empty(stype, shape, ctx=None, dtype=None):
    """A sparse array of storage type ``stype`` that stores nothing (zeros)."""
    if stype not in _CLASSES:
        raise Exception(f"unknown stype : {stype}")
    return zeros(stype, shape, ctx=ctx, dtype=dtype)


def _scipy_csr_type():
    try:
        import scipy.sparse as spsp
    except ImportError:
        return ()
    return (spsp.csr_matrix,)


def _default_dtype(src, dtype):
    if dtype is not None:
        return dtype_np(dtype)
    if isinstance(src, (NDArray, np.ndarray)) or isinstance(src, _scipy_csr_type()):
        return np.dtype(src.dtype)
    return np.dtype(np.float32)


def _host_array(x, dtype):
    if isinstance(x, NDArray):
        x = x.asnumpy()
    try:
        return np.array(x, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError("values must be array like object") from None


def _check_shape(s1, s2):
    if s1 and s2 and tuple(s1) != tuple(s2):
        raise ValueError(f"Shape mismatch detected. {tuple(s1)} v.s. {tuple(s2)}")


def array(source_array, ctx=None, dtype=None):
    """A sparse array from a sparse NDArray or a ``scipy.sparse.csr_matrix``."""
    ctx = Context(ctx) if ctx is not None else current_context()
    if isinstance(source_array, NDArray):
        if source_array.stype == "default":
            raise AssertionError("Please use `tostype` to create RowSparseNDArray or "
                                 "CSRNDArray from an NDArray")
        dt = _default_dtype(source_array, dtype)
        out = source_array.copyto(ctx)
        return out if dt == np.dtype(out.dtype) else out.astype(dt)
    if isinstance(source_array, _scipy_csr_type()):
        csr = source_array.sorted_indices()
        csr.sum_duplicates()
        return csr_matrix((csr.data, csr.indices, csr.indptr), shape=csr.shape,
                          dtype=_default_dtype(source_array, dtype), ctx=ctx)
    if isinstance(source_array, (np.ndarray, np.generic)):
        raise ValueError("Please use mx.nd.array to create an NDArray with source_array of "
                         f"type {type(source_array)}")
    raise ValueError(f"Unexpected source_array type: {type(source_array)}")


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """A ``CSRNDArray`` from ``(data, indices, indptr)``, ``(data, (row, col))`` (COO),
    a shape ``(M, N)`` (empty), a dense array-like, a CSRNDArray or a scipy csr_matrix."""
    if isinstance(arg1, tuple):
        if len(arg1) == 2:
            if isinstance(arg1[1], tuple) and len(arg1[1]) == 2:
                data, (row, col) = arg1
                return _csr_from_coo(data, row, col, shape, ctx, dtype)
            _check_shape(arg1, shape)
            return empty("csr", arg1, ctx=ctx, dtype=dtype)
        if len(arg1) == 3:
            return _csr_from_definition(*arg1, shape=shape, ctx=ctx, dtype=dtype)
        raise ValueError(f"Unexpected length of input tuple: {len(arg1)}")
    if isinstance(arg1, CSRNDArray) or isinstance(arg1, _scipy_csr_type()):
        _check_shape(arg1.shape, shape)
        return array(arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, RowSparseNDArray):
        raise ValueError("Unexpected input type: RowSparseNDArray")
    dns = _dense.array(arg1, dtype=_default_dtype(arg1, dtype))
    if ctx is not None and dns.context != ctx:
        dns = dns.as_in_context(ctx)
    _check_shape(dns.shape, shape)
    return dns.tostype("csr")


def _csr_from_coo(data, row, col, shape, ctx, dtype):
    dt = dtype_np(dtype) if dtype is not None else np.dtype(np.float32)
    data = _host_array(data, dt).reshape(-1)
    row = _host_array(row, np.int64).reshape(-1)
    col = _host_array(col, np.int64).reshape(-1)
    if not data.shape == row.shape == col.shape:
        raise ValueError("row, column, and data array must all be the same length")
    inferred = (int(row.max()) + 1 if row.size else 0, int(col.max()) + 1 if col.size else 0)
    shape = inferred if shape is None else _shape(shape)
    if row.size and (row.min() < 0 or col.min() < 0 or inferred[0] > shape[0] or
                     inferred[1] > shape[1]):
        raise ValueError(f"row or column index exceeds the matrix dimensions {shape}")
    value, mask = np.zeros(shape, dt), np.zeros(shape, bool)
    np.add.at(value, (row, col), data)  # duplicates are summed, as scipy's coo does
    mask[row, col] = True
    ctx = Context(ctx) if ctx is not None else current_context()
    return _from_host("csr", value, mask, ctx)


def _csr_from_definition(data, indices, indptr, shape=None, ctx=None, dtype=None):
    ctx = Context(ctx) if ctx is not None else current_context()
    dt = _default_dtype(data, dtype)
    data = _host_array(data, dt)
    indptr = _host_array(indptr, np.int64)
    indices = _host_array(indices, np.int64)
    if shape is None:
        if indices.shape[0] == 0:
            raise ValueError("invalid shape")
        shape = (len(indptr) - 1, int(indices.max()) + 1)
    shape = _shape(shape)
    if data.ndim != 1 or indptr.ndim != 1 or indices.ndim != 1 or indptr.shape[0] == 0 or \
            len(shape) != 2:
        raise ValueError("invalid shape")
    value, mask = np.zeros(shape, dt), np.zeros(shape, bool)
    # MXNet builds the array from any index arrays; check_format then tells what is wrong.
    error = None
    if indptr.shape[0] != shape[0] + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0) or \
            indptr[-1] != indices.shape[0] or data.shape[0] != indices.shape[0]:
        error = (f"invalid csr indptr {indptr.tolist()} for shape {shape} with "
                 f"{indices.shape[0]} indices and {data.shape[0]} values")
    elif indices.size and (indices.min() < 0 or indices.max() >= shape[1]):
        error = f"csr column indices out of range [0, {shape[1]}): {indices.tolist()}"
    else:
        rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
        value[rows, indices] = data
        mask[rows, indices] = True
        if any(np.any(np.diff(indices[lo:hi]) <= 0) for lo, hi in zip(indptr, indptr[1:])):
            error = "csr column indices are not in ascending order within each row"
    return _from_host("csr", value, mask, ctx, error)


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """A ``RowSparseNDArray`` from ``(data, indices)``, a shape (empty), a dense
    array-like or a RowSparseNDArray."""
    if isinstance(arg1, tuple):
        if len(arg1) < 2:
            raise ValueError(f"Unexpected length of input tuple: {len(arg1)}")
        if len(arg1) > 2 or (isinstance(arg1[0], integer_types) and
                             isinstance(arg1[1], integer_types)):
            _check_shape(arg1, shape)
            return empty("row_sparse", arg1, ctx=ctx, dtype=dtype)
        return _rsp_from_definition(arg1[0], arg1[1], shape=shape, ctx=ctx, dtype=dtype)
    if isinstance(arg1, RowSparseNDArray):
        _check_shape(arg1.shape, shape)
        return array(arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, CSRNDArray):
        raise ValueError("Unexpected input type: CSRNDArray")
    dns = _dense.array(arg1, dtype=_default_dtype(arg1, dtype))
    if ctx is not None and dns.context != ctx:
        dns = dns.as_in_context(ctx)
    _check_shape(dns.shape, shape)
    return dns.tostype("row_sparse")


def _rsp_from_definition(data, indices, shape=None, ctx=None, dtype=None):
    ctx = Context(ctx) if ctx is not None else current_context()
    dt = _default_dtype(data, dtype)
    data = _host_array(data, dt)
    indices = _host_array(indices, np.int64)
    if shape is None:
        if indices.shape[0] == 0:
            raise ValueError("invalid shape")
        shape = (int(indices[-1]) + 1,) + data.shape[1:]
    shape = _shape(shape)
    if data.ndim != len(shape) or indices.ndim != 1 or np.prod(shape[1:]) == 0:
        raise ValueError("invalid shape")
    if data.shape[0] != indices.shape[0] or data.shape[1:] != shape[1:]:
        raise ValueError(f"invalid row_sparse definition for shape {shape}: data "
                         f"{data.shape}, indices {indices.shape}")
    value, mask = np.zeros(shape, dt), np.zeros(shape[:1], bool)
    ok = (indices >= 0) & (indices < shape[0])
    value[indices[ok]] = data[ok]
    mask[indices[ok]] = True
    error = None
    if not ok.all():
        error = f"row_sparse indices out of range [0, {shape[0]}): {indices.tolist()}"
    elif np.any(np.diff(indices) <= 0):
        error = f"row_sparse indices are not in ascending order: {indices.tolist()}"
    return _from_host("row_sparse", value, mask, ctx, error)


# ---- arithmetic -------------------------------------------------------------------------------
def _ufunc(lhs, rhs, same, broadcast, scalar, rscalar, py_fn):
    if isinstance(lhs, numeric_types):
        if isinstance(rhs, numeric_types):
            return py_fn(lhs, rhs)
        return _op(rscalar)(rhs, scalar=float(lhs))
    if isinstance(rhs, numeric_types):
        return _op(scalar)(lhs, scalar=float(rhs))
    if not isinstance(rhs, NDArray):
        raise TypeError(f"type {type(rhs)} not supported")
    return _op(same if lhs.shape == rhs.shape else broadcast)(lhs, rhs)


def add(lhs, rhs):
    """``lhs + rhs``: ``elemwise_add`` for equal shapes (sparse-aware), ``broadcast_add``
    otherwise, ``_plus_scalar`` with a scalar."""
    return _ufunc(lhs, rhs, "elemwise_add", "broadcast_add", "_plus_scalar", "_plus_scalar",
                  lambda a, b: a + b)


def subtract(lhs, rhs):
    """``lhs - rhs``: ``elemwise_sub`` for equal shapes, ``broadcast_sub`` otherwise."""
    # MXNet 1.9.1 computes ``rhs - lhs`` for a scalar lhs here; mxjax computes lhs - rhs.
    return _ufunc(lhs, rhs, "elemwise_sub", "broadcast_sub", "_minus_scalar",
                  "_rminus_scalar", lambda a, b: a - b)


def multiply(lhs, rhs):
    """``lhs * rhs``: ``elemwise_mul`` for equal shapes, ``broadcast_mul`` otherwise."""
    return _ufunc(lhs, rhs, "elemwise_mul", "broadcast_mul", "_mul_scalar", "_mul_scalar",
                  lambda a, b: a * b)


def divide(lhs, rhs):
    """``lhs / rhs``: ``elemwise_div`` for equal shapes, ``broadcast_div`` otherwise."""
    # MXNet 1.9.1 computes ``rhs / lhs`` for a scalar lhs here; mxjax computes lhs / rhs.
    return _ufunc(lhs, rhs, "elemwise_div", "broadcast_div", "_div_scalar", "_rdiv_scalar",
                  lambda a, b: a / b)


# ---- files ------------------------------------------------------------------------------------
def _to_record(arr):
    """``arr`` as a ``serialization.SparseArray`` (host copies of data and indices)."""
    from .serialization import SparseArray

    mask = arr._host_structure()
    data = arr._host_data(mask)
    if arr.stype == "row_sparse":
        return SparseArray("row_sparse", arr.shape, data, (np.flatnonzero(mask),))
    counts = mask.sum(axis=1, dtype=np.int64)
    return SparseArray("csr", arr.shape, data,
                       (np.concatenate([[0], np.cumsum(counts)]), np.nonzero(mask)[1]))


def _from_record(record, ctx=None):
    """The sparse array a ``serialization.SparseArray`` describes, on ``ctx``."""
    value, mask = record.densify()
    return _from_host(record.stype, value, mask, Context(ctx) if ctx else current_context())
