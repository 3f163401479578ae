"""``Executor``: a Symbol bound to argument, gradient and auxiliary-state arrays.

``forward`` runs the whole graph as one jit-compiled pure function of the argument and
auxiliary arrays; ``backward`` runs ``jax.vjp`` of that function (compiled once as
well) on the values of the last forward, writes the gradients (``grad_req`` 'write' or
'add') and, after a training forward, the updated auxiliary states (BatchNorm's running
statistics, which MXNet 1.9.1 updates in the backward pass).
"""

import copy
import functools
import os

import jax
import numpy as np

from . import engine
from . import random as _random
from .base import MXNetError
from .context import current_context
from .ndarray import ndarray as _nd
from .ndarray.ndarray import NDArray
from .symbol import graph_cache, graph_run, inference, passes
from .util import is_np_shape

__all__ = ["Executor", "simple_bind", "monitored_values", "forward_batch"]

_NO_KEY = np.zeros(2, np.uint32)  # the key argument of a graph without random operators


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
        # arrays placed on other devices (group2ctx): moved here to run, results moved back
        device = self._ctx.jax_device
        self._placed = any(a is not None and a.context.jax_device != device
                           for a in self.arg_arrays + (self.grad_arrays or []) + self.aux_arrays)
        self._outputs = None
        self._last = None
        self._monitor = None
        self._settle_creation_shapes()
        self._structure = graph_cache.structure_key(self._symbol, self._arg_names,
                                               self._aux_names) or ("this executor", object())
        # Read at bind, as MXNet's executor applies its graph passes then.
        self._eliminate_common_expr = os.environ.get("MXNET_ELIMINATE_COMMON_EXPR", "1") != "0"
        self._uses_random = passes.uses_random(self._symbol)
        # Without an operator that reads the mode, training and predict forwards are one
        # program: compile it once.
        self._mode_dependent = any(not n.is_variable() and
                                   n.spec.depends_on_training(n.op_attrs())
                                   for n in self._symbol._nodes())
        diff = self._diff_positions()
        self._backward_nodes = passes.backward_nodes(
            self._symbol, {self._arg_names[i] for i in diff}) if diff else set()

    def _settle_creation_shapes(self):
        """``mx.sym.ones(shape=(-1, 3))``: a creation operator's unknown dimensions come
        from shape inference over the bound arrays, as MXNet infers them at bind."""
        unknown = -1 if is_np_shape() else 0
        nodes = [n for n in self._symbol._nodes() if not n.is_variable() and n.spec.creation
                 and any(d < 0 or d == unknown for d in _shape_tuple(n.params.get("shape")))]
        if not nodes:
            return
        shapes = {n: a.shape for n, a in zip(self._arg_names, self.arg_arrays)}
        shapes.update((n, a.shape) for n, a in zip(self._aux_names, self.aux_arrays))
        graph = inference.infer_graph(self._symbol, shapes, default_dtype="float32")
        for node in nodes:
            shape = graph.shape.get((id(node), 0))
            if shape is None:
                raise MXNetError(f"{node.name} ({node.op}): cannot infer the unknown "
                                 f"dimensions of shape {node.params['shape']} at bind")
            node.params["shape"] = shape

    def _diff_positions(self):
        """Positions of the arguments that get gradients: a gradient array, a grad_req
        other than 'null' and a floating-point dtype."""
        if self.grad_arrays is None:
            return ()
        return tuple(i for i, n in enumerate(self._arg_names)
                     if self.grad_arrays[i] is not None and self._grad_req[n] != "null"
                     and np.issubdtype(self.arg_arrays[i].dtype, np.inexact))

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

    @property
    def outputs(self):
        """The output NDArrays: allocated at bind as in MXNet (zeros until a forward),
        refreshed in place by each forward."""
        if self._outputs is None:
            self._outputs = [_nd.empty(shape, self._ctx, dtype)
                             for shape, dtype in self._output_avals()]
        return self._outputs

    @outputs.setter
    def outputs(self, arrays):
        self._outputs = list(arrays)

    def _output_avals(self):
        args, aux = self._inputs()
        outs, _ = jax.eval_shape(self._function(False, args, aux)[0], args, aux,
                                 jax.ShapeDtypeStruct((2,), np.uint32))
        return [(tuple(o.shape), np.dtype(o.dtype)) for o in outs]

    # ---- running ------------------------------------------------------------------------------
    def _function(self, training, args, aux):
        return graph_cache.forward(self._structure, self._symbol, self._arg_names,
                              self._aux_names, training and self._mode_dependent, args, aux)

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
        args, aux = self._inputs()
        key = _random.next_key(concrete=True) if self._uses_random else _NO_KEY
        pure, jitted = self._function(bool(is_train), args, aux)
        outs, new_aux = engine.run_compiled(jitted, args, aux, key)
        self._set_outputs(outs)
        for i in pure.written:  # a CustomOp's forward writes its auxiliary states at once
            self._write(self.aux_arrays[i], new_aux[i])
        self._last = (bool(is_train), args, aux, key, new_aux)
        if self._monitor is not None:
            self._run_monitor(args, aux, is_train)
        return self.outputs

    def _set_outputs(self, values):
        current = self._outputs
        if current is None or len(current) != len(values) or any(
                o.shape != tuple(v.shape) or o.dtype != v.dtype
                for o, v in zip(current, values)):
            self._outputs = [NDArray(v, self._ctx) for v in values]
            return
        for o, v in zip(current, values):  # MXNet refreshes the same output arrays
            o._set_data(v)

    def backward(self, out_grads=None, is_train=True):  # noqa: ARG002 - the forward's mode
        """Gradients of the outputs (with head gradients ``out_grads``, ones by default)
        into ``grad_arrays``; auxiliary states updated after a training forward."""
        if self._last is None:
            self._last = self._state_without_forward(bool(is_train))
        training, args, aux, key, new_aux = self._last
        heads = self._head_grads(out_grads)
        diff = self._diff_positions()
        for i, target in enumerate(self.grad_arrays or ()):
            # integer arguments get no gradient through JAX: MXNet writes zeros there
            if (i not in diff and target is not None
                    and self._grad_req[self._arg_names[i]] == "write"):
                target._set_data(_nd.zeros(target.shape, target.context, target.dtype)._data)
        if diff:
            bwd = graph_cache.backward(self._structure, self._symbol, self._arg_names,
                                  self._aux_names, training and self._mode_dependent, diff,
                                  args, aux, heads)
            added = []
            for i, g in zip(diff, engine.run_compiled(bwd, args, aux, key, heads)):
                if self._grad_req[self._arg_names[i]] == "add":
                    added.append((self.grad_arrays[i], g))
                else:
                    self._write(self.grad_arrays[i], g.astype(self.grad_arrays[i]._data.dtype))
            if added:  # one compiled sum for all of them, not one per shape
                sums = _accumulate([self._here(t._data) for t, _ in added],
                                   [g for _, g in added])
                for (target, _), total in zip(added, sums):
                    self._write(target, total)
        if self._monitor is not None and self._backward_nodes:
            self._run_backward_monitor(training, args, aux, key, heads)
        if training:
            written = self._function(training, args, aux)[0].written
            for i, (arr, value) in enumerate(zip(self.aux_arrays, new_aux)):
                if i not in written:
                    self._write(arr, value)

    def _here(self, value):
        return jax.device_put(value, self._ctx.jax_device) if self._placed else value

    def _inputs(self):
        """The argument and auxiliary values, on this executor's device."""
        return ([self._here(a._data) for a in self.arg_arrays],
                [self._here(a._data) for a in self.aux_arrays])

    def _write(self, target, value):
        """``target``'s new value ``value``, moved to target's device if elsewhere."""
        if self._placed:
            value = jax.device_put(value, target.context.jax_device)
        target._set_data(value)

    def _state_without_forward(self, training):
        """What ``backward`` needs of a forward that never ran. MXNet then runs the
        backward pass on whatever its forward buffers hold; mxjax differentiates at the
        current arguments."""
        args, aux = self._inputs()
        key = _random.next_key(concrete=True) if self._uses_random else _NO_KEY
        new_aux = []
        if training and aux:
            new_aux = engine.run_compiled(self._function(training, args, aux)[1], args, aux,
                                          key)[1]
        return training, args, aux, key, new_aux

    def _head_grads(self, out_grads):
        if out_grads is None:
            return [None] * len(self.outputs)
        if isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        elif isinstance(out_grads, dict):
            out_grads = [out_grads[k] for k in self._symbol.list_outputs()]
        heads = []
        # As in MXNet, a head gradient must have its output's shape only where the backward
        # pass reads it; head gradients past the last output are ignored.
        for i, (o, (node, _)) in enumerate(zip(self.outputs, self._symbol._outputs)):
            needed = id(node) in self._backward_nodes
            g = out_grads[i] if i < len(out_grads) else None
            if g is None:  # ones, as for ``out_grads=None``
                heads.append(None)
                continue
            if not isinstance(g, NDArray):
                raise TypeError("inputs must be NDArray")
            if g.shape != o.shape:
                if needed:
                    raise MXNetError(f"backward: operands shape mismatch: head gradient "
                                     f"{i} has shape {g.shape}, output {o.shape}")
                heads.append(None)
                continue
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

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new argument shapes that shares memory with this one.

        Shapes are inferred from the ``kwargs`` given. An array whose new shape is no
        larger than before is a view of the first elements of this executor's array
        (the same array when the shape is unchanged); a larger one is newly allocated,
        which needs ``allow_up_sizing``. An argument not given whose shape changes needs
        ``partial_shaping``. Outputs reuse this executor's output memory likewise.
        """
        given = {k: v for k, v in kwargs.items() if isinstance(v, tuple)}
        graph = inference.infer_graph(self._symbol, given, default_dtype="float32")
        nodes = {n.name: n for n in graph.nodes if n.is_variable()}

        def new_shape(name, arr, provided):
            shape = graph.shape.get((id(nodes[name]), 0))
            if shape is None:
                raise MXNetError(f"reshape: cannot infer the new shape of {name}")
            if not (partial_shaping or provided or shape == arr.shape):
                raise MXNetError(
                    f"Shape of unspecified arg: {name} changed. This can cause the new "
                    "executor to not share parameters with the old one. Please check for "
                    "error in network. If this is intended, set partial_shaping=True to "
                    "suppress this warning.")
            return shape

        def share(name, arr, shape):
            return None if arr is None else _share_memory(arr, shape, allow_up_sizing, name)

        args, grads = [], []
        for i, name in enumerate(self._arg_names):
            shape = new_shape(name, self.arg_arrays[i], name in given)
            args.append(share(name, self.arg_arrays[i], shape))
            grads.append(None if self.grad_arrays is None else
                         share(name, self.grad_arrays[i], shape))
        aux = [share(name, arr, new_shape(name, arr, False))
               for name, arr in zip(self._aux_names, self.aux_arrays)]
        executor = Executor(self._symbol, self._ctx, args,
                            None if self.grad_arrays is None else grads, self._grad_req, aux)
        executor._monitor = self._monitor
        executor._outputs = [
            _share_memory(old, shape, True, None) if np.dtype(old.dtype) == dtype
            else _nd.empty(shape, self._ctx, dtype)
            for old, (shape, dtype) in zip(self.outputs, executor._output_avals())]
        return executor

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, array)`` with every node output (and input, with
        ``monitor_all``) after each forward."""
        self._monitor = (callback, monitor_all)

    def _run_monitor(self, args, aux, is_train):
        callback, monitor_all = self._monitor
        values = dict(zip(self._arg_names, (NDArray(v, self._ctx) for v in args)))
        values.update(zip(self._aux_names, (NDArray(v, self._ctx) for v in aux)))
        for name, _, value, _ in monitored_values(self._symbol, values, is_train, monitor_all):
            callback(name, value)

    def _run_backward_monitor(self, training, args, aux, key, heads):
        """As MXNet's executor reports its backward nodes (named ``<node>_backward``, in
        reverse order): the gradient for each input of each operator the backward pass
        runs, ``<node>_backward_output`` (``output<i>`` with several inputs). Auxiliary
        inputs get none; the inputs of backward nodes (``monitor_all``) are not
        reported."""
        callback, _ = self._monitor
        aux_names = set(self._aux_names)
        reported = []
        for node in reversed(self._symbol._nodes()):
            if id(node) not in self._backward_nodes:
                continue
            edges = [(node, j) for j, (child, _, _) in enumerate(node.inputs)
                     if not (child.is_variable() and child.name in aux_names)]
            reported.append((node, edges))
        with engine.suspended():
            grads = graph_run.input_gradients(self._symbol, self._arg_names, self._aux_names,
                                         training and self._mode_dependent,
                                         [e for _, edges in reported for e in edges],
                                         args, aux, key, heads)
        for node, edges in reported:
            for k, (_, j) in enumerate(edges):
                name = f"{node.name}_backward_output" + (str(k) if len(edges) > 1 else "")
                value = grads[(id(node), j)]
                if value.dtype == jax.dtypes.float0:  # an integer input: no gradient
                    value = np.zeros(value.shape, np.float32)
                callback(name, NDArray(value, self._ctx))

    def debug_str(self):
        """The bound symbol's ``debug_str()`` and, as MXNet reports it, the memory planned
        for the node outputs (and their gradients, when a backward pass is bound)."""
        shapes = {n: a.shape for n, a in zip(self._arg_names, self.arg_arrays)}
        shapes.update((n, a.shape) for n, a in zip(self._aux_names, self.aux_arrays))
        dtypes = {n: np.dtype(a.dtype).name for n, a in zip(self._arg_names, self.arg_arrays)}
        dtypes.update((n, np.dtype(a.dtype).name) for n, a in zip(self._aux_names,
                                                                   self.aux_arrays))
        graph = inference.infer_graph(self._symbol, shapes, dtypes, default_dtype="float32")
        total = passes.planned_bytes(self._symbol, graph.shape, graph.dtype,
                                      self._backward_nodes)
        return self._symbol.debug_str() + f"Total {total >> 20} MB allocated\n"

    def get_optimized_symbol(self):
        """The graph after the passes MXNet applies at bind: common subexpressions
        eliminated unless ``MXNET_ELIMINATE_COMMON_EXPR=0`` was set then."""
        if self._eliminate_common_expr:
            return passes.eliminate_common_expr(self._symbol)
        return copy.deepcopy(self._symbol)


