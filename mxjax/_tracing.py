"""State of a hybridized block being traced into one pure function.

While a ``HybridBlock`` is traced under ``jax.jit``, its Parameters read their values
from the traced arguments instead of their stored arrays, and random operators derive
their keys from the traced key argument, so nothing is baked into the compiled function.
"""

import contextlib
import threading

import jax

__all__ = ["active", "tracing", "param_value", "keys_drawn", "next_key", "note_written",
           "written_in", "block_scope", "name_outputs", "set_name", "name_of"]

_state = threading.local()


def active():
    return getattr(_state, "frame", None) is not None


@contextlib.contextmanager
def tracing(param_values, key):
    """Inside: ``param_value(p)`` gives the traced NDArray of Parameter ``p``."""
    previous = getattr(_state, "frame", None)
    _state.frame = {"params": param_values, "key": key, "counter": 0, "names": {},
                    "scopes": [("", {})]}
    try:
        yield _state.frame
    finally:
        _state.frame = previous


def param_value(param):
    frame = getattr(_state, "frame", None)
    if frame is None:
        return None
    return frame["params"].get(id(param))


def note_written(array):
    """An operator's forward wrote into ``array`` (a CustomOp's auxiliary state): the
    block or executor being traced writes its new value back at once."""
    frame = getattr(_state, "frame", None)
    if frame is not None:
        frame.setdefault("written", []).append(array)


def written_in(frame, arrays):
    """Positions of ``arrays`` that an operator's forward wrote into while tracing."""
    written = frame.get("written", ())
    return tuple(i for i, a in enumerate(arrays) if any(a is w for w in written))


def keys_drawn(frame):
    """Whether code traced in ``frame`` drew random keys (``next_key``)."""
    return frame["counter"] > 0


def next_key():
    """A key derived from the traced key argument (only valid while tracing)."""
    frame = _state.frame
    frame["counter"] += 1
    return jax.random.fold_in(frame["key"], frame["counter"])


# ---- Symbol names, for ``print(x)`` inside a hybridized hybrid_forward ----------------------
# MXNet hands Symbols to a hybridized hybrid_forward, and printing one shows its name:
# ``data`` for the input, ``dense0_weight`` for a parameter, ``<block prefix><name or
# op><counter>`` for an operator's output. The traced values get the same names here.
@contextlib.contextmanager
def block_scope(prefix):
    """Inside: operator outputs are named after the block whose prefix is ``prefix``
    (counters start again at each call, as with MXNet's ``name_scope``)."""
    scopes = _state.frame["scopes"]
    scopes.append((prefix, {}))
    try:
        yield
    finally:
        scopes.pop()


def set_name(value, name):
    """Name the traced ``value``."""
    # The value is kept with its name: an id alone could be reused by a later tracer.
    _state.frame["names"][id(value)] = (value, name)


def name_outputs(outputs, name, op_name):
    """Name an operator's traced outputs: ``name`` if given, else the operator's name and
    a counter, after the current block's prefix."""
    prefix, counts = _state.frame["scopes"][-1]
    if not name:
        hint = op_name.lower()
        count = counts.get(hint, 0)
        counts[hint] = count + 1
        name = f"{hint}{count}"
    for out in outputs:
        set_name(out._lazy, prefix + name)


def name_of(value):
    """The name of the traced ``value``, or ``None``."""
    frame = getattr(_state, "frame", None)
    entry = None if frame is None else frame["names"].get(id(value))
    return None if entry is None or entry[0] is not value else entry[1]
