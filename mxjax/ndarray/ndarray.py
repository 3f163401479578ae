"""``NDArray``: a mutable handle over an immutable ``jax.Array``.

Writes (``x[:] = v``, ``x += 1``, ``out=x``) rebind the handle to a new array. A view
(``x[1:3]``, ``x[i]``, ``x.reshape(...)``, ``x.detach()``) holds no data of its own: it
reads through its root array, and writing into it rewrites the root, so both sides see
every write, as with MXNet's shared memory.
"""

import ctypes
import functools
import operator
import weakref
from threading import get_ident as _thread_id

import jax
import jax.numpy as jnp
import numpy as np

from .. import _tracing, autograd, engine
from ..base import MXNetError, NDArrayHandle, NotImplementedForSymbol, numeric_types
from ..context import Context, context_of_device, current_context
from ..engine import Pending
from . import indexing

__all__ = ["NDArray", "array", "empty", "zeros", "ones", "full", "arange", "linspace",
           "eye", "waitall", "concatenate", "moveaxis", "histogram", "onehot_encode", "dtype_np",
           "add", "subtract", "multiply", "divide", "true_divide", "modulo", "power",
           "maximum", "minimum", "equal", "not_equal", "greater", "greater_equal", "lesser",
           "lesser_equal", "logical_and", "logical_or", "logical_xor"]

# MXNet's storage-type ids, as written into ``__storage_type__`` attributes and files.
STORAGE_TYPE_IDS = {"undefined": -1, "default": 0, "row_sparse": 1, "csr": 2}
_STORAGE_TYPE_STR_TO_ID = STORAGE_TYPE_IDS  # MXNet's name, which MXNet's own tests import
py_slice = slice  # MXNet's name for the builtin, kept for code that imports it
_HANDLES = weakref.WeakValueDictionary()  # address -> NDArray, for the handles given out

_DTYPES = {np.dtype(t) for t in ("float16", "float32", "float64", "uint8", "int8", "int32",
                                 "int64", "bool")}


def dtype_np(dtype, default="float32"):
    """MXNet dtype argument (name, numpy type or dtype) -> ``np.dtype``."""
    if dtype is None:
        return np.dtype(default)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"data type {dtype!r} not understood") from None
    if dt not in _DTYPES:
        raise TypeError(f"data type {dt.name} is not supported by MXNet NDArray")
    return dt


def _op(name):
    from . import _internal, op
    return getattr(_internal if name.startswith("_") else op, name)


def _from_handle(handle):
    array = _HANDLES.get(handle.value)
    if array is None:
        raise MXNetError(f"{handle} is not the handle of a live NDArray")
    return array


def _ctx_of(value):
    if type(value) is Pending:
        return value.ctx
    if isinstance(value, jax.core.Tracer):  # inside jit: whatever context is current
        return current_context()
    return context_of_device(next(iter(value.devices())))


def _undo_rebind(array, value):
    array._value = value
    array._version += 1


