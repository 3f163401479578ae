"""``Executor``: a Symbol bound to argument, gradient and auxiliary-state arrays.

``forward`` runs the whole graph as one jit-compiled pure function of the argument and
auxiliary arrays; ``backward`` runs ``jax.vjp`` of that function (compiled once as
well) on the values of the last forward, writes the gradients (``grad_req`` 'write' or
'add') and, after a training forward, the updated auxiliary states (BatchNorm's running
statistics, which MXNet 1.9.1 updates in the backward pass).
"""

import copy

import jax
import numpy as np

from . import random as _random
from .base import MXNetError
from .context import current_context
from .ndarray import ndarray as _nd
from .ndarray.ndarray import NDArray
from .symbol import _infer, _run

__all__ = ["Executor", "simple_bind"]


def _arrays(what, given, names, allow_missing):
    """A list aligned with ``names`` from a list or a name -> NDArray dict."""
    if isinstance(given, (list, tuple)):
        if len(given) != len(names):
            raise ValueError(f"Length of {what} does not match the number of arguments")
        arrays = list(given)
    elif isinstance(given, dict):
        arrays = []
        for name in names:
            if name not in given and not allow_missing:
                raise ValueError(f"key `{name}` is missing in `{what}`")
            arrays.append(given.get(name))
    else:
        raise TypeError("Only accept list of NDArrays or dict of str to NDArray")
    for a in arrays:
        if a is not None and not isinstance(a, NDArray):
            raise TypeError("Only accept list of NDArrays or dict of str to NDArray")
    return arrays


def _grad_reqs(grad_req, names):
    if isinstance(grad_req, str):
        return dict.fromkeys(names, grad_req)
    if isinstance(grad_req, (list, tuple)):
        return dict(zip(names, grad_req))
    if isinstance(grad_req, dict):
        return {n: grad_req.get(n, "null") for n in names}
    raise TypeError(f"grad_req must be a str, a list or a dict, got {type(grad_req)}")


