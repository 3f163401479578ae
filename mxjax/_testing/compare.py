"""Tolerances, comparisons, random inputs and small array helpers of ``mx.test_utils``."""

import functools
import numbers
import os

import numpy as np
import numpy.random as rnd
import numpy.testing as npt

from .. import ndarray as nd
from ..context import Context, current_context
from ..ndarray import array
from ..util import get_cuda_compute_capability

__all__ = ["default_context", "set_default_context", "default_dtype", "default_rtols",
           "default_atols", "default_numeric_eps", "effective_dtype", "get_tolerance", "get_tols",
           "get_atol", "get_rtol", "get_etol", "random_arrays", "random_uniform_arrays",
           "random_sample", "rand_shape_2d", "rand_shape_3d", "rand_shape_nd",
           "rand_coord_2d", "rand_sparse_ndarray", "rand_ndarray",
           "create_sparse_array", "create_sparse_array_zd", "shuffle_csr_column_indices",
           "assign_each", "assign_each2", "create_2d_tensor", "create_vector", "get_identity_mat",
           "get_identity_mat_batch", "np_reduce", "same", "checkShapes",
           "almost_equal", "locationError", "assert_almost_equal", "assert_allclose",
           "assert_almost_equal_with_err", "assert_almost_equal_ignore_nan", "assert_exception",
           "retry", "compare_ndarray_tuple", "same_array", "collapse_sum_like"]

# ---- contexts, dtypes and tolerances ------------------------------------------------------

def default_context():
    """The context tests run on: the current context (``cpu(0)`` unless changed)."""
    return current_context()


def set_default_context(ctx):
    """Make ``ctx`` the current (and so the default test) context."""
    Context._default_ctx.value = ctx


def default_dtype():
    """The dtype of test inputs: float32."""
    return np.float32


def _tols(f16, f32, f64):
    table = {np.dtype(t): 0 for t in (np.bool_, np.int8, np.uint8, np.int16, np.uint16,
                                      np.int32, np.uint32, np.int64, np.uint64)}
    table.update({np.dtype(np.float16): f16, np.dtype(np.float32): f32,
                  np.dtype(np.float64): f64})
    return table


def default_rtols():
    """Relative tolerance per dtype used when a comparison gets ``rtol=None``."""
    return _tols(1e-2, 1e-4, 1e-5)


def default_atols():
    """Absolute tolerance per dtype used when a comparison gets ``atol=None``."""
    return _tols(1e-1, 1e-3, 1e-20)


def default_numeric_eps():
    """Finite-difference step per dtype (powers of two, exact as input deltas)."""
    return {np.dtype(np.float16): 1.0 / 2**6, np.dtype(np.float32): 1.0 / 2**9,
            np.dtype(np.float64): 1.0 / 2**14}


def _tf32_enabled(ctx):
    """Whether float32 matmuls on ``ctx`` run in TF32 (NVIDIA compute capability >= 8.0)."""
    try:
        return (ctx.device_type == "gpu" and get_cuda_compute_capability(ctx) >= 80
                and os.environ.get("NVIDIA_TF32_OVERRIDE") != "0")
    except Exception:  # noqa: BLE001 - no context, no GPU, no capability: not TF32
        return False


def effective_dtype(dat):
    """The dtype whose tolerance applies to ``dat``: float16 for float32 results computed
    on a GPU that uses TF32 (its float32 matmuls keep a float16-like mantissa)."""
    dtype = np.dtype(dat.dtype)
    if dtype == np.float32 and _tf32_enabled(getattr(dat, "ctx", None)):
        return np.dtype(np.float16)
    return dtype


