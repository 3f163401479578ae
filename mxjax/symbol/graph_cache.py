"""Compiled graph functions shared by every Executor.

MXNet code binds the same graph many times (``bind`` per batch size, per test case,
``Executor.reshape``, a Module's executors). The jit-compiled forward and backward of a
graph are therefore cached here, not on the Executor: the key is the graph's structure
(operators, their attributes, the wiring, which variable feeds which argument position),
the mode (training, which arguments get gradients) and the argument shapes and dtypes.
Names of nodes play no part, so ``fc1`` and ``fc2`` graphs of one shape share the code.
The cache is a bounded LRU; an evicted function frees its executables with it.
"""

import collections
import threading

import jax

from . import graph_run

__all__ = ["structure_key", "forward", "backward", "clear", "cache_info"]

_MAX_ENTRIES = 256

_entries = collections.OrderedDict()
_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0}


def structure_key(symbol, arg_names, aux_names):
    """A hashable description of everything in ``symbol`` that decides what its graph
    computes, or ``None`` when some attribute cannot be hashed (then the caller keys its
    functions by something of its own)."""
    position = {name: ("arg", i) for i, name in enumerate(arg_names)}
    position.update((name, ("aux", i)) for i, name in enumerate(aux_names))
    nodes = symbol._nodes()
    index = {id(n): i for i, n in enumerate(nodes)}
    parts = []
    for node in nodes:
        if node.is_variable():
            parts.append(("var", position.get(node.name, node.name)))
            continue
        attrs = tuple(sorted((k, type(v).__name__, v) for k, v in node.op_attrs().items()))
        parts.append((node.op, attrs, tuple((index[id(c)], i) for c, i, _ in node.inputs)))
    key = (tuple(parts), tuple((index[id(n)], i) for n, i in symbol._outputs),
           len(arg_names), len(aux_names))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _avals(arrays):
    return tuple((tuple(a.shape), str(a.dtype)) for a in arrays)


def _lookup(key, build):
    with _lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries.move_to_end(key)
            _stats["hits"] += 1
            return entry
    entry = build()
    with _lock:
        _stats["misses"] += 1
        _entries[key] = entry
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
    return entry


def forward(structure, symbol, arg_names, aux_names, training, args, aux):
    """``(pure, jitted)`` forward of the graph: ``f(args, aux, key) -> (outputs, new aux)``,
    compiled for the shapes and dtypes of ``args`` and ``aux``."""
    def build():
        pure = graph_run.graph_function(symbol, arg_names, aux_names, training)
        return pure, jax.jit(pure)

    return _lookup(("forward", structure, training, _avals(args), _avals(aux)), build)


def backward(structure, symbol, arg_names, aux_names, training, diff, args, aux, heads):
    """The jitted gradient function of the arguments at positions ``diff`` (see
    ``graph_run.vjp_function``); ``heads`` are the head gradients (``None``: ones)."""
    def build():
        pure = forward(structure, symbol, arg_names, aux_names, training, args, aux)[0]
        return jax.jit(graph_run.vjp_function(pure, diff))

    given = tuple(h is not None for h in heads)
    return _lookup(("backward", structure, training, diff, given, _avals(args), _avals(aux)),
                   build)


def clear():
    """Drop every cached function."""
    with _lock:
        _entries.clear()


def cache_info():
    """``{'hits', 'misses', 'size', 'max_size'}`` of the shared cache."""
    with _lock:
        return dict(_stats, size=len(_entries), max_size=_MAX_ENTRIES)
