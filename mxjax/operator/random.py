"""Random sampling operators: ``_random_*`` (scalar parameters), ``_sample_*`` (one
distribution per element of NDArray parameters), ``_random_*_like``, ``_sample_multinomial``
and ``_shuffle``.

Every operator gets a fresh PRNG key per call (``random=True``) and its scalar parameters
are traced (``dynamic``), so new values never recompile and no sample is ever baked into
a compiled function. Values follow JAX's streams, not MXNet's; distributions, shapes and
dtypes are MXNet's. Samples carry no gradient to their parameters, as in MXNet.
"""

import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, integer_types, numeric_types
from .spec import Required, register

_FLOATS = ("float16", "float32", "float64")


def _dtype(op, dtype, allowed=_FLOATS, default="float32"):
    """MXNet's ``dtype`` attribute ('None' or None: the default) as a numpy dtype."""
    if dtype is None or dtype == "None":
        return np.dtype(default)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in allowed:
        raise MXNetError(f"{op}: invalid dtype {dtype!r}; valid values are "
                         f"{['None', *allowed]}")
    return dt


def _shape(op, shape, allow_empty):
    shape = (shape,) if isinstance(shape, integer_types) else tuple(shape or ())
    if (not shape and not allow_empty) or any(int(d) <= 0 for d in shape):
        raise MXNetError(f"{op}: shape {shape} is invalid: sampling needs a non-empty shape "
                         "whose dimensions are all positive")
    return tuple(int(d) for d in shape)


def _compute_dtype(dtype):
    # float16 samples are drawn in float32 and rounded, as MXNet's kernels compute.
    return jnp.float64 if dtype == np.float64 else jnp.float32


# ---------------------------------------------------------------------------------------
# Samplers: (key, output shape, compute dtype, *parameters broadcastable to the shape)

def _uniform(key, shape, dt, low, high):
    return low + (high - low) * jax.random.uniform(key, shape, dt)


def _normal(key, shape, dt, loc, scale):
    return jax.random.normal(key, shape, dt) * scale + loc


def _gamma(key, shape, dt, alpha, beta):
    # Marsaglia and Tsang's method, as MXNet samples it (for alpha < 1: a Gamma(alpha + 1)
    # sample times U^(1/alpha)). Every round draws for all elements and keeps the first
    # accepted draw of each, so a round costs two vectorised draws (jax.random.gamma
    # runs a key split and a loop per element).
    alpha = jnp.broadcast_to(jnp.asarray(alpha, dt), shape)
    d = jnp.where(alpha < 1, alpha + 2 / 3, alpha - 1 / 3)
    c = 1 / jnp.sqrt(9 * d)
    draw_key, boost_key = jax.random.split(key)

    def draw(state):
        i, done, out = state
        z_key, u_key = jax.random.split(jax.random.fold_in(draw_key, i))
        z, u = jax.random.normal(z_key, shape, dt), jax.random.uniform(u_key, shape, dt)
        x = 1 + c * z
        v = x * x * x
        ok = (x > 0) & (jnp.log1p(-u) < 0.5 * z * z + d * (1 - v + jnp.log(jnp.abs(v))))
        return i + 1, done | ok, jnp.where(done | ~ok, out, d * v)

    start = (jnp.int32(0), jnp.zeros(shape, bool), jnp.zeros(shape, dt))
    _, _, sample = lax.while_loop(lambda state: ~jnp.all(state[1]), draw, start)
    boost = jax.random.uniform(boost_key, shape, dt) ** (1 / alpha)
    return jnp.where(alpha < 1, sample * boost, sample) * beta


def _exponential(key, shape, dt, lam):
    return jax.random.exponential(key, shape, dt) / lam


def _poisson(key, shape, dt, lam):
    return jax.random.poisson(key, jnp.broadcast_to(lam, shape), shape).astype(dt)


