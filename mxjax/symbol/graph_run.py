"""Run a Symbol's graph on NDArrays, one registry operator per node.

``evaluate`` calls each node's operator through the same path as ``mx.nd`` (so it runs
eagerly and is recorded by autograd, or is traced inside a hybridized block).
``graph_function`` wraps it as a pure function of arrays, which ``Executor`` compiles
with ``jax.jit`` and differentiates with ``jax.vjp``.
"""

import jax
import jax.numpy as jnp

from .. import _tracing, autograd
from ..ndarray.ndarray import NDArray
from ..ndarray.register import invoke

__all__ = ["evaluate", "graph_function", "vjp_function", "input_gradients"]


def evaluate(symbol, values, on_input=None):
    """The outputs (NDArrays) of ``symbol`` given ``values``: variable name -> NDArray.
    ``on_input(node, j, value)``, if given, returns what operator ``node`` receives as
    its input ``j`` instead of ``value``."""
    results = {}
    for node in symbol._nodes():
        if node.is_variable():
            if node.name not in values:
                raise KeyError(node.name)
            results[id(node)] = [values[node.name]]
            continue
        spec = node.spec
        given = [results[id(c)][i] for c, i, _ in node.inputs]
        if on_input is not None:
            given = [on_input(node, j, v) for j, v in enumerate(given)]
        if spec.variadic:
            inputs = given
        else:
            by_name = dict(zip(node.input_names(), given))
            inputs = [by_name.get(n) for n in spec.input_list(node.op_attrs())]
        out = invoke(spec, inputs, dict(node.params))
        results[id(node)] = out if isinstance(out, list) else [out]
    return [results[id(node)][i] for node, i in symbol._outputs]


def graph_function(symbol, arg_names, aux_names, training):
    """``f(arg_values, aux_values, key) -> (outputs, new_aux_values)`` on jax arrays.

    Auxiliary states come back updated as in a backward pass over the graph (BatchNorm's
    running statistics in training mode), except those an operator's forward writes (a
    CustomOp's): once traced, ``fn.written`` holds their positions. Random operators draw
    from ``key``.
    """

    def fn(arg_values, aux_values, key):
        with _tracing.tracing({}, key) as frame, autograd.pause(train_mode=training):
            aux = [NDArray(v) for v in aux_values]
            values = dict(zip(arg_names, (NDArray(v) for v in arg_values)))
            values.update(zip(aux_names, aux))
            outputs = evaluate(symbol, values)
            fn.written = _tracing.written_in(frame, aux)
            return [o._data for o in outputs], [a._data for a in aux]

    fn.written = ()
    fn.__name__ = fn.__qualname__ = "symbol_forward"  # the program's name in profiles
    return fn


def vjp_function(fn, diff):
    """``g(arg_values, aux_values, key, head_grads)``: gradients of the arguments at
    positions ``diff``; a head gradient of ``None`` means ones."""

    def grads(arg_values, aux_values, key, head_grads):
        def forward(diff_values):
            values = list(arg_values)
            for i, v in zip(diff, diff_values):
                values[i] = v
            return fn(values, aux_values, key)[0]

        outs, pullback = jax.vjp(forward, [arg_values[i] for i in diff])
        cotangents = [jnp.ones_like(o) if g is None else g
                      for o, g in zip(outs, head_grads)]
        return pullback(cotangents)[0]

    grads.__name__ = grads.__qualname__ = "symbol_backward"
    return grads


def input_gradients(symbol, arg_names, aux_names, training, edges, arg_values, aux_values,
                    key, head_grads):
    """The gradient of the outputs (with ``head_grads``, None meaning ones) with respect to
    each input ``(node, j)`` in ``edges`` as that operator alone consumes it: what the
    backward node of ``node`` produces in MXNet's graph. Runs op by op (for monitors)."""
    wanted = {(id(node), j) for node, j in edges}
    seen = {}

    def forward(perturbations):
        def on_input(node, j, value):
            if (id(node), j) not in wanted:
                return value
            seen[(id(node), j)] = value._data
            extra = perturbations.get(f"{id(node)}:{j}")
            return value if extra is None else NDArray(value._data + extra)

        with _tracing.tracing({}, key), autograd.pause(train_mode=training):
            values = dict(zip(arg_names, (NDArray(v) for v in arg_values)))
            values.update(zip(aux_names, (NDArray(v) for v in aux_values)))
            return [o._data for o in evaluate(symbol, values, on_input)]

    forward({})  # the inputs' shapes and dtypes
    zeros = {f"{k[0]}:{k[1]}": jnp.zeros_like(v) for k, v in seen.items()}
    outs, pullback = jax.vjp(forward, zeros)
    cotangents = [jnp.ones_like(o) if g is None else g for o, g in zip(outs, head_grads)]
    grads = pullback(cotangents)[0]
    return {(id(node), j): grads[f"{id(node)}:{j}"] for node, j in edges}
