"""SGD-like optimizers: SGD (ccSGD), NAG, Signum, LARS, LBSGD, DCASGD, SGLD."""

import logging
import math
import os

import jax
import jax.numpy as jnp
import numpy as np

from ..ndarray import ndarray as _nd
from ..operator import optimizer_ops as ops
from ..operator.optimizer_multi_ops import lars_lr, sum_sq
from .optimizer import (
    Optimizer,
    copy_of,
    is_row_sparse,
    register,
    scalars,
    stype_of,
    typed,
    zeros,
)

__all__ = ["SGD", "ccSGD", "NAG", "Signum", "LARS", "LBSGD", "DCASGD", "SGLD"]

F32 = np.float32
_SGD_KEYS = ("lr", "wd", "momentum", "rescale_grad", "clip_gradient")


def _aggregation_size():
    return int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "4"))


def _sgd_hyper(opt, lr, wd, momentum):
    return dict(lr=lr, wd=wd, momentum=momentum if momentum > 0 else 0.0,
                rescale_grad=opt.rescale_grad, clip_gradient=opt._clip_or_off())


def _sgd_step(weight, grad, mom, hyper, lr=None):
    """One weight of multi_sgd(_mom)_update (SGD's and LARS's update operators)."""
    p = typed(hyper, weight.dtype, *_SGD_KEYS)
    if lr is not None:
        p[0] = lr.astype(weight.dtype)
    new_w, new_mom = ops.sgd_mom(weight, grad.astype(weight.dtype), mom, *p)
    return new_w, None if mom is None else new_mom


@register
class SGD(Optimizer):
    """Stochastic gradient descent with momentum and weight decay::

        state = momentum * state - lr * (rescale_grad * clip(grad) + wd * weight)
        weight = weight + state

    Parameters
    ----------
    momentum : float
        The momentum value.
    lazy_update : bool
        With a row_sparse gradient, update only the rows it stores (weight and momentum);
        otherwise every row (the standard update).
    """

    _master_first = False

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size()

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        stype = stype_of(weight) if self.lazy_update else "default"
        return zeros(weight.shape, weight.context, weight.dtype, stype=stype)

    def _lazy(self, weight, grad, state, mp, hyper):
        # sgd_update / sgd_mom_update's storage rules (mp_sgd_* have none: dense)
        return (not mp and self.lazy_update and is_row_sparse(grad)
                and stype_of(weight) in ("default", "row_sparse")
                and (state is None or stype_of(state) == stype_of(weight)))

    def _prepare(self, indices, weights, aggregated):
        self._update_count(indices)
        return [_sgd_hyper(self, lr, wd, self.momentum)
                for lr, wd in zip(self._get_lrs(indices), self._get_wds(indices))]

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        return _sgd_step(weight, grad, state, hyper)


@register
class ccSGD(SGD):  # noqa: N801 - MXNet's name
    """[Deprecated] The same as SGD."""


@register
class NAG(Optimizer):
    """Nesterov accelerated SGD::

        state = momentum * state + grad + wd * weight
        weight = weight - lr * (grad + momentum * state)
    """

    _master_first = False

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context, weight.dtype) if self.momentum != 0.0 else None

    def _use_mp(self, weight, state):
        return super()._use_mp(weight, state) and isinstance(state, (tuple, list))

    def _hyper(self, index, weight):
        self._update_count(index)
        return _sgd_hyper(self, self._get_lr(index), self._get_wd(index), self.momentum)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        p = typed(hyper, weight.dtype, *_SGD_KEYS)
        if state is None:  # MXNet uses sgd_update without momentum
            lr, wd, _, rescale_grad, clip_gradient = p
            return ops.sgd(weight, grad, lr, wd, rescale_grad, clip_gradient), None
        return ops.nag_mom(weight, grad, state, *p)