def _negative_binomial(key, shape, dt, k, p):
    # MXNet: a Poisson draw whose rate is Gamma(k, (1 - p) / p).
    k_key, p_key = jax.random.split(key)
    return _poisson(p_key, shape, dt, _gamma(k_key, shape, dt, k, (1 - p) / p))


def _generalized_negative_binomial(key, shape, dt, mu, alpha):
    # MXNet: Poisson(Gamma(1 / alpha, alpha * mu)); alpha == 0 is Poisson(mu).
    g_key, p_key = jax.random.split(key)
    safe = jnp.where(alpha == 0, 1, alpha)
    rate = jnp.where(alpha == 0, mu, _gamma(g_key, shape, dt, 1 / safe, safe * mu))
    return _poisson(p_key, shape, dt, rate)


class _Distribution(NamedTuple):
    sampler: Callable
    params: dict      # scalar parameters of _random_<name>: MXNet's names and defaults
    inputs: tuple     # NDArray parameters of _sample_<name>
    valid: Callable   # MXNet's check on the scalar parameters
    rule: str         # its error message


_DISTRIBUTIONS = {
    "uniform": _Distribution(_uniform, dict(low=0.0, high=1.0), ("low", "high"),
                             lambda low, high: high >= low,
                             "low must be less or equal to high"),
    "normal": _Distribution(_normal, dict(loc=0.0, scale=1.0), ("mu", "sigma"),
                            lambda loc, scale: scale > 0, "scale has to be positive"),
    "gamma": _Distribution(_gamma, dict(alpha=1.0, beta=1.0), ("alpha", "beta"),
                           lambda alpha, beta: alpha > 0 and beta > 0,
                           "alpha and beta have to be positive"),
    "exponential": _Distribution(_exponential, dict(lam=1.0), ("lam",),
                                 lambda lam: lam > 0, "lambda has to be positive"),
    "poisson": _Distribution(_poisson, dict(lam=1.0), ("lam",),
                             lambda lam: lam >= 0, "lambda has to be non-negative"),
    "negative_binomial": _Distribution(_negative_binomial, dict(k=1, p=1.0), ("k", "p"),
                                       lambda k, p: k >= 0 and p >= 0,
                                       "k and p have to be non-negative"),
    "generalized_negative_binomial": _Distribution(
        _generalized_negative_binomial, dict(mu=1.0, alpha=1.0), ("mu", "alpha"),
        lambda mu, alpha: mu >= 0 and alpha >= 0, "mu and alpha have to be non-negative"),
}


def check_scalar_params(name, *values):
    """Raise MXNet's error for invalid scalar parameters of distribution ``name``.

    The scalar operators trace their parameters (no recompilation per value), so the
    ``mx.nd.random`` functions validate the values here, before the call.
    """
    if name == "randint":
        if not all(isinstance(v, integer_types) for v in values):
            raise MXNetError(f"_random_randint: low and high must be integers, got {values}")
        if values[1] <= values[0]:
            raise MXNetError(f"_random_randint: low ({values[0]}) must be less than high "
                             f"({values[1]})")
        return
    dist = _DISTRIBUTIONS[name]
    if not all(isinstance(v, numeric_types) for v in values) or not dist.valid(*values):
        raise MXNetError(f"_random_{name}: {dist.rule}, got {values}")


_BARE_ALIASES = {"uniform": ("uniform",), "normal": ("normal",)}  # mx.nd.uniform, mx.nd.normal


