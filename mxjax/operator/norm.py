"""Normalisation layers: BatchNorm (and BatchNorm_v1), LayerNorm, InstanceNorm, GroupNorm,
L2Normalization, LRN."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import engine
from ..base import MXNetError, shape_error
from .spec import Required, register


def _axis(op, axis, ndim):
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: axis {axis} is out of range for {ndim}-D data")
    return axis % ndim


def _accumulate(x):
    """float16 statistics are computed in float32, as MXNet's kernels do."""
    return x.astype(jnp.float32) if x.dtype == jnp.float16 else x


def _per_axis(op, axis, ndim, **params):
    """Reshape 1-D parameters so they broadcast along ``axis``, checking their length."""
    shape = [1] * ndim
    out = []
    for name, (value, size) in params.items():
        if value is None:
            raise MXNetError(f"{op}: input '{name}' is required")
        if tuple(value.shape) != (size,):
            raise shape_error(op, name, value.shape, (size,), axis=axis)
        shape[axis] = size
        out.append(value.reshape(shape))
    return out


def _moments(x, axes):
    """Mean and biased variance over ``axes`` (kept as size-1 dimensions)."""
    mean = jnp.mean(x, axes, keepdims=True)
    return mean, jnp.mean(jnp.square(x - mean), axes, keepdims=True)


# ---------------------------------------------------------------------------------------
# BatchNorm

def _bn_channels(shapes, attrs):
    d = shapes["data"]
    return d[_axis("BatchNorm", attrs["axis"], len(d))]


def _bn_param_shapes(shapes, attrs):
    c = (_bn_channels(shapes, attrs),)
    return {k: c for k in ("gamma", "beta", "moving_mean", "moving_var") if shapes.get(k, 0)
            is None}


def _moving_update(axis, data, moving_mean, moving_var, momentum):
    axes = tuple(i for i in range(data.ndim) if i != axis)
    mean, var = _moments(_accumulate(data), axes)
    keep = momentum.astype(moving_mean.dtype)

    def blend(old, new):
        return old * keep + new.reshape(old.shape).astype(old.dtype) * (1 - keep)

    return blend(moving_mean, mean), blend(moving_var, var)


def _bn_backward_hook(attrs, inputs, outputs):
    # MXNet 1.9.1 updates the running statistics in the backward pass (biased variance).
    if not attrs["_training"] or attrs["use_global_stats"]:
        return
    data, _, _, moving_mean, moving_var = inputs
    axis = _axis("BatchNorm", attrs["axis"], data.ndim)
    mean, var = engine.call(functools.partial(_moving_update, axis), ("bn_moving", axis),
                            [data._lazy, moving_mean._lazy, moving_var._lazy,
                             np.float32(attrs["momentum"])])
    moving_mean._set_data(mean)
    moving_var._set_data(var)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _bn_running(axes, x, scale, shift, mean, invstd):
    return (x - mean) * invstd * scale + shift


def _bn_running_fwd(axes, x, scale, shift, mean, invstd):
    return _bn_running(axes, x, scale, shift, mean, invstd), (x, scale, mean, invstd)


def _bn_running_bwd(axes, res, g):
    # MXNet runs backward in training mode even after a predict-mode forward: the data
    # gradient is the batch-statistics formula evaluated with the running statistics.
    x, scale, mean, invstd = res
    centered = x - mean
    count = np.prod([x.shape[a] for a in axes])
    k = jnp.sum(g * centered, axes, keepdims=True) * invstd * invstd / count
    dx = (g - jnp.mean(g, axes, keepdims=True) - centered * k) * (invstd * scale)
    dscale = jnp.sum(g * centered * invstd, axes, keepdims=True)
    zero = jnp.zeros_like(mean)
    return dx, dscale, jnp.sum(g, axes, keepdims=True), zero, zero


_bn_running.defvjp(_bn_running_fwd, _bn_running_bwd)