class Executor:
    """A bound Symbol: ``forward``, ``backward`` and the arrays they read and write."""

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req="write", aux_states=None):
        self._symbol = copy.deepcopy(symbol)
        self._ctx = ctx if ctx is not None else current_context()
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self.arg_arrays = _arrays("args", args, self._arg_names, False)
        self.grad_arrays = None if args_grad is None else \
            _arrays("args_grad", args_grad, self._arg_names, True)
        self.aux_arrays = _arrays("aux_states", aux_states if aux_states is not None else [],
                                  self._aux_names, False)
        self._grad_req = _grad_reqs(grad_req, self._arg_names)
        self.outputs = []
        self._last = None
        self._forward_fns, self._backward_fns = {}, {}
        self._monitor = None

    # ---- dictionaries -------------------------------------------------------------------------
    @staticmethod
    def _dict(names, arrays):
        if len(set(names)) != len(names):
            raise ValueError(f"Duplicate names detected, {names}")
        return dict(zip(names, arrays or []))

    @property
    def arg_dict(self):
        """Argument name -> bound NDArray."""
        return self._dict(self._arg_names, self.arg_arrays)

    @property
    def grad_dict(self):
        """Argument name -> gradient NDArray (None where ``grad_req`` is 'null')."""
        return self._dict(self._arg_names, self.grad_arrays)

    @property
    def aux_dict(self):
        """Auxiliary state name -> bound NDArray."""
        return self._dict(self._aux_names, self.aux_arrays)

    @property
    def output_dict(self):
        """Output name -> NDArray of the last forward."""
        return self._dict(self._symbol.list_outputs(), self.outputs)

    # ---- running ------------------------------------------------------------------------------
    def _function(self, training):
        fn = self._forward_fns.get(training)
        if fn is None:
            pure = _run.graph_function(self._symbol, self._arg_names, self._aux_names, training)
            fn = self._forward_fns[training] = (pure, jax.jit(pure))
        return fn

    def forward(self, is_train=False, **kwargs):
        """Compute the outputs (``self.outputs``), optionally replacing some arguments."""
        arg_dict = self.arg_dict
        for name, value in kwargs.items():
            if name not in arg_dict:
                raise TypeError(f"Unknown argument {name}")
            if isinstance(value, np.ndarray):
                value = _nd.array(value)
            if not isinstance(value, NDArray):
                raise ValueError("only accept keyword argument of NDArrays and numpy.ndarray")
            if arg_dict[name].shape != value.shape:
                raise ValueError(f"Shape not match! Argument {name}, need: "
                                 f"{arg_dict[name].shape}, received: {value.shape}")
            arg_dict[name][:] = value
        args = [a._data for a in self.arg_arrays]
        aux = [a._data for a in self.aux_arrays]
        key = _random.next_key(concrete=True)
        outs, new_aux = self._function(bool(is_train))[1](args, aux, key)
        self._set_outputs(outs)
        self._last = (bool(is_train), args, aux, key, new_aux)
        if self._monitor is not None:
            self._run_monitor(args, aux, is_train)
        return self.outputs

    def _set_outputs(self, values):
        if len(self.outputs) != len(values) or any(
                o.shape != tuple(v.shape) or o._data.dtype != v.dtype
                for o, v in zip(self.outputs, values)):
            self.outputs = [NDArray(v, self._ctx) for v in values]
            return
        for o, v in zip(self.outputs, values):  # MXNet refreshes the same output arrays
            o._set_data(v)

    def backward(self, out_grads=None, is_train=True):  # noqa: ARG002 - the forward's mode
        """Gradients of the outputs (with head gradients ``out_grads``, ones by default)
        into ``grad_arrays``; auxiliary states updated after a training forward."""
        if self._last is None:
            raise MXNetError("Executor.backward called before forward")
        training, args, aux, key, new_aux = self._last
        heads = self._head_grads(out_grads)
        diff = tuple(i for i, n in enumerate(self._arg_names)
                     if self.grad_arrays is not None and self.grad_arrays[i] is not None
                     and self._grad_req[n] != "null"
                     and np.issubdtype(self.arg_arrays[i].dtype, np.inexact))
        if diff:
            bwd = self._backward_fns.get((training, diff))
            if bwd is None:
                pure = _run.vjp_function(self._function(training)[0], diff)
                bwd = self._backward_fns[(training, diff)] = jax.jit(pure)
            for i, g in zip(diff, bwd(args, aux, key, heads)):
                target = self.grad_arrays[i]
                g = g.astype(target._data.dtype)
                target._set_data(target._data + g if self._grad_req[self._arg_names[i]] == "add"
                                 else g)
        if training:
            for arr, value in zip(self.aux_arrays, new_aux):
                arr._set_data(value)

    def _head_grads(self, out_grads):
        if out_grads is None:
            return [None] * len(self.outputs)
        if isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        elif isinstance(out_grads, dict):
            out_grads = [out_grads[k] for k in self._symbol.list_outputs()]
        if len(out_grads) != len(self.outputs):
            raise MXNetError(f"backward: got {len(out_grads)} head gradients for "
                             f"{len(self.outputs)} outputs")
        heads = []
        for o, g in zip(self.outputs, out_grads):
            if not isinstance(g, NDArray):
                raise TypeError("inputs must be NDArray")
            if g.shape != o.shape:
                raise MXNetError(f"backward: head gradient has shape {g.shape}, expected "
                                 f"{o.shape}")
            heads.append(g._data.astype(o._data.dtype))
        return heads

    # ---- parameters, reshaping, monitoring ----------------------------------------------------
    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy values into the bound argument (and auxiliary) arrays, by name."""
        for params, targets, kind in ((arg_params, self.arg_dict, "arguments"),
                                      (aux_params or {}, self.aux_dict, "auxiliary states")):
            for name, array in params.items():
                if name in targets:
                    targets[name][:] = array.astype(targets[name].dtype)
                elif not allow_extra_params:
                    raise ValueError(f'Find name "{name}" that is not in the {kind}')

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):  # noqa: ARG002
        """A new executor for new input shapes; arrays whose shape is unchanged are shared."""
        graph = _infer.infer_graph(self._symbol, kwargs, default_dtype="float32")
        args = self._reshaped(self._arg_names, self.arg_arrays, graph)
        grads = None if self.grad_arrays is None else [
            None if g is None else (g if g.shape == a.shape else _nd.zeros(a.shape, g.context,
                                                                             g.dtype))
            for g, a in zip(self.grad_arrays, args)]
        aux = self._reshaped(self._aux_names, self.aux_arrays, graph)
        return Executor(self._symbol, self._ctx, args, grads, self._grad_req, aux)

    def _reshaped(self, names, arrays, graph):
        nodes = {n.name: n for n in graph.nodes if n.is_variable()}
        out = []
        for name, arr in zip(names, arrays):
            shape = graph.shape.get((id(nodes[name]), 0))
            if shape is None:
                raise MXNetError(f"reshape: cannot infer the new shape of {name}")
            out.append(arr if arr.shape == shape else _nd.zeros(shape, arr.context, arr.dtype))
        return out

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, array)`` with every node output (and input, with
        ``monitor_all``) after each forward."""
        self._monitor = (callback, monitor_all)

    def _run_monitor(self, args, aux, is_train):
        callback, monitor_all = self._monitor
        internals = self._symbol.get_internals()
        values = dict(zip(self._arg_names, (NDArray(v, self._ctx) for v in args)))
        values.update(zip(self._aux_names, (NDArray(v, self._ctx) for v in aux)))
        from . import autograd
        with autograd.pause(train_mode=is_train):
            outputs = _run.evaluate(internals, values)
        for name, node_entry, value in zip(internals.list_outputs(), internals._outputs,
                                           outputs):
            if monitor_all or not node_entry[0].is_variable():
                callback(name, value)

    def debug_str(self):
        """The bound symbol's ``debug_str()``."""
        return self._symbol.debug_str()


def simple_bind(symbol, ctx, grad_req="write", type_dict=None, shapes=None):
    """Bind ``symbol`` to new zero-filled arrays of the given (and inferred) shapes."""
    ctx = ctx if ctx is not None else current_context()
    dtypes = {k: np.dtype(v).name for k, v in (type_dict or {}).items()}
    graph = _infer.infer_graph(symbol, shapes or {}, dtypes, default_dtype="float32")
    nodes = {n.name: n for n in graph.nodes if n.is_variable()}

    def allocate(name):
        key = (id(nodes[name]), 0)
        if key not in graph.shape:
            given = "".join(f"{k}: {v}\n" for k, v in (shapes or {}).items())
            raise RuntimeError(f"simple_bind error. Arguments:\n{given}cannot infer the shape "
                               f"of '{name}'")
        return _nd.zeros(graph.shape[key], ctx, graph.dtype.get(key, "float32"))

    arg_names = symbol.list_arguments()
    args = [allocate(n) for n in arg_names]
    reqs = _grad_reqs(grad_req, arg_names)
    grads = [None if reqs[n] == "null" else _nd.zeros(a.shape, ctx, a.dtype)
             for n, a in zip(arg_names, args)]
    aux = [allocate(n) for n in symbol.list_auxiliary_states()]
    return Executor(symbol, ctx, args, grads, reqs, aux)