def _register_scalar(name, sampler, params):
    @register(f"_random_{name}", inputs=(), creation=True, random=True, dynamic=tuple(params),
              attrs=dict(params, shape=(), ctx="", dtype="None"),
              aliases=(f"random_{name}",) + _BARE_ALIASES.get(name, ()),
              doc=f"Draw samples from a {name.replace('_', ' ')} distribution with scalar "
                  "parameters.")
    def scalar_op(*, shape, ctx, dtype, key, **values):
        op = f"_random_{name}"
        dt = _dtype(op, dtype)
        out_shape = _shape(op, shape, allow_empty=False)
        args = [values[p] for p in params]
        return sampler(key, out_shape, _compute_dtype(dt), *args).astype(dt)

    @register(f"_random_{name}_like", random=True, dynamic=tuple(params), attrs=dict(params),
              doc=f"Draw {name.replace('_', ' ')} samples shaped like the input array.")
    def like_op(data, *, key, **values):
        dt = _dtype(f"_random_{name}_like", np.dtype(data.dtype).name)
        args = [values[p] for p in params]
        return sampler(key, data.shape, _compute_dtype(dt), *args).astype(dt)


def _register_sample(name, sampler, inputs):
    @register(f"_sample_{name}", inputs=inputs, random=True, aliases=(f"sample_{name}",),
              attrs=dict(shape=(), dtype="None"),
              doc=f"Draw {name.replace('_', ' ')} samples for every element of the "
                  "parameter arrays.", lists_input_names=True)
    def sample_op(*args, shape, dtype, key):
        op = f"_sample_{name}"
        dt = _dtype(op, dtype)
        extra = _shape(op, shape, allow_empty=True)
        if any(a.shape != args[0].shape for a in args):
            raise MXNetError(f"{op}: parameters must have the same shape, got "
                             f"{', '.join(f'{n}={a.shape}' for n, a in zip(inputs, args))}")
        cdt = _compute_dtype(dt)
        # MXNet: the parameters of a sample get no gradient.
        params = [lax.stop_gradient(a).astype(cdt).reshape(a.shape + (1,) * len(extra))
                  for a in args]
        return sampler(key, args[0].shape + extra, cdt, *params).astype(dt)


for _name, _dist in _DISTRIBUTIONS.items():
    _register_scalar(_name, _dist.sampler, _dist.params)
    _register_sample(_name, _dist.sampler, _dist.inputs)


@register("_random_randint", inputs=(), creation=True, random=True, dynamic=("low", "high"),
          attrs=dict(low=Required, high=Required, shape=(), ctx="", dtype="None"),
          aliases=("random_randint",))
def random_randint(*, low, high, shape, ctx, dtype, key):
    """Draw integers uniformly from ``[low, high)``."""
    dt = _dtype("_random_randint", dtype, ("int32", "int64"), default="int32")
    out_shape = _shape("_random_randint", shape, allow_empty=False)
    return jax.random.randint(key, out_shape, low, high, dt)


# ---------------------------------------------------------------------------------------
# Multinomial and shuffle

@register("_sample_multinomial", random=True, aliases=("sample_multinomial",),
          attrs=dict(shape=(), get_prob=False, dtype="int32"),
          num_outputs=lambda attrs: 2 if attrs["get_prob"] else 1, lists_input_names=True)
def sample_multinomial(data, *, shape, get_prob, dtype, key):
    """Draw class indices from the distributions in the last axis (and log-probs)."""
    op = "_sample_multinomial"
    dt = _dtype(op, dtype, ("uint8", "int32", "float16", "float32", "float64"), "int32")
    if data.ndim == 0 or data.dtype not in (jnp.float16, jnp.float32, jnp.float64):
        raise MXNetError(f"{op}: data must be a floating point array of probabilities in "
                         f"its last axis, got {data.dtype} of shape {data.shape}")
    extra = (shape,) if isinstance(shape, integer_types) else tuple(shape)
    batch = data.shape[:-1]
    n_draws = math.prod(extra)
    # MXNet draws one uniform per sample and searches the unnormalized cumulative sums.
    cdf = jnp.cumsum(lax.stop_gradient(data).astype(jnp.float32), axis=-1)
    cdf = cdf.reshape(-1, data.shape[-1])
    u = jax.random.uniform(key, (cdf.shape[0], n_draws), jnp.float32)
    index = jax.vmap(functools.partial(jnp.searchsorted, side="left"))(cdf, u)
    index = jnp.minimum(index, data.shape[-1] - 1)
    out_shape = (batch + extra) or (1,)  # MXNet: 1-D data and no shape give shape (1,)
    samples = index.reshape(out_shape).astype(dt)
    if not get_prob:
        return samples
    flat = data.reshape(-1, data.shape[-1])
    log_prob = jnp.log(jnp.take_along_axis(flat, index, axis=-1))
    return samples, log_prob.reshape(out_shape)


