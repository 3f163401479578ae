"""A hybridized block as one pure, jit-compiled function.

``CachedBlock`` turns a HybridBlock into ``f(*params, key, *inputs) -> (*outputs,
*new_aux)``: the block's own Python code runs once per input signature, under
``jax.jit`` tracing, with every Parameter reading its traced argument and every random
operator deriving its key from ``key``. Auxiliary states (parameters with
``grad_req='null'``, e.g. BatchNorm's running statistics) come back as outputs; as in
MXNet they are written back when backward runs over the block. Under
``autograd.record`` the whole block is one node of the tape.
"""

import contextlib
import functools
import itertools
import threading

import jax
import numpy as np

from .. import _tracing, autograd, engine
from .. import random as _random
from ..ndarray.ndarray import NDArray

__all__ = ["CachedBlock", "tracing_active"]



_inline = threading.local()
_tokens = itertools.count()


def tracing_active():
    """Whether hybridized children should run inline (inside a parent's trace, or inside
    the imperative pass that finishes a parent's deferred initialisation)."""
    return _tracing.active() or getattr(_inline, "depth", 0) > 0


@contextlib.contextmanager
def _inlined():
    _inline.depth = getattr(_inline, "depth", 0) + 1
    try:
        yield
    finally:
        _inline.depth -= 1


def _flatten(args):
    """Nested lists/tuples of NDArrays (or None) -> flat list and a format to rebuild."""
    if isinstance(args, NDArray) or args is None:
        return [args], 0
    if not isinstance(args, (list, tuple)):
        raise ValueError("When hybridized, the input of HybridBlock must be (nested) list of "
                         f"NDArray, but got {args!r} of type {type(args)}")
    flat, fmt = [], []
    for a in args:
        f, sub = _flatten(a)
        flat += f
        fmt.append(sub)
    return flat, tuple(fmt)


def _mxnet_format(args):
    """MXNet's format of nested arguments: 0 an array, -1 None, a list for a list."""
    if args is None:
        return -1
    if isinstance(args, (list, tuple)):
        return [_mxnet_format(a) for a in args]
    return 0


def _check_format(stored, fmt):
    """ValueError unless ``fmt`` matches the format the block was first called with, up
    to trailing None arguments (defaults), as MXNet checks."""
    if fmt == stored:
        return
    short, long_ = sorted((stored, fmt), key=len)
    if len(short) == len(long_) or long_[:len(short)] != short or \
            any(f != -1 for f in long_[len(short):]):
        raise ValueError("The argument structure of HybridBlock does not match the cached "
                         f"version. Stored format = {stored}, input format = {fmt}")


def _regroup(flat, fmt):
    if fmt == 0:
        return flat.pop(0)
    return [_regroup(flat, f) for f in fmt]


