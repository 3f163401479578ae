"""Contributed layers (MXNet's ``gluon/contrib/nn/basic_layers.py``)."""

import math
import warnings

from .... import context
from .... import ndarray as nd
from ...block import Block, HybridBlock
from ...nn import BatchNorm, HybridSequential, Sequential

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SparseEmbedding", "SyncBatchNorm",
           "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]


class Concurrent(Sequential):
    """Feeds the input to every child and concatenates their outputs along ``axis``."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        return nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Feeds the input to every child HybridBlock and concatenates their outputs along
    ``axis``."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input unchanged (a residual branch of a HybridConcurrent)."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x):
        return x


class SparseEmbedding(Block):
    """An Embedding with row-sparse weight and gradient: not available in mxjax."""

    def __init__(self, input_dim, output_dim, dtype="float32", weight_initializer=None,
                 **kwargs):
        raise NotImplementedError(
            "SparseEmbedding keeps its weight and gradient as row_sparse NDArrays; mxjax "
            "arrays are dense only. Use gluon.nn.Embedding instead.")


class SyncBatchNorm(BatchNorm):
    """Batch normalisation with statistics over the whole batch across devices.

    mxjax runs it on one device, where it is BatchNorm over axis 1 (which is also what
    MXNet computes with one device).
    """

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5,
                 center=True, scale=True, use_global_stats=False, beta_initializer="zeros",
                 gamma_initializer="ones", running_mean_initializer="zeros",
                 running_variance_initializer="ones", **kwargs):
        super().__init__(axis=1, momentum=momentum, epsilon=epsilon, center=center,
                         scale=scale, use_global_stats=use_global_stats,
                         beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer,
                         running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer,
                         in_channels=in_channels, **kwargs)
        if num_devices is None:
            num_devices = self._get_num_devices()
        self._kwargs = {"eps": epsilon, "momentum": momentum, "fix_gamma": not scale,
                        "use_global_stats": use_global_stats, "ndev": num_devices,
                        "key": self.prefix}

    def _get_num_devices(self):
        warnings.warn("Caution using SyncBatchNorm: if not using all the GPUs, please "
                      "mannually set num_devices", UserWarning, stacklevel=3)
        return max(context.num_gpus(), 1)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        if self._kwargs["ndev"] > 1:
            raise NotImplementedError("SyncBatchNorm: mxjax synchronises no statistics "
                                      "across devices; use num_devices=1")
        bn = {k: v for k, v in self._kwargs.items() if k not in ("ndev", "key")}
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name="fwd", axis=1,
                           **bn)


def _factors(factor, n):
    try:
        factors = (int(factor),) * n
    except TypeError:
        factors = tuple(int(f) for f in factor)
        if len(factors) != n:
            raise AssertionError(f"wrong length {len(factors)}") from None
    return factors


def _pixel_shuffle(F, x, factors):
    """``(N, C*f1*...*fk, S1, ..., Sk)`` -> ``(N, C, S1*f1, ..., Sk*fk)``: input channel
    ``c*F + r`` goes to channel ``c``, and ``r``'s mixed-radix digits offset each axis."""
    k = len(factors)
    rest = math.prod(factors)
    x = F.reshape(x, shape=(0, -4, -1, rest) + (0,) * k)        # (N, C, R, S1, ..., Sk)
    for i, f in enumerate(factors):
        pos = 2 + i                   # axes before pos are already shuffled
        after = (0,) * (k - i - 1)
        x = F.swapaxes(x, dim1=pos, dim2=pos + 1)               # (.., Si, R, ..)
        rest //= f
        if rest > 1:
            x = F.reshape(x, shape=(0,) * (pos + 1) + (-4, f, rest) + after)
        x = F.reshape(x, shape=(0,) * pos + (-3,) + (0,) * (rest > 1) + after)
    return x


class _PixelShuffle(HybridBlock):
    """Moves groups of channels into the spatial axes; subclasses set ``_ndim``."""

    _ndim = 1

    def __init__(self, factor):
        super().__init__()
        self._factors = _factors(factor, self._ndim)

    def hybrid_forward(self, F, x):
        return _pixel_shuffle(F, x, self._factors)

    def __repr__(self):
        return f"{type(self).__name__}({self._factors})"


class PixelShuffle1D(_PixelShuffle):
    """``(N, f*C, W)`` -> ``(N, C, W*f)``: groups of ``f`` channels become ``f`` steps of
    the ``W`` axis."""

    _ndim = 1

    def __init__(self, factor):
        super().__init__(factor)
        self._factor = int(factor)

    def __repr__(self):
        return f"{type(self).__name__}({self._factor})"


class PixelShuffle2D(_PixelShuffle):
    """``(N, f1*f2*C, H, W)`` -> ``(N, C, H*f1, W*f2)`` (sub-pixel upsampling)."""

    _ndim = 2


class PixelShuffle3D(_PixelShuffle):
    """``(N, f1*f2*f3*C, D, H, W)`` -> ``(N, C, D*f1, H*f2, W*f3)``."""

    _ndim = 3
