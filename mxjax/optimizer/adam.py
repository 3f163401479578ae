"""Adam-like optimizers: Adam, Adamax, Nadam, FTML, LAMB."""

import math
import os

import jax.numpy as jnp
import numpy as np

from ..operator import optimizer_ops as ops
from ..operator.optimizer_multi_ops import multi_lamb, sum_sq
from .optimizer import Optimizer, is_row_sparse, register, scalars, stype_of, typed, zeros

__all__ = ["Adam", "Adamax", "Nadam", "FTML", "LAMB"]

F32 = np.float32


def _moments(weight):
    return tuple(zeros(weight.shape, weight.context, weight.dtype) for _ in range(2))


@register
class Adam(Optimizer):
    """Adam. MXNet folds the bias correction into the learning rate and adds epsilon
    outside the square root::

        lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        weight -= lr_t * mean / (sqrt(var) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        stype = stype_of(weight) if self.lazy_update else "default"
        return tuple(zeros(weight.shape, weight.context, weight.dtype, stype=stype)
                     for _ in range(2))

    def _lazy(self, weight, grad, state, mp, hyper):
        # adam_update's storage rule: lazy when the moments share the weight's storage
        return (self.lazy_update and is_row_sparse(grad)
                and stype_of(weight) in ("default", "row_sparse")
                and all(stype_of(s) == stype_of(weight) for s in state))

    def _hyper(self, index, weight):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        return dict(lr=lr, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon, wd=wd,
                    rescale_grad=self.rescale_grad, clip_gradient=self._clip_or_off())

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        p = typed(hyper, weight.dtype, "lr", "beta1", "beta2", "epsilon", "wd",
                  "rescale_grad", "clip_gradient")
        new_w, mean, var = ops.adam(weight, grad, *state, *p)
        return new_w, (mean, var)


@register
class Adamax(Optimizer):
    """AdaMax, Adam with the infinity norm::

        m = beta1 * m + (1 - beta1) * grad;  u = max(beta2 * u, |grad|)
        weight -= lr / (1 - beta1**t) * m / u
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return _moments(weight)

    def _hyper(self, index, weight):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        lr /= 1.0 - self.beta1 ** self._index_update_count[index]
        return dict(lr=lr, wd=wd, rescale_grad=self.rescale_grad,
                    clip_gradient=self._clip_python(), beta1=self.beta1, beta2=self.beta2,
                    one_minus_beta1=1.0 - self.beta1)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        lr, wd, rescale, clip_gradient, beta1, beta2, keep = scalars(
            hyper, weight.dtype, "lr", "wd", "rescale_grad", "clip_gradient", "beta1", "beta2",
            "one_minus_beta1")
        g = ops.clip(grad * rescale + weight * wd, clip_gradient)
        m, u = state
        m = m * beta1 + g * keep
        u = jnp.maximum(u * beta2, jnp.abs(g))
        return weight - m * lr / u, (m, u)


