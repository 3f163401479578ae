"""Contributed optimizers: GroupAdaGrad."""

import jax.numpy as jnp

from ..operator import optimizer_ops as ops
from .optimizer import Optimizer, is_row_sparse, register, scalars, stype_of, zeros

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one step size per row of a 2-D weight (no weight decay)::

        history += mean(grad**2, axis=1)
        weight -= lr * grad / sqrt(history + eps)
    """

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        assert len(weight.shape) == 2
        return zeros((weight.shape[0], 1), weight.context, stype=stype_of(weight))

    def _lazy(self, weight, grad, state, mp, hyper):
        # group_adagrad_update: a row_sparse gradient updates only its rows
        return is_row_sparse(grad) and stype_of(state) == stype_of(weight)

    def _hyper(self, index, weight):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        assert wd == 0, "Weight decay is not supported for GroupAdaGrad"
        return dict(lr=lr, rescale_grad=self.rescale_grad, clip_gradient=self._clip_python(),
                    eps=self.float_stable_eps)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        lr, rescale, clip_gradient, eps = scalars(hyper, weight.dtype, "lr", "rescale_grad",
                                                  "clip_gradient", "eps")
        g = ops.clip(grad * rescale, clip_gradient)
        history = state + jnp.mean(g * g, axis=1, keepdims=True)
        return weight - g * lr / jnp.sqrt(history + eps), history
