"""``mx.nd.sparse``: MXNet's sparse storage types.

mxjax stores every array densely (XLA has no sparse storage that matches MXNet's
``csr``/``row_sparse`` semantics). The names exist so that code importing them loads;
creating a sparse array raises ``NotImplementedError``. Dense inputs still work where
MXNet accepts them (``zeros('default', ...)``, the arithmetic functions).
"""

__all__ = ["BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "csr_matrix",
           "row_sparse_array", "zeros", "empty", "array", "add", "subtract", "multiply",
           "divide"]

from . import ndarray as _dense


def _unsupported(what):
    return NotImplementedError(f"{what}: mxjax stores arrays densely; sparse storage "
                               "('csr', 'row_sparse') is not implemented. Use a dense NDArray "
                               "(for example x.tostype('default') in MXNet, or nd.array).")


class BaseSparseNDArray(_dense.NDArray):
    """Base class of the sparse arrays; not constructible in mxjax."""

    def __init__(self, *args, **kwargs):
        raise _unsupported(type(self).__name__)


class CSRNDArray(BaseSparseNDArray):
    """A compressed-sparse-row matrix (not implemented in mxjax)."""


class RowSparseNDArray(BaseSparseNDArray):
    """A row-sparse array (not implemented in mxjax)."""


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """Create a CSRNDArray (not implemented in mxjax)."""
    raise _unsupported("csr_matrix")


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """Create a RowSparseNDArray (not implemented in mxjax)."""
    raise _unsupported("row_sparse_array")


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """Zeros of storage type ``stype``; only ``'default'`` (dense) is implemented."""
    if stype != "default":
        raise _unsupported(f"zeros(stype={stype!r})")
    return _dense.zeros(shape, ctx=ctx, dtype=dtype, **kwargs)


def empty(stype, shape, ctx=None, dtype=None):
    """An uninitialised array of storage type ``stype``; only ``'default'`` is implemented."""
    if stype != "default":
        raise _unsupported(f"empty(stype={stype!r})")
    return _dense.empty(shape, ctx=ctx, dtype=dtype)


def array(source_array, ctx=None, dtype=None):
    """A sparse array from ``source_array`` (not implemented in mxjax)."""
    raise _unsupported("sparse.array")


add, subtract, multiply, divide = _dense.add, _dense.subtract, _dense.multiply, _dense.divide