@register
class Nadam(Optimizer):
    """Adam with Nesterov momentum and a momentum schedule (``schedule_decay``)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def create_state(self, index, weight):
        return _moments(weight)

    def _hyper(self, index, weight):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        momentum_t = self.beta1 * (1.0 - 0.5 * pow(0.96, t * self.schedule_decay))
        momentum_t_1 = self.beta1 * (1.0 - 0.5 * pow(0.96, (t + 1) * self.schedule_decay))
        self.m_schedule = self.m_schedule * momentum_t  # shared by all weights, as in MXNet
        m_schedule_next = self.m_schedule * momentum_t_1
        return dict(lr=lr, wd=wd, rescale_grad=self.rescale_grad,
                    clip_gradient=self._clip_python(), beta1=self.beta1,
                    one_minus_beta1=1.0 - self.beta1, beta2=self.beta2,
                    one_minus_beta2=1.0 - self.beta2, epsilon=self.epsilon,
                    grad_scale=1.0 - self.m_schedule, mean_scale=1.0 - m_schedule_next,
                    var_scale=1.0 - pow(self.beta2, t), one_minus_momentum=1.0 - momentum_t,
                    momentum_t_1=momentum_t_1)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        (lr, wd, rescale, clip_gradient, beta1, keep1, beta2, keep2, eps, grad_scale,
         mean_scale, var_scale, one_minus_momentum, momentum_t_1) = scalars(
            hyper, weight.dtype, "lr", "wd", "rescale_grad", "clip_gradient", "beta1",
            "one_minus_beta1", "beta2", "one_minus_beta2", "epsilon", "grad_scale",
            "mean_scale", "var_scale", "one_minus_momentum", "momentum_t_1")
        g = ops.clip(grad * rescale + weight * wd, clip_gradient)
        m, v = state
        m = m * beta1 + g * keep1
        v = v * beta2 + g * keep2 * g
        m_bar = g / grad_scale * one_minus_momentum + m / mean_scale * momentum_t_1
        return weight - m_bar * lr / (jnp.sqrt(v / var_scale) + eps), (m, v)


@register
class FTML(Optimizer):
    """FTML, Follow the Moving Leader (ftml_update)."""

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return tuple(zeros(weight.shape, weight.context, weight.dtype) for _ in range(3))  # d, v, z

    def _hyper(self, index, weight):
        self._update_count(index)
        return dict(lr=self._get_lr(index), wd=self._get_wd(index), beta1=self.beta1,
                    beta2=self.beta2, epsilon=self.epsilon,
                    t=self._index_update_count[index], rescale_grad=self.rescale_grad,
                    clip_grad=self._clip_or_off())

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        dt = weight.dtype
        lr, beta1, beta2, wd, rescale, clip_grad = typed(
            hyper, dt, "lr", "beta1", "beta2", "wd", "rescale_grad", "clip_grad")
        epsilon = hyper["epsilon"].astype(dt)  # a double field in MXNet
        new_w, *new_state = ops.ftml(weight, grad, *state, lr, beta1, beta2, epsilon,
                                     hyper["t"], wd, rescale, clip_grad)
        return new_w, tuple(new_state)


@register
class LAMB(Optimizer):
    """LAMB: Adam directions scaled per layer by the trust ratio |w| / |direction|.

    Updates of several weights at once (an Updater, a Trainer) use MXNet's
    ``multi_lamb_update``; ``update`` with a single index uses the two LAMB phases.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE",
                                                          "45"))))

    def create_state(self, index, weight):
        return tuple(zeros(weight.shape, weight.context, weight.dtype, stype=stype_of(weight))
                     for _ in range(2))  # MXNet: the weight's storage type

    def _hyper(self, index, weight):
        self._update_count(index)
        return dict(lr=self._get_lr(index), wd=self._get_wd(index),
                    t=self._index_update_count[index], beta1=self.beta1, beta2=self.beta2,
                    epsilon=self.epsilon, rescale_grad=self.rescale_grad,
                    clip_gradient=self._clip_or_off(),
                    lower_bound=self.lower_bound if self.lower_bound else -1.0,
                    upper_bound=self.upper_bound if self.upper_bound else -1.0)

    def _static(self, aggregated):
        return (bool(self.bias_correction), aggregated)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key, stored=None):
        """``stored``: the float16 weight whose float32 copy ``weight`` is."""
        bias_correction, aggregated = static
        mean, var = state
        dt = weight.dtype
        if aggregated:
            p = dict(zip(("lr", "wd", "beta1", "beta2", "epsilon", "rescale_grad",
                          "clip_gradient"),
                         typed(hyper, dt, "lr", "wd", "beta1", "beta2", "epsilon",
                               "rescale_grad", "clip_gradient")))
            lower, upper = typed(hyper, F32, "lower_bound", "upper_bound")
            new_w, mean, var = multi_lamb(
                weight, grad, mean, var, weight if stored is None else stored, t=hyper["t"],
                lower_bound=lower, upper_bound=upper, bias_correction=bias_correction, **p)
            return new_w, (mean, var)
        beta1, beta2, epsilon, wd, rescale, clip_gradient, lr, lower, upper = typed(
            hyper, dt, "beta1", "beta2", "epsilon", "wd", "rescale_grad", "clip_gradient",
            "lr", "lower_bound", "upper_bound")
        g, mean, var = ops.lamb_phase1(weight, grad, mean, var, beta1, beta2, epsilon,
                                       hyper["t"], bias_correction, wd, rescale, clip_gradient)
        r1, r2 = jnp.sqrt(sum_sq(weight)), jnp.sqrt(sum_sq(g))
        return ops.lamb_phase2(weight, g, r1, r2, lr, lower, upper), (mean, var)

    @classmethod
    def _mp_step(cls, static, weight, grad, state, hyper, key):
        # MXNet's single-weight path leaves the master copy unchanged; it is updated here.
        master, moments = state
        new_master, moments = cls._step(static, master, grad, moments, hyper, key,
                                        stored=weight)
        return new_master.astype(weight.dtype), (new_master, moments)
