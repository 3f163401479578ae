"""``mx.nd.CachedOp``: a Symbol called like an operator on NDArrays.

The whole graph is one compiled function of the inputs (in ``sym.list_inputs()`` order)
and a PRNG key: it runs (or is captured) as one step, and under ``autograd.record()`` it
is recorded as one node, so gradients reach every input.
"""

import itertools

import jax

from .. import autograd, engine
from .. import random as _random
from ..base import MXNetError
from ..symbol import graph_run
from .ndarray import NDArray

__all__ = ["CachedOp"]

_tokens = itertools.count()


class CachedOp:
    """A Symbol compiled once and called with NDArrays: ``op(*inputs, out=None)``.

    ``flags`` (MXNet's ``static_alloc``, ``static_shape``, ...) are accepted; they tune
    MXNet's memory planning, which XLA does on its own.
    """

    def __init__(self, sym, flags=()):
        self._symbol = sym
        self._flags = dict(flags)
        self._input_names = sym.list_inputs()
        self._arg_names = sym.list_arguments()
        self._aux_names = sym.list_auxiliary_states()
        self._token = next(_tokens)
        self._compiled = {}

    def _functions(self, training):
        """``(pure, jitted)``: ``pure(*inputs, key) -> (*outputs, *new_aux_states)``."""
        if training not in self._compiled:
            graph = graph_run.graph_function(self._symbol, self._arg_names, self._aux_names,
                                        training)
            position = {name: i for i, name in enumerate(self._input_names)}
            args = [position[n] for n in self._arg_names]
            aux = [position[n] for n in self._aux_names]

            def pure(*flat):
                outs, new_aux = graph([flat[i] for i in args], [flat[i] for i in aux],
                                      flat[-1])
                return (*outs, *new_aux)

            pure.graph = graph
            self._compiled[training] = (pure, jax.jit(pure))
        return self._compiled[training]

    def __call__(self, *args, **kwargs):
        out = kwargs.pop("out", None)
        if kwargs:
            raise TypeError("CachedOp.__call__ got unexpected keyword argument(s): "
                            + ", ".join(kwargs))
        if len(args) != len(self._input_names):
            raise MXNetError(f"CachedOp: expected {len(self._input_names)} inputs "
                             f"({', '.join(self._input_names)}), got {len(args)}")
        for name, a in zip(self._input_names, args):
            if not isinstance(a, NDArray):
                raise TypeError(f"CachedOp: input '{name}' must be an NDArray, got "
                                f"{type(a).__name__}")
        training = autograd.is_training()
        pure, jitted = self._functions(training)
        ctx = args[0].context if args else None
        key = _random.next_key()
        fn_key = ("cached_op", self._token, training)
        results = engine.call(pure, fn_key, [a._lazy for a in args] + [key], ctx,
                              compiled=jitted)
        wrapped = [NDArray(r, ctx) for r in results]
        n_out = len(results) - len(self._aux_names)
        aux_arrays = [args[self._input_names.index(n)] for n in self._aux_names]
        written = pure.graph.written
        if autograd.is_recording():
            node = autograd.record_node(pure, fn_key, [*args, key], wrapped)
            if node is not None:  # as in a backward pass: BatchNorm's running statistics
                later = [j for j in range(len(aux_arrays)) if j not in written]
                node.on_backward = _write_back([aux_arrays[j] for j in later],
                                               [wrapped[n_out + j] for j in later])
        for j in written:  # what an operator's forward writes (a CustomOp's) is there at once
            aux_arrays[j]._set_data(wrapped[n_out + j]._lazy)
        outputs = wrapped[:n_out]
        if out is not None:
            targets = [out] if isinstance(out, NDArray) else list(out)
            if len(targets) != len(outputs):
                raise MXNetError(f"CachedOp: got {len(targets)} out arrays for "
                                 f"{len(outputs)} outputs")
            for t, o in zip(targets, outputs):
                autograd.check_inplace(t)
                t._assign(o)
            return out
        return outputs[0] if len(outputs) == 1 else outputs


def _write_back(arrays, values):
    def write():
        for a, v in zip(arrays, values):
            a._set_data(v._lazy)

    return write
