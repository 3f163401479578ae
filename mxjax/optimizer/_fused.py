"""The array part of an optimizer step: every weight's update in one compiled function.

``apply`` gathers the weights, gradients and states of the NDArrays it is given, calls
one ``jax.jit`` function over those pytrees, and rebinds the same NDArrays to the
results. The numbers of the step (learning rates, weight decays, rescale_grad, update
counts...) travel as one float64 table argument, so changing them never recompiles; the
compiled function depends only on the optimizer class, its compiled-in settings, which
weights use multi-precision, and the shapes and dtypes. With ``donate`` the weight and
state buffers are donated to XLA, which then updates them in place.
"""

import functools
import sys

import jax
import jax.numpy as jnp
import numpy as np

from .. import random as _random
from ..ndarray.ndarray import NDArray

__all__ = ["apply", "trace_count"]

_traces = [0]


def trace_count():
    """How many times an update function has been traced (compiled) so far."""
    return _traces[0]


@functools.cache
def _compiled(cls, static, mp, keys, donate):
    def run(weights, grads, states, table, rng):
        _traces[0] += 1
        new_weights, new_states = [], []
        for i, (w, g, s) in enumerate(zip(weights, grads, states)):
            hyper = {k: table[i, j] for j, k in enumerate(keys)}
            step = cls._mp_step if mp[i] else cls._step
            new_w, new_s = step(static, w, g, s, hyper, None if rng is None else rng[i])
            new_weights.append(new_w)
            new_states.append(new_s)
        return new_weights, new_states

    return jax.jit(run, donate_argnums=(0, 2) if donate else ())


def _exclusive(arr):
    # Only the NDArray refers to this buffer's Python object (the extra count is the
    # argument of getrefcount). Shared values (a Parameter set from a user's array, a
    # recorded graph kept with retain_graph) are copied rather than donated.
    return arr._root is None and sys.getrefcount(arr._value) <= 2


def _value(arr, donate):
    if donate and not _exclusive(arr):
        return jnp.array(arr._data, copy=True)
    return arr._data


def _values(state, donate):
    if isinstance(state, NDArray):
        return _value(state, donate)
    if isinstance(state, (tuple, list)):
        return type(state)(_values(s, donate) for s in state)
    return None


def _write(state, value):
    if isinstance(state, NDArray):
        state._set_data(value)
    elif isinstance(state, (tuple, list)):
        for s, v in zip(state, value):
            _write(s, v)


def apply(opt, weights, grads, states, hypers, mp, aggregated=False, donate=False):
    """Update ``weights`` and ``states`` (NDArrays, in place) with ``opt``'s ``_step``;
    ``hypers`` holds one dict of numbers per weight, ``mp`` whether each uses a float32
    master copy."""
    keys = tuple(hypers[0])
    table = np.array([[h[k] for k in keys] for h in hypers], dtype=np.float64)
    cls = type(opt)
    fn = _compiled(cls, opt._static(aggregated), tuple(mp), keys, donate)
    rng = jax.random.split(_random.next_key(), len(weights)) if cls._random else None
    new_weights, new_states = fn([_value(w, donate) for w in weights],
                                 [g._data for g in grads],
                                 [_values(s, donate) for s in states],
                                 table.reshape(len(hypers), len(keys)), rng)
    for w, v in zip(weights, new_weights):
        w._set_data(v)
    _write(states, new_states)