def get_tolerance(dat, tol, default_tol):
    """``tol`` if it is a number, else its entry (or ``default_tol``'s) for ``dat``'s
    effective dtype."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    return (tol or {}).get(dtype, default_tol[dtype])


def _with_dtype(x):
    return x if hasattr(x, "dtype") else np.asarray(x)


def get_tols(x, y, rtol, atol):
    """``(rtol, atol)`` for comparing ``x`` and ``y``: the looser default of the two where
    not given."""
    x, y = _with_dtype(x), _with_dtype(y)
    return (max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols())),
            max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols())))


def get_atol(atol=None, dtype=np.dtype(np.float64)):  # noqa: B008 - MXNet's default
    """``atol``, or the default absolute tolerance of ``dtype``."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):  # noqa: B008 - MXNet's default
    """``rtol``, or the default relative tolerance of ``dtype``."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_etol(etol=None):
    """``etol`` (tolerated fraction of mismatching elements), 0 by default."""
    return 0 if etol is None else etol


# ---- random inputs ------------------------------------------------------------------------

def random_arrays(*shapes):
    """Standard-normal float32 numpy arrays, one per shape (the array itself for one)."""
    arrays = [np.array(np.random.randn(), dtype=default_dtype()) if len(s) == 0
              else np.random.randn(*s).astype(default_dtype()) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes, low=0.0, high=1.0, dtype=None):
    """Uniform ``[low, high)`` numpy arrays, one per shape (always a list)."""
    dtype = default_dtype() if dtype is None else dtype
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population, k):
    """``k`` elements of ``population`` in random order (numpy's generator)."""
    assert 0 <= k <= len(population)
    chosen = population[:]
    np.random.shuffle(chosen)
    return chosen[:k]


def sorted_items(d):
    return sorted(d.items(), key=lambda kv: kv[0])


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-d shape with sides up to ``dim0``, ``dim1``."""
    low = 0 if allow_zero_size else 1
    return rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-d shape with sides up to ``dim0``, ``dim1``, ``dim2``."""
    low = 0 if allow_zero_size else 1
    return rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1), rnd.randint(low, dim2 + 1)


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random ``num_dim``-d shape with sides up to ``dim``."""
    low = 0 if allow_zero_size else 1
    return tuple(rnd.randint(low, dim + 1, size=num_dim))


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random integer point of ``[x_low, x_high) x [y_low, y_high)``."""
    return (np.random.randint(x_low, x_high, dtype=np.int64),
            np.random.randint(y_low, y_high, dtype=np.int64))


def _check_csr_inputs(num_rows, num_cols, density, distribution):
    if density < 0 or density > 1:
        raise ValueError("density has to be between 0 and 1")
    if num_rows <= 0 or num_cols <= 0:
        raise ValueError("num_rows or num_cols should be greater than 0")
    if distribution == "powerlaw" and int(num_rows * num_cols * density) < 2 * num_rows:
        raise ValueError(f"not supported for this density: {density} for this shape "
                         f"({num_rows}, {num_cols}) Please keep : num_rows * num_cols * "
                         "density >= 2 * num_rows")


def _uniform_csr(num_rows, num_cols, density, dtype, data_init, shuffle_csr_indices):
    """A csr matrix of ``density`` with uniform [0, 1) values at uniform positions."""
    _check_csr_inputs(num_rows, num_cols, density, "uniform")
    try:
        from scipy import sparse as spsp
    except ImportError:
        assert data_init is None, "data_init option is not supported when scipy is absent"
        assert not shuffle_csr_indices, \
            "shuffle_csr_indices option is not supported when scipy is absent"
        dns = nd.random.uniform(shape=(num_rows, num_cols), dtype=dtype)
        return (dns * (dns < density)).tostype("csr")
    csr = spsp.rand(num_rows, num_cols, density, dtype=dtype, format="csr")
    if data_init is not None:
        csr.data.fill(data_init)
    if shuffle_csr_indices:
        shuffle_csr_column_indices(csr)
    return nd.sparse.csr_matrix((csr.data, csr.indices, csr.indptr),
                                shape=(num_rows, num_cols), dtype=dtype)


def _powerlaw_csr(num_rows, num_cols, density, dtype):
    """A csr matrix whose rows hold exponentially more nonzeros (1 + U(0.001, 2))."""
    _check_csr_inputs(num_rows, num_cols, density, "powerlaw")
    left = int(num_rows * num_cols * density)
    out = np.zeros((num_rows, num_cols), dtype=dtype)

    def done():
        return nd.array(out).tostype("csr")

    for row in range(num_rows):
        out[row][0] = 1 + rnd.uniform(0.001, 2)
        left -= 1
        if left <= 0:
            return done()
    col_max = 2
    for row in range(num_rows):
        col_limit = min(num_cols, col_max)
        if col_limit == num_cols and left > col_limit:
            out[row] = 1 + rnd.uniform(0.001, 2)
            left = left - col_limit + 1
            if left <= 0:
                return done()
            continue
        for col in range(1, col_limit):
            out[row][col] = 1 + rnd.uniform(0.001, 2)
            left -= 1
            if left <= 0:
                return done()
        col_max *= 2
    if left > 0:
        raise ValueError(f"not supported for this density: {density} for this shape "
                         f"({num_rows},{num_cols})")
    return done()


