"""``mx.sym.random``: symbolic sampling over the registry's random operators.

Number parameters give a ``_random_<name>`` node (one distribution, output of ``shape``);
Symbol parameters give a ``_sample_<name>`` node (``shape`` samples per element). Both
kinds cannot be mixed, as in MXNet.
"""

from ..base import _Null, numeric_types
from ..operator import get as _get_spec
from .register import make_function
from .symbol import Symbol, _call

__all__ = ["uniform", "normal", "randn", "poisson", "exponential", "gamma", "multinomial",
           "negative_binomial", "generalized_negative_binomial", "shuffle", "randint",
           "exponential_like", "gamma_like", "generalized_negative_binomial_like",
           "negative_binomial_like", "normal_like", "poisson_like", "uniform_like"]


def _draw(name, params, shape, dtype, kwargs, sampler=True):
    given = {k: v for k, v in (("shape", shape), ("dtype", dtype)) if v is not _Null}
    if isinstance(params[0], Symbol) and sampler:
        if not all(isinstance(p, Symbol) for p in params[1:]):
            raise AssertionError("Distribution parameters must all have the same type, but "
                                 f"got both {[type(p) for p in params]}.")
        return _call(f"_sample_{name}", *params, **given, **kwargs)
    if isinstance(params[0], numeric_types):
        if not all(isinstance(p, numeric_types) for p in params[1:]):
            raise AssertionError("Distribution parameters must all have the same type, but "
                                 f"got both {[type(p) for p in params]}.")
        return _call(f"_random_{name}", *params, **given, **kwargs)
    raise ValueError("Distribution parameters must be either Symbol or numbers, but got "
                     f"{type(params[0])}.")


def uniform(low=0, high=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from a uniform distribution over ``[low, high)``."""
    return _draw("uniform", [low, high], shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from a normal distribution of mean ``loc``, standard deviation ``scale``."""
    return _draw("normal", [loc, scale], shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """Normal samples of shape ``shape`` (``loc``, ``scale``, ``dtype`` as keywords)."""
    loc, scale = kwargs.pop("loc", 0), kwargs.pop("scale", 1)
    return _draw("normal", [loc, scale], shape, kwargs.pop("dtype", _Null), kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from a Poisson distribution of rate ``lam``."""
    return _draw("poisson", [lam], shape, dtype, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from an exponential distribution of mean ``scale``."""
    return _draw("exponential", [1.0 / scale], shape, dtype, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from a gamma distribution of shape ``alpha`` and scale ``beta``."""
    return _draw("gamma", [alpha, beta], shape, dtype, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from a negative binomial distribution (failures before ``k`` successes)."""
    return _draw("negative_binomial", [k, p], shape, dtype, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from a negative binomial distribution of mean ``mu``, dispersion ``alpha``."""
    return _draw("generalized_negative_binomial", [mu, alpha], shape, dtype, kwargs)


def multinomial(data, shape=_Null, get_prob=True, dtype="int32", **kwargs):
    """Indices sampled from the categorical distributions in the last axis of ``data``."""
    given = {} if shape is _Null else {"shape": shape}
    return _call("_sample_multinomial", data, get_prob=get_prob, dtype=dtype, **given,
                 **kwargs)


def shuffle(data, **kwargs):
    """``data`` with its first axis randomly permuted."""
    return _call("_shuffle", data, **kwargs)


def randint(low, high, shape=_Null, dtype=_Null, **kwargs):
    """Integers drawn uniformly from ``[low, high)``."""
    return _draw("randint", [low, high], shape, dtype, kwargs, sampler=False)


def _like(name):
    """``mx.sym.random.<name>``, generated from the operator ``_random_<name>``."""
    return make_function(_get_spec(f"_random_{name}"), name)


uniform_like = _like("uniform_like")
normal_like = _like("normal_like")
gamma_like = _like("gamma_like")
exponential_like = _like("exponential_like")
poisson_like = _like("poisson_like")
negative_binomial_like = _like("negative_binomial_like")
generalized_negative_binomial_like = _like("generalized_negative_binomial_like")
