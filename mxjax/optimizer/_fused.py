"""The array part of an optimizer step: every weight's update in one compiled function.

``apply`` gathers the weights, gradients and states of the NDArrays it is given, calls
one ``jax.jit`` function over those pytrees, and rebinds the same NDArrays to the
results. The numbers of the step (learning rates, weight decays, rescale_grad, update
counts...) travel as one float64 table argument, so changing them never recompiles; the
compiled function depends only on the optimizer class, its compiled-in settings, which
weights use multi-precision, and the shapes and dtypes. The update is one engine step
(``engine.step``): the arrays it rebinds own their previous buffers, which XLA then
updates in place.
"""

import functools

import jax.numpy as jnp
import numpy as np

from .. import engine
from .. import random as _random

__all__ = ["apply"]


@functools.cache
def _compiled(cls, static, mp, keys, state_fmt, lazy=None):
    """``pure(*weights, *grads, *state_leaves, table, keys, *row_masks)``
    returns the new weights and state leaves, flat. ``lazy[i]``: weight ``i``'s update
    keeps the rows its (row_sparse) gradient does not store; a row mask per such weight."""
    n = len(mp)
    lazy = lazy or (False,) * n
    n_masks = sum(lazy)

    def run(*args):
        engine.note_traced("optimizer")
        masks = iter(args[len(args) - n_masks:])
        args = args[:len(args) - n_masks]
        weights, grads = args[:n], args[n:2 * n]
        leaves, (table, rng) = list(args[2 * n:-2]), args[-2:]
        states = [_rebuild(leaves, f) for f in state_fmt]
        new_weights, new_leaves = [], []
        for i, (w, g, s) in enumerate(zip(weights, grads, states)):
            hyper = {k: table[i, j] for j, k in enumerate(keys)}
            step = cls._mp_step if mp[i] else cls._step
            new_w, new_s = step(static, w, g, s, hyper, None if rng is None else rng[i])
            leaves_out = _flatten(new_s)[0]
            if lazy[i]:  # MXNet's lazy update: rows the gradient does not store stay
                rows = next(masks)
                new_w = _keep_rows(rows, new_w, w)
                leaves_out = [_keep_rows(rows, new, old)
                              for new, old in zip(leaves_out, _flatten(s)[0])]
            new_weights.append(new_w)
            new_leaves += leaves_out
        return (*new_weights, *new_leaves)

    return run


def _keep_rows(rows, new, old):
    if new.ndim == 0 or new.shape[0] != rows.shape[0]:
        return new
    return jnp.where(rows.reshape((-1,) + (1,) * (new.ndim - 1)), new, old)


def _flatten(state):
    """A state (None, an array or NDArray, or nested tuples/lists of them) -> leaves and a
    format to rebuild it with."""
    if state is None:
        return [], None
    if isinstance(state, (tuple, list)):
        leaves, fmt = [], []
        for s in state:
            sub_leaves, sub = _flatten(s)
            leaves += sub_leaves
            fmt.append(sub)
        return leaves, (type(state), tuple(fmt))
    return [state], 0


def _count(fmt):
    if fmt is None:
        return 0
    return 1 if fmt == 0 else sum(_count(f) for f in fmt[1])


def _rebuild(leaves, fmt):
    if fmt is None:
        return None
    if fmt == 0:
        return leaves.pop(0)
    kind, subs = fmt
    return kind(_rebuild(leaves, f) for f in subs)


def apply(opt, weights, grads, states, hypers, mp, aggregated=False):
    """Update ``weights`` and ``states`` (NDArrays, in place) with ``opt``'s ``_step``;
    ``hypers`` holds one dict of numbers per weight, ``mp`` whether each uses a float32
    master copy. While capturing, the update joins the pending graph."""
    keys = tuple(hypers[0])
    table = np.array([[h[k] for k in keys] for h in hypers],
                     dtype=np.float64).reshape(len(hypers), len(keys))
    cls = type(opt)
    flat = [_flatten(s) for s in states]
    leaves = [leaf for sub_leaves, _ in flat for leaf in sub_leaves]
    state_fmt = tuple(f for _, f in flat)
    static = (opt._static(aggregated), tuple(mp), keys, state_fmt)
    lazy = tuple(bool(opt._lazy(w, g, opt._inner_state(s, m), m, h))
                 for w, g, s, m, h in zip(weights, grads, states, mp, hypers))
    masks = [g._structure() for g, lz in zip(grads, lazy) if lz]
    lazy = lazy if masks else None
    pure = _compiled(cls, *static, lazy)
    rng_keys = _random.next_keys(len(weights)) if cls._random else None  # one per weight
    ctx = weights[0].context
    with engine.step(ctx):
        values = [a._lazy for a in (*weights, *grads, *leaves)]
        result = engine.call(pure, ("optimizer", cls, *static, lazy),
                             [*values, table, rng_keys, *masks], ctx)
        for arr, value in zip((*weights, *leaves), result):
            if hasattr(arr, "_set_updated"):  # a sparse array keeps what it stored
                arr._set_updated(value)
            else:
                arr._set_data(value)
        engine.mark_training()
