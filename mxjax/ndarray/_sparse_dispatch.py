"""Sparse inputs in an operator call: the storage of its outputs, and lazy updates.

``invoke`` (``register.py``) computes every operator on dense values. When an input is a
sparse array it asks ``infer`` (before running: an unsupported storage combination
raises with nothing changed) for the operator's storage rule (``operator/storage.py``),
then ``finish`` turns the dense outputs into sparse arrays with the structure the rule
gives, zero outside it, and, for an optimizer update with a row_sparse gradient, keeps
the rows the gradient does not store (weight and states) as they were.
"""

import functools

import jax
import jax.numpy as jnp

from .. import engine
from ..operator import spec as _spec
from .ndarray import NDArray
from .sparse import _CLASSES, BaseSparseNDArray, RowSparseNDArray, expand_mask

__all__ = ["has_sparse", "infer", "finish", "embedding_rows"]


def has_sparse(inputs):
    return any(isinstance(x, BaseSparseNDArray) for x in inputs)


def infer(spec, attrs, inputs):
    """The storage rule's outcome for these inputs (None: dense outputs, nothing lazy).

    Inside a traced computation (an executor's or a hybridized block's graph, which JAX
    differentiates as a whole) outputs stay dense: masking them there would also mask
    the gradients flowing back through them."""
    rule = spec.infer_storage
    if rule is None or not (has_sparse(inputs) or getattr(rule, "on_dense", False)):
        return None
    if any(x is not None and isinstance(x._lazy, jax.core.Tracer) for x in inputs):
        return None
    return rule(attrs, [None if x is None else x.stype for x in inputs],
                [None if x is None else x.shape for x in inputs])


def _select(rows, new, old):
    return (jnp.where(expand_mask(rows, new.ndim), new, old),)


def _full_rows(value):
    return (jnp.ones(value.shape[:1], bool),)


def _lazy_update(spec, attrs, inputs, before, outputs, grad_pos):
    """Keep the rows the row_sparse gradient does not store: in the weight output and
    in every state the operator updated in place (MXNet's lazy update)."""
    rows = inputs[grad_pos]._structure()
    for i in spec.returned_inputs(attrs, len(inputs)):
        x = inputs[i]
        value = engine.call(_select, "sparse_select", [rows, x._lazy, before[i]])[0]
        if isinstance(x, RowSparseNDArray):  # MXNet fills a lazily updated state's rows
            x._set_sparse(value, engine.call(_full_rows, "sparse_full_rows", [value])[0])
        else:
            x._set_data(value)
    first = outputs[0]
    value = engine.call(_select, "sparse_select", [rows, first._lazy, before[0]])[0]
    return [NDArray(value, first._ctx), *outputs[1:]]


@functools.lru_cache(maxsize=1024)
def _structure_fn(stype, kind, fn, n_args):
    """``(value, *args) -> (mask, value zero outside mask)`` for one structure kind."""

    def mask_of(value, args):
        if kind == "same":
            return args[0]
        if kind == "union":
            return functools.reduce(jnp.logical_or, args)
        if kind in ("empty", "full"):
            shape = value.shape[:1] if stype == "row_sparse" else value.shape
            return (jnp.zeros if kind == "empty" else jnp.ones)(shape, bool)
        return fn(*args)

    def structure(value, *args):
        mask = mask_of(value, args)
        zero = jnp.zeros((), value.dtype)
        return mask, jnp.where(expand_mask(mask, value.ndim), value, zero)

    return structure


def _to_sparse(out, stype, structure, inputs):
    kind = structure[0]
    cls = _CLASSES[stype]
    if kind == "nonzero":
        return cls(out._lazy, out._ctx)
    if kind == "same":
        positions, fn = (structure[1],), None
    elif kind == "union":
        positions, fn = structure[1], None
    elif kind == "fn":
        positions, fn = structure[2], structure[1]
    else:
        positions, fn = (), None
    args = _structure_args(inputs, positions)
    pure = _structure_fn(stype, kind, fn, len(args))
    mask, value = engine.call(pure, ("sparse_structure", stype, kind, fn, len(args)),
                              [out._lazy, *args], out.context)
    return cls(value, out._ctx, mask)


def _structure_args(inputs, positions):
    return [inputs[i]._structure() if isinstance(inputs[i], BaseSparseNDArray)
            else inputs[i]._lazy for i in positions]


def _from_structure(out, structure, inputs):
    """A dense output whose value the rule computes from the inputs' structure."""
    _, fn, positions = structure
    value = engine.call(lambda *args: (fn(*args),), ("sparse_value", fn, len(positions)),
                        _structure_args(inputs, positions), out.context)[0]
    return NDArray(value, out._ctx)


def finish(storage, spec, attrs, inputs, before, outputs):
    """``outputs`` with the storage ``storage`` (from ``infer``) gives them; ``before``
    holds the inputs' values from before the call (for lazy updates)."""
    if storage.lazy is not None:
        outputs = _lazy_update(spec, attrs, inputs, before, outputs, storage.lazy)
    converted = [_to_sparse(out, stype, structure, inputs) if stype != "default"
                 else _from_structure(out, structure, inputs) if structure[0] == "value"
                 else out for out, (stype, structure) in zip(outputs, storage.outs)]
    return converted + list(outputs[len(converted):])


def _rows_of(data, input_dim):
    idx = jnp.clip(data.astype(jnp.int32), 0, input_dim - 1).reshape(-1)
    return (jnp.zeros((input_dim,), bool).at[idx].set(True),)


def _union(a, b):
    return (a | b,)


def embedding_rows(attrs, inputs, result):  # noqa: ARG001 - the registry's hook signature
    """After backward: an Embedding with ``sparse_grad`` stores in the weight's row_sparse
    gradient every row it looked up, even one whose gradient is zero (MXNet's rows)."""
    data, weight = inputs[0], inputs[1]
    grad = getattr(weight, "_grad", None)
    if not attrs["sparse_grad"] or not isinstance(grad, RowSparseNDArray) or data is None:
        return
    rows = engine.call(functools.partial(_rows_of, input_dim=attrs["input_dim"]),
                       ("sparse_embedding_rows", attrs["input_dim"]), [data._lazy])[0]
    mask = engine.call(_union, "sparse_union", [grad._structure(), rows])[0]
    grad._set_sparse(grad._lazy, mask)


if _spec.get("Embedding").on_backward is None:
    _spec.get("Embedding").on_backward = embedding_rows