def rand_sparse_ndarray(shape, stype, density=None, dtype=None, distribution=None,
                        data_init=None, rsp_indices=None, modifier_func=None,
                        shuffle_csr_indices=False, ctx=None):
    """A random 'row_sparse' or 'csr' array and its parts: ``(array, (values, indices))``
    for row_sparse, ``(array, (indptr, indices, data))`` for csr. ``density`` (random
    when None) is the fraction of rows (row_sparse) or elements (csr) stored; values are
    uniform in [0, 1), or ``data_init``, passed through ``modifier_func``."""
    ctx = ctx if ctx else default_context()
    density = rnd.rand() if density is None else density
    dtype = default_dtype() if dtype is None else dtype
    distribution = "uniform" if distribution is None else distribution
    if stype == "row_sparse":
        assert distribution == "uniform", \
            f"Distribution {distribution} not supported for row_sparse"
        if rsp_indices is not None:
            indices = rsp_indices
            assert len(indices) <= shape[0]
        else:
            indices = np.argwhere(rnd.rand(shape[0]) < density).flatten()
        if indices.shape[0] == 0:
            result = nd.zeros(shape, stype="row_sparse", dtype=dtype, ctx=ctx)
            return result, (np.array([], dtype=dtype), np.array([]))
        val = rnd.rand(indices.shape[0], *shape[1:]).astype(dtype)
        if data_init is not None:
            val.fill(data_init)
        if modifier_func is not None:
            val = assign_each(val, modifier_func)
        arr = nd.sparse.row_sparse_array((val, indices), shape=shape, dtype=dtype, ctx=ctx)
        return arr, (val, indices)
    if stype == "csr":
        assert len(shape) == 2
        if distribution == "uniform":
            csr = _uniform_csr(shape[0], shape[1], density, dtype, data_init,
                               shuffle_csr_indices)
        elif distribution == "powerlaw":
            csr = _powerlaw_csr(shape[0], shape[1], density, dtype)
        else:
            raise AssertionError(f"Distribution not supported: {distribution}")
        csr = csr.as_in_context(ctx)
        return csr, (csr.indptr, csr.indices, csr.data)
    raise AssertionError("unknown storage type")


def rand_ndarray(shape, stype="default", density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """A standard-normal NDArray of ``shape`` (float32 unless ``dtype``) on ``ctx``, or a
    random sparse one (see ``rand_sparse_ndarray``)."""
    if stype != "default":
        return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype,
                                   modifier_func=modifier_func, distribution=distribution,
                                   shuffle_csr_indices=shuffle_csr_indices, ctx=ctx)[0]
    return array(random_arrays(shape), ctx=ctx or default_context(), dtype=dtype)


def create_sparse_array(shape, stype, data_init=None, rsp_indices=None, dtype=None,
                        modifier_func=None, density=.5, shuffle_csr_indices=False):
    """A random sparse array (``rand_sparse_ndarray``); row_sparse indices are sorted."""
    if stype == "row_sparse":
        indices = None if rsp_indices is None else np.sort(np.asarray(rsp_indices))
        return rand_sparse_ndarray(shape, stype, density=density, data_init=data_init,
                                   rsp_indices=indices, dtype=dtype,
                                   modifier_func=modifier_func)[0]
    if stype == "csr":
        return rand_sparse_ndarray(shape, stype, density=density, data_init=data_init,
                                   dtype=dtype, modifier_func=modifier_func,
                                   shuffle_csr_indices=shuffle_csr_indices)[0]
    raise AssertionError("Unknown storage type: " + str(stype))


def create_sparse_array_zd(shape, stype, density, data_init=None, rsp_indices=None,
                           dtype=None, modifier_func=None, shuffle_csr_indices=False):
    """``create_sparse_array`` whose row_sparse rows are exactly ``rsp_indices``."""
    if stype == "row_sparse":
        density = 0.0
        if rsp_indices is not None:
            assert len(rsp_indices) <= shape[0]
    return create_sparse_array(shape, stype, data_init=data_init, rsp_indices=rsp_indices,
                               dtype=dtype, modifier_func=modifier_func, density=density,
                               shuffle_csr_indices=shuffle_csr_indices)


def shuffle_csr_column_indices(csr):
    """Shuffle, in place, the column indices within each row of a CSR matrix (an object
    with numpy ``indptr`` and ``indices``, e.g. scipy's)."""
    for start, end in zip(csr.indptr[:-1], csr.indptr[1:]):
        row = np.array(csr.indices[start:end])
        np.random.shuffle(row)
        csr.indices[start:end] = row


