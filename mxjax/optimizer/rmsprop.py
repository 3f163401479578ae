"""Optimizers with per-coordinate step sizes: RMSProp, AdaGrad, AdaDelta, Ftrl."""

import jax.numpy as jnp

from ..base import MXNetError
from ..operator import optimizer_ops as ops
from .optimizer import Optimizer, is_row_sparse, register, scalars, stype_of, typed, zeros

__all__ = ["RMSProp", "AdaGrad", "AdaDelta", "Ftrl"]


@register
class RMSProp(Optimizer):
    """RMSProp: Tieleman & Hinton's (rmsprop_update), or Graves's centered version
    (rmspropalex_update) with ``centered=True``.

    Parameters
    ----------
    gamma1 : float
        Decay of the moving average of squared gradients.
    gamma2 : float
        Momentum of the centered version.
    epsilon : float
        Added inside the square root.
    centered : bool
        Use the centered version.
    clip_weights : float, optional
        Clip the weights into ``[-clip_weights, clip_weights]``.
    """

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
                 centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        return tuple(zeros(weight.shape, weight.context, stype=stype_of(weight))
                     for _ in range(3 if self.centered else 1))

    def _hyper(self, index, weight):
        self._update_count(index)
        return dict(lr=self._get_lr(index), wd=self._get_wd(index), gamma1=self.gamma1,
                    gamma2=self.gamma2, epsilon=self.epsilon, rescale_grad=self.rescale_grad,
                    clip_gradient=self._clip_or_off(),
                    clip_weights=self.clip_weights if self.clip_weights else -1.0)

    def _static(self, aggregated):
        return bool(self.centered)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        dt = weight.dtype
        lr, gamma1, gamma2, epsilon, wd, rescale, clip_gradient, clip_weights = typed(
            hyper, dt, "lr", "gamma1", "gamma2", "epsilon", "wd", "rescale_grad",
            "clip_gradient", "clip_weights")
        if static:
            new_w, *new_state = ops.rmspropalex(weight, grad, *state, lr, gamma1, gamma2,
                                                epsilon, wd, rescale, clip_gradient,
                                                clip_weights)
            return new_w, tuple(new_state)
        new_w, n = ops.rmsprop(weight, grad, *state, lr, gamma1, epsilon, wd, rescale,
                               clip_gradient, clip_weights)
        return new_w, (n,)


@register
class AdaGrad(Optimizer):
    """AdaGrad::

        history += grad**2
        weight -= lr * (grad / sqrt(history + eps) + wd * weight)
    """

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context, stype=stype_of(weight))  # history

    def _lazy(self, weight, grad, state, mp, hyper):
        # a row_sparse gradient goes to sparse.adagrad_update, which has no weight decay
        if not is_row_sparse(grad):
            return False
        if hyper["wd"] != 0 or stype_of(state) != stype_of(weight):
            raise MXNetError(
                "AdaGrad: the row_sparse update (sparse.adagrad_update) is not implemented for "
                f"wd={hyper['wd']} and weight/history storage {stype_of(weight)}/"
                f"{stype_of(state)} (it needs wd=0 and equal storage types)")
        return True

    def _hyper(self, index, weight):
        self._update_count(index)
        return dict(lr=self._get_lr(index), wd=self._get_wd(index),
                    rescale_grad=self.rescale_grad, clip_gradient=self._clip_python(),
                    eps=self.float_stable_eps)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        lr, wd, rescale, clip_gradient, eps = scalars(
            hyper, weight.dtype, "lr", "wd", "rescale_grad", "clip_gradient", "eps")
        g = ops.clip(grad * rescale, clip_gradient)
        history = state + g * g
        div = g / jnp.sqrt(history + eps)
        return weight + (div + weight * wd) * -lr, history


@register
class AdaDelta(Optimizer):
    """AdaDelta (no learning rate)::

        acc_g = rho * acc_g + (1 - rho) * grad**2
        delta = sqrt(acc_delta + eps) / sqrt(acc_g + eps) * grad
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        weight -= delta + wd * weight
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context), zeros(weight.shape, weight.context)

    def _hyper(self, index, weight):
        wd = self._get_wd(index)
        self._update_count(index)
        return dict(wd=wd, rescale_grad=self.rescale_grad, clip_gradient=self._clip_python(),
                    rho=self.rho, one_minus_rho=1.0 - self.rho, epsilon=self.epsilon)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        # MXNet 1.9.1 also rescales the caller's gradient array in place; mxjax does not.
        wd, rescale, clip_gradient, rho, keep, eps = scalars(
            hyper, weight.dtype, "wd", "rescale_grad", "clip_gradient", "rho", "one_minus_rho",
            "epsilon")
        g = ops.clip(grad * rescale, clip_gradient)
        acc_g, acc_delta = state
        acc_g = acc_g * rho + g * keep * g
        delta = jnp.sqrt(acc_delta + eps) / jnp.sqrt(acc_g + eps) * g
        acc_delta = acc_delta * rho + delta * keep * delta
        return weight - (delta + weight * wd), (acc_g, acc_delta)


@register
class Ftrl(Optimizer):
    """FTRL-proximal (ftrl_update).

    Parameters
    ----------
    lamda1 : float
        L1 regularisation coefficient.
    learning_rate : float
        The initial learning rate (0.1).
    beta : float
        Per-coordinate learning rate parameter.
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        return tuple(zeros(weight.shape, weight.context, stype=stype_of(weight))
                     for _ in range(2))  # z, n

    def _lazy(self, weight, grad, state, mp, hyper):
        # ftrl_update keeps sparse storage only when weight, grad, z and n are all row_sparse
        return not mp and is_row_sparse(weight, grad, *state)

    def _hyper(self, index, weight):
        self._update_count(index)
        wd = self._get_wd(index)
        return dict(lr=self._get_lr(index), lamda1=self.lamda1, beta=self.beta, wd=wd,
                    rescale_grad=self.rescale_grad, clip_gradient=self._clip_or_off())

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        p = typed(hyper, weight.dtype, "lr", "lamda1", "beta", "wd", "rescale_grad",
                  "clip_gradient")
        new_w, z, n = ops.ftrl(weight, grad, *state, *p)
        return new_w, (z, n)