# A batch normalisation in MXNet's graph: the running statistics (inputs 3 and 4) are
# auxiliary states, written at backward and started at zero and one; the saved batch mean
# and variance are hidden outputs.
BATCH_NORM_GRAPH = dict(mutate=(3, 4), returns_mutated=False,
                        input_init={3: '["zero", {}]', 4: '["one", {}]'},
                        output_names=("output", "mean", "var"), lists_input_names=True)


def _bn_param_dtype(dtype, attrs):  # noqa: ARG001
    return "float32" if dtype == "float16" else dtype  # float16 data, float32 statistics


_BATCH_NORM_SPEC = dict(
    inputs=("data", "gamma", "beta", "moving_mean", "moving_var"),
    attrs=dict(eps=1e-3, momentum=0.9, fix_gamma=True, use_global_stats=False,
               output_mean_var=False, axis=1, cudnn_off=False, min_calib_range=None,
               max_calib_range=None),
    training=True, infer_params=_bn_param_shapes, on_backward=_bn_backward_hook,
    num_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1,
    input_dtypes=dict.fromkeys(("gamma", "beta", "moving_mean", "moving_var"),
                               _bn_param_dtype),
    **BATCH_NORM_GRAPH)


@register("BatchNorm", total_outputs=3, **_BATCH_NORM_SPEC)
def batch_norm(data, gamma, beta, moving_mean, moving_var, *, eps, momentum, fix_gamma,
               use_global_stats, output_mean_var, axis, cudnn_off, min_calib_range,
               max_calib_range, _training):
    """Normalise over every axis but ``axis`` with batch (training) or running statistics.

    With ``output_mean_var`` also returns the mean and the inverse standard deviation."""
    op = "BatchNorm"
    ax = _axis(op, axis, data.ndim)
    c = data.shape[ax]
    gamma_b, beta_b, mm_b, mv_b = _per_axis(op, ax, data.ndim, gamma=(gamma, c),
                                            beta=(beta, c), moving_mean=(moving_mean, c),
                                            moving_var=(moving_var, c))
    x = _accumulate(data)
    axes = tuple(i for i in range(data.ndim) if i != ax)
    # fix_gamma: gamma acts as 1 and gets a zero gradient.
    scale = jnp.ones_like(gamma_b, x.dtype) if fix_gamma else gamma_b.astype(x.dtype)
    shift = beta_b.astype(x.dtype)
    if _training and not use_global_stats:
        mean, var = _moments(x, axes)
        invstd = 1 / jnp.sqrt(var + jnp.asarray(eps, x.dtype))
        out = (x - mean) * invstd * scale + shift
    else:  # running statistics are auxiliary states: no gradient flows into them
        mean = lax.stop_gradient(mm_b).astype(x.dtype)
        invstd = 1 / jnp.sqrt(lax.stop_gradient(mv_b).astype(x.dtype) + eps)
        if use_global_stats:
            out = (x - mean) * invstd * scale + shift
        else:
            out = _bn_running(axes, x, scale, shift, mean, invstd)
    out = out.astype(data.dtype)
    if output_mean_var:
        return out, mean.reshape(c), invstd.reshape(c)
    return out


@register("_contrib_BatchNormWithReLU", total_outputs=4, **_BATCH_NORM_SPEC)
def batch_norm_with_relu(data, gamma, beta, moving_mean, moving_var, **attrs):
    """BatchNorm followed by relu (relu'(0) = 0), as one operator."""
    result = batch_norm(data, gamma, beta, moving_mean, moving_var, **attrs)
    out = result[0] if isinstance(result, tuple) else result
    out = jnp.where(out > 0, out, jnp.zeros_like(out))
    return (out, *result[1:]) if isinstance(result, tuple) else out


def _bn_v1_hook(attrs, inputs, outputs):
    _bn_backward_hook({**attrs, "axis": 1}, inputs, outputs)


