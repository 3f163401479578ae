"""Automatic differentiation with MXNet's imperative API (``mx.autograd``).

While recording, every operator call is appended to the pending step of the engine
(``mxjax.engine``; or runs at once where capture is off or inside a trace), and its
output NDArrays keep a reference to a ``Node``: the pure function that produced them, a
hashable key naming that function (operator name plus static attributes), and where each
input came from (another node's output, a marked variable, or a constant). ``backward``
walks the graph from the heads and appends ONE node to the same step: ``jax.vjp`` of the
graph replayed as a pure function of the variables and constants. XLA sees the forward
once (the replay is the same code, merged by common-subexpression elimination); the
gradient function is built once per graph structure (node keys and wiring)."""

import threading

import jax
import jax.numpy as jnp

from . import engine
from .base import MXNetError

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "mark_variables", "backward", "grad",
           "Function", "get_symbol"]

_state = threading.local()

_NOT_IN_GRAPH = (
    "Check failed: !AGInfo::IsNone(*i): Cannot differentiate node because it is not in a "
    "computational graph. You need to set is_recording to true or use autograd.record() to "
    "save computational graphs for backward. If you want to differentiate the same graph "
    "twice, you need to pass retain_graph=True to backward.")

_INPLACE_RECORDED = ("Check failed: AGInfo::IsNone(*output): Inplace operations (+=, -=, "
                     "x[:]=, etc) are not supported when recording with autograd.")
_INPLACE_IN_GRAPH = (
    "Check failed: AGInfo::IsNone(*output): Assigning to NDArrays that are already in a "
    "computational graph will cause undefined behavior when evaluating gradients. Please "
    "call backward first to clear the graph or do this out side of a record section. Also "
    "note that you cannot use inplace operations like +=, *=, relu(x, out=x), y[idx]=x, "
    "etc inside a record section.")


def is_recording():
    return getattr(_state, "recording", False)


def is_training():
    return getattr(_state, "training", False)


def set_recording(is_recording):  # noqa: F811 - MXNet's argument name
    """Set the recording state; returns the previous one."""
    prev = getattr(_state, "recording", False)
    _state.recording = bool(is_recording)
    return prev


def set_training(train_mode):
    """Set the training state; returns the previous one."""
    prev = getattr(_state, "training", False)
    _state.training = bool(train_mode)
    return prev


class _RecordingStateScope:
    """Sets recording and/or training state inside a ``with`` block (``None``: unchanged)."""

    def __init__(self, is_record, train_mode):
        self._enter_is_record = is_record
        self._enter_train_mode = train_mode
        self._prev = None

    def __enter__(self):
        self._prev = (is_recording(), is_training())
        if self._enter_is_record and not self._prev[0]:
            engine.begin_step()
        if self._enter_is_record is not None:
            set_recording(self._enter_is_record)
        if self._enter_train_mode is not None:
            set_training(self._enter_train_mode)

    def __exit__(self, *exc):
        set_recording(self._prev[0])
        set_training(self._prev[1])


def record(train_mode=True):
    """Scope in which operations are recorded for differentiation."""
    return _RecordingStateScope(True, train_mode)


def pause(train_mode=False):
    """Scope in which nothing is recorded."""
    return _RecordingStateScope(False, train_mode)


def train_mode():
    """Scope with training-mode behaviour (Dropout, BatchNorm), recording unchanged."""
    return _RecordingStateScope(None, True)


def predict_mode():
    """Scope with inference-mode behaviour, recording unchanged."""
    return _RecordingStateScope(None, False)


# ---------------------------------------------------------------------------------------
# The recorded graph

class Node:
    """One recorded computation: ``fn(*inputs) -> tuple of outputs``.

    ``inputs`` holds ``("node", node, i)``, ``("var", ndarray, value)`` or
    ``("const", value)`` entries; it is ``None`` once the graph has been freed.
    """

    __slots__ = ("fn", "key", "inputs", "keepalive", "on_backward", "graph", "__weakref__")

    def __init__(self, fn, key, inputs, keepalive=None):
        self.fn, self.key, self.inputs, self.keepalive = fn, key, inputs, keepalive
        self.on_backward = None  # MXNet updates BatchNorm's running stats in backward
        # For get_symbol, a node that is no registry operator (a hybridized block) may
        # describe itself: graph() -> (Symbol, variable name of each input or None, inline)
        self.graph = None


