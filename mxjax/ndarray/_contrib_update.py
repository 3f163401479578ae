"""``mx.nd.contrib``'s multi-tensor AdamW and LAMB updates: MXNet's Python wrappers that
interleave the per-weight arrays and call the ``_multi_*`` operators."""

from . import _internal
from .ndarray import NDArray, full

__all__ = ["multi_adamw_update", "multi_mp_adamw_update", "multi_lamb_update",
           "multi_mp_lamb_update"]


def _interleave(*per_weight):
    return [array for group in zip(*per_weight) for array in group]


def _rescale_grad(value, ctx):
    if isinstance(value, NDArray):
        return value.as_in_context(ctx)
    return full((1,), value, ctx=ctx)


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None,
                       name=None, size=0, **kwargs):
    """AdamW over lists of weights (updated in ``out``), with their gradients, means and
    variances (updated in place); ``rescale_grad`` is a number or a 1-element NDArray."""
    scale = _rescale_grad(rescale_grad, weights[0].context)
    return _internal._multi_adamw_update(
        *_interleave(weights, grads, mean, var), scale, out=out,
        num_weights=size or len(weights), lrs=lrs, wds=wds, etas=etas, name=name, **kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad, lrs, wds, etas,
                          out=None, name=None, size=0, **kwargs):
    """multi_adamw_update with float32 master copies ``weights32`` of the weights."""
    scale = _rescale_grad(rescale_grad, weights[0].context)
    return _internal._multi_mp_adamw_update(
        *_interleave(weights, grads, mean, var, weights32), scale, out=out,
        num_weights=size or len(weights), lrs=lrs, wds=wds, etas=etas, name=name, **kwargs)


def multi_lamb_update(weights, grads, mean, var, step_count, lrs, wds, out=None,
                      num_tensors=0, **kwargs):
    """LAMB over lists of weights; ``step_count``, ``lrs`` and ``wds`` have one entry per
    weight."""
    return _internal._multi_lamb_update(
        *_interleave(weights, grads, mean, var), out=out,
        num_tensors=num_tensors or len(weights), step_count=step_count, learning_rates=lrs,
        wds=wds, **kwargs)


def multi_mp_lamb_update(weights, grads, mean, var, weights32, step_count, lrs, wds,
                         out=None, num_tensors=0, **kwargs):
    """multi_lamb_update with float32 master copies ``weights32`` of the weights."""
    return _internal._multi_mp_lamb_update(
        *_interleave(weights, grads, mean, var, weights32), out=out,
        num_tensors=num_tensors or len(weights), step_count=step_count, learning_rates=lrs,
        wds=wds, **kwargs)