def _bn_v1_param_shapes(shapes, attrs):
    return _bn_param_shapes(shapes, {**attrs, "axis": 1})


@register("BatchNorm_v1", inputs=_BATCH_NORM_SPEC["inputs"],
          attrs=dict(eps=1e-3, momentum=0.9, fix_gamma=True, use_global_stats=False,
                     output_mean_var=False),
          training=True, infer_params=_bn_v1_param_shapes, on_backward=_bn_v1_hook,
          num_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1, total_outputs=3,
          **BATCH_NORM_GRAPH)
def batch_norm_v1(data, gamma, beta, moving_mean, moving_var, *, eps, momentum, fix_gamma,
                  use_global_stats, output_mean_var, _training):
    """The first BatchNorm: channels on axis 1; with ``output_mean_var`` also the mean
    and the variance (batch or running)."""
    result = batch_norm(data, gamma, beta, moving_mean, moving_var, eps=eps,
                        momentum=momentum, fix_gamma=fix_gamma,
                        use_global_stats=use_global_stats, output_mean_var=output_mean_var,
                        axis=1, cudnn_off=False, min_calib_range=None, max_calib_range=None,
                        _training=_training)
    if not output_mean_var:
        return result
    out, mean, invstd = result
    return out, mean, (1 / jnp.square(invstd) - eps).astype(mean.dtype)


# ---------------------------------------------------------------------------------------
# LayerNorm, InstanceNorm, GroupNorm

def _normalize(x, axes, eps):
    """``((x - mean) / std, mean, std)`` over ``axes``, std = sqrt(var + eps)."""
    mean, var = _moments(x, axes)
    std = jnp.sqrt(var + jnp.asarray(eps, x.dtype))
    return (x - mean) / std, mean, std


# MXNet's graph keeps the mean and standard deviation as (hidden) outputs.
_NORM_GRAPH = dict(total_outputs=3, output_names=("output", "mean", "std"),
                   lists_input_names=True)


def _affine_param_shapes(channels):
    def infer(shapes, attrs):
        c = (channels(shapes["data"], attrs),)
        return {k: c for k in ("gamma", "beta") if shapes.get(k, 0) is None}

    return infer


@register("LayerNorm", inputs=("data", "gamma", "beta"),
          attrs=dict(axis=-1, eps=1e-5, output_mean_var=False),
          infer_params=_affine_param_shapes(lambda d, a: d[a["axis"]]),
          num_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1, **_NORM_GRAPH)
def layer_norm(data, gamma, beta, *, axis, eps, output_mean_var):
    """Normalise along ``axis``, then scale by gamma and shift by beta (both along axis).

    With ``output_mean_var`` also returns the mean and the standard deviation."""
    ax = _axis("LayerNorm", axis, data.ndim)
    c = data.shape[ax]
    g, b = _per_axis("LayerNorm", ax, data.ndim, gamma=(gamma, c), beta=(beta, c))
    x = _accumulate(data)
    y, mean, std = _normalize(x, (ax,), eps)
    out = (y * g.astype(x.dtype) + b.astype(x.dtype)).astype(data.dtype)
    if output_mean_var:
        return out, mean.astype(data.dtype), std.astype(data.dtype)
    return out


@register("InstanceNorm", inputs=("data", "gamma", "beta"), attrs=dict(eps=1e-3),
          infer_params=_affine_param_shapes(lambda d, a: d[1]), **_NORM_GRAPH)
def instance_norm(data, gamma, beta, *, eps):
    """Normalise each (sample, channel) over the spatial axes; gamma/beta per channel."""
    if data.ndim < 3:
        raise shape_error("InstanceNorm", "data", data.shape, "at least 3 dimensions")
    g, b = _per_axis("InstanceNorm", 1, data.ndim, gamma=(gamma, data.shape[1]),
                     beta=(beta, data.shape[1]))
    x = _accumulate(data)
    y = _normalize(x, tuple(range(2, data.ndim)), eps)[0]
    return (y * g.astype(x.dtype) + b.astype(x.dtype)).astype(data.dtype)


