"""A custom ``autograd.Function`` as one node of the recorded program.

``forward`` runs when it is called, as in MXNet: its operators join the captured step
like any others (``mxjax.engine``), and a ``forward`` that leaves JAX (``asnumpy()``,
numpy) just makes the step run up to there. While recording, the Function is one node of
the autograd graph: a ``jax.custom_vjp`` that passes forward's outputs through and whose
rule is ``backward``, run on traced values (wrapped as NDArrays, as in a hybridized
block). What ``forward`` kept for ``backward`` (``save_for_backward``, or an attribute
it set) comes in as the rule's residuals. A training step through a Function is thus
one XLA program, gradient and update included, with no trip to the host.

``backward`` is traced at the first call of each class, attribute values, training mode
and signature; its trace is then reused, like a hybridized block's. If it reads arrays
besides what forward kept (a Parameter, a global), those are inputs of the node taken
at each call, and it is traced again at each call to find them, never compiled in.

A ``backward`` that leaves JAX (``asnumpy()``, ``asscalar()``, numpy) has no trace. It
runs as a host callback inside the compiled backward instead, given the residuals, as
``mxjax._host`` runs custom operators; the first call of such a class finds out by
trying, and the class is remembered. A ``backward`` that prints runs on the host too, so
that it prints when backward runs.
"""

import collections
import contextlib
import io
import itertools
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import _host, _tracing, autograd
from . import random as _random
from .base import MXNetError, NotImplementedForSymbol
from .ndarray.ndarray import NDArray

__all__ = ["call", "is_host_node"]

# What a trace raises where code needs a value: JAX's errors, and mxjax's for asnumpy().
_LEAVES_JAX = (jax.errors.JAXTypeError, NotImplementedForSymbol)
_NODE_CACHE_SIZE = 256

_on_host = weakref.WeakSet()            # Function subclasses whose backward leaves JAX
_nodes = collections.OrderedDict()      # node key -> pure function (LRU)
_live = weakref.WeakValueDictionary()   # token -> _HostBackward, for the host callback
_tokens = itertools.count(1)
_KEY = jax.eval_shape(lambda: jax.random.PRNGKey(0))


def is_host_node(key):
    """Whether the recorded node named ``key`` runs a Function's ``backward`` on the host."""
    return isinstance(key, tuple) and key[:2] == ("Function", "host")


def call(func, inputs):
    """``func(*inputs)``: ``autograd.Function.__call__``."""
    training = autograd.is_training()
    with autograd.pause(train_mode=training):
        returned = func.forward(*inputs)
    if not autograd.is_recording():
        return returned
    outputs = _outputs(func, returned)
    state = dict(vars(func))
    template, saved = _split(state, lambda v: isinstance(v, NDArray))
    values = [getattr(x, "_lazy", x) for x in inputs]
    in_specs = [jax.ShapeDtypeStruct(np.shape(v), v.dtype if hasattr(v, "dtype") else
                                     np.result_type(v)) for v in values]
    sizes = (len(inputs), len(outputs), len(saved))
    static = (type(func), _static(state), training, _avals(in_specs), _avals(outputs),
              _avals(saved))
    key, extra, record = ("Function", "traced", *static), [], None
    fn = _nodes.get(key)
    if fn is None or fn.backward_reads:  # backward's trace is needed (for what it reads)
        bwd = None if type(func) in _on_host else \
            _try_trace_backward(func, template, saved, outputs, in_specs, training)
        _set_state(func, state)
        if bwd is not None and (fn is None or _avals(bwd.consts) == fn.backward_reads):
            fn = _cached(key, lambda: _traced_node(bwd, in_specs, sizes))
            extra = list(bwd.consts)
        else:
            key = ("Function", "host", *sizes, _avals(in_specs))
            fn = _cached(key, lambda: _host_node(in_specs, sizes))
            record = _HostBackward(func, template, len(saved), in_specs)
            extra = [np.int64(record.token)]
    else:
        _nodes.move_to_end(key)
    if fn.uses_key:
        extra.append(_random.next_key())
    autograd.record_node(fn, key, [*inputs, *[o._lazy for o in outputs],
                                   *[s._lazy for s in saved], *extra], outputs,
                         keepalive=record)
    return returned


# ---- backward, traced ------------------------------------------------------------------
class _Trace:
    """``backward``'s trace: its jaxpr, the arrays it read (``consts``), its key use."""

    def __init__(self, closed, uses_key):
        self.jaxpr, self.consts, self.uses_key = closed.jaxpr, closed.consts, uses_key


