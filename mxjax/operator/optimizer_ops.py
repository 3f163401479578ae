"""Optimizer update operators (``sgd_update``, ``adam_update``, ...), one weight each.

Each kernel is a pure function of (weight, grad, states...) returning the new weight and
the new states, with MXNet's order of float operations (src/operator/optimizer_op-inl.h)
so that float32 results agree bit for bit where XLA allows. As ``mx.nd`` functions they
update their state inputs in place (the registry's ``mutate``) and write the weight into
``out=``. Hyper-parameters are traced (``dynamic``): a changing learning rate or step
count never recompiles. ``mx.optimizer`` calls the same kernels (``kernels`` below).

MXNet stores a kernel's hyper-parameters as float32 fields and casts them to the data
type; :func:`param` does the same. A negative ``clip_gradient`` means no clipping.
"""

import jax.numpy as jnp

from .spec import Required, register

__all__ = ["param", "clip", "sign", "sgd", "sgd_mom", "nag_mom", "signsgd", "signum",
           "adam", "adamw", "rmsprop", "rmspropalex", "ftrl", "ftml", "lamb_phase1",
           "lamb_phase2", "pow_t"]

F32 = jnp.float32


def param(x, dtype):
    """A kernel hyper-parameter: a float32 field in MXNet, cast to the data type."""
    return jnp.asarray(x).astype(F32).astype(dtype)


def clip(x, bound):
    """MXNet's gradient clipping: into [-bound, bound] when bound >= 0, else unchanged."""
    return jnp.where(bound >= 0, jnp.clip(x, -bound, bound), x)


def sign(x):
    """-1, 0 or 1 (0 for NaN), in the data type, as MXNet's sign kernels compute it."""
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def pow_t(base, t):
    """``pow(base, t)`` in the dtype of ``base`` (MXNet's power kernel: powf for float32)."""
    return jnp.power(base, jnp.asarray(t).astype(base.dtype))


def _params(dtype, *values):
    return [param(v, dtype) for v in values]


# ---- kernels: pure functions on arrays of one compute dtype -------------------------------
def sgd(w, g, lr, wd, rescale_grad, clip_gradient):
    """sgd_update: (1 - lr*wd) * w - lr * clip(rescale*g)."""
    decay = 1 - lr * wd
    return jnp.where(clip_gradient >= 0,
                     decay * w - lr * clip(rescale_grad * g, clip_gradient),
                     decay * w - (lr * rescale_grad) * g)


def sgd_mom(w, g, mom, lr, wd, momentum, rescale_grad, clip_gradient):
    """sgd_mom_update and the multi_sgd kernels (``mom=None``: no momentum state).
    Returns (new weight, new momentum)."""
    kept = 0 if mom is None else momentum * mom
    base = kept - (lr * wd) * w
    mom = jnp.where(clip_gradient >= 0,
                    base - lr * clip(rescale_grad * g, clip_gradient),
                    base - (lr * rescale_grad) * g)
    return w + mom, mom


def nag_mom(w, g, mom, lr, wd, momentum, rescale_grad, clip_gradient):
    """nag_mom_update. MXNet 1.9.1 writes the weight first and then reads it back for the
    momentum's weight decay term, so (updating in place, as optimizers do) the momentum
    decays with the new weight."""
    kept = momentum * mom
    scaled = clip(rescale_grad * g, clip_gradient)
    new_w = (w - kept) + (momentum + 1) * (kept - lr * (scaled + wd * w))
    return new_w, kept - lr * (scaled + wd * new_w)


def signsgd(w, g, lr, wd):
    """signsgd_update (rescale_grad and clip_gradient have no effect, as in MXNet)."""
    return (1 - lr * wd) * w - lr * sign(g)


def signum(w, g, mom, lr, wd, momentum, rescale_grad, clip_gradient, wd_lh):
    one_minus = 1 - momentum
    base = momentum * mom - (one_minus * wd) * w
    mom = jnp.where(clip_gradient >= 0,
                    base - one_minus * clip(rescale_grad * g, clip_gradient),
                    base - (one_minus * rescale_grad) * g)
    return (1 - lr * wd_lh) * w + lr * sign(mom), mom