class NDArray:
    """An n-dimensional array with MXNet 1.x semantics, backed by JAX."""

    __slots__ = ("_value", "_ctx", "_root", "_steps", "_cache", "_version", "_node",
                 "_grad", "_grad_req", "_fresh_grad", "_writable", "__weakref__")
    __array_priority__ = 1000.0

    def __init__(self, value, ctx=None, writable=True):
        source = None
        if isinstance(value, ctypes.c_void_p):  # MXNet's NDArray(handle): the same array
            source = _from_handle(value)
            value, ctx = None, source._ctx
        self._value = value
        engine.bind(value, self)
        self._ctx = ctx
        self._root = None
        self._steps = ()
        if source is not None:
            self._root = source if source._root is None else source._root
            self._steps = source._steps
        if not writable:
            self._writable = False
        self._cache = None
        self._version = 0
        self._node = None
        self._grad = None
        self._grad_req = None
        self._fresh_grad = False  # set by backward, cleared by Trainer.step (stale check)

    @classmethod
    def _wrap(cls, value, ctx=None):
        return cls(value, ctx)

    # ---- data access -------------------------------------------------------------------
    @property
    def _lazy(self):
        """The current value, possibly ``Pending`` (not computed yet): use it to pass the
        value on to another operator without waiting for it. A view reads its root."""
        root = self._root
        if root is None:
            value = self._value
            if type(value) is Pending:
                if value.thread != _thread_id() and value.thread:
                    engine.read_elsewhere(value)
                    value = self._value
            elif type(value) is np.ndarray:  # still on the host (``host.py``): moved once
                value = self._value = jax.device_put(value, self._ctx.jax_device)
            return value
        if self._cache is None or self._cache[0] != root._version:
            steps = self._steps
            value = engine.call(_read_view(steps), ("view", steps),
                                [root._lazy, *_step_args(steps)])[0]
            self._cache = (root._version, value)
        return self._cache[1]

    @property
    def _data(self):
        """The current ``jax.Array``, computed now if it is still pending."""
        value = self._lazy
        if type(value) is Pending:
            return engine.materialize(value)
        return value

    @property
    def _peek(self):
        """Like ``_lazy``, but a host value (``host.py``) stays on the host."""
        return self._value if self._root is None else self._lazy

    def _set_data(self, value):
        """Rebind to ``value`` (already of this shape and dtype); a view writes its root."""
        root = self._root
        if root is None:
            before, self._value = self._value, value
            self._version += 1
            engine.rebound(self, before, value, _undo_rebind)
        else:
            steps = self._steps
            root._set_data(engine.call(_write_view(steps), ("view_write", steps),
                                       [root._lazy, value, *_step_args(steps)])[0])

    def _make_view(self, step):
        root = self._root if self._root is not None else self
        view = NDArray(None, self._ctx)
        view._root, view._steps = root, self._steps + (step,)
        return view

    # ---- properties --------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self._peek.shape)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self):
        return np.dtype(self._peek.dtype).type  # MXNet: the numpy type class

    @property
    def context(self):
        if self._ctx is None:
            self._ctx = _ctx_of(self._lazy)
        return self._ctx

    ctx = context

    @property
    def stype(self):
        return "default"

    @property
    def T(self):
        if self.ndim < 2:
            return self
        return _op("transpose")(self)

    @property
    def grad(self):
        return self._grad

    @property
    def handle(self):
        """A C-style handle (``NDArrayHandle``): ``NDArray(handle)`` is this array again."""
        return NDArrayHandle(self._as_parameter_)

    @property
    def _as_parameter_(self):
        # The address ctypes sees, as MXNet's monitor callbacks hand them out:
        # ``NDArray(ctypes.cast(x, NDArrayHandle))`` reads and writes x's data.
        _HANDLES[id(self)] = self
        return id(self)

    @property
    def writable(self):
        return getattr(self, "_writable", True)

    # ---- conversion --------------------------------------------------------------------
    def asnumpy(self):
        engine.note_read()
        if type(self._peek) is np.ndarray:
            return np.array(self._value)
        try:
            return np.array(self._data)
        except jax.errors.TracerArrayConversionError:
            raise _SymbolicValueError(self.asnumpy, None) from None

    def asscalar(self):
        if self.size != 1:
            raise ValueError("The current array is not a scalar")
        return self.asnumpy().reshape(())[()]

    def astype(self, dtype, copy=True):
        dt = dtype_np(dtype)
        if not copy and dt == np.dtype(self.dtype):
            return self
        return _op("cast")(self, dtype=dt.name)

    def copy(self):
        return self.copyto(self.context)

    def copyto(self, other):
        if isinstance(other, NDArray):
            if other is self:
                return self
            if other.shape != self.shape:
                raise MXNetError(f"copyto: shape mismatch, source {self.shape}, "
                                 f"target {other.shape}")
            other._assign(self)
            return other
        ctx = Context(other)
        # A real copy: the Trainer donates weight buffers, so no two NDArrays may share one.
        return NDArray(jax.device_put(self._data, ctx.jax_device, may_alias=False), ctx)

    def as_in_context(self, context):
        return self if self.context == context else self.copyto(context)

    def as_nd_ndarray(self):
        return self

    def tostype(self, stype):
        """A copy with storage type ``stype`` ('default', 'row_sparse' or 'csr'; see
        ``mx.nd.sparse``)."""
        if stype == "csr" and len(self.shape) != 2:
            raise ValueError("To convert to a CSR, the NDArray should be 2 Dimensional. "
                             f"Current shape is {self.shape}")
        return _op("cast_storage")(self, stype=stype)

    def to_dlpack_for_read(self):
        """A DLPack capsule over this array's buffer (see ``mx.nd.to_dlpack_for_read``)."""
        from ._interop import to_dlpack_for_read
        return to_dlpack_for_read(self)

    def to_dlpack_for_write(self):
        """A DLPack capsule over this array's buffer (see ``mx.nd.to_dlpack_for_write``)."""
        from ._interop import to_dlpack_for_write
        return to_dlpack_for_write(self)

    def wait_to_read(self):
        if type(self._peek) is not np.ndarray:
            jax.block_until_ready(self._data)

    def wait_to_write(self):
        self.wait_to_read()

    # ---- autograd ----------------------------------------------------------------------
    def attach_grad(self, grad_req="write", stype=None):
        """Give this array a gradient buffer (of storage type ``stype``; by default this
        array's own) that backward fills."""
        grad = _zeros(self.shape, self.context, self.dtype, stype=stype or self.stype)
        self._mark_variable(grad, grad_req)

    def _mark_variable(self, grad, grad_req):
        if grad_req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        self._grad = None if grad_req == "null" else grad  # MXNet: .grad is None for 'null'
        self._grad_req, self._node = grad_req, None

    def _accumulate_grad(self, g):
        self._fresh_grad = True
        if self._grad_req == "add":
            self._grad._set_data(engine.call(_add, "add", [self._grad._lazy, g])[0])
        elif self._grad_req == "write":
            self._grad._set_data(g)

    def detach(self):
        view = self._make_view(("id", None))
        return view

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        autograd.backward([self], None if out_grad is None else [out_grad],
                          retain_graph=retain_graph, train_mode=train_mode)

    # ---- printing ----------------------------------------------------------------------
    def __repr__(self):
        value = self._peek
        if isinstance(value, jax.core.Tracer):  # hybridized: MXNet prints the Symbol here
            name = _tracing.name_of(value)
            return f"<Symbol {name + ' ' if name else ''}shape={tuple(value.shape)}>"
        shape_info = "x".join(str(d) for d in self.shape)
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape_info} @{self.context}>"

    __str__ = __repr__

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        for i in range(self.shape[0]):
            yield self[i]

    def __bool__(self):
        n = self.size
        if n == 0:
            return False
        if n == 1:
            return bool(self.asscalar())
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    def __float__(self):
        return float(self.asscalar())

    def __int__(self):
        return int(self.asscalar())

    def __index__(self):
        return operator.index(self.asscalar())

    def __array__(self, dtype=None, copy=None):
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype)

    def __hash__(self):
        return id(self)

    def __getstate__(self):  # MXNet's pickled state: the array in its file format
        from .. import util
        from .serialization import dumps_array
        value = self.asnumpy()  # a 0-d array needs the numpy-shape format
        return {"handle": bytearray(dumps_array(value, util.is_np_shape() or not value.ndim))}

    def __setstate__(self, state):
        from .serialization import loads_array
        handle = state["handle"]
        value = None if handle is None else loads_array(bytes(handle), np_shape=None)
        # Kept on the host until used (``host.py``), on JAX's default device as before: a
        # DataLoader worker unpickling its dataset runs no JAX computation.
        NDArray.__init__(self, None if value is None else np.asarray(value),
                         None if value is None else context_of_device(jax.local_devices()[0]))

    # ---- shape ---------------------------------------------------------------------------
    def reshape(self, *shape, **kwargs):
        from ..operator.shape_rules import reshape_shape

        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        shape = kwargs.pop("shape", shape)
        reverse = kwargs.pop("reverse", False)
        if kwargs:
            raise TypeError(f"reshape: unexpected keyword arguments {sorted(kwargs)}")
        target = reshape_shape(self.shape, tuple(shape), reverse, exact=False)
        size, new_size = self.size, int(np.prod(target, dtype=np.int64))
        if new_size > size or (new_size != size and autograd.is_recording()):
            raise MXNetError(f"NDArray.Reshape: target shape {target} must have the same "
                             f"size as the current shape {self.shape}")
        if new_size != size:  # MXNet 1.9.1 raises ValueError for a smaller target
            raise ValueError(f"Cannot reshape array of size {size} into shape {tuple(shape)}")
        return self._reshaped(target)

    def _reshaped(self, shape):
        """A view of this array with ``shape`` (same size, no special codes)."""
        if autograd.is_recording():
            return _op("Reshape")(self, shape=shape)
        return self._make_view(("reshape", tuple(shape)))

    def flatten(self, inplace=False):
        """``Flatten`` to ``(d0, d1*...*dk)``; with ``inplace`` a view sharing this data."""
        if not inplace:
            return _op("Flatten")(self)
        return self._reshaped((self.shape[0], self.size // max(self.shape[0], 1)))

    def expand_dims(self, axis, inplace=False):
        """Insert an axis of size 1 at ``axis``; with ``inplace`` a view."""
        if not inplace:
            return _op("expand_dims")(self, axis=axis)
        shape = list(self.shape)
        if not -len(shape) - 1 <= axis <= len(shape):
            raise AssertionError(f"axis {axis} is out of range for {len(shape)}d array")
        shape.insert(axis + len(shape) + 1 if axis < 0 else axis, 1)
        return self._reshaped(shape)

    def squeeze(self, axis=None, inplace=False):
        """Remove axes of size 1 (all, or those in ``axis``); with ``inplace`` a view."""
        if not inplace:
            return _op("squeeze")(self, axis=axis)
        shape = self.shape
        axes = [axis] if isinstance(axis, int) else list(axis or ())
        if len(axes) != len(set(axes)):
            raise AssertionError(f"axis {axes} contains duplicate which is not allowed.")
        for a in axes:
            if not -len(shape) <= a < len(shape):
                raise AssertionError(f"axis {a} is out of range for {len(shape)}d array")
            if shape[a] != 1:
                raise AssertionError(f"Squeeze target axis {a} must be size 1, got {shape[a]}.")
        drop = {a % len(shape) for a in axes} if axes else \
            {i for i, d in enumerate(shape) if d == 1}
        return self._reshaped([d for i, d in enumerate(shape) if i not in drop] or [1])

    @staticmethod
    def _basic_indexing_slice_is_contiguous(slc_key, shape):
        """Whether one ``slice`` per axis of ``shape`` selects a contiguous block (then
        ``x[key]`` is a view)."""
        return indexing.slices_contiguous(slc_key, shape)

    # ---- indexing ------------------------------------------------------------------------
    def __getitem__(self, key):
        if isinstance(key, NDArray) or not indexing.is_basic(key):
            structure, arrays = indexing.split_advanced(key)
            indexing.check_host_bounds(structure, arrays, self.shape)
            idx = [a if isinstance(a, NDArray) else NDArray(jnp.asarray(np.asarray(a)))
                   for a in arrays]
            return _op("_advanced_index")(self, *idx, structure=structure)
        bkey = indexing.parse_basic(key, self.shape)
        if bkey.contiguous and not autograd.is_recording():
            return self._make_view(("index", bkey))
        return _op("_basic_index")(self, key=bkey, lows=bkey.lows)

    def __setitem__(self, key, value):
        if autograd.is_recording():
            autograd.check_inplace(self, () if self._whole_key(key) else (value,))
        target = self._lazy
        shape, dt = tuple(target.shape), np.dtype(target.dtype)
        whole = isinstance(key, slice) and key == slice(None) or key is Ellipsis
        if whole and self._write_host_value(value, shape, dt):
            return
        value = value._lazy if isinstance(value, NDArray) else jnp.asarray(value)
        if whole:
            if tuple(value.shape) != shape:
                try:
                    if np.broadcast_shapes(tuple(value.shape), shape) != shape:
                        raise ValueError
                except ValueError:
                    raise MXNetError(f"__setitem__: value of shape {tuple(value.shape)} "
                                     f"cannot be broadcast to {shape}") from None
            self._write_whole(value, shape, dt)
            return
        if isinstance(key, NDArray) or not indexing.is_basic(key):
            structure, arrays = indexing.split_advanced(key)
            idx = [a._lazy if isinstance(a, NDArray) else np.asarray(a) for a in arrays]
            self._set_data(engine.call(_set_advanced(structure), ("set_advanced", structure),
                                       [target, value, *idx])[0])
            return
        bkey = indexing.parse_basic(key, shape)
        self._set_data(engine.call(_set_basic(bkey), ("set_basic", bkey),
                                   [target, value, *bkey.lows])[0])

    _HOST_WRITE_MAX = 1 << 16  # elements

    def _write_host_value(self, value, shape, dt):
        """``x[:] = 3`` (or a small numpy array) outside captured or traced code: the new
        contents made with numpy and transferred, so no XLA program is compiled for each
        new shape. False where the device path is taken instead."""
        if (isinstance(value, NDArray) or engine.is_capturing() or _tracing.active()
                or int(np.prod(shape, dtype=np.int64)) > self._HOST_WRITE_MAX):
            return False
        host = np.asarray(value)
        if host.dtype.kind not in "biuf":
            return False
        try:
            contents = np.broadcast_to(host.astype(dt), shape)
        except ValueError:
            raise MXNetError(f"__setitem__: value of shape {host.shape} cannot be broadcast "
                             f"to {shape}") from None
        self._set_data(jax.device_put(np.ascontiguousarray(contents), self.context.jax_device))
        return True

    def _whole_key(self, key):
        """Whether ``x[key] = v`` overwrites all of ``x`` (MXNet copies then; any other
        write reads ``x`` too, an in-place operation)."""
        if isinstance(key, slice) and key == slice(None) or key is Ellipsis:
            return True
        if isinstance(key, NDArray) or not indexing.is_basic(key):
            return False
        layout = indexing.parse_basic(key, self.shape).layout
        return all(n == d and stride == 1 and not rev
                   for (n, stride, rev), d in zip(layout, self.shape))

    def _write_whole(self, value, shape, dt):
        if tuple(value.shape) != shape or np.dtype(value.dtype) != dt:
            value = engine.call(_fill(shape, dt), ("fill", shape, dt), [value])[0]
        self._set_data(value)

    def _assign(self, other):
        """``self[:] = other`` for an NDArray of the same shape (used by ``out=``)."""
        value = other._lazy if isinstance(other, NDArray) else other
        if tuple(value.shape) != self.shape:
            raise MXNetError(f"out: result has shape {tuple(value.shape)}, but the out "
                             f"array has shape {self.shape}")
        self._write_whole(value, self.shape, np.dtype(self.dtype))

    def _inplace(self, fn, other):
        if not self.writable:
            raise ValueError("trying to write into a readonly NDArray")
        autograd.check_inplace(self, (other,))
        result = fn(self, other)
        self._assign(result)
        return self

    # ---- arithmetic ----------------------------------------------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return subtract(self, other)

    def __rsub__(self, other):
        return subtract(other, self)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __truediv__(self, other):
        return divide(self, other)

    def __rtruediv__(self, other):
        return divide(other, self)

    def __mod__(self, other):
        return modulo(self, other)

    def __rmod__(self, other):
        return modulo(other, self)

    def __pow__(self, other):
        return power(self, other)

    def __rpow__(self, other):
        return power(other, self)

    def __neg__(self):
        return _op("negative")(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _op("abs")(self)

    def __iadd__(self, other):
        return self._inplace(add, other)

    def __isub__(self, other):
        return self._inplace(subtract, other)

    def __imul__(self, other):
        return self._inplace(multiply, other)

    def __itruediv__(self, other):
        return self._inplace(divide, other)

    def __imod__(self, other):
        return self._inplace(modulo, other)

    def __ipow__(self, other):
        return self._inplace(power, other)

    def __eq__(self, other):
        return equal(self, other)

    def __ne__(self, other):
        return not_equal(self, other)

    def __gt__(self, other):
        return greater(self, other)

    def __ge__(self, other):
        return greater_equal(self, other)

    def __lt__(self, other):
        return lesser(self, other)

    def __le__(self, other):
        return lesser_equal(self, other)


class _SymbolicValueError(NotImplementedForSymbol):
    """A value was asked for inside a hybridized ``hybrid_forward``, where MXNet passes
    Symbols (which have no values) and mxjax passes traced arrays."""

    def __str__(self):
        return (f"{super().__str__()} Inside the hybrid_forward of a hybridized block the "
                "arrays are symbolic: their values exist only once the whole block has run. "
                "Return the array from the block, or call hybridize(False) to inspect it.")


# Methods that forward to the operator of the same name, as MXNet's NDArray does.
FORWARDED_METHODS = (
    "reshape_like zeros_like ones_like broadcast_axes repeat pad swapaxes split split_v2 slice "
    "slice_axis slice_like take one_hot pick sort topk argsort argmax argmax_channel argmin "
    "clip abs sign shape_array size_array tile transpose flip "
    "depth_to_space space_to_depth diag sum nansum prod nanprod mean max min norm round rint "
    "fix floor ceil trunc sin cos tan arcsin arccos arctan degrees radians sinh cosh tanh "
    "arcsinh arccosh arctanh exp expm1 log log10 log2 log1p sqrt rsqrt cbrt rcbrt square "
    "reciprocal relu sigmoid softmax log_softmax softmin broadcast_to broadcast_like"
).split()


def _forwarding_method(name):
    def method(self, *args, **kwargs):
        return _op(name)(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Same as ``mx.nd.{name}(self, ...)``."
    return method


for _name in FORWARDED_METHODS:
    setattr(NDArray, _name, _forwarding_method(_name))


# ---- views and writes: pure functions, compiled once per key (positions are arguments) ----
def _step_args(steps):
    """The start positions of ``steps``' index steps, flattened (traced arguments)."""
    return [low for kind, arg in steps if kind == "index" for low in arg.lows]


def _split_step_args(steps, flat):
    args, i = [], 0
    for kind, arg in steps:
        n = len(arg.lows) if kind == "index" else 0
        args.append(tuple(flat[i:i + n]))
        i += n
    return args


def _apply_step(value, step, args):
    kind, arg = step
    if kind == "index":
        return indexing.take(value, arg, args)
    if kind == "reshape":
        return value.reshape(arg)
    return value


@functools.lru_cache(maxsize=4096)
def _read_view(steps):
    def read(root, *flat):
        for step, step_args in zip(steps, _split_step_args(steps, flat)):
            root = _apply_step(root, step, step_args)
        return (root,)

    return read


@functools.lru_cache(maxsize=4096)
def _write_view(steps):
    def write(root, value, *flat):
        return (_write_steps(root, steps, value, _split_step_args(steps, flat)),)

    return write


def _write_steps(parent, steps, value, args):
    if not steps:
        return value.astype(parent.dtype)
    step, step_args = steps[0], args[0]
    child = _write_steps(_apply_step(parent, step, step_args), steps[1:], value, args[1:])
    kind, arg = step
    if kind == "index":
        return indexing.put(parent, arg, step_args, child)
    if kind == "reshape":
        return child.reshape(parent.shape)
    return child


def _add(a, b):
    return (a + b,)


@functools.lru_cache(maxsize=4096)
def _set_basic(bkey):
    def set_(data, value, *lows):
        # Broadcast to the indexed result's shape (integer axes dropped), then write it.
        value = value.reshape(_squeeze_to(value.shape, bkey.out_shape))
        _check_broadcast(value.shape, bkey.out_shape)
        return (indexing.put(data, bkey, lows, jnp.broadcast_to(value, bkey.out_shape)),)

    return set_


def _check_broadcast(vshape, target):
    """MXNet's (numpy's) error for a value that does not broadcast to the written part."""
    vshape, target = tuple(vshape), tuple(target)
    if len(vshape) > len(target) or any(v not in (1, t) for v, t in
                                        zip(vshape[::-1], target[::-1])):
        raise ValueError("operands could not be broadcast together with remapped "
                         f"shapes[original->remapped]: {vshape} and requested shape {target}")


def _squeeze_to(vshape, tshape):
    # Allow writing a (1, n) value into an (n,) target and similar: drop leading 1s.
    vshape = tuple(vshape)
    while len(vshape) > len(tshape) and vshape[0] == 1:
        vshape = vshape[1:]
    return vshape


@functools.lru_cache(maxsize=4096)
def _set_advanced(structure):
    def set_(data, value, *idx):
        key = indexing.build_advanced(structure, idx)
        return (data.at[key].set(value.astype(data.dtype)),)

    return set_


@functools.lru_cache(maxsize=4096)
def _fill(shape, dtype):
    def fill(value):
        value = value.astype(dtype)
        if value.shape != shape:
            _check_broadcast(value.shape, shape)
        return (value if value.shape == shape else jnp.broadcast_to(value, shape),)

    return fill


# ---- creation ---------------------------------------------------------------------------
def array(source_array, ctx=None, dtype=None):
    """An NDArray from any array-like. MXNet: float32 unless ``source_array`` is an
    NDArray (which keeps its dtype) or ``dtype`` is given."""
    if isinstance(source_array, NDArray):
        dt = dtype_np(dtype, default=np.dtype(source_array.dtype))
        value = source_array._data
    else:
        dt = dtype_np(dtype)
        try:
            # A fresh host copy: device_put may alias a numpy buffer even with may_alias=False
            # on CPU, and the caller may still write to theirs. One transfer, no jnp dispatch.
            value = np.array(source_array, dtype=dt)
        except (TypeError, ValueError) as e:
            raise TypeError(f"source_array must be array like object: {e}") from None
        ctx = Context(ctx) if ctx is not None else current_context()
        return NDArray(jax.device_put(value, ctx.jax_device), ctx)
    ctx = Context(ctx) if ctx is not None else current_context()
    value = jnp.asarray(value, dtype=dt)
    return NDArray(jax.device_put(value, ctx.jax_device, may_alias=False), ctx)


def _creation(op_name, **attrs):
    return _op(op_name)(**attrs)


def _filled_on_host(fill, shape, ctx, dtype):
    """A constant array made with numpy and transferred, when operators run one by one:
    no XLA program to compile for each new shape. Captured steps and traced code use the
    operator, which XLA folds into the program; ``None`` then."""
    if engine.is_capturing() or _tracing.active():
        return None
    ctx = Context(ctx) if ctx is not None else current_context()
    return NDArray(jax.device_put(fill(shape, dtype_np(dtype)), ctx.jax_device), ctx)


def empty(shape, ctx=None, dtype=None):
    """An array of ``shape`` (MXNet leaves it uninitialised; here zeros), made on the host
    and transferred: no XLA program to compile for each new shape."""
    ctx = Context(ctx) if ctx is not None else current_context()
    value = np.zeros(_shape(shape), dtype_np(dtype))
    return NDArray(jax.device_put(value, ctx.jax_device), ctx)


def _check_known_shape(op, shape):
    from ..operator import spec
    spec.get(op).parse_attrs({"shape": shape})  # sizes checked before filling on the host
    # MXNet outside mx.np_shape(): no axes, or an axis of size 0, is an unknown shape, and
    # a creation operator cannot infer one.
    if not shape or 0 in shape:
        from ..util import is_np_shape
        if not is_np_shape():
            raise MXNetError(f"Operator {op} inferring shapes failed: shape {shape} is "
                             "unknown outside mx.np_shape() (0 marks an unknown axis)")


def zeros(shape, ctx=None, dtype=None, stype=None, **kwargs):
    """An array of zeros (of storage type ``stype``: see ``mx.nd.sparse.zeros``)."""
    _check_known_shape("_zeros", _shape(shape))
    return _zeros(shape, ctx, dtype, stype, **kwargs)


def _zeros(shape, ctx=None, dtype=None, stype=None, **kwargs):
    if stype not in (None, "default"):
        from . import sparse
        return sparse.zeros(stype, shape, ctx=ctx, dtype=dtype, **kwargs)
    made = None if kwargs else _filled_on_host(np.zeros, _shape(shape), ctx, dtype)
    if made is not None:
        return made
    return _creation("_zeros", shape=_shape(shape), ctx=ctx, dtype=dtype_np(dtype).name,
                     **kwargs)


def ones(shape, ctx=None, dtype=None, **kwargs):
    _check_known_shape("_ones", _shape(shape))
    made = None if kwargs else _filled_on_host(np.ones, _shape(shape), ctx, dtype)
    if made is not None:
        return made
    return _creation("_ones", shape=_shape(shape), ctx=ctx, dtype=dtype_np(dtype).name,
                     **kwargs)


def full(shape, val, ctx=None, dtype="float32", out=None):
    result = _creation("_full", shape=_shape(shape), value=float(val), ctx=ctx,
                       dtype=dtype_np(dtype).name)
    if out is not None:
        out._assign(result)
        return out
    return result


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None,
           dtype="float32"):
    return _creation("_arange", start=start, stop=stop, step=step, repeat=repeat, ctx=ctx,
                     dtype=dtype_np(dtype).name)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype="float32"):
    return _creation("_linspace", start=start, stop=stop, num=num, endpoint=endpoint, ctx=ctx,
                     dtype=dtype_np(dtype).name)


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs):
    return _creation("_eye", N=N, M=M, k=k, ctx=ctx, dtype=dtype_np(dtype).name, **kwargs)


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def waitall():
    """Wait until every computation dispatched so far has finished (captured steps
    pending in this thread run first)."""
    engine.wait_all()


def concatenate(arrays, axis=0, always_copy=True):
    return _op("concat")(*arrays, dim=axis)


def moveaxis(tensor, source, destination):
    """Move the axes ``source`` (an int or a sequence) to the positions ``destination``;
    the other axes keep their order."""
    source = _axis_tuple(source, tensor.ndim, "source")
    destination = _axis_tuple(destination, tensor.ndim, "destination")
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number "
                         "of elements")
    order = [n for n in range(tensor.ndim) if n not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return _op("transpose")(tensor, axes=tuple(order))


def _axis_tuple(axes, ndim, what):
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{what} axis {a} is out of bounds for an array of dimension "
                             f"{ndim}")
    axes = tuple(int(a) % ndim for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in `{what}` argument")
    return axes


def onehot_encode(indices, out):
    """Writes the one-hot rows of ``indices`` into the float32 (N, K) ``out``; returns it."""
    return _op("_onehot_encode")(indices, out, out=out)


def histogram(a, bins=10, range=None):  # noqa: A002 - MXNet's argument name
    """Counts of the elements of ``a`` in ``bins`` (an NDArray of bounds, or a bin count
    over ``range``): ``(int64 counts, bounds)``. Without ``range``, numpy's bins."""
    if isinstance(bins, NDArray):
        return _op("_histogram")(a, bins)
    if isinstance(bins, (int, np.integer)):
        if range is None:
            import warnings
            warnings.warn("range is not specified, using numpy's result to ensure "
                          "consistency with numpy", stacklevel=2)
            counts, bounds = np.histogram(a.asnumpy(), bins=bins)
            return array(counts), array(bounds)
        return _op("_histogram")(a, bin_cnt=bins, range=range)
    raise ValueError("bins argument should be either an integer or an NDArray")


# ---- binary operators: NDArray x NDArray broadcasts, NDArray x scalar uses a scalar op ----
def _binary(array_op, scalar_op, rscalar_op, py_fn, lhs, rhs):
    if isinstance(lhs, numeric_types):
        if isinstance(rhs, numeric_types):
            return py_fn(lhs, rhs)
        return _op(rscalar_op or scalar_op)(rhs, scalar=float(lhs))
    if isinstance(rhs, numeric_types):
        return _op(scalar_op)(lhs, scalar=float(rhs))
    if not isinstance(rhs, NDArray):
        raise TypeError(f"type {type(rhs)} not supported")
    return _op(array_op)(lhs, rhs)


def _make_binary(name, array_op, scalar_op, rscalar_op, py_fn):
    fn = functools.partial(_binary, array_op, scalar_op, rscalar_op, py_fn)

    def binary(lhs, rhs):
        return fn(lhs, rhs)

    binary.__name__ = name
    binary.__doc__ = (f"``{name}(lhs, rhs)``: ``{array_op}`` for two NDArrays (broadcasting), "
                      f"``{scalar_op}`` when one side is a scalar.")
    return binary


def _cmp(fn):
    return lambda a, b: float(fn(a, b))


add = _make_binary("add", "broadcast_add", "_plus_scalar", None, operator.add)
subtract = _make_binary("subtract", "broadcast_sub", "_minus_scalar", "_rminus_scalar",
                        operator.sub)
multiply = _make_binary("multiply", "broadcast_mul", "_mul_scalar", None, operator.mul)
divide = _make_binary("divide", "broadcast_div", "_div_scalar", "_rdiv_scalar",
                      operator.truediv)
true_divide = divide
modulo = _make_binary("modulo", "broadcast_mod", "_mod_scalar", "_rmod_scalar", operator.mod)
power = _make_binary("power", "broadcast_power", "_power_scalar", "_rpower_scalar",
                     operator.pow)
maximum = _make_binary("maximum", "broadcast_maximum", "_maximum_scalar", None, max)
minimum = _make_binary("minimum", "broadcast_minimum", "_minimum_scalar", None, min)
equal = _make_binary("equal", "broadcast_equal", "_equal_scalar", None, _cmp(operator.eq))
not_equal = _make_binary("not_equal", "broadcast_not_equal", "_not_equal_scalar", None,
                         _cmp(operator.ne))
greater = _make_binary("greater", "broadcast_greater", "_greater_scalar", "_lesser_scalar",
                       _cmp(operator.gt))
greater_equal = _make_binary("greater_equal", "broadcast_greater_equal",
                             "_greater_equal_scalar", "_lesser_equal_scalar",
                             _cmp(operator.ge))
lesser = _make_binary("lesser", "broadcast_lesser", "_lesser_scalar", "_greater_scalar",
                      _cmp(operator.lt))
lesser_equal = _make_binary("lesser_equal", "broadcast_lesser_equal", "_lesser_equal_scalar",
                            "_greater_equal_scalar", _cmp(operator.le))
logical_and = _make_binary("logical_and", "broadcast_logical_and", "_logical_and_scalar", None,
                           lambda a, b: float(bool(a) and bool(b)))
logical_or = _make_binary("logical_or", "broadcast_logical_or", "_logical_or_scalar", None,
                          lambda a, b: float(bool(a) or bool(b)))
logical_xor = _make_binary("logical_xor", "broadcast_logical_xor", "_logical_xor_scalar", None,
                           lambda a, b: float(bool(a) != bool(b)))
