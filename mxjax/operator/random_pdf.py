"""Probability densities of samples, ``_random_pdf_*`` (``mx.nd.random_pdf_normal``, ...).

``sample`` holds, for each distribution (the leading axes, the shape of the parameter
arrays), any number of samples in its trailing axes; the output has the sample's shape
(for the Dirichlet, whose samples are vectors, without the last axis). With ``is_log`` the
log density. Gradients flow to the parameters and, for continuous distributions, to the
sample.
"""

import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from ..base import shape_error
from .spec import register


def _broadcast(op, sample, params, vector=False):
    """Each parameter reshaped to broadcast over the samples of its distribution."""
    lead = params[0].ndim - (1 if vector else 0)
    expected = sample.shape[:lead] + ((sample.shape[-1],) if vector else ())
    if sample.ndim < params[0].ndim:
        raise shape_error(op, "sample", sample.shape, f"at least {params[0].ndim} dimensions",
                          parameters=params[0].shape)
    out = []
    for p in params:
        if p.shape != expected:
            raise shape_error(op, "parameter", p.shape, expected, sample=sample.shape)
        if vector:
            out.append(p.reshape(p.shape[:-1] + (1,) * (sample.ndim - p.ndim) + p.shape[-1:]))
        else:
            out.append(p.reshape(p.shape + (1,) * (sample.ndim - p.ndim)))
    return out


def _finish(log_density, is_log):
    return log_density if is_log else jnp.exp(log_density)


def _nb_log_density(x, limit, prob):
    # "prob" is the failure probability, as in MXNet's negative binomial.
    return (jsp.gammaln(x + limit) - jsp.gammaln(x + 1) - jsp.gammaln(limit)
            + limit * jnp.log(prob) + x * jnp.log(1 - prob))


def _uniform(x, low, high):
    return jnp.broadcast_to(-jnp.log(high - low), x.shape)


def _normal(x, mu, sigma):
    return -0.5 * (x - mu) ** 2 / (sigma * sigma) - jnp.log(np.sqrt(2 * np.pi) * sigma)


def _gamma(x, alpha, beta):
    return alpha * jnp.log(beta) + (alpha - 1) * jnp.log(x) - beta * x - jsp.gammaln(alpha)


def _exponential(x, lam):
    return jnp.log(lam) - lam * x


# MXNet gives discrete distributions no gradient with respect to the sample.
def _poisson(x, lam):
    x = lax.stop_gradient(x)
    return x * jnp.log(lam) - jsp.gammaln(x + 1) - lam


def _negative_binomial(x, k, p):
    return _nb_log_density(lax.stop_gradient(x), k, p)


def _generalized_negative_binomial(x, mu, alpha):
    return _nb_log_density(lax.stop_gradient(x), 1 / alpha, 1 / (mu * alpha + 1))


# name: (parameter names, log density of (sample, *parameters))
_DENSITIES = {
    "uniform": (("low", "high"), _uniform),
    "normal": (("mu", "sigma"), _normal),
    "gamma": (("alpha", "beta"), _gamma),
    "exponential": (("lam",), _exponential),
    "poisson": (("lam",), _poisson),
    "negative_binomial": (("k", "p"), _negative_binomial),
    "generalized_negative_binomial": (("mu", "alpha"), _generalized_negative_binomial),
}


def _register_pdf(name, params, log_density):
    op = f"_random_pdf_{name}"

    def pdf(sample, *args, is_log):
        values = _broadcast(op, sample, args)
        return _finish(log_density(sample, *values), is_log).astype(sample.dtype)

    pdf.__doc__ = (f"Density of ``sample`` under the {name.replace('_', ' ')} distribution "
                   f"with parameters {', '.join(params)} (log density with ``is_log``).")
    register(op, aliases=(f"random_pdf_{name}",), inputs=("sample", *params),
             attrs=dict(is_log=False), lists_input_names=True)(pdf)


for _name, (_params, _fn) in _DENSITIES.items():
    _register_pdf(_name, _params, _fn)


@register("_random_pdf_dirichlet", aliases=("random_pdf_dirichlet",),
          inputs=("sample", "alpha"), attrs=dict(is_log=False), lists_input_names=True)
def pdf_dirichlet(sample, alpha, *, is_log):
    """Density of the vector samples (last axis) under the Dirichlet distribution with
    concentration ``alpha`` (log density with ``is_log``)."""
    (a,) = _broadcast("_random_pdf_dirichlet", sample, (alpha,), vector=True)
    log_density = (jnp.sum((a - 1) * jnp.log(sample), axis=-1)
                   + jsp.gammaln(jnp.sum(a, axis=-1)) - jnp.sum(jsp.gammaln(a), axis=-1))
    out = _finish(log_density, is_log).astype(sample.dtype)
    return out.reshape(1) if sample.ndim == 1 else out