def adam(w, g, mean, var, lr, beta1, beta2, epsilon, wd, rescale_grad, clip_gradient):
    """adam_update; bias correction is folded into ``lr`` by the optimizer."""
    scaled = clip(g * rescale_grad + w * wd, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * scaled
    var = beta2 * var + (1 - beta2) * scaled * scaled
    return w - lr * mean / (jnp.sqrt(var) + epsilon), mean, var


def adamw(w, g, mean, var, rescale_grad, lr, eta, beta1, beta2, epsilon, wd, clip_gradient):
    """_adamw_update: the update is skipped when rescale_grad is 0, NaN or infinite."""
    scaled = clip(rescale_grad * g, clip_gradient)
    new_mean = beta1 * mean + (1 - beta1) * scaled
    new_var = beta2 * var + (1 - beta2) * (scaled * scaled)
    new_w = w - eta * (lr * new_mean / (jnp.sqrt(new_var) + epsilon) + wd * w)
    ok = jnp.isfinite(rescale_grad) & (rescale_grad != 0)
    return tuple(jnp.where(ok, new, old) for new, old in
                 ((new_w, w), (new_mean, mean), (new_var, var)))


def rmsprop(w, g, n, lr, gamma1, epsilon, wd, rescale_grad, clip_gradient, clip_weights):
    scaled = clip(rescale_grad * g + wd * w, clip_gradient)
    n = (1 - gamma1) * (scaled * scaled) + gamma1 * n
    new_w = w - lr * (scaled / jnp.sqrt(n + epsilon))
    return clip(new_w, clip_weights), n


def rmspropalex(w, g, n, mean_g, delta, lr, gamma1, gamma2, epsilon, wd, rescale_grad,
                clip_gradient, clip_weights):
    scaled = clip(rescale_grad * g + wd * w, clip_gradient)
    n = (1 - gamma1) * scaled * scaled + gamma1 * n
    mean_g = (1 - gamma1) * scaled + gamma1 * mean_g
    delta = gamma2 * delta - lr * scaled / jnp.sqrt(n - mean_g * mean_g + epsilon)
    return clip(w + delta, clip_weights), n, mean_g, delta


def ftrl(w, g, z, n, lr, lamda1, beta, wd, rescale_grad, clip_gradient):
    scaled = clip(g * rescale_grad, clip_gradient)
    z = z + (scaled - (jnp.sqrt(n + scaled * scaled) - jnp.sqrt(n)) * w / lr)
    n = n + scaled * scaled
    new_w = ((sign(z) * lamda1 - z) / ((beta + jnp.sqrt(n)) / lr + wd)
             * (jnp.abs(z) > lamda1).astype(w.dtype))
    return new_w, z, n


def ftml(w, g, d, v, z, lr, beta1, beta2, epsilon, t, wd, rescale_grad, clip_grad):
    scaled = clip(rescale_grad * g + wd * w, clip_grad)
    v = beta2 * v + (1 - beta2) * (scaled * scaled)
    d_t = (1 - pow_t(beta1, t)) / lr * (jnp.sqrt(v / (1 - pow_t(beta2, t))) + epsilon)
    z = beta1 * z + (1 - beta1) * scaled - (d_t - beta1 * d) * w
    return -z / d_t, d_t, v, z


def lamb_phase1(w, g, mean, var, beta1, beta2, epsilon, t, bias_correction, wd,
                rescale_grad, clip_gradient):
    """lamb_update_phase1 on (master) weight ``w``; returns (g, mean, var)."""
    dt = mean.dtype
    scaled = clip(g.astype(dt) * rescale_grad, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * scaled
    var = beta2 * var + (1 - beta2) * scaled * scaled
    if not bias_correction:
        return mean / (jnp.sqrt(var) + epsilon) + wd * w, mean, var
    # MXNet: beta**t with C++ std::pow(float, int) in double, then stored in the data type;
    # the mean's correction divides in double as well.
    beta1_t, beta2_t = (jnp.power(b.astype(F32).astype(jnp.float64), t).astype(dt)
                        for b in (beta1, beta2))
    mean_hat = (mean.astype(jnp.float64) / (1.0 - beta1_t.astype(jnp.float64))).astype(dt)
    var_hat = var / (1 - beta2_t)
    return mean_hat / (jnp.sqrt(var_hat) + epsilon) + wd * w, mean, var


def lamb_phase2(w, g, r1, r2, lr, lower_bound, upper_bound):
    """lamb_update_phase2: w - lr * (r1 / r2) * g, r1 bounded, r1 or r2 of 0 meaning 1."""
    r1, r2 = r1.reshape(-1)[0], r2.reshape(-1)[0]
    r1 = jnp.where(lower_bound >= 0, jnp.maximum(r1, lower_bound), r1)
    r1 = jnp.where(upper_bound >= 0, jnp.minimum(r1, upper_bound), r1)
    lr = jnp.where((r1 == 0) | (r2 == 0), lr, lr * r1 / r2)
    return w - lr * g


# ---- registration -----------------------------------------------------------------------
_COMMON = dict(wd=0.0, rescale_grad=1.0, clip_gradient=-1.0)
_STATIC = ("lazy_update", "bias_correction")


def _op(name, inputs, attrs, mutate, **options):
    """Register an update operator; every attribute but the flags in _STATIC is traced."""
    dynamic = tuple(k for k in attrs if k not in _STATIC)
    return register(name, inputs=inputs, attrs=attrs, mutate=mutate, dynamic=dynamic,
                    **options)


@_op("sgd_update", ("weight", "grad"), dict(lr=Required, **_COMMON, lazy_update=True), ())
def sgd_update(weight, grad, *, lr, wd, rescale_grad, clip_gradient, lazy_update):
    """Update a weight with SGD: weight = (1 - lr*wd)*weight - lr*clip(rescale*grad)."""
    return sgd(weight, grad, *_params(weight.dtype, lr, wd, rescale_grad, clip_gradient))


@_op("sgd_mom_update", ("weight", "grad", "mom"),
     dict(lr=Required, momentum=0.0, **_COMMON, lazy_update=True), (2,))
def sgd_mom_update(weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient,
                   lazy_update):
    """SGD with momentum: mom = momentum*mom - lr*(wd*weight + grad); weight += mom."""
    p = _params(weight.dtype, lr, wd, momentum, rescale_grad, clip_gradient)
    return sgd_mom(weight, grad, mom, *p)


@_op("mp_sgd_update", ("weight", "grad", "weight32"),
     dict(lr=Required, **_COMMON, lazy_update=True), (2,))
def mp_sgd_update(weight, grad, weight32, *, lr, wd, rescale_grad, clip_gradient,
                  lazy_update):
    """sgd_update computed on a float32 master copy of a low-precision weight."""
    w32 = sgd(weight32, grad.astype(F32), *_params(F32, lr, wd, rescale_grad, clip_gradient))
    return w32.astype(weight.dtype), w32


@_op("mp_sgd_mom_update", ("weight", "grad", "mom", "weight32"),
     dict(lr=Required, momentum=0.0, **_COMMON, lazy_update=True), (2, 3))
def mp_sgd_mom_update(weight, grad, mom, weight32, *, lr, momentum, wd, rescale_grad,
                      clip_gradient, lazy_update):
    """sgd_mom_update computed on a float32 master copy of a low-precision weight."""
    p = _params(F32, lr, wd, momentum, rescale_grad, clip_gradient)
    w32, mom = sgd_mom(weight32, grad.astype(F32), mom, *p)
    return w32.astype(weight.dtype), mom, w32


@_op("nag_mom_update", ("weight", "grad", "mom"), dict(lr=Required, momentum=0.0, **_COMMON),
     (2,))
def nag_mom_update(weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient):
    """Nesterov momentum update."""
    return nag_mom(weight, grad, mom,
                   *_params(weight.dtype, lr, wd, momentum, rescale_grad, clip_gradient))


@_op("mp_nag_mom_update", ("weight", "grad", "mom", "weight32"),
     dict(lr=Required, momentum=0.0, **_COMMON), (2, 3))
def mp_nag_mom_update(weight, grad, mom, weight32, *, lr, momentum, wd, rescale_grad,
                      clip_gradient):
    """nag_mom_update computed on a float32 master copy of a low-precision weight."""
    p = _params(F32, lr, wd, momentum, rescale_grad, clip_gradient)
    w32, mom = nag_mom(weight32, grad.astype(F32), mom, *p)
    return w32.astype(weight.dtype), mom, w32


@_op("signsgd_update", ("weight", "grad"), dict(lr=Required, **_COMMON), ())
def signsgd_update(weight, grad, *, lr, wd, rescale_grad, clip_gradient):
    """SignSGD: weight = (1 - lr*wd)*weight - lr*sign(grad)."""
    return signsgd(weight, grad, *_params(weight.dtype, lr, wd))


@_op("signum_update", ("weight", "grad", "mom"),
     dict(lr=Required, momentum=0.0, **_COMMON, wd_lh=0.0), (2,))
def signum_update(weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient, wd_lh):
    """Signum: the sign of a momentum of the gradient, with decoupled weight decay wd_lh."""
    p = _params(weight.dtype, lr, wd, momentum, rescale_grad, clip_gradient, wd_lh)
    return signum(weight, grad, mom, *p)


@_op("adam_update", ("weight", "grad", "mean", "var"),
     dict(lr=Required, beta1=0.9, beta2=0.999, epsilon=1e-8, **_COMMON, lazy_update=True),
     (2, 3))
def adam_update(weight, grad, mean, var, *, lr, beta1, beta2, epsilon, wd, rescale_grad,
                clip_gradient, lazy_update):
    """Adam update (epsilon added outside the square root)."""
    p = _params(weight.dtype, lr, beta1, beta2, epsilon, wd, rescale_grad, clip_gradient)
    return adam(weight, grad, mean, var, *p)


_ADAMW = dict(lr=Required, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0, eta=Required,
              clip_gradient=-1.0)
# nd.contrib.adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, ...): a number or
# an array for rescale_grad, and MXNet's Python wrapper's argument order.
_CONTRIB_ADAMW = dict(rescale_grad=Required, lr=Required, eta=Required, beta1=0.9,
                      beta2=0.999, epsilon=1e-8, wd=0.0, clip_gradient=-1.0)


def _adamw_impl(master):
    def impl(weight, grad, mean, var, *rest, rescale_grad=None, lr, eta, beta1, beta2,
             epsilon, wd, clip_gradient):
        scale = rest[-1] if rescale_grad is None else rescale_grad
        w = rest[0] if master else weight
        scale = jnp.asarray(scale).reshape(-1)[0]
        out = adamw(w, grad.astype(w.dtype), mean, var,
                    *_params(w.dtype, scale, lr, eta, beta1, beta2, epsilon, wd,
                             clip_gradient))
        return (out[0].astype(weight.dtype), *out[1:], out[0]) if master else out

    impl.__doc__ = ("AdamW on a float32 master weight; skipped for a scale of 0, NaN or inf."
                    if master else
                    "AdamW: decoupled weight decay; skipped for a scale of 0, NaN or inf.")
    return impl


for _name, _inputs, _attrs, _mutate, _master in (
        ("_adamw_update", ("weight", "grad", "mean", "var", "rescale_grad"), _ADAMW, (2, 3),
         False),
        ("_mp_adamw_update", ("weight", "grad", "mean", "var", "weight32", "rescale_grad"),
         _ADAMW, (2, 3, 4), True),
        ("_contrib_adamw_update", ("weight", "grad", "mean", "var"), _CONTRIB_ADAMW, (2, 3),
         False),
        ("_contrib_mp_adamw_update", ("weight", "grad", "mean", "var", "weight32"),
         _CONTRIB_ADAMW, (2, 3, 4), True)):
    _op(_name, _inputs, _attrs, _mutate)(_adamw_impl(_master))


@_op("rmsprop_update", ("weight", "grad", "n"),
     dict(lr=Required, gamma1=0.95, epsilon=1e-8, **_COMMON, clip_weights=-1.0), (2,))
def rmsprop_update(weight, grad, n, *, lr, gamma1, epsilon, wd, rescale_grad, clip_gradient,
                   clip_weights):
    """RMSProp (Tieleman & Hinton)."""
    p = _params(weight.dtype, lr, gamma1, epsilon, wd, rescale_grad, clip_gradient,
                clip_weights)
    return rmsprop(weight, grad, n, *p)


@_op("rmspropalex_update", ("weight", "grad", "n", "g", "delta"),
     dict(lr=Required, gamma1=0.95, gamma2=0.9, epsilon=1e-8, **_COMMON, clip_weights=-1.0),
     (2, 3, 4))
def rmspropalex_update(weight, grad, n, g, delta, *, lr, gamma1, gamma2, epsilon, wd,
                       rescale_grad, clip_gradient, clip_weights):
    """Centered RMSProp (Graves)."""
    p = _params(weight.dtype, lr, gamma1, gamma2, epsilon, wd, rescale_grad, clip_gradient,
                clip_weights)
    return rmspropalex(weight, grad, n, g, delta, *p)


@_op("ftrl_update", ("weight", "grad", "z", "n"),
     dict(lr=Required, lamda1=0.01, beta=1.0, **_COMMON), (2, 3))
def ftrl_update(weight, grad, z, n, *, lr, lamda1, beta, wd, rescale_grad, clip_gradient):
    """FTRL-proximal update."""
    p = _params(weight.dtype, lr, lamda1, beta, wd, rescale_grad, clip_gradient)
    return ftrl(weight, grad, z, n, *p)


@_op("ftml_update", ("weight", "grad", "d", "v", "z"),
     dict(lr=Required, beta1=0.6, beta2=0.999, epsilon=1e-8, t=Required, wd=0.0,
          rescale_grad=1.0, clip_grad=-1.0), (2, 3, 4))
def ftml_update(weight, grad, d, v, z, *, lr, beta1, beta2, epsilon, t, wd, rescale_grad,
                clip_grad):
    """FTML (Follow the Moving Leader) update."""
    dt = weight.dtype
    lr, beta1, beta2, wd, rescale_grad, clip_grad = _params(dt, lr, beta1, beta2, wd,
                                                            rescale_grad, clip_grad)
    epsilon = jnp.asarray(epsilon).astype(dt)  # a double field in MXNet
    return ftml(weight, grad, d, v, z, lr, beta1, beta2, epsilon, t, wd, rescale_grad,
                clip_grad)


_LAMB1 = dict(beta1=0.9, beta2=0.999, epsilon=1e-6, t=Required, bias_correction=True,
              wd=Required, rescale_grad=1.0, clip_gradient=-1.0)
_LAMB2 = dict(lr=Required, lower_bound=-1.0, upper_bound=-1.0)


@_op("lamb_update_phase1", ("weight", "grad", "mean", "var"), _LAMB1, (2, 3))
def lamb_update_phase1(weight, grad, mean, var, *, beta1, beta2, epsilon, t, bias_correction,
                       wd, rescale_grad, clip_gradient):
    """LAMB phase 1: the Adam-style direction g (plus wd*weight), updating mean and var."""
    b1, b2, eps, wd, scale, c = _params(weight.dtype, beta1, beta2, epsilon, wd, rescale_grad,
                                        clip_gradient)
    return lamb_phase1(weight, grad, mean, var, b1, b2, eps, t, bias_correction, wd, scale, c)


@_op("mp_lamb_update_phase1", ("weight", "grad", "mean", "var", "weight32"), _LAMB1, (2, 3))
def mp_lamb_update_phase1(weight, grad, mean, var, weight32, *, beta1, beta2, epsilon, t,
                          bias_correction, wd, rescale_grad, clip_gradient):
    """lamb_update_phase1 on a float32 master weight."""
    b1, b2, eps, wd, scale, c = _params(F32, beta1, beta2, epsilon, wd, rescale_grad,
                                        clip_gradient)
    return lamb_phase1(weight32, grad, mean, var, b1, b2, eps, t, bias_correction, wd, scale,
                       c)


@_op("lamb_update_phase2", ("weight", "g", "r1", "r2"), _LAMB2, ())
def lamb_update_phase2(weight, g, r1, r2, *, lr, lower_bound, upper_bound):
    """LAMB phase 2: weight -= lr * (r1 / r2) * g (the trust ratio)."""
    return lamb_phase2(weight, g, r1, r2, *_params(weight.dtype, lr, lower_bound, upper_bound))


@_op("mp_lamb_update_phase2", ("weight", "g", "r1", "r2", "weight32"), _LAMB2, ())
def mp_lamb_update_phase2(weight, g, r1, r2, weight32, *, lr, lower_bound, upper_bound):
    """lamb_update_phase2 from a float32 master weight (which MXNet leaves unchanged)."""
    out = lamb_phase2(weight32, g, r1, r2, *_params(F32, lr, lower_bound, upper_bound))
    return out.astype(weight.dtype)


@_op("_contrib_group_adagrad_update", ("weight", "grad", "history"),
     dict(lr=Required, rescale_grad=1.0, clip_gradient=-1.0, epsilon=1e-5), (2,))
def group_adagrad_update(weight, grad, history, *, lr, rescale_grad, clip_gradient, epsilon):
    """AdaGrad with one history value per row (the mean of the row's squared gradient)."""
    lr, scale, c, eps = _params(weight.dtype, lr, rescale_grad, clip_gradient, epsilon)
    scaled = clip(grad * scale, c)
    rows = scaled.reshape(scaled.shape[0], -1)
    history = history + (jnp.sum(rows * rows, axis=1) / rows.shape[1]).reshape(history.shape)
    scale_rows = jnp.sqrt(history.reshape(-1) + eps).reshape((-1,) + (1,) * (weight.ndim - 1))
    return weight - lr * scaled / scale_rows, history
