"""State of a hybridized block being traced into one pure function.

While a ``HybridBlock`` is traced under ``jax.jit``, its Parameters read their values
from the traced arguments instead of their stored arrays, and random operators derive
their keys from the traced key argument, so nothing is baked into the compiled function.
"""

import contextlib
import threading

import jax

__all__ = ["active", "tracing", "param_value", "next_key"]

_state = threading.local()


def active():
    return getattr(_state, "frame", None) is not None


@contextlib.contextmanager
def tracing(param_values, key):
    """Inside: ``param_value(p)`` gives the traced NDArray of Parameter ``p``."""
    previous = getattr(_state, "frame", None)
    _state.frame = {"params": param_values, "key": key, "counter": 0}
    try:
        yield _state.frame
    finally:
        _state.frame = previous


def param_value(param):
    frame = getattr(_state, "frame", None)
    if frame is None:
        return None
    return frame["params"].get(id(param))


def next_key():
    """A key derived from the traced key argument (only valid while tracing)."""
    frame = _state.frame
    frame["counter"] += 1
    return jax.random.fold_in(frame["key"], frame["counter"])