def _shape_tuple(shape):
    if shape is None:
        return ()
    return (shape,) if isinstance(shape, int) else tuple(shape)


def monitored_values(symbol, values, is_train, monitor_all=False):
    """What MXNet's monitors report of ``symbol`` run on ``values`` (NDArrays of every
    argument and auxiliary state, by name), in MXNet's order: node by node, its inputs
    when ``monitor_all``, then its outputs. Yields ``(name, operator name, NDArray,
    alias)``; ``alias`` marks a variable input reported again under its own name (the
    executor's monitor does, a block's op hook does not)."""
    from . import autograd

    internals = symbol.get_internals()
    with autograd.pause(train_mode=is_train):
        outputs = graph_run.evaluate(internals, values)
    value_of = {(id(node), i): value for (node, i), value in zip(internals._outputs, outputs)}
    for node in symbol._nodes():
        if node.is_variable():
            continue
        if monitor_all:
            names = node.spec.monitor_input_names(node.op_attrs(), len(node.inputs))
            for name, (child, i, _) in zip(names, node.inputs):
                value = value_of[(id(child), i)]
                if child.is_variable():
                    yield child.name, node.op, value, True
                yield f"{node.name}_{name}", node.op, value, False
        for i, name in enumerate(node.output_names()):
            yield name, node.op, value_of[(id(node), i)], False