def _entry(x):
    """Graph entry for one input (an NDArray or a raw value) and whether it is tracked."""
    node = getattr(x, "_node", None)
    if node is not None:
        if node[0].inputs is None:
            return ("const", x._lazy), False
        return ("node", *node), True
    if getattr(x, "_grad_req", None) is not None:
        return ("var", x, x._lazy), True
    if hasattr(x, "_lazy"):
        return ("const", x._lazy), False
    return ("const", x), False


def record_node(fn, key, inputs, outputs, keepalive=None):
    """Attach a node producing ``outputs`` (NDArrays) if any input is tracked."""
    entries, tracked = [], False
    for x in inputs:
        e, t = _entry(x)
        entries.append(e)
        tracked |= t
    if not tracked:
        return None
    node = Node(fn, key, tuple(entries), keepalive)
    engine.mark_training()
    for i, out in enumerate(outputs):
        out._node = (node, i)
    return node


def check_inplace(target, others=()):
    """MXNet forbids, while recording, writing into an array that is part of a recorded
    graph, and an in-place operation (one that reads ``target`` too) whose other inputs
    ``others`` are."""
    if not is_recording():
        return
    if _tracked(target):
        raise MXNetError(_INPLACE_IN_GRAPH)
    if any(_tracked(x) for x in others):
        raise MXNetError(_INPLACE_RECORDED)


def _tracked(x):
    return getattr(x, "_node", None) is not None or getattr(x, "_grad_req", None) is not None


class _Plan:
    """A graph flattened in topological order, ready to be replayed as a pure function."""

    def __init__(self, heads):
        self.nodes, self.steps = [], []
        self.vars, self.var_values, self.consts = [], [], []
        self._node_pos, self._var_pos = {}, {}
        self.heads = tuple(self._wire_head(h) for h in heads)
        self.diff = tuple(i for i, v in enumerate(self.vars)
                          if v._grad_req != "null" and _has_grad(self.var_values[i]))
        self.key = (tuple(self.steps), self.heads, self.diff)

    def _wire_head(self, head):
        entry, tracked = _entry(head)
        if not tracked:
            raise MXNetError(_NOT_IN_GRAPH)
        return self._wire(entry)

    def _wire(self, entry):
        kind = entry[0]
        if kind == "node":
            return ("n", self._visit(entry[1]), entry[2])
        if kind == "var":
            arr = entry[1]
            if id(arr) not in self._var_pos:
                self._var_pos[id(arr)] = len(self.vars)
                self.vars.append(arr)
                self.var_values.append(entry[2])
            return ("v", self._var_pos[id(arr)])
        self.consts.append(entry[1])
        return ("c", len(self.consts) - 1)

    def _visit(self, root):
        # Iterative post-order DFS: graphs from long loops are deeper than Python's stack.
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in self._node_pos:
                continue
            if node.inputs is None:
                raise MXNetError(_NOT_IN_GRAPH)
            if not expanded:
                stack.append((node, True))
                stack.extend((e[1], False) for e in node.inputs
                             if e[0] == "node" and id(e[1]) not in self._node_pos)
                continue
            wiring = tuple(self._wire(e) for e in node.inputs)
            self._node_pos[id(node)] = len(self.nodes)
            self.nodes.append(node)
            self.steps.append((node.key, wiring))
        return self._node_pos[id(root)]

    def free(self):
        # Also drops on_backward: its closure refers to the node's outputs (a cycle that
        # would keep their values alive, and in a captured step's outputs, until a gc).
        for node in self.nodes:
            node.inputs = None
            node.keepalive = None
            node.on_backward = None


def _has_grad(value):
    # MXNet computes gradients for integer arrays too (in their own dtype).
    return value is not None and (jnp.issubdtype(value.dtype, jnp.inexact) or
                                  jnp.issubdtype(value.dtype, jnp.integer))


def _lift(value):
    """A value JAX can differentiate: integers are replayed in float64, so that index and
    data-movement operators pass their gradients on as MXNet's integer kernels do."""
    return value if jnp.issubdtype(value.dtype, jnp.inexact) else value.astype(jnp.float64)


def _replay(fns, steps, heads, var_values, consts):
    env = []

    def resolve(w):
        if w[0] == "n":
            return env[w[1]][w[2]]
        return var_values[w[1]] if w[0] == "v" else consts[w[1]]

    for fn, (_, wiring) in zip(fns, steps):
        env.append(fn(*[resolve(w) for w in wiring]))
    return [resolve(h) for h in heads]


