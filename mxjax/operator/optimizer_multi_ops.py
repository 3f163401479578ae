"""Optimizer operators over several weights at once (``multi_sgd_update``, LARS, LAMB, ...).

Inputs come interleaved per weight (weight, grad, states..., [weight32]) as MXNet passes
them; outputs are the new weights, and the states are updated in place (``mutate``).
Each weight goes through the same single-weight kernels as ``optimizer_ops``, plus the
two reductions LARS and LAMB need (:func:`sum_sq`, :func:`lars_lr`, :func:`multi_lamb`).
"""

import jax.numpy as jnp

from ..base import MXNetError
from .optimizer_ops import F32, clip, param, pow_t, sgd_mom
from .spec import Required, register

__all__ = ["sum_sq", "lars_lr", "multi_lamb", "multi_adamw"]


def sum_sq(x):
    """Sum of squares in float32 (squares in the data type, as MXNet's multi_sum_sq)."""
    return jnp.sum((x * x).astype(F32))


def lars_lr(lr, w_sum_sq, g_sum_sq, wd, eta, eps, rescale_grad):
    """multi_lars: the layer-wise learning rate, all in float32."""
    w_norm = jnp.sqrt(w_sum_sq)
    valid = (w_norm > 0) & (g_sum_sq > 0)
    return jnp.where(valid, lr * eta * w_norm / (jnp.sqrt(g_sum_sq) * rescale_grad
                                                 + wd * w_norm + eps), lr)