def _try_trace_backward(func, template, saved, outputs, in_specs, training):
    """The trace of ``func.backward``, or ``None`` where it runs on the host."""
    try:
        return _trace_backward(func, template, saved, outputs, in_specs, training)
    except (_Prints, *_LEAVES_JAX):
        _on_host.add(type(func))
    except Exception:  # the host callback raises it again, at backward
        pass
    return None


class _Prints(Exception):
    """``backward`` writes to stdout: MXNet prints that when backward runs."""


def _trace_backward(func, template, saved, outputs, in_specs, training):
    ctx = outputs[0].context
    found = {}

    def backward(key, saved_values, out_grads):
        _set_state(func, _fill(template, [NDArray(v, ctx) for v in saved_values]))
        with _tracing.tracing({}, key) as frame, \
                autograd.pause(train_mode=training):
            grads = func.backward(*[NDArray(g, ctx) for g in out_grads])
            found["uses_key"] = _tracing.keys_drawn(frame)
            return _input_grads(type(func), grads, in_specs)

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        closed = jax.make_jaxpr(backward)(_KEY, _specs(saved), _specs(outputs))
    if printed.getvalue():
        raise _Prints
    return _Trace(closed, found["uses_key"])


def _traced_node(bwd, in_specs, sizes):
    """``fn(*inputs, *outputs, *saved, *consts[, key]) -> outputs`` whose gradient is the
    trace of ``backward`` (given ``saved``, the arrays it read and the key)."""
    n_in, n_out, n_saved = sizes
    n_bc, uses_key = len(bwd.consts), bwd.uses_key
    after = n_in + n_out + n_saved

    @jax.custom_vjp
    def node(*args):
        return tuple(args[n_in:n_in + n_out])

    def node_fwd(*args):
        key = args[-1] if uses_key else jnp.zeros(_KEY.shape, _KEY.dtype)
        return node(*args), (args[n_in + n_out:after], args[after:after + n_bc], key)

    def node_bwd(residuals, cotangents):
        saved, consts, key = residuals
        grads = jax.core.eval_jaxpr(bwd.jaxpr, consts, key, *saved, *cotangents)
        return (*_cotangents(grads, in_specs), *[None] * (n_out + n_saved + n_bc + uses_key))

    node.defvjp(node_fwd, node_bwd)
    fn = _as_node_fn(node, in_specs, uses_key)
    fn.backward_reads = _avals(bwd.consts)
    return fn


def _cotangents(grads, in_specs):
    # JAX takes no cotangent for an integer input (``None``: zero).
    return [g if jnp.issubdtype(s.dtype, jnp.inexact) else None
            for g, s in zip(grads, in_specs)]


def _as_node_fn(node, in_specs, uses_key):
    n_in = len(in_specs)

    def fn(*args):
        # autograd replays integer inputs in float64 (to pass gradients on): the node
        # takes them in their own dtypes, which its gradient has.
        xs = [x if getattr(x, "dtype", None) == s.dtype else jnp.asarray(x).astype(s.dtype)
              for x, s in zip(args[:n_in], in_specs)]
        return node(*xs, *args[n_in:])

    fn.uses_key, fn.backward_reads = uses_key, ()
    return fn


def _cached(key, build):
    fn = _nodes.get(key)
    if fn is None:
        fn = _nodes[key] = build()
        if len(_nodes) > _NODE_CACHE_SIZE:
            _nodes.popitem(last=False)
    else:
        _nodes.move_to_end(key)
    return fn


# ---- backward, on the host -----------------------------------------------------------
def _host_node(in_specs, sizes):
    """``fn(*inputs, *outputs, *saved, token) -> outputs`` whose gradient runs
    ``backward`` on the host (given ``saved``), for the Function named by ``token``."""
    n_in, n_out, n_saved = sizes
    after = n_in + n_out + n_saved

    @jax.custom_vjp
    def node(*args):
        return tuple(args[n_in:n_in + n_out])

    def node_fwd(*args):
        return node(*args), (args[n_in + n_out:after], args[after])

    def node_bwd(residuals, cotangents):
        saved, token = residuals
        grads = _host.call(_backward_on_host, in_specs, token, *saved, *cotangents)
        return (*_cotangents(grads, in_specs), *[None] * (n_out + n_saved + 1))

    node.defvjp(node_fwd, node_bwd)
    return _as_node_fn(node, in_specs, False)