def _make_gradient_fn(fns, steps, heads, diff):
    """Pure ``(var_values, consts, head_grads) -> grads of the diff variables``; a head
    gradient given as ``None`` means ones (made inside the compiled function)."""

    def gradient(var_values, consts, head_grads):
        def forward(diff_values):
            values = list(var_values)
            for i, v in zip(diff, diff_values):
                values[i] = v
            return _replay(fns, steps, heads, values, consts)

        outs, vjp = jax.vjp(forward, [_lift(var_values[i]) for i in diff])
        cotangents = [jnp.ones_like(o) if g is None else g.astype(o.dtype)
                      for o, g in zip(outs, head_grads)]
        return [g.astype(var_values[i].dtype) for i, g in zip(diff, vjp(cotangents)[0])]

    return gradient


_compiled = {}


def _gradient_fns(plan):
    """(pure, flat) gradient functions for this graph structure, built once per key;
    ``flat(*var_values, *consts, *head_grads)`` returns the tuple of gradients."""
    hit = _compiled.get(plan.key)
    if hit is None:
        pure = _make_gradient_fn([n.fn for n in plan.nodes], plan.steps, plan.heads, plan.diff)
        n_vars, n_consts = len(plan.vars), len(plan.consts)

        def flat(*args):
            return tuple(pure(list(args[:n_vars]), list(args[n_vars:n_vars + n_consts]),
                              list(args[n_vars + n_consts:])))

        hit = _compiled[plan.key] = (pure, flat)
        engine.note_traced("gradient")
    return hit


def _gradients(plan, head_grads):
    """The gradients of ``plan``'s differentiable variables: pending while capturing."""
    _, flat = _gradient_fns(plan)
    ctx = plan.vars[plan.diff[0]].context
    try:
        return engine.call(flat, ("grad", plan.key),
                           [*plan.var_values, *plan.consts, *head_grads], ctx)
    except Exception as e:
        if engine.callback_errors:
            raise engine.callback_errors.pop() from e
        raise


def _head_grads(heads, head_grads):
    """Head gradients as arrays in the heads' dtypes, ``None`` where none was given."""
    given = [None] * len(heads) if head_grads is None else _as_list(head_grads)
    if len(given) != len(heads):
        raise MXNetError(f"backward: got {len(given)} head gradients for {len(heads)} heads")
    values = []
    for h, g in zip(heads, given):
        if g is None:
            values.append(None)
            continue
        value = h._lazy
        if hasattr(g, "_lazy"):
            gv = g._lazy if g.dtype == h.dtype else g.astype(h.dtype)._lazy
        else:
            gv = jnp.asarray(g, value.dtype)
        if tuple(gv.shape) != tuple(value.shape):
            raise MXNetError(f"backward: head_grads has shape {tuple(gv.shape)}, "
                             f"expected {tuple(value.shape)} (the head's shape)")
        values.append(gv)
    return values


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):  # noqa: ARG001
    """Compute the gradients of ``heads`` into the ``.grad`` of the marked variables.

    ``train_mode`` is accepted for compatibility: each operator's training behaviour was
    fixed when it was recorded.
    """
    heads = _as_list(heads)
    plan = _Plan(heads)
    hg = _head_grads(heads, head_grads)
    grads = []
    if plan.diff:
        grads = _gradients(plan, hg)
        engine.mark_training()
        for i, g in zip(plan.diff, grads):
            plan.vars[i]._accumulate_grad(g)
    for node in plan.nodes:
        if node.on_backward is not None:
            node.on_backward()
    _run_host_functions(plan, grads)
    _release(plan, retain_graph)


def _release(plan, retain_graph):
    """Free the graph, or keep it for another backward: then the values it read stay
    theirs (a step must not donate them)."""
    if retain_graph:
        engine.share([*plan.var_values, *plan.consts])
    else:
        plan.free()