def assign_each(the_input, function):
    """``function`` applied to every element of ``the_input`` (a float64 array)."""
    if function is None:
        return np.array(the_input)
    out = np.zeros(the_input.shape)
    for idx in np.ndindex(the_input.shape):
        out[idx] = function(the_input[idx])
    return out


def assign_each2(input1, input2, function):
    """``function`` applied to every pair of elements of two same-shape arrays."""
    if function is None:
        return np.array(input1)
    assert input1.shape == input2.shape
    out = np.zeros(input1.shape)
    for idx in np.ndindex(input1.shape):
        out[idx] = function(input1[idx], input2[idx])
    return out


def create_2d_tensor(rows, columns, dtype=np.int64):
    """``(rows, columns)`` NDArray whose row ``i`` holds ``i`` (large-tensor tests)."""
    col = nd.arange(0, rows, dtype=dtype).reshape(rows, 1)
    return nd.broadcast_to(col, shape=(rows, columns))


def create_vector(size, dtype=np.int64):
    """``arange(size)`` as an NDArray (large-vector tests)."""
    return nd.arange(0, size, dtype=dtype)


def get_identity_mat(size):
    """A ``size x size`` float32 identity NDArray."""
    return nd.array(np.eye(size, dtype=np.float32))


def get_identity_mat_batch(size):
    """Two stacked identity matrices, shape ``(2, size, size)``."""
    return nd.array(np.stack([np.eye(size, dtype=np.float32)] * 2))