@jax.custom_vjp
def _permute(data, key):
    return jax.random.permutation(key, data, axis=0)


def _permute_fwd(data, key):
    return _permute(data, key), None


def _permute_bwd(_, g):
    # MXNet registers no gradient for _shuffle: backward through it is an error.
    raise MXNetError("Operator _shuffle is non-differentiable because it didn't register "
                     "FGradient attribute.")


_permute.defvjp(_permute_fwd, _permute_bwd)


@register("_shuffle", random=True, aliases=("shuffle",))
def shuffle(data, *, key):
    """Randomly permute the array along its first axis."""
    if data.ndim == 0 or data.shape[0] == 0:
        raise MXNetError(f"_shuffle: data must have a non-empty first axis, got shape "
                         f"{data.shape}")
    return _permute(data, key)


# ---------------------------------------------------------------------------------------
# Unique Zipfian samples (candidate sampling)

@register("_sample_unique_zipfian", inputs=(), creation=True, random=True, num_outputs=2,
          attrs=dict(range_max=Required, shape=()), lists_input_names=True)
def sample_unique_zipfian(*, range_max, shape, key):
    """For each row of ``shape = (batch, n)``: ``n`` distinct classes of ``[0, range_max)``
    drawn without replacement from the log-uniform distribution
    ``P(c) = log((c + 2) / (c + 1)) / log(range_max + 1)``, and the number of draws that
    took (int64, shape ``(batch,)``)."""
    op = "_sample_unique_zipfian"
    if len(shape) != 2:
        raise MXNetError(f"{op}: shape must be (batch_size, num_sampled), got {shape}")
    batch, num_sampled = (int(d) for d in shape)
    if num_sampled > range_max:
        raise MXNetError(f"{op}: Number of samples cannot exceed the number of possible "
                         f"classes ({num_sampled} > {range_max})")
    # A sequential rejection loop, as MXNet's (CPU-only) kernel runs it: on the host.
    structs = (jax.ShapeDtypeStruct((batch, num_sampled), jnp.int64),
               jax.ShapeDtypeStruct((batch,), jnp.int64))
    host = functools.partial(_unique_zipfian_host, range_max=range_max, batch=batch,
                             num_sampled=num_sampled)
    key_data = (jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
                else key)
    return tuple(jax.pure_callback(host, structs, key_data, vmap_method="sequential"))


def _unique_zipfian_host(key, *, range_max, batch, num_sampled):
    rng = np.random.Generator(np.random.Philox(key=[int(k) for k in np.ravel(key)][:2]))
    log_range = math.log(range_max)
    samples = np.empty((batch, num_sampled), np.int64)
    tries = np.zeros(batch, np.int64)
    chunk = max(2 * num_sampled, 64)
    for row in range(batch):
        got = np.empty(0, np.int64)
        while got.size < num_sampled:
            # floor(x + 0.5): C's lround for these positive values
            draws = np.floor(np.exp(rng.random(chunk) * log_range) + 0.5).astype(np.int64) - 1
            _, first = np.unique(draws, return_index=True)  # first draw of each value
            first.sort()
            fresh = first[~np.isin(draws[first], got)]
            need = num_sampled - got.size
            tries[row] += fresh[need - 1] + 1 if fresh.size >= need else chunk
            got = np.concatenate([got, draws[fresh[:need]]])
        samples[row] = got
    return samples, tries