@register("GroupNorm", inputs=("data", "gamma", "beta"),
          attrs=dict(num_groups=1, eps=1e-5, output_mean_var=False),
          infer_params=_affine_param_shapes(lambda d, a: a["num_groups"]),
          num_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1, **_NORM_GRAPH)
def group_norm(data, gamma, beta, *, num_groups, eps, output_mean_var):
    """Normalise each group of channels per sample; gamma/beta hold one value per group.

    With ``output_mean_var`` also returns the (N, num_groups) mean and standard deviation."""
    n, c = data.shape[:2] if data.ndim >= 3 else (None, None)
    if c is None or num_groups < 1 or c % num_groups:
        raise shape_error("GroupNorm", "data", data.shape,
                          f"(N, C, ...) with C divisible by num_groups={num_groups}")
    grouped = _accumulate(data).reshape(n, num_groups, c // num_groups, *data.shape[2:])
    g, b = _per_axis("GroupNorm", 1, grouped.ndim, gamma=(gamma, num_groups),
                     beta=(beta, num_groups))
    y, mean, std = _normalize(grouped, tuple(range(2, grouped.ndim)), eps)
    out = (y * g.astype(y.dtype) + b.astype(y.dtype)).reshape(data.shape).astype(data.dtype)
    if output_mean_var:
        return (out, mean.reshape(n, num_groups).astype(data.dtype),
                std.reshape(n, num_groups).astype(data.dtype))
    return out


# ---------------------------------------------------------------------------------------
# L2Normalization, LRN

_L2_AXES = {"instance": lambda nd: tuple(range(1, nd)), "channel": lambda nd: (1,),
            "spatial": lambda nd: tuple(range(2, nd))}


@register("L2Normalization", attrs=dict(eps=1e-10, mode="instance"), total_outputs=2,
          output_names=("output",), lists_input_names=True)
def l2_normalization(data, *, eps, mode):
    """Divide by the L2 norm over each instance, each channel vector or each spatial map."""
    if mode not in _L2_AXES:
        raise MXNetError(f"L2Normalization: invalid mode {mode!r}; expected one of "
                         f"{sorted(_L2_AXES)}")
    if data.ndim < 2 or (mode == "spatial" and data.ndim < 3):
        raise shape_error("L2Normalization", "data", data.shape,
                          f"more dimensions for mode={mode!r}")
    x = _accumulate(data)
    norm = jnp.sqrt(jnp.sum(jnp.square(x), _L2_AXES[mode](data.ndim), keepdims=True)
                    + jnp.asarray(eps, x.dtype))
    return (x / norm).astype(data.dtype)


@register("LRN", attrs=dict(alpha=1e-4, beta=0.75, knorm=2.0, nsize=Required(int)),
          total_outputs=2, output_names=("output",), lists_input_names=True)
def lrn(data, *, alpha, beta, knorm, nsize):
    """Local response normalisation across ``nsize`` neighbouring channels."""
    if nsize % 2 != 1:
        raise MXNetError(f"LRN: nsize must be odd, got {nsize}")
    if data.ndim < 2:
        raise shape_error("LRN", "data", data.shape, "(N, C, ...)")
    x = _accumulate(data)
    window = (1, nsize) + (1,) * (data.ndim - 2)
    pads = [(0, 0), (nsize // 2, nsize // 2)] + [(0, 0)] * (data.ndim - 2)
    sq_sum = lax.reduce_window(jnp.square(x), np.zeros((), x.dtype), lax.add, window,
                               (1,) * data.ndim, pads)
    norm = sq_sum * jnp.asarray(alpha / nsize, x.dtype) + jnp.asarray(knorm, x.dtype)
    return (x * norm ** jnp.asarray(-beta, x.dtype)).astype(data.dtype)