class CachedBlock:
    """The compiled form of one hybridized HybridBlock."""

    def __init__(self, block):
        self.block = block
        self.token = next(_tokens)  # names the compiled function in cache keys (not id())
        seen = {}
        for p in block.collect_params().values():
            seen.setdefault(id(p), p)
        self.params = list(seen.values())
        self._jitted, self._pures = {}, {}
        self._out_fmt = {}
        self._written = {}  # aux positions an operator's forward writes (CustomOp's)
        self._signatures = []
        self._in_format = None  # MXNet's format of the first call's arguments
        self.calls = 0

    def info(self):
        return {"calls": self.calls, "compiles": len(self._signatures),
                "signatures": list(self._signatures)}

    def _aux(self):
        return [p for p in self.params if p.grad_req == "null"]

    def _pure(self, training, in_fmt):
        n_params, aux = len(self.params), self._aux()

        def pure(*flat):
            params, key, inputs = flat[:n_params], flat[n_params], flat[n_params + 1:]
            traced = {id(p): NDArray(v) for p, v in zip(self.params, params)}
            with _tracing.tracing(traced, key) as frame, autograd.pause(train_mode=training):
                _name_symbols(self.params, params, inputs)
                args = _regroup([None if x is None else NDArray(x) for x in inputs], in_fmt)
                out = self.block._imperative_forward(*args)
                flat_out, self._out_fmt[(training, in_fmt)] = _flatten(out)
                self._written[(training, in_fmt)] = _tracing.written_in(
                    frame, [traced[id(p)] for p in aux])
                return (tuple(o._data for o in flat_out)
                        + tuple(traced[id(p)]._data for p in aux))

        return pure

    def _compiled(self, training, in_fmt):
        """``(pure, jitted)``. Captured steps and the recorded backward inline ``pure``, so
        XLA sees the forward once (the backward's replay of it is the same code)."""
        key = (training, in_fmt)
        if key not in self._jitted:
            pure = self._pure(training, in_fmt)
            self._pures[key], self._jitted[key] = pure, jax.jit(pure)
        return self._pures[key], self._jitted[key]

    def _note_signature(self, training, flat):
        sig = (training, tuple(None if x is None else (x.shape, x.dtype) for x in flat))
        if sig in self._signatures:
            return
        self._signatures.append(sig)
        engine.note_traced("hybridized")
        inputs = [None if x is None else (tuple(x.shape), np.dtype(x.dtype)) for x in flat]
        engine.note_signature(("hybridized", self.token, training), tuple(inputs),
                              [f"input {i}" for i in range(len(inputs))],
                              f"hybridized block {self.block.name}")

    def __call__(self, *args):
        flat, in_fmt = _flatten(list(args))
        fmt = _mxnet_format(list(args))
        if self._in_format is None:
            self._in_format = fmt
        _check_format(self._in_format, fmt)
        ctx = next(x.context for x in flat if x is not None)
        if any(p._data is None and p._deferred_init for p in self.params):
            # Infers shapes and finishes init in the same order as an imperative run.
            with autograd.pause(train_mode=autograd.is_training()), _inlined():
                self.block._imperative_forward(*args)
        training = autograd.is_training()
        self.calls += 1
        self._note_signature(training, flat)
        pure, jitted = self._compiled(training, in_fmt)
        param_arrays = [p.data(ctx) for p in self.params]
        key = _random.next_key()
        values = [p._lazy for p in param_arrays] + [key] + \
            [None if x is None else x._lazy for x in flat]
        fn_key = ("hybrid", self.token, training, in_fmt)
        results = engine.call(pure, fn_key, values, ctx, compiled=jitted)
        out_fmt = self._out_fmt[(training, in_fmt)]
        wrapped = [NDArray(r, ctx) for r in results]
        aux = self._aux()
        n_out = len(results) - len(aux)
        written = self._written[(training, in_fmt)]
        if autograd.is_recording():
            node = autograd.record_node(pure, fn_key,
                                        [*param_arrays, key, *flat], wrapped)
            if node is not None:
                later = [j for j in range(len(aux)) if j not in written]
                node.on_backward = _write_back([aux[j] for j in later],
                                               [wrapped[n_out + j] for j in later], ctx)
                node.graph = functools.partial(self._call_graph, in_fmt,
                                               [x is not None for x in flat])
        for j in written:  # as in MXNet, what an operator's forward writes is there at once
            aux[j].data(ctx)._set_data(wrapped[n_out + j]._lazy)
        outs = wrapped[:n_out]
        return _regroup(outs, out_fmt) if out_fmt != 0 else outs[0]

    def _call_graph(self, in_fmt, present):
        """For ``autograd.get_symbol``: the block's graph for a call whose flat inputs
        were ``present`` (or None), the graph variable fed by each input of the recorded
        node (parameters, the PRNG key, the inputs) and whether MXNet would inline it."""
        from .. import symbol
        from .symbol_block import _flatten_symbols, symbolic_forward

        n = sum(present)
        names = iter(["data"] if n == 1 else [f"data{i}" for i in range(n)])
        flat = [symbol.var(next(names)) if p else None for p in present]
        outputs, _ = _flatten_symbols(symbolic_forward(self.block,
                                                        *_regroup(list(flat), in_fmt)))
        graph = symbol.Group(outputs) if len(outputs) > 1 else outputs[0]
        n_ops = sum(1 for node in graph.get_internals()._outputs if not node[0].is_variable())
        inline = not self.block._flags.get("static_alloc", False) and \
            n_ops <= self.block._flags.get("inline_limit", 2)
        names = [p.name for p in self.params] + [None] + \
            [None if s is None else s.name for s in flat]
        return graph, names, inline


def _name_symbols(params, param_values, inputs):
    """MXNet's names for what a hybridized forward receives: ``data`` (``data0``,
    ``data1``... for several inputs) and each parameter's own name."""
    for p, v in zip(params, param_values):
        _tracing.set_name(v, p.name)
    given = [x for x in inputs if x is not None]
    for i, x in enumerate(given):
        _tracing.set_name(x, "data" if len(given) == 1 else f"data{i}")


def _write_back(aux_params, new_values, ctx):
    def write():
        for p, v in zip(aux_params, new_values):
            p.data(ctx)._set_data(v._lazy)

    return write