def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce ``dat`` over ``axis`` (int, list or None) one axis at a time."""
    axes = [axis] if isinstance(axis, int) else (
        list(range(dat.ndim)) if axis is None else list(axis))
    ret = dat
    for i in sorted(axes, reverse=True):
        ret = numpy_reduce_func(ret, axis=i)
    if keepdims:
        shape = list(dat.shape)
        for i in axes:
            shape[i] = 1
        ret = ret.reshape(tuple(shape))
    return ret


# ---- comparisons --------------------------------------------------------------------------

def as_numpy(x):
    if isinstance(x, (np.ndarray, np.generic, numbers.Number)):
        return x
    return x.asnumpy() if hasattr(x, "asnumpy") else np.asarray(x)


def _violation(a, b, rtol, atol):
    """|a - b| / (atol + rtol |b|), with equal values (infinities too) counting 0."""
    with np.errstate(invalid="ignore", over="ignore"):
        absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))
        return absdiff / (atol + rtol * np.abs(b) + 1e-20)


def _find_max_violation(a, b, rtol, atol):
    violation = _violation(a, b, rtol, atol)
    idx = np.unravel_index(np.argmax(violation), violation.shape)
    return tuple(int(i) for i in idx), np.max(violation)


def same(a, b):
    """Whether two arrays have the same shape and elements."""
    return np.array_equal(as_numpy(a), as_numpy(b))


def checkShapes(a, b):  # noqa: N802 - MXNet's name
    """Raise AssertionError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise AssertionError(npt.build_err_msg(
            [a, b], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """``numpy.allclose`` with float64's defaults (rtol 1e-5, atol 1e-20)."""
    if not use_broadcast:
        checkShapes(a, b)
    return bool(np.allclose(as_numpy(a), as_numpy(b), rtol=get_rtol(rtol),
                            atol=get_atol(atol), equal_nan=equal_nan))


def locationError(a, b, index, names, maxError=False):  # noqa: N802,N803 - MXNet's names
    """The line of an error message naming the values of ``a`` and ``b`` at ``index``."""
    return (f"Location of {'maximum ' if maxError else ''}error: {index}, "
            f"{names[0]}={float(a[index]):.8f}, {names[1]}={float(b[index]):.8f}")


def _mismatch_message(a, b, rtol, atol, names, equal_nan, mismatches):
    """MXNet's report: the worst violation, its location, and how many elements fail."""
    a, b = np.asarray(a), np.asarray(b)
    ab, bb = np.broadcast_arrays(a, b)
    violation = _violation(ab, bb, rtol, atol)
    if violation.ndim == 0:
        return f"Error {float(violation):f} exceeds tolerance rtol={rtol:e}, atol={atol:e}.\n"
    bad = ~np.isclose(ab, bb, rtol=rtol, atol=atol, equal_nan=equal_nan)
    ranked = np.argsort(-np.nan_to_num(violation, nan=np.inf).ravel(), kind="stable")
    ranked = ranked[bad.ravel()[ranked]]
    if len(ranked) == 0:  # allclose failed on something isclose does not flag
        ranked = np.array([np.argmax(violation)])
    limit = mismatches[1]
    count = len(ranked) if limit <= 0 or len(ranked) <= limit else limit + 1
    print(f"\n*** Maximum errors for vector of size {ab.size}:  rtol={rtol}, atol={atol}\n")
    shown = max(0, min(count, limit if limit > 0 else count, mismatches[0]))
    for i, flat in enumerate(ranked[:shown]):
        idx = tuple(int(j) for j in np.unravel_index(flat, ab.shape))
        print(f"{i + 1:3d}: Error {float(violation[idx]):f}  "
              f"{locationError(ab, bb, idx, names)}")
    worst = tuple(int(j) for j in np.unravel_index(ranked[0], ab.shape))
    degree = "at least " if 0 < limit < count else ""
    return (f"Error {float(violation[worst]):f} exceeds tolerance rtol={rtol:e}, atol={atol:e} "
            f"(mismatch {degree}{100 * count / ab.size:f}%).\n"
            f"{locationError(ab, bb, worst, names, maxError=True)}")


# numpy 2 writes scalars as np.float32(1.0); MXNet's messages (numpy 1) read 1.0.
_PRINT = dict(threshold=4, suppress=True,
              **({"legacy": "1.25"} if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else {}))


def _fail(a, b, message):
    with np.printoptions(**_PRINT):
        raise AssertionError(npt.build_err_msg([a, b], err_msg=message))


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Raise AssertionError unless ``a`` and ``b`` (NDArrays or numpy) are close.

    Parameters
    ----------
    a, b : NDArray or numpy.ndarray or number
    rtol, atol : float or dict of dtype -> float, optional
        Tolerances; by default the looser of the two arguments' dtype defaults
        (``default_rtols()``, ``default_atols()``; float32: 1e-4 and 1e-3).
    names : tuple of str
        Names of ``a`` and ``b`` in the message.
    equal_nan : bool
        Whether NaNs in the same places compare equal.
    use_broadcast : bool
        If False, the shapes must be equal.
    mismatches : (int, int)
        How many mismatching elements to print, and to count.
    """
    if not use_broadcast:
        checkShapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = as_numpy(a), as_numpy(b)
    if getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", None) == np.bool_:
        np.testing.assert_equal(a, b)
        return
    if almost_equal(a, b, rtol, atol, equal_nan=equal_nan):
        return
    _fail(a, b, _mismatch_message(a, b, rtol, atol, names, equal_nan, mismatches))


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """``assert_almost_equal`` with numpy's ``assert_allclose`` defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=("a", "b"),
                                 equal_nan=False, mismatches=(10, 10)):
    """Like ``assert_almost_equal``, but a fraction ``etol`` of the elements may differ."""
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan,
                            mismatches=mismatches)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = as_numpy(a), as_numpy(b)
    equals = np.isclose(a, b, rtol=rtol, atol=atol)
    if 1 - np.count_nonzero(equals) / equals.size > etol:
        _fail(a, b, _mismatch_message(a, b, rtol, atol, names, equal_nan, mismatches))


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=("a", "b")):
    """``assert_almost_equal`` after zeroing every place where either array is NaN."""
    a, b = np.array(as_numpy(a)), np.array(as_numpy(b))
    nan_mask = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan_mask] = 0
    b[nan_mask] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f, exception_type, *args, **kwargs):
    """Raise AssertionError unless ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {exception_type}")


def retry(n):
    """Decorator: rerun a stochastic test up to ``n`` times while it fails an assertion."""
    assert n > 0

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            for i in range(n):
                try:
                    return f(*args, **kwargs)
                except AssertionError:
                    if i == n - 1:
                        raise
                    nd.waitall()
        return wrapper
    return decorate


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """``assert_almost_equal`` over (nested) tuples of arrays; None skips."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def same_array(array1, array2):
    """Whether two NDArrays share memory: a write through one shows in the other."""
    array1[:] += 1
    if not same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return same(array1.asnumpy(), array2.asnumpy())


def collapse_sum_like(a, shape):
    """Sum ``a`` over the axes that broadcasting ``shape`` to ``a.shape`` added."""
    assert len(a.shape) >= len(shape)
    if np.prod(shape) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    lead = len(a.shape) - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s != a.shape[lead + i]:
            assert s == 1
            axes.append(lead + i)
    return np.sum(a, axis=tuple(axes)).reshape(shape)