class _HostBackward:
    """What the host callback needs to run one call's ``backward``."""

    def __init__(self, func, template, n_saved, in_specs):
        self.func, self.template, self.n_saved, self.in_specs = func, template, n_saved, in_specs
        self.token = next(_tokens)
        _live[self.token] = self

    def run(self, values):
        func, n_saved = self.func, self.n_saved
        saved = [_host.ndarray(v) for v in values[:n_saved]]
        current = dict(vars(func))
        _set_state(func, _fill(self.template, saved))
        try:
            grads = func.backward(*[_host.ndarray(v) for v in values[n_saved:]])
        finally:
            _set_state(func, current)
        return _input_grads(type(func), grads, self.in_specs)


def _backward_on_host(token, *values):
    return _live[int(token)].run(values)


# ---- shared ---------------------------------------------------------------------------
def _outputs(func, returned):
    """What ``forward`` returned, as a list of NDArrays."""
    if isinstance(returned, NDArray):
        return [returned]
    if isinstance(returned, (list, tuple)) and all(isinstance(o, NDArray) for o in returned):
        return list(returned)
    raise TypeError(f"{type(func).__name__}.forward must return an NDArray or a list or "
                    "tuple of NDArrays")


def _input_grads(cls, grads, in_specs):
    """What ``backward`` returned, checked as MXNet checks it: one NDArray for each input
    of forward, broadcast to its shape, in its dtype; as arrays."""
    name = cls.__name__
    if isinstance(grads, NDArray):
        grads = [grads]
    if not isinstance(grads, (list, tuple)):
        raise MXNetError(f"{name}.backward must return NDArrays, not {type(grads).__name__}")
    if len(grads) != len(in_specs):
        raise MXNetError(f"{name}.backward must return exactly the same number of NDArrays "
                         "as the number of NDArrays arguments to forward. Expecting "
                         f"{len(in_specs)} got {len(grads)}")
    values = []
    for i, (g, spec) in enumerate(zip(grads, in_specs)):
        if not isinstance(g, NDArray):
            raise MXNetError(f"{name}.backward must return NDArrays, not {type(g).__name__} "
                             f"(gradient {i})")
        value, shape = g._data, tuple(spec.shape)
        if tuple(value.shape) != shape:
            try:
                broadcast = np.broadcast_shapes(value.shape, shape) == shape
            except ValueError:
                broadcast = False
            if not broadcast:
                raise MXNetError(f"{name}.backward returned a gradient of shape "
                                 f"{tuple(value.shape)} for input {i} of forward, which has "
                                 f"shape {shape}")
            value = jnp.broadcast_to(value, shape)
        values.append(value.astype(spec.dtype))
    return values


def _avals(values):
    return tuple((tuple(v.shape), np.dtype(v.dtype)) for v in values)


def _specs(arrays):
    return [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in arrays]


class _Slot:
    """Where ``_split`` took a leaf out."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _split(state, pick):
    """``(template, leaves)``: ``state`` (dicts, lists and tuples of values) with every
    value ``pick`` accepts taken out into ``leaves`` and replaced by a ``_Slot``."""
    leaves = []

    def take(value):
        if pick(value):
            leaves.append(value)
            return _Slot(len(leaves) - 1)
        return value

    return _map(state, take), leaves


def _fill(template, leaves):
    """The inverse of ``_split``, with ``leaves`` in the slots."""
    return _map(template, lambda v: leaves[v.index] if type(v) is _Slot else v)


def _map(value, fn):
    """``value`` with ``fn`` applied to every leaf; containers are copied only where a
    leaf changed."""
    kind = type(value)
    if kind in (list, tuple):
        items = [_map(v, fn) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else kind(items)
    if kind is dict:
        items = {k: _map(v, fn) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    return fn(value)


def _set_state(func, state):
    state = dict(state)  # it may be the attributes themselves
    attributes = vars(func)
    attributes.clear()
    attributes.update(state)


def _static(value):
    """What of ``value`` (an instance's attributes) a trace may have compiled in: values
    of hashable objects, shapes and dtypes of arrays (whose values are the node's inputs),
    identity of anything else."""
    if isinstance(value, (NDArray, jax.Array, np.ndarray)):
        return ("array", tuple(value.shape), np.dtype(value.dtype).str)
    kind = type(value)
    if kind in (list, tuple):
        return (kind, tuple(_static(v) for v in value))
    if kind is dict:
        return (kind, tuple((k, _static(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return _Same(value)
    return (kind, value)


class _Same:
    """Compares by identity (and keeps the object alive, so its id is not reused)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return type(other) is _Same and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)
