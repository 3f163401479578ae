"""SyncBatchNorm: batch normalisation whose batch statistics are shared across devices.

On one device (``ndev=1``) it is BatchNorm over axis 1 with MXNet's SyncBatchNorm
arithmetic: the variance is ``E[x^2] - E[x]^2``, ``output_mean_var`` returns the mean and
the variance (BatchNorm returns the inverse std), and, as for BatchNorm, the running
statistics are updated when backward runs (see ``norm.py``).
"""

import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import engine
from ..base import MXNetError, shape_error
from .norm import BATCH_NORM_GRAPH
from .spec import Required, register


def _param_shapes(shapes, attrs):  # noqa: ARG001
    c = (shapes["data"][1] if len(shapes["data"]) > 1 else 1,)
    return {k: c for k in ("gamma", "beta", "moving_mean", "moving_var")
            if shapes.get(k, 0) is None}


def _batch_moments(x):
    """Per-channel mean and variance ``E[x^2] - E[x]^2`` (channels on axis 1)."""
    axes = tuple(i for i in range(x.ndim) if i != 1)
    scale = jnp.float32(x.shape[1] if x.ndim > 1 else 1) / jnp.float32(x.size)
    mean = scale * jnp.sum(x, axes)
    return mean, scale * jnp.sum(jnp.square(x), axes) - jnp.square(mean)


def _moving_update(data, moving_mean, moving_var, momentum):
    mean, var = _batch_moments(data)
    return (moving_mean * momentum + mean * (1 - momentum),
            moving_var * momentum + var * (1 - momentum))


def _update_running_stats(attrs, inputs, outputs):  # noqa: ARG001
    if not attrs["_training"] or attrs["use_global_stats"]:
        return
    data, _, _, moving_mean, moving_var = inputs
    mean, var = engine.call(_moving_update, ("sync_bn_moving",),
                            [data._lazy, moving_mean._lazy, moving_var._lazy,
                             np.float32(attrs["momentum"])])
    moving_mean._set_data(mean)
    moving_var._set_data(var)


@register("_contrib_SyncBatchNorm", inputs=("data", "gamma", "beta", "moving_mean",
                                            "moving_var"),
          attrs=dict(eps=1e-3, momentum=0.9, fix_gamma=True, use_global_stats=False,
                     output_mean_var=False, ndev=1, key=Required),
          training=True, infer_params=_param_shapes, on_backward=_update_running_stats,
          num_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1, total_outputs=3,
          **BATCH_NORM_GRAPH)
def sync_batch_norm(data, gamma, beta, moving_mean, moving_var, *, eps, momentum, fix_gamma,
                    use_global_stats, output_mean_var, ndev, key, _training):
    """Batch normalisation over axis 1 with statistics synchronised over ``ndev``
    devices under the name ``key``; with ``output_mean_var`` also the batch mean and
    variance."""
    op = "SyncBatchNorm"
    if ndev != 1:
        raise NotImplementedError(f"{op}: statistics shared across devices (ndev={ndev}) "
                                  "are not implemented in mxjax; use ndev=1")
    if data.dtype != jnp.float32:
        raise MXNetError(f"{op}: data must be float32 (MXNet 1.9.1's kernel), got "
                         f"{data.dtype}")
    c = data.shape[1] if data.ndim > 1 else 1
    shape = (1, c) + (1,) * (data.ndim - 2)
    params = []
    for name, value in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                        ("moving_var", moving_var)):
        if value is None or tuple(value.shape) != (c,):
            raise shape_error(op, name, (None,) if value is None else value.shape, (c,),
                              data=data.shape)
        params.append(value.astype(jnp.float32))
    gamma, beta, moving_mean, moving_var = params
    slope = jnp.ones_like(gamma) if fix_gamma else gamma
    if _training and not use_global_stats:
        mean, var = _batch_moments(data)
        out = (slope.reshape(shape) * (data - mean.reshape(shape))
               / jnp.sqrt(var.reshape(shape) + jnp.float32(eps)) + beta.reshape(shape))
    else:  # running statistics are auxiliary states: no gradient flows into them
        mean, var = lax.stop_gradient(moving_mean), lax.stop_gradient(moving_var)
        inv = slope / jnp.sqrt(var + jnp.float32(eps))
        out = inv.reshape(shape) * data + (beta - slope * mean
                                           / jnp.sqrt(var + jnp.float32(eps))).reshape(shape)
    if output_mean_var:
        return out, mean, var
    return out
