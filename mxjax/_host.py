"""User Python called from compiled JAX code, through ``jax.pure_callback``.

``autograd.Function.backward`` and custom operators (``mx.operator.CustomOp``) are the
user's own Python: it may use NDArray operators, ``asnumpy()`` and numpy. Inside a
compiled backward, a hybridized block, an executor or a captured step such code runs as
a host callback. ``call`` runs it with autograd paused and step capture suspended (its
operators run at once), checks what it returns against the declared shapes and dtypes,
and keeps the error it raises in ``engine.callback_errors``, so that the caller raises
that error rather than JAX's wrapper of it (``engine.run_compiled``).
"""

import logging

import jax
import jax.numpy as jnp
import numpy as np

from . import engine
from .base import MXNetError

__all__ = ["call", "callbacks_run", "check", "ndarray", "to_numpy"]

_reraised = []  # the latest exception a callback raised; its caller raises it again
_runs = [0]     # host callbacks ``call`` has run


class _QuietReraised(logging.Filter):
    """JAX logs every exception a callback raises; ours reach the caller, which says it."""

    def filter(self, record):
        return not (record.exc_info and record.exc_info[1] in _reraised)


for _name in ("jax._src.debugging", "jax._src.callback"):
    logging.getLogger(_name).addFilter(_QuietReraised())


def _keep(error, original):
    engine.callback_errors[:] = [error]
    _reraised[:] = [original]


def call(fn, result_shapes, *args, error=None):
    """``fn(*numpy arrays)`` on the host, as a pure JAX computation returning arrays of
    ``result_shapes`` (``jax.ShapeDtypeStruct``s).

    ``fn`` returns one array-like (NDArray, numpy array, ...) per result shape. An
    exception it raises is stored for the caller as itself or, given ``error``, as
    ``error(exception)``.
    """

    def host(*values):
        from . import autograd

        _runs[0] += 1
        try:
            with autograd.pause(), engine.suspended():
                results = list(fn(*values))
                if len(results) != len(result_shapes):
                    raise MXNetError(f"returned {len(results)} arrays, expected "
                                     f"{len(result_shapes)}")
                return [to_numpy(r, s) for r, s in zip(results, result_shapes)]
        except Exception as e:
            _keep(e if error is None else error(e), e)
            raise

    engine.note_host_check()
    return jax.pure_callback(host, list(result_shapes), *args, vmap_method="sequential")


def callbacks_run():
    """How many times user code has run on the host through ``call`` in this process
    (a custom operator's or an ``autograd.Function``'s methods)."""
    return _runs[0]


def check(fn, *args):
    """Run ``fn(*numpy arrays)`` on the host for its errors only: a run-time check on
    values (an index out of bounds), as MXNet's CPU kernels make. What ``fn`` raises
    reaches the caller as itself, like a host callback's error."""

    def host(*values):
        try:
            fn(*(np.asarray(v) for v in values))
        except Exception as e:
            _keep(e, e)
            raise

    engine.note_host_check()
    jax.debug.callback(host, *args)


def ndarray(value):
    """A host value handed to user code as an NDArray."""
    from .ndarray.ndarray import NDArray

    return NDArray(jnp.asarray(value))


def to_numpy(value, struct):
    """``value`` (NDArray or array-like) as a numpy array of ``struct``'s shape and dtype."""
    array = np.asarray(value.asnumpy() if hasattr(value, "asnumpy") else value)
    if array.shape != tuple(struct.shape):
        raise MXNetError(f"an array of shape {array.shape} was returned where "
                         f"{tuple(struct.shape)} was expected")
    return array.astype(struct.dtype, copy=False)