def _run_host_functions(plan, grads):
    """A custom operator's or ``Function``'s backward that runs on the host: run it now,
    so that its errors raise here. A Function's is waited for: the objects it uses live
    only as long as the graph."""
    from ._function import is_host_node

    if not any(node.key[0] == "Custom" or is_host_node(node.key) for node in plan.nodes):
        return
    engine.flush("Function.backward")
    if not any(is_host_node(node.key) for node in plan.nodes):
        return
    values = [g.value if type(g) is engine.Pending else g for g in grads]
    try:
        jax.block_until_ready([v for v in values if v is not None])
    except jax.errors.JaxRuntimeError as e:
        if engine.callback_errors:
            raise engine.callback_errors.pop() from e
        raise MXNetError(str(e)) from e


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):  # noqa: ARG001
    """Gradients of ``heads`` with respect to ``variables``, as a list of new NDArrays
    (a list even for one variable, as in MXNet 1.9.1).

    With ``create_graph=True`` the returned gradients are themselves recorded, so they
    can be differentiated again (higher-order gradients).
    """
    from .ndarray.ndarray import NDArray

    heads = _as_list(heads)
    variables = _as_list(variables)
    for v in variables:
        if v._grad_req is None:
            raise MXNetError("grad: every variable must be marked with attach_grad() or "
                             "mark_variables() before recording")
    if retain_graph is None:
        retain_graph = create_graph
    plan = _Plan(heads)
    hg = _head_grads(heads, head_grads)
    want = []
    for v in variables:
        pos = plan._var_pos.get(id(v))
        if pos is None or pos not in plan.diff:
            raise MXNetError("grad: a variable is not part of the graph of the heads")
        want.append(plan.diff.index(pos))
    pure, _ = _gradient_fns(plan)
    grads = _gradients(plan, hg)
    results = [NDArray._wrap(grads[i], v.context) for i, v in zip(want, variables)]
    _run_host_functions(plan, grads)
    if create_graph:
        given = [None] * len(heads) if head_grads is None else _as_list(head_grads)
        head_inputs = [g if g is not None else v for g, v in zip(given, hg)]
        _record_gradient_node(plan, pure, head_inputs, want, results)
    _release(plan, retain_graph)
    return results  # a list even for a single variable, as MXNet 1.9.1 returns


def _record_gradient_node(plan, pure, head_inputs, want, results):
    """Record the gradient computation itself, so ``results`` can be differentiated."""
    n_vars, n_consts = len(plan.vars), len(plan.consts)

    def fn(*args):
        grads = pure(list(args[:n_vars]), list(args[n_vars:n_vars + n_consts]),
                     list(args[n_vars + n_consts:]))
        return tuple(grads[i] for i in want)

    with _RecordingStateScope(True, None):
        record_node(fn, ("grad", plan.key, tuple(want)),
                    [*plan.vars, *plan.consts, *head_inputs], results)


def mark_variables(variables, gradients, grad_reqs="write"):
    """Mark NDArrays as variables whose gradients go into ``gradients``."""
    variables, gradients = _as_list(variables), _as_list(gradients)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not len(variables) == len(gradients) == len(reqs):
        raise MXNetError("mark_variables: variables, gradients and grad_reqs differ in length")
    for var, g, req in zip(variables, gradients, reqs):
        var._mark_variable(g, req)


def get_symbol(x):
    """The recorded computation that produced ``x``, as a Symbol (operators named
    ``node_<i>``, marked variables ``var<i>``, other inputs ``null<i>``)."""
    from .symbol.tape import symbol_of
    return symbol_of(x)


# ---------------------------------------------------------------------------------------
# Custom functions

class Function:
    """A custom differentiable function: subclass and define ``forward`` and ``backward``.

    ``backward`` takes as many arrays as ``forward`` returns and returns one gradient for
    each argument of ``forward``; ``save_for_backward`` keeps arrays for it in
    ``saved_tensors``. ``forward`` runs when the function is called, with recording
    paused. While recording, the function is one node of the recorded graph whose
    gradient is ``backward``, compiled into the backward pass; a ``backward`` that leaves
    JAX (e.g. through ``asnumpy()``) runs on the host instead (see ``mxjax._function``).
    Each instance can be called once, as in MXNet.
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def __call__(self, *inputs):
        from . import _function

        assert not getattr(self, "_used", False), \
            "Each Function instance can only be called once. Please create another instance."
        self._used = True
        return _function.call(self, inputs)

    def forward(self, *inputs):
        """Forward computation."""
        raise NotImplementedError

    def backward(self, *output_grads):
        """Backward computation: takes as many inputs as forward's outputs, and returns
        as many NDArrays as forward's inputs."""
        raise NotImplementedError