def forward_batch(executor, name, values, is_train=True):
    """``executor.outputs[0]`` for each of ``values`` (stacked on a new first axis) bound
    to argument ``name``, every other argument and auxiliary state as bound: one
    vectorized program (``mx.test_utils.numeric_grad`` runs its many perturbed forwards
    this way). Returns a numpy array with the batch axis first."""
    pos = executor._arg_names.index(name)
    args = [a._data for a in executor.arg_arrays]
    aux = [a._data for a in executor.aux_arrays]
    pure, _ = executor._function(bool(is_train), args, aux)
    key = _random.next_key(concrete=True) if executor._uses_random else _NO_KEY
    values = jax.device_put(np.asarray(values, dtype=executor.arg_arrays[pos].dtype),
                            args[pos].devices().pop())
    return np.asarray(engine.run_compiled(_batched(pure, pos), values, args, aux, key))


@functools.lru_cache(maxsize=64)
def _batched(pure, pos):
    def first_output(value, args, aux, key):
        args = list(args)
        args[pos] = value
        return pure(args, aux, key)[0][0]

    return jax.jit(jax.vmap(first_output, in_axes=(0, None, None, None)))


@jax.jit
def _accumulate(totals, grads):
    return [t + g.astype(t.dtype) for t, g in zip(totals, grads)]