def multi_lamb(w, g, mean, var, weight, *, lr, wd, t, beta1, beta2, epsilon, rescale_grad,
               clip_gradient, lower_bound, upper_bound, bias_correction):
    """One tensor of _multi_lamb_update; ``w`` is the (master) weight in the state dtype,
    ``weight`` the stored weight whose norm MXNet uses. Returns (new w, mean, var)."""
    scaled = clip(g.astype(w.dtype) * rescale_grad, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * scaled
    var = beta2 * var + (1 - beta2) * scaled * scaled
    if bias_correction:
        direction = (mean / (1 - pow_t(beta1, t))
                     / (jnp.sqrt(var / (1 - pow_t(beta2, t))) + epsilon))
    else:
        direction = mean / (jnp.sqrt(var) + epsilon)
    direction = direction + wd * w
    r1, r2 = jnp.sqrt(sum_sq(weight)), jnp.sqrt(sum_sq(direction.astype(F32)))
    r1 = jnp.where(lower_bound >= 0, jnp.maximum(r1, lower_bound), r1)
    r1 = jnp.where(upper_bound >= 0, jnp.minimum(r1, upper_bound), r1)
    ratio = jnp.where((r1 == 0) | (r2 == 0), 1.0, r1 / r2).astype(w.dtype)
    return w - (lr * ratio) * direction, mean, var


def multi_adamw(w, g, mean, var, rescale_grad, lr, wd, eta, beta1, beta2, epsilon,
                clip_gradient):
    """One tensor of _multi_adamw_update (its moments are written as beta*(m - g) + g)."""
    scaled = clip(rescale_grad * g.astype(w.dtype), clip_gradient)
    mean = beta1 * (mean - scaled) + scaled
    square = scaled * scaled
    var = beta2 * (var - square) + square
    return w - eta * (lr * mean / (jnp.sqrt(var) + epsilon) + wd * w), mean, var


def _groups(data, stride, count):
    if len(data) < stride * count:
        raise ValueError(f"expected {stride * count} inputs for {count} weights, "
                         f"got {len(data)}")
    return [data[i * stride:(i + 1) * stride] for i in range(count)]


def _mutated(stride, positions, count="num_weights"):
    """The state inputs of every weight (positions within its group of ``stride``)."""
    return lambda attrs, n: tuple(i * stride + p for i in range(attrs[count])
                                  for p in positions)


def _finish(weights, states):
    """Outputs then the mutated states, in input order (per weight)."""
    return (*weights, *[s for per_weight in states for s in per_weight])


# ---- SGD family -------------------------------------------------------------------------
def _sgd_variant(has_mom, master, preloaded):
    stride = 2 + has_mom + master

    def impl(*data, lrs=None, wds=None, momentum=0.0, rescale_grad, clip_gradient,
             num_weights):
        if preloaded:
            data, lrs, wds = data[:-2], data[-2], data[-1]
        new_weights, states = [], []
        for i, group in enumerate(_groups(data, stride, num_weights)):
            weight, grad = group[:2]
            w = group[-1] if master else weight
            p = [param(v, w.dtype) for v in (lrs[i], wds[i], momentum, rescale_grad,
                                             clip_gradient)]
            new_w, mom = sgd_mom(w, grad.astype(w.dtype), group[2] if has_mom else None, *p)
            new_weights.append(new_w.astype(weight.dtype))
            states.append((mom,) * has_mom + (new_w,) * master)
        return _finish(new_weights, states)

    impl.__doc__ = (f"SGD{' with momentum' if has_mom else ''} over several weights"
                    f"{' (float32 master copies)' if master else ''}"
                    f"{'; learning rates and wds are the last two inputs' if preloaded else ''}.")
    return impl


for _mom in (False, True):
    for _master in (False, True):
        for _pre in (False, True):
            _name = (f"{'preloaded_' if _pre else ''}multi_{'mp_' if _master else ''}"
                     f"sgd_{'mom_' if _mom else ''}update")
            _attrs = ({} if _pre else dict(lrs=Required, wds=Required)) | \
                (dict(momentum=0.0) if _mom else {}) | \
                dict(rescale_grad=1.0, clip_gradient=-1.0, num_weights=1)
            _stride = 2 + _mom + _master
            register(_name, inputs=("data",), variadic=True, attrs=_attrs,
                     dynamic=tuple(k for k in _attrs if k != "num_weights"),
                     num_outputs=lambda a: a["num_weights"],
                     mutate=_mutated(_stride, tuple(range(2, _stride))), lists_input_names=True)(
                _sgd_variant(_mom, _master, _pre))


@register("multi_sum_sq", inputs=("data",), variadic=True, attrs=dict(num_arrays=Required),
          lists_input_names=True)
def multi_sum_sq(*data, num_arrays):
    """The sum of squares of each array, as one float32 vector."""
    return jnp.stack([sum_sq(x) for x in data[:num_arrays]])


@register("multi_lars", inputs=("lrs", "weights_sum_sq", "grads_sum_sq", "wds"),
          attrs=dict(eta=Required, eps=Required, rescale_grad=1.0),
          dynamic=("eta", "eps", "rescale_grad"), lists_input_names=True)
def multi_lars(lrs, weights_sum_sq, grads_sum_sq, wds, *, eta, eps, rescale_grad):
    """Layer-wise learning rates of LARS from the weights' and gradients' sums of squares."""
    eta, eps, rescale_grad = (param(v, F32) for v in (eta, eps, rescale_grad))
    return lars_lr(lrs, weights_sum_sq, grads_sum_sq, wds, eta, eps, rescale_grad)


def _all_finite(arrays):
    ok = jnp.all(jnp.stack([jnp.all(jnp.isfinite(a)) for a in arrays]))
    return ok.astype(F32).reshape(1)


@register("all_finite", attrs=dict(init_output=True), lists_input_names=True)
def all_finite(data, *, init_output):
    """1 if every element of data is finite, else 0 (float32, shape (1,))."""
    return _all_finite([data])


@register("multi_all_finite", inputs=("data",), variadic=True,
          attrs=dict(num_arrays=1, init_output=True), lists_input_names=True)
def multi_all_finite(*data, num_arrays, init_output):
    """1 if every element of every array is finite, else 0 (float32, shape (1,))."""
    return _all_finite(data[:num_arrays])


@register("reset_arrays", inputs=("data",), variadic=True, attrs=dict(num_arrays=Required),
          num_outputs=0, mutate=lambda attrs, n: tuple(range(attrs["num_arrays"])),
          lists_input_names=True)
def reset_arrays(*data, num_arrays):
    """Sets every input (``num_arrays`` of them) to zero, in place; returns nothing."""
    if num_arrays != len(data):
        raise MXNetError(f"reset_arrays: num_arrays={num_arrays} but {len(data)} arrays were "
                         "given")
    return tuple(jnp.zeros_like(x) for x in data)


# ---- AdamW and LAMB over several weights ---------------------------------------------------
_ADAMW = dict(lrs=Required, beta1=0.9, beta2=0.999, epsilon=1e-8, wds=Required,
              etas=Required, clip_gradient=-1.0, num_weights=1)


def _multi_adamw_impl(master):
    stride = 4 + master

    def impl(*data, lrs, beta1, beta2, epsilon, wds, etas, clip_gradient, num_weights):
        scale = data[-1].reshape(-1)[0]
        ok = jnp.isfinite(scale) & (scale != 0)
        new_weights, states = [], []
        for i, group in enumerate(_groups(data[:-1], stride, num_weights)):
            weight, grad, mean, var = group[:4]
            w = group[-1] if master else weight
            p = [param(v, w.dtype) for v in (scale, lrs[i], wds[i], etas[i], beta1, beta2,
                                             epsilon, clip_gradient)]
            out = multi_adamw(w, grad, mean, var, *p)
            new_w, mean, var = (jnp.where(ok, new, old) for new, old in zip(out, (w, mean, var)))
            new_weights.append(new_w.astype(weight.dtype))
            states.append((mean, var, new_w) if master else (mean, var))
        return _finish(new_weights, states)

    impl.__doc__ = f"AdamW over several weights{' (float32 master copies)' if master else ''}."
    return impl


_LAMB = dict(learning_rates=Required, beta1=0.9, beta2=0.999, epsilon=1e-6, wds=Required,
             rescale_grad=1.0, lower_bound=-1.0, upper_bound=-1.0, clip_gradient=-1.0,
             bias_correction=True, step_count=Required, num_tensors=1)


def _multi_lamb_impl(master):
    stride = 4 + master

    def impl(*data, learning_rates, beta1, beta2, epsilon, wds, rescale_grad, lower_bound,
             upper_bound, clip_gradient, bias_correction, step_count, num_tensors):
        new_weights, states = [], []
        for i, group in enumerate(_groups(data, stride, num_tensors)):
            weight, grad, mean, var = group[:4]
            w = group[-1] if master else weight
            typed = dict(zip(("lr", "wd", "beta1", "beta2", "epsilon", "rescale_grad",
                              "clip_gradient"),
                             (param(v, w.dtype) for v in (learning_rates[i], wds[i], beta1,
                                                          beta2, epsilon, rescale_grad,
                                                          clip_gradient))))
            new_w, mean, var = multi_lamb(
                w, grad, mean, var, weight, t=step_count[i], bias_correction=bias_correction,
                lower_bound=param(lower_bound, F32), upper_bound=param(upper_bound, F32),
                **typed)
            new_weights.append(new_w.astype(weight.dtype))
            states.append((mean, var, new_w) if master else (mean, var))
        return _finish(new_weights, states)

    impl.__doc__ = f"LAMB over several weights{' (float32 master copies)' if master else ''}."
    return impl


for _master in (False, True):
    _mp = "_mp" if _master else ""
    register(f"_multi{_mp}_adamw_update", inputs=("data",), variadic=True, attrs=_ADAMW,
             dynamic=tuple(k for k in _ADAMW if k != "num_weights"),
             num_outputs=lambda a: a["num_weights"],
             mutate=_mutated(4 + _master, tuple(range(2, 4 + _master))), lists_input_names=True)(
        _multi_adamw_impl(_master))
    register(f"_multi{_mp}_lamb_update", inputs=("data",), variadic=True, attrs=_LAMB,
             dynamic=tuple(k for k in _LAMB if k not in ("num_tensors", "bias_correction")),
             num_outputs=lambda a: a["num_tensors"],
             mutate=_mutated(4 + _master, tuple(range(2, 4 + _master)), "num_tensors"),
             lists_input_names=True)(
        _multi_lamb_impl(_master))
