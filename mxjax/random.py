"""Global random state: ``mx.random.seed`` sets a key; every random op takes a fresh one.

The state is one for the whole process, as MXNet's: a seed set in one thread seeds the
operators every thread runs after it.

Keys are derived as ``fold_in(seed_key, counter)``: a random operator, a hybridized
call or a Dropout draws the next key and receives it as an input of its compiled
function, so no random value is ever baked into a compiled function.
"""

import functools
import threading

import jax
import jax.numpy as jnp
import numpy as np

from . import _tracing, engine
from .context import current_context

__all__ = ["seed", "next_key", "next_keys", "host_generator"]

class _Generator:
    def __init__(self):
        self.lock = threading.Lock()
        self.key = None
        self.counter = 0
        self.host = None  # numpy generator of the host data plane

    def draw(self, n):
        """The seed key and the first of ``n`` fresh counters."""
        with self.lock:
            if self.key is None:
                self.key = jax.random.PRNGKey(np.random.SeedSequence().entropy % (2**32))
            first, self.counter = self.counter + 1, self.counter + n
            return self.key, first


_generator = _Generator()


def _fold_in(key, counter):
    return (jax.random.fold_in(key, counter),)


_fold_in_compiled = jax.jit(_fold_in)


def _fold_in_range(key, first, n):
    counters = first + jnp.arange(n, dtype=first.dtype)
    return (jax.vmap(lambda i: jax.random.fold_in(key, i))(counters),)


def seed(seed_state, ctx="all"):
    """Seed the global generator (``ctx`` is accepted; one stream serves all devices)."""
    if not isinstance(seed_state, (int, np.integer)):
        raise ValueError("seed_state must be an integer")
    key = jax.random.PRNGKey(int(seed_state) % (2**32))
    with _generator.lock:
        _generator.key, _generator.counter = key, 0
        _generator.host = np.random.default_rng(int(seed_state) % (2**32))


def host_generator():
    """The numpy generator for random choices made on the host (data transforms on
    host images, ``gluon.data.vision.transforms``); ``seed`` reseeds it too."""
    with _generator.lock:
        if _generator.host is None:
            _generator.host = np.random.default_rng()
        return _generator.host


def next_key(concrete=False):
    """A fresh PRNG key (``uint32[2]``) for one random computation: pending while
    operators are captured, unless ``concrete`` (for code that uses it outside them)."""
    if _tracing.active():
        return _tracing.next_key()
    key, counter = _generator.draw(1)
    if concrete:
        return _fold_in_compiled(key, counter)[0]
    return engine.call(_fold_in, "fold_in", [key, counter],
                       engine.current_ctx() or current_context(), compiled=_fold_in_compiled)[0]


def next_keys(n):
    """The keys of ``n`` successive :func:`next_key` calls, stacked (``uint32[n, 2]``):
    one computation for an update that draws per weight as MXNet's loop over weights
    draws, one after another."""
    if _tracing.active():
        return jnp.stack([_tracing.next_key() for _ in range(n)])
    key, first = _generator.draw(n)
    return engine.call(functools.partial(_fold_in_range, n=n), ("fold_in_range", n),
                       [key, np.uint32(first)], engine.current_ctx() or current_context())[0]