def _share_memory(arr, shape, allow_up_sizing, name):
    """``arr`` seen with ``shape``: itself, a view of its first elements (as MXNet's
    ``NDArray::Reshape``), or, when larger, a new array (needs ``allow_up_sizing``)."""
    if arr.shape == shape:
        return arr
    size = int(np.prod(shape, dtype=np.int64))
    if size > arr.size:
        if not allow_up_sizing:
            raise MXNetError(
                f"New shape of arg: {name} is larger than original. First making a big "
                "executor and then down sizing it is more efficient than the reverse. If "
                "you really want to up size, set allow_up_sizing=True to enable allocation "
                "of new arrays.")
        return _nd.empty(shape, arr.context, arr.dtype)
    flat = arr.reshape((-1,))
    return (flat if size == arr.size else flat[:size]).reshape(shape)


def simple_bind(symbol, ctx, grad_req="write", type_dict=None, shapes=None, group2ctx=None):
    """Bind ``symbol`` to new zero-filled arrays of the given (and inferred) shapes. With
    ``group2ctx`` (``{ctx_group: Context}``), a variable declared in a ``ctx_group``
    (``AttrScope(ctx_group=...)``) has its arrays, and gradient, on that group's
    context; the graph still runs as one program on ``ctx``."""
    ctx = ctx if ctx is not None else current_context()
    attrs = symbol.attr_dict()

    def ctx_of(name):
        group = attrs.get(name, {}).get("__ctx_group__")
        return (group2ctx or {}).get(group, ctx)
    dtypes = {k: np.dtype(v).name for k, v in (type_dict or {}).items()}
    graph = inference.infer_graph(symbol, shapes or {}, dtypes, default_dtype="float32")
    nodes = {n.name: n for n in graph.nodes if n.is_variable()}

    def allocate(name):
        key = (id(nodes[name]), 0)
        if key not in graph.shape:
            given = "".join(f"{k}: {v}\n" for k, v in (shapes or {}).items())
            raise RuntimeError(f"simple_bind error. Arguments:\n{given}cannot infer the shape "
                               f"of '{name}'")
        return _nd.empty(graph.shape[key], ctx_of(name), graph.dtype.get(key, "float32"))

    arg_names = symbol.list_arguments()
    args = [allocate(n) for n in arg_names]
    reqs = _grad_reqs(grad_req, arg_names)
    grads = [None if reqs[n] == "null" else _nd.empty(a.shape, a.context, a.dtype)
             for n, a in zip(arg_names, args)]
    aux = [allocate(n) for n in symbol.list_auxiliary_states()]
    return Executor(symbol, ctx, args, grads, reqs, aux)
