"""``mx.nd.contrib``: operators generated from the registry (see ``register.py``), plus
MXNet's Python-level helpers: ``isnan``/``isinf``/``isfinite``, ``rand_zipfian`` and the
eager control flow ``foreach``, ``while_loop`` and ``cond`` (plain Python loops over
NDArrays, as in MXNet's ``mx.nd.contrib``)."""

import math

import numpy as np

from ..context import current_context
from ._contrib_update import (
    multi_adamw_update,
    multi_lamb_update,
    multi_mp_adamw_update,
    multi_mp_lamb_update,
)
from .ndarray import NDArray

__all__ = ["isnan", "isinf", "isfinite", "rand_zipfian", "foreach", "while_loop", "cond",
           "multi_adamw_update", "multi_mp_adamw_update", "multi_lamb_update",
           "multi_mp_lamb_update"]


def isnan(data):
    """1 where an element of ``data`` is NaN, else 0 (in ``data``'s dtype)."""
    return data != data


def isinf(data):
    """1 where an element of ``data`` is +inf or -inf, else 0 (in ``data``'s dtype)."""
    return data.abs() == np.inf


def isfinite(data):
    """1 where an element of ``data`` is neither infinite nor NaN, else 0."""
    from . import op
    return op.broadcast_logical_and(data.abs() != np.inf, data == data)


def rand_zipfian(true_classes, num_sampled, range_max, ctx=None):
    """Draw ``num_sampled`` classes from an approximately log-uniform (Zipfian)
    distribution over ``[0, range_max)``.

    Returns the sampled classes (int64), and the expected counts (float64) of
    ``true_classes`` and of the sampled classes.
    """
    from . import random
    ctx = ctx if ctx is not None else current_context()
    log_range = math.log(range_max + 1)
    rand = random.uniform(0, log_range, shape=(num_sampled,), dtype="float64", ctx=ctx)
    sampled = (rand.exp() - 1).astype("int64") % range_max

    def expected(classes):
        c = classes.astype("float64")
        return ((c + 2.0) / (c + 1.0)).log() / log_range * num_sampled

    return sampled, expected(true_classes.as_in_context(ctx)), expected(sampled)


def _flatten(values, what):
    """``values`` (an NDArray or nested lists of them) as a flat list and a format."""
    if isinstance(values, NDArray):
        return [values], 0
    if not isinstance(values, (list, tuple)):
        raise AssertionError(f"{what} must be (nested) list of NDArray, but got {values} of "
                             f"type {type(values)}")
    flat, fmt = [], []
    for v in values:
        f, sub = _flatten(v, what)
        flat.extend(f)
        fmt.append(sub)
    return flat, fmt


def _regroup(flat, fmt):
    """The inverse of :func:`_flatten`: ``(nested values, remaining flat values)``."""
    if isinstance(fmt, int):
        return (flat[0], flat[1:]) if fmt == 0 else (flat[:fmt], flat[fmt:])
    out = []
    for sub in fmt:
        value, flat = _regroup(flat, sub)
        out.append(value)
    return out, flat


def foreach(body, data, init_states):
    """Run ``body(slice, states) -> (outputs, new_states)`` over axis 0 of ``data`` (an
    NDArray or a list of them); returns ``(outputs stacked along axis 0, final states)``.
    """
    for values, what in ((data, "foreach input"), (init_states, "foreach states")):
        flat, _ = _flatten(values, what)
        if not all(isinstance(v, NDArray) for v in flat):
            raise AssertionError(f"{what} should be an NDArray or a nested list of NDArrays")
    from . import op
    single = isinstance(data, NDArray)
    steps = data.shape[0] if single else data[0].shape[0]
    states, per_step, fmt = init_states, [], 0
    for i in range(steps):
        outs, states = body(data[i] if single else [d[i] for d in data], states)
        flat, fmt = _flatten(outs, "foreach output")
        per_step.append(flat)
    stacked = [op.stack(*column) for column in zip(*per_step)]
    outputs, _ = _regroup(stacked, fmt)
    return outputs, states


def _scalar(value, kind, what):
    if hasattr(value, "asscalar"):
        value = value.asscalar()
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"Cannot convert {what} to python {kind.__name__}") from None


def while_loop(cond, func, loop_vars, max_iterations=None):
    """Run ``func(*loop_vars) -> (step_output, new_loop_vars)`` while ``cond(*loop_vars)``
    holds, at most ``max_iterations`` times.

    Returns the step outputs stacked along a first axis of length ``max_iterations`` (the
    steps not run are left unset, zeros here) and the final loop variables.
    """
    from . import op
    from .utils import zeros
    if max_iterations is None:
        raise ValueError("max_iterations should be specified")
    max_iterations = _scalar(max_iterations, int, "max_iteration")
    if len(loop_vars) == 0:
        raise ValueError("loop_vars should contain at least one element")
    single = isinstance(loop_vars, NDArray)
    loop_vars = [loop_vars] if single else list(loop_vars)
    outputs, fmt = [], None
    while len(outputs) < max_iterations and _scalar(cond(*loop_vars), bool,
                                                     "Return value of cond"):
        step_output, new_vars = func(*loop_vars)
        step_output = [] if step_output is None else step_output
        new_vars = [] if new_vars is None else new_vars
        step_output = list(step_output) if isinstance(step_output, tuple) else step_output
        new_vars = [new_vars] if isinstance(new_vars, NDArray) else list(new_vars)
        if len(new_vars) != len(loop_vars):
            raise ValueError("The length of loop_vars should be consistent during the loop")
        loop_vars = new_vars
        flat, fmt = _flatten(step_output, "while output")
        if outputs and len(flat) != len(outputs[0]):
            raise ValueError("Number of elements in step_output should be the same in each "
                             "step")
        outputs.append(flat)
    stacked = []
    for i, items in enumerate(zip(*outputs), 1):
        items = [x.expand_dims(0) for x in items]
        if len(outputs) != max_iterations:
            items.append(zeros((max_iterations - len(outputs), *items[0].shape[1:]),
                               items[0].context, items[0].dtype))
        try:
            stacked.append(op.concat(*items, dim=0))
        except Exception as e:  # noqa: BLE001 - reported with every step's shape
            raise ValueError("\n".join(
                [f"Shapes of {i}-th elements in step_outputs are inconsistent, which are:"] +
                [f"  Step {j}, shape is {x.shape}" for j, x in enumerate(items)])) from e
    if fmt is not None:
        stacked, _ = _regroup(stacked, fmt)
    return stacked, loop_vars[0] if single else loop_vars


def cond(pred, then_func, else_func):
    """``then_func()`` if the scalar ``pred`` is true, else ``else_func()``."""
    return then_func() if _scalar(pred, bool, "pred") else else_func()
