"""Operators MXNet defines for sparse arrays: ``_sparse_retain`` (``nd.sparse.retain``),
``_square_sum``, ``_sparse_adagrad_update`` (``nd.sparse.adagrad_update``) and
``_contrib_getnnz``.

Like every operator they compute on dense values; their storage rules (``storage.py``)
give the outputs MXNet's sparse storage.
"""

import jax.numpy as jnp

from .optimizer_ops import clip, param
from .reduce import reduce_axes
from .spec import Required, register


@register("_sparse_retain", inputs=("data", "indices"), lists_input_names=True)
def sparse_retain(data, indices):
    """The rows of ``data`` whose indices are listed in ``indices``; the other rows are zero."""
    rows = jnp.zeros((data.shape[0],), bool).at[indices.astype(jnp.int64)].set(True,
                                                                                mode="drop")
    return jnp.where(rows.reshape((-1,) + (1,) * (data.ndim - 1)), data, 0).astype(data.dtype)


@register("_square_sum", attrs=dict(axis=None, keepdims=False, exclude=False))
def square_sum(data, *, axis, keepdims, exclude):
    """Sum of the squares of the elements over ``axis`` (MXNet defines it for row_sparse
    inputs)."""
    axes = reduce_axes("_square_sum", data.shape, axis, exclude)
    out = jnp.sum(data * data, axis=axes, keepdims=True)
    if keepdims:
        return out
    return out.reshape(tuple(d for i, d in enumerate(out.shape) if i not in axes) or (1,))


@register("_sparse_adagrad_update", inputs=("weight", "grad", "history"),
          attrs=dict(lr=Required, epsilon=1e-7, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0),
          mutate=(2,), dynamic=("lr", "epsilon", "wd", "rescale_grad", "clip_gradient"))
def sparse_adagrad_update(weight, grad, history, *, lr, epsilon, wd, rescale_grad,
                          clip_gradient):
    """AdaGrad on the rows a row_sparse gradient stores::

        grad = clip(grad * rescale_grad, clip_gradient)
        history += grad ** 2
        weight -= lr * grad / sqrt(history + epsilon)

    MXNet requires ``wd == 0``."""
    lr, epsilon, scale, bound = (param(v, weight.dtype)
                                 for v in (lr, epsilon, rescale_grad, clip_gradient))
    g = clip(grad * scale, bound)
    history = history + g * g
    return weight - g / jnp.sqrt(history + epsilon) * lr, history


@register("_contrib_getnnz", attrs=dict(axis=None))
def getnnz(data, *, axis):
    """The number of stored values of a csr matrix (per row with ``axis=1``), int64. On
    dense values it counts the nonzeros; the storage rule counts the stored entries."""
    return count_stored(data != 0, axis)


def count_stored(mask, axis):
    """Stored entries of a csr ``mask``: in all (shape (1,)) or per row (``axis=1``)."""
    if axis is None:
        return jnp.sum(mask, dtype=jnp.int64).reshape(1)
    return jnp.sum(mask, axis=axis, dtype=jnp.int64)