@register
class Signum(Optimizer):
    """signSGD with momentum (Signum), with optional decoupled weight decay ``wd_lh``::

        state = momentum * state + (1 - momentum) * (rescale_grad * grad + wd * weight)
        weight = (1 - lr * wd_lh) * weight - lr * sign(state)
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, weight.dtype, stype=stype_of(weight))

    def _hyper(self, index, weight):
        self._update_count(index)
        return dict(_sgd_hyper(self, self._get_lr(index), self._get_wd(index), self.momentum),
                    wd_lh=self.wd_lh)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        p = typed(hyper, weight.dtype, *_SGD_KEYS, "wd_lh")
        if state is None:
            return ops.signsgd(weight, grad, p[0], p[1]), None
        return ops.signum(weight, grad, state, *p)


@register
class LARS(Optimizer):
    """SGD with layer-wise adaptive learning rates (LARS): each weight (except biases,
    betas and gammas, by name) gets ``lr * eta * |w| / (|g| + wd * |w| + eps)``.

    Parameters
    ----------
    momentum : float
        The momentum value.
    eta : float
        LARS coefficient.
    eps : float
        Added to the denominator.
    momentum_correction : bool
        Scale the momentum by the change of the scheduled learning rate.
    """

    _master_first = False

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size()
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self._scheduled_lr()
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return self._mults(indices, lr, "lr_mult", self.lr_mult)

    def _no_decay(self, name):
        return not name.endswith("_weight")

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        stype = stype_of(weight) if self.lazy_update else "default"
        return zeros(weight.shape, weight.context, weight.dtype, stype=stype)

    def _prepare(self, indices, weights, aggregated):
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        momentum = self.momentum
        if momentum > 0 and self.momentum_correction and self.last_lr != 0:
            momentum = self.momentum * (self.cur_lr / self.last_lr)
        hypers = []
        for index, lr, wd in zip(indices, lrs, wds):
            name = self.idx2name.get(index, str(index))
            layer_wise = not name.endswith(("gamma", "beta", "bias"))
            hypers.append(dict(_sgd_hyper(self, lr, wd, momentum), eta=self.eta, eps=self.eps,
                               layer_wise=float(layer_wise)))
        return hypers

    @staticmethod
    def _lr(weight, grad, hyper):
        """multi_sum_sq + multi_lars on the stored weight and gradient."""
        lr, wd, eta, eps, rescale_grad = typed(hyper, F32, "lr", "wd", "eta", "eps",
                                               "rescale_grad")
        scaled = lars_lr(lr, sum_sq(weight), sum_sq(grad), wd, eta, eps, rescale_grad)
        return jnp.where(hyper["layer_wise"] > 0, scaled, lr)

    @classmethod
    def _step(cls, static, weight, grad, state, hyper, key):
        return _sgd_step(weight, grad, state, hyper, lr=cls._lr(weight, grad, hyper))

    @classmethod
    def _mp_step(cls, static, weight, grad, state, hyper, key):
        mom, master = state
        new_master, mom = _sgd_step(master, grad, mom, hyper, lr=cls._lr(weight, grad, hyper))
        return new_master.astype(weight.dtype), (mom, new_master)


@register
class LBSGD(Optimizer):
    """Large-batch SGD: gradients accumulated over ``batch_scale`` updates, with a
    warm-up of the learning rate multiplier ('linear', 'power2', 'sqrt' or 'lars').

    Runs eagerly, update by update, as in MXNet (its learning rate depends on values
    read back from the arrays).
    """

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy="linear",
                 warmup_epochs=5, batch_scale=1, updates_per_epoch=32, begin_epoch=0,
                 num_epochs=60, **kwargs):
        super().__init__(**kwargs)
        logging.info("Running Large-Batch SGD Algorithm")
        logging.info("(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, "
                     "updates_per_epoch=%d)", batch_scale, warmup_epochs, warmup_strategy,
                     updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index, weight):
        dtype = F32 if self.multi_precision and weight.dtype == np.float16 else weight.dtype
        momentum = zeros(weight.shape, weight.context, dtype, stype=stype_of(weight)) \
            if self.momentum != 0.0 else None
        if dtype != weight.dtype:
            return momentum, weight.astype(F32)
        return momentum

    def create_state_multi_precision(self, index, weight):
        return self.create_state(index, weight)

    def _get_lbmult(self, nup):
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        ramp = {"linear": nup / nwup, "power2": (nup * nup) / (nwup * nwup),
                "sqrt": math.sqrt(float(nup) / nwup)}.get(self.warmup_strategy)
        return 1.0 if ramp is None else 1.0 + (maxmult - 1) * ramp

    def _get_lars(self, weight, g, wd):
        w2, g2 = (float((v * v).asnumpy().sum()) for v in (weight, g))
        return min(max(math.sqrt(w2 / (g2 + wd * w2 + 1e-18)), 0.01), 100)

    def _cumulate_gradient(self, grad, index):
        cgrad = self.cumgrads.get(index, {})
        if cgrad and cgrad["num_cums"] > 0:
            cgrad = {"cum_grad": cgrad["cum_grad"] + grad, "num_cums": cgrad["num_cums"] + 1}
        else:
            cgrad = {"cum_grad": grad, "num_cums": self.init_updates + 1}
        self.cumgrads[index] = cgrad
        return cgrad

    def update(self, index, weight, grad, state):
        lr, wd = self._get_lr(index), self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad["num_cums"] % self.batch_scale != 0:
            _nd._op("sgd_update")(weight, grad, out=weight, lr=0.0, wd=wd)
            return
        grad = cgrad["cum_grad"] / self.batch_scale
        lbmult = (self._get_lars(weight, grad, wd) if self.warmup_strategy == "lars"
                  else self._get_lbmult(cgrad["num_cums"]))
        kwargs = dict(lr=lr * lbmult, wd=wd, rescale_grad=self.rescale_grad)
        if self.momentum > 0:
            kwargs["momentum"] = self.momentum
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        if isinstance(state, (list, tuple)):
            mom, master = state
            name, inputs = ("mp_sgd_mom_update", (mom, master)) if mom is not None else \
                ("mp_sgd_update", (master,))
        else:
            name, inputs = ("sgd_mom_update", (state,)) if state is not None else \
                ("sgd_update", ())
        if "mom" not in name:
            kwargs.pop("momentum", None)
        _nd._op(name)(weight, grad, *inputs, out=weight, **kwargs)
        self.cumgrads[index]["cum_grad"] = 0

    def update_multi_precision(self, index, weight, grad, state):
        self.update(index, weight, grad, state)


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (DC-ASGD).

    Parameters
    ----------
    momentum : float
        The momentum value.
    lamda : float
        Scale of the delay compensation.
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        mom = zeros(weight.shape, weight.context, weight.dtype) if self.momentum != 0.0 else None
        return mom, copy_of(weight)

    def _hyper(self, index, weight):
        self._update_count(index)
        return dict(lr=self._get_lr(index), wd=self._get_wd(index),
                    rescale_grad=self.rescale_grad, clip_gradient=self._clip_python(),
                    momentum=self.momentum, lamda=self.lamda)

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        # MXNet 1.9.1 fails for a momentum state (it tests an NDArray for truth); this is
        # the update it means.
        mom, previous = state
        rescale, clip_gradient, wd, lamda, momentum = scalars(
            hyper, weight.dtype, "rescale_grad", "clip_gradient", "wd", "lamda", "momentum")
        neg_lr = -hyper["lr"].astype(weight.dtype)
        g = ops.clip(grad * rescale, clip_gradient)
        step = (g + weight * wd + g * lamda * g * (weight - previous)) * neg_lr
        mom = step if mom is None else mom * momentum + step
        return weight + mom, (None if state[0] is None else mom, weight)


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: half an SGD step plus Gaussian noise of
    variance ``lr``."""

    _random = True

    def create_state(self, index, weight):
        return None

    def _hyper(self, index, weight):
        self._update_count(index)
        return dict(lr=self._get_lr(index), wd=self._get_wd(index),
                    rescale_grad=self.rescale_grad, clip_gradient=self._clip_python())

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        dt = weight.dtype
        rescale, clip_gradient, wd = scalars(hyper, dt, "rescale_grad", "clip_gradient", "wd")
        g = ops.clip(grad * rescale, clip_gradient)
        weight = weight + (g + weight * wd) * (-hyper["lr"] / 2).astype(dt)
        noise = jax.random.normal(key, weight.shape, dt) * jnp.sqrt(hyper["lr"]).astype(dt)
        return weight + noise, None
