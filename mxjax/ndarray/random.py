"""``mx.nd.random``: sampling functions over the registry's random operators.

Scalar parameters call the ``_random_<name>`` operator (one distribution, output of
``shape``, placed on ``ctx``); NDArray parameters call ``_sample_<name>``, which draws
``shape`` samples for every element (output shape: parameter shape + ``shape``). Both
kinds of parameter cannot be mixed, as in MXNet.
"""

from ..base import _Null, numeric_types
from ..context import current_context
from ..operator import get as _get_spec
from ..operator.random import check_scalar_params
from . import _internal
from .ndarray import NDArray
from .register import make_function

__all__ = ["uniform", "normal", "randn", "poisson", "exponential", "gamma", "multinomial",
           "negative_binomial", "generalized_negative_binomial", "shuffle", "randint",
           "exponential_like", "gamma_like", "generalized_negative_binomial_like",
           "negative_binomial_like", "normal_like", "poisson_like", "uniform_like"]


def _given(**kwargs):
    return {k: v for k, v in kwargs.items() if v is not _Null}


def _draw(name, params, shape, dtype, ctx, out, kwargs):
    """Call ``_sample_<name>`` for NDArray parameters, ``_random_<name>`` for numbers."""
    if isinstance(params[0], NDArray):
        if not all(isinstance(p, NDArray) for p in params[1:]):
            raise AssertionError("Distribution parameters must all have the same type, but "
                                 f"got both {[type(p) for p in params]}.")
        sampler = getattr(_internal, f"_sample_{name}")
        return sampler(*params, **_given(shape=shape, dtype=dtype), out=out, **kwargs)
    if isinstance(params[0], numeric_types):
        if not all(isinstance(p, numeric_types) for p in params[1:]):
            raise AssertionError("Distribution parameters must all have the same type, but "
                                 f"got both {[type(p) for p in params]}.")
        check_scalar_params(name, *params)
        if shape is _Null:
            shape = 1 if out is None else out.shape
        if dtype is _Null and out is not None:
            dtype = out.dtype  # MXNet infers the output dtype from ``out``
        random = getattr(_internal, f"_random_{name}")
        return random(*params, shape=shape, **_given(dtype=dtype),
                      ctx=ctx if ctx is not None else current_context(), out=out, **kwargs)
    raise ValueError("Distribution parameters must be either NDArray or numbers, but got "
                     f"{type(params[0])}.")


def uniform(low=0, high=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from a uniform distribution over ``[low, high)``."""
    return _draw("uniform", [low, high], shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from a normal distribution with mean ``loc`` and standard deviation
    ``scale``."""
    return _draw("normal", [loc, scale], shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Normal samples of shape ``shape`` (``loc``, ``scale``, ``dtype``, ``ctx``, ``out``
    as keywords)."""
    loc, scale = kwargs.pop("loc", 0), kwargs.pop("scale", 1)
    dtype, ctx = kwargs.pop("dtype", _Null), kwargs.pop("ctx", None)
    out = kwargs.pop("out", None)
    for value in (loc, scale):
        if not isinstance(value, (int, float, NDArray)):
            raise AssertionError(f"randn: loc and scale must be numbers or NDArrays, got "
                                 f"{type(value)}")
    return _draw("normal", [loc, scale], shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from a Poisson distribution of rate ``lam`` (as floating point values)."""
    return _draw("poisson", [lam], shape, dtype, ctx, out, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from an exponential distribution of mean ``scale`` (rate ``1/scale``)."""
    return _draw("exponential", [1.0 / scale], shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from a gamma distribution of shape ``alpha`` and scale ``beta``."""
    return _draw("gamma", [alpha, beta], shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from a negative binomial distribution: failures before ``k`` successes of
    probability ``p``."""
    return _draw("negative_binomial", [k, p], shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=_Null, dtype=_Null, ctx=None,
                                  out=None, **kwargs):
    """Samples from a negative binomial distribution of mean ``mu`` and dispersion
    ``alpha``."""
    return _draw("generalized_negative_binomial", [mu, alpha], shape, dtype, ctx, out,
                 kwargs)


def multinomial(data, shape=_Null, get_prob=False, out=None, dtype="int32", **kwargs):
    """Class indices drawn from the distributions in the last axis of ``data``; with
    ``get_prob`` also their log-probabilities."""
    return _internal._sample_multinomial(data, **_given(shape=shape), get_prob=get_prob,
                                         out=out, dtype=dtype, **kwargs)


def shuffle(data, **kwargs):
    """A copy of ``data`` with its first axis randomly permuted."""
    return _internal._shuffle(data, **kwargs)


def randint(low, high, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Integers drawn uniformly from ``[low, high)`` (int32 unless ``dtype`` says)."""
    if not isinstance(low, numeric_types):
        raise ValueError(f"randint: low and high must be integers, got {type(low)}")
    return _draw("randint", [low, high], shape, dtype, ctx, out, kwargs)


def _like(name):
    """``mx.nd.random.<name>``, generated from the operator ``_random_<name>``."""
    return make_function(_get_spec(f"_random_{name}"), name)


uniform_like = _like("uniform_like")
normal_like = _like("normal_like")
gamma_like = _like("gamma_like")
exponential_like = _like("exponential_like")
poisson_like = _like("poisson_like")
negative_binomial_like = _like("negative_binomial_like")
generalized_negative_binomial_like = _like("generalized_negative_binomial_like")
