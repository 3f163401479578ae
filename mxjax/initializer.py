"""``mx.init`` / ``mx.initializer``: fill parameter arrays in place.

An initializer is called as ``init(InitDesc(name), arr)`` and writes into ``arr``
(``arr[:] = ...``); the parameter's name suffix (``weight``, ``bias``, ``gamma``,
``beta``, ...) chooses which ``_init_*`` method runs. ``dumps()`` gives the JSON string
MXNet 1.9.1 gives, and ``create`` rebuilds an initializer from a name, such a string or
an instance. Random draws take a fresh key from the global ``mx.random`` state, so
``mx.random.seed`` makes them reproducible.
"""

import json
import logging
import re
import warnings
from math import sqrt

import jax
import numpy as np

from . import random as _random
from . import registry
from .base import MXNetError, string_types
from .ndarray import NDArray
from .ndarray import array as _nd_array
from .ndarray import load as _nd_load

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed",
           "Zero", "One", "Constant", "Uniform", "Normal", "Orthogonal", "Xavier",
           "MSRAPrelu", "Bilinear", "LSTMBias", "FusedRNN"]

_FLOAT_TYPES = (np.dtype("float16"), np.dtype("float32"), np.dtype("float64"))


# ---- random fills ---------------------------------------------------------------------
def _random_array(kind, a, b, shape, dtype="float32"):
    """Samples of U[a, b) (``kind='uniform'``) or N(a, b**2) (``'normal'``), as numpy.

    Drawn on the host by a Philox generator keyed by the next ``mx.random`` key (so
    ``mx.random.seed`` fixes them): initializers meet a new shape for almost every
    parameter, and an XLA sampler would be compiled for each.
    """
    key = [int(k) for k in np.asarray(_random.next_key(concrete=True)).ravel()]
    rng = np.random.Generator(np.random.Philox(key=(key[0] << 32) | key[1]))
    dt = np.dtype(dtype)
    if kind == "uniform":
        values = a + (b - a) * rng.random(tuple(shape), dtype=dt)
    else:
        values = a + b * rng.standard_normal(tuple(shape), dtype=dt)
    return np.asarray(values, dtype=dt)


def _fill_random(arr, kind, a, b):
    """Write random samples into ``arr``; like MXNet, only float arrays can take them."""
    dt = np.dtype(arr.dtype)
    if dt not in _FLOAT_TYPES:
        raise MXNetError(f"random {kind} initialization: output type must be float16, "
                         f"float32 or float64, got {dt.name}")
    values = _random_array(kind, a, b, arr.shape, "float64" if dt == _FLOAT_TYPES[2]
                           else "float32")
    # a sparse array warns when given numpy (MXNet's initializers write NDArrays into it)
    arr[:] = values if arr.stype == "default" else _nd_array(values, dtype=values.dtype)


def _bilinear_kernel(shape):
    """The upsampling kernel MXNet's Bilinear writes, for a 4-D weight ``shape``."""
    if len(shape) != 4:
        raise ValueError(f"Bilinear initializer needs a 4-D weight, got shape {shape}")
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    wx = 1 - np.abs(np.arange(shape[3]) / f - c)
    wy = 1 - np.abs(np.arange(shape[2]) / f - c)
    return np.broadcast_to(np.outer(wy, wx).astype(np.float32), shape)


def _filler(value):
    """An ``_init_*`` method writing ``value`` everywhere."""
    def fill(self, _, arr):
        arr[:] = value
    return fill


def _json_default(value):
    # MXNet's json.dumps fails on numpy scalars; convert them (and arrays) instead.
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, NDArray)):
        return np.asarray(value).tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# ---- descriptor and base class --------------------------------------------------------
class InitDesc(str):
    """The name of a parameter to initialize, with extra information.

    Parameters
    ----------
    name : str
        The parameter's name; its suffix selects the initialization rule.
    attrs : dict of str to str, optional
        Attributes of the variable; ``attrs['__init__']``, when set, names (or is) the
        initializer to use regardless of the suffix.
    global_init : Initializer, optional
        The initializer to fall back to (set by the first initializer that sees it).
    """

    def __new__(cls, name, attrs=None, global_init=None):
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


# (suffix, method) tried in order by ``Initializer.__call__`` for an InitDesc.
_SUFFIX_RULES = (("weight", "_init_weight"), ("bias", "_init_bias"),
                 ("gamma", "_init_gamma"), ("beta", "_init_beta"), ("min", "_init_zero"),
                 ("max", "_init_one"), ("weight_quantize", "_init_quantized_weight"),
                 ("bias_quantize", "_init_quantized_bias"))
# The same for a plain string name (the deprecated call style), after the prefix rules.
_LEGACY_SUFFIX_RULES = (("bias", "_init_bias"), ("gamma", "_init_gamma"),
                        ("beta", "_init_beta"), ("weight", "_init_weight"),
                        ("moving_mean", "_init_zero"), ("moving_var", "_init_one"),
                        ("moving_inv_var", "_init_zero"), ("moving_avg", "_init_zero"),
                        ("min", "_init_zero"), ("max", "_init_one"))


class Initializer:
    """Base class of initializers.

    Subclasses override ``_init_weight(self, name, arr)`` (and optionally ``_init_bias``,
    ``_init_gamma``, ...) and write the values into ``arr`` with ``arr[:] = ...``.
    Keyword arguments given to ``__init__`` are what ``dumps()`` records.
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log ``Initialized <name> as <rule>: <stat>`` after each array; returns self.

        ``print_func(arr) -> str`` computes the statistic (default: root mean square).
        """
        self._verbose = verbose
        if print_func is None:
            def print_func(x):
                values = x.asnumpy().astype(np.float32)
                return str(np.linalg.norm(values) / np.float32(sqrt(x.size)))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self):
        """MXNet's JSON form ``'[class name in lower case, {kwargs}]'``, e.g.
        ``'["normal", {"sigma": 0.5}]'``; ``create`` accepts it."""
        return json.dumps([type(self).__name__.lower(), self._kwargs], default=_json_default)

    def __call__(self, desc, arr):
        """Initialize the NDArray ``arr`` in place, by the rule ``desc`` selects.

        ``desc`` is an InitDesc; a plain ``str`` uses the deprecated rules (which also
        know ``moving_mean``, ``moving_var``, ``upsampling*``, ...).
        """
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in _SUFFIX_RULES:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """Initialize by a plain string name (deprecated in MXNet, still supported)."""
        warnings.warn("Calling an initializer with (str, NDArray) is deprecated; "
                      "pass mx.init.InitDesc(name) instead.", DeprecationWarning, stacklevel=3)
        if not isinstance(name, string_types):
            raise TypeError("name must be string")
        if not isinstance(arr, NDArray):
            raise TypeError("arr must be NDArray")
        if name.startswith("upsampling"):
            self._init_bilinear(name, arr)
        elif name.startswith("stn_loc") and name.endswith("weight"):
            self._init_zero(name, arr)
        elif name.startswith("stn_loc") and name.endswith("bias"):
            self._init_loc_bias(name, arr)
        else:
            method = next((m for s, m in _LEGACY_SUFFIX_RULES if name.endswith(s)),
                          "_init_default")
            getattr(self, method)(name, arr)

    def _init_bilinear(self, _, arr):
        arr[:] = _bilinear_kernel(arr.shape)

    def _init_loc_bias(self, _, arr):
        if arr.shape[0] != 6:
            raise AssertionError(f"stn_loc bias must have 6 entries, got shape {arr.shape}")
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    _init_zero = _init_bias = _init_beta = _init_quantized_bias = _filler(0.0)
    _init_one = _init_gamma = _filler(1.0)

    def _init_weight(self, name, arr):
        """Fill a weight; every concrete initializer overrides this."""
        raise NotImplementedError("Must override it")

    def _init_quantized_weight(self, _, arr):
        # MXNet 1.9.1 draws a single integer in [-127, 127) and fills the array with it.
        value = jax.random.randint(_random.next_key(concrete=True), (), -127, 127)
        arr[:] = np.int8(int(value))

    def _init_default(self, name, _):
        raise ValueError(
            f"Unknown initialization pattern for {name}. Default initialization is now "
            'limited to "weight", "bias", "gamma" (1.0), and "beta" (0.0). Please use '
            "mx.sym.Variable(init=mx.init.*) to set initialization pattern")

    def __eq__(self, other):
        # MXNet: equal when of the same class with the same arguments (hence unhashable).
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs


# ---- registry (``mx.registry``) ---------------------------------------------------------
register = registry.get_register_func(Initializer, "initializer")
alias = registry.get_alias_func(Initializer, "initializer")
create = registry.get_create_func(Initializer, "initializer")


# ---- initializers that are not Initializer subclasses (as in MXNet) -------------------
class Load:
    """Initialize from saved arrays, falling back to another initializer.

    Names in ``param`` lose an ``arg:`` or ``aux:`` prefix before matching.

    Parameters
    ----------
    param : str or dict of str to NDArray
        A file written by ``mx.nd.save`` (holding a dict), or the dict itself.
    default_init : Initializer, optional
        Used for names not in ``param``.
    verbose : bool, default False
        Log where each array's values came from.
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = _nd_load(param)
        if not isinstance(param, dict):
            raise AssertionError("Load needs a dict of name -> NDArray (or a file holding one)")
        self.param = {(k[4:] if k.startswith(("arg:", "aux:")) else k): v
                      for k, v in param.items()}
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        """Copy the stored array named ``name`` into ``arr`` (shapes must agree)."""
        if name in self.param:
            src = self.param[name]
            if arr.shape != src.shape:
                raise AssertionError(f"Parameter {name} cannot be initialized from loading. "
                                     f"Shape mismatch, target {arr.shape} vs loaded "
                                     f"{src.shape}")
            arr[:] = src
            if self.verbose:
                logging.info("Initialized %s by loading", name)
            return
        if self.default_init is None:
            raise AssertionError(f"Cannot Initialize {name}. Not found in loaded param and "
                                 "no default Initializer is provided.")
        self.default_init(name, arr)
        if self.verbose:
            logging.info("Initialized %s by default", name)


class Mixed:
    """Choose the initializer by the first regular expression matching the name.

    Patterns match at the start of the name (``re.match``), as in MXNet.

    Parameters
    ----------
    patterns : list of str
        Regular expressions, tried in order.
    initializers : list of Initializer
        The initializer used for each pattern.
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise AssertionError("Mixed needs as many initializers as patterns")
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        """Initialize ``arr`` with the first initializer whose pattern matches ``name``."""
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError(f"Parameter name {name} did not match any pattern. Consider adding "
                         'a ".*" pattern at the end with a default Initializer.')


# ---- the registered initializers ------------------------------------------------------
@register
@alias("zeros")
class Zero(Initializer):
    """Fill weights with 0."""

    _init_weight = _filler(0)


@register
@alias("ones")
class One(Initializer):
    """Fill weights with 1."""

    _init_weight = _filler(1)


@register
class Constant(Initializer):
    """Fill weights with a value.

    Parameters
    ----------
    value : float or NDArray or array-like
        A scalar, or an array broadcastable to the weight's shape.
    """

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        """As MXNet: an array value is kept as a nested list in the keyword arguments
        from here on, so ``json.dumps([name, init._kwargs])`` gives the same text."""
        if not np.isscalar(self._kwargs["value"]):
            self._kwargs["value"] = np.asarray(self._kwargs["value"]).tolist()
        return super().dumps()


@register
class Uniform(Initializer):
    """Fill weights with samples of the uniform distribution on [-scale, scale).

    Parameters
    ----------
    scale : float, default 0.07
        Half-width of the range.
    """

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _fill_random(arr, "uniform", -self.scale, self.scale)


@register
class Normal(Initializer):
    """Fill weights with samples of a zero-mean normal distribution.

    Parameters
    ----------
    sigma : float, default 0.01
        Standard deviation.
    """

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _fill_random(arr, "normal", 0.0, self.sigma)


@register
class Orthogonal(Initializer):
    """Fill weights with a scaled (semi-)orthogonal matrix (Saxe et al., 2013).

    The weight is seen as a ``(shape[0], prod(shape[1:]))`` matrix whose rows (or
    columns, whichever are fewer) are orthonormal, then multiplied by ``scale``.

    Parameters
    ----------
    scale : float, default 1.414
        Factor applied to the orthonormal matrix.
    rand_type : {'uniform', 'normal'}, default 'uniform'
        Distribution of the random matrix that is orthogonalised.
    """

    def __init__(self, scale=1.414, rand_type="uniform"):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout, nin = arr.shape[0], int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = _random_array("uniform", -1.0, 1.0, (nout, nin))
        elif self.rand_type == "normal":
            tmp = _random_array("normal", 0.0, 1.0, (nout, nin))
        else:
            raise ValueError(f"Unknown random type {self.rand_type!r}; use 'uniform' or "
                             "'normal'")
        tmp = np.asarray(tmp)
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        arr[:] = self.scale * res.reshape(arr.shape)


@register
class Xavier(Initializer):
    """Glorot/Xavier initialization, scaled by the weight's fan-in and fan-out.

    For a weight of shape ``(out, in, *kernel)``, ``fan_in = in * prod(kernel)`` and
    ``fan_out = out * prod(kernel)``. With ``factor`` the fan chosen by ``factor_type``
    (their mean for ``'avg'``) and ``s = sqrt(magnitude / factor)``, values are drawn from
    U[-s, s) (``rnd_type='uniform'``) or N(0, s**2) (``'gaussian'``).

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}, default 'uniform'
        Distribution of the values.
    factor_type : {'avg', 'in', 'out'}, default 'avg'
        Which fan scales the distribution.
    magnitude : float, default 3
        Numerator of the variance factor.
    """

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(f"Xavier initializer cannot be applied to vector {name}. It "
                             "requires at least 2D.")
        hw_scale = np.prod(shape[2:]) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factors = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}
        if self.factor_type not in factors:
            raise ValueError("Incorrect factor type")
        scale = np.sqrt(self.magnitude / factors[self.factor_type])
        if self.rnd_type == "uniform":
            _fill_random(arr, "uniform", -scale, scale)
        elif self.rnd_type == "gaussian":
            _fill_random(arr, "normal", 0.0, scale)
        else:
            raise ValueError("Unknown random type")


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for layers followed by (P)ReLU (He et al., 2015).

    Gaussian Xavier with ``magnitude = 2 / (1 + slope**2)``.

    Parameters
    ----------
    factor_type : {'avg', 'in', 'out'}, default 'avg'
        Which fan scales the distribution.
    slope : float, default 0.25
        Negative slope of the following PReLU.
    """

    def __init__(self, factor_type="avg", slope=0.25):
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Bilinear(Initializer):
    """Fill a 4-D weight with a bilinear upsampling kernel (for Deconvolution)."""

    def _init_weight(self, name, arr):
        self._init_bilinear(name, arr)


@register
class LSTMBias(Initializer):
    """Zero an LSTM bias except the forget gate's quarter (the second of four gates).

    Parameters
    ----------
    forget_bias : float, default 1.0
        Value of the forget-gate bias.
    """

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        arr[num_hidden:2 * num_hidden] = self.forget_bias


_RNN_GATES = {"rnn_relu": ("",), "rnn_tanh": ("",), "lstm": ("_i", "_f", "_c", "_o"),
              "gru": ("_r", "_z", "_o")}


def _fused_rnn_layout(size, num_hidden, num_layers, mode, bidirectional):
    """``[(name, shape)]`` of the pieces packed in a fused RNN parameter vector, in order.

    All weights come first (per layer, per direction: every gate's i2h weight, then every
    gate's h2h weight), then all biases in the same order.
    """
    if mode not in _RNN_GATES:
        raise ValueError(f"Unknown RNN mode {mode!r}; use one of {sorted(_RNN_GATES)}")
    gates, h = _RNN_GATES[mode], num_hidden
    dirs = ("l", "r") if bidirectional else ("l",)
    b, m = len(dirs), len(gates)
    num_input = size // b // h // m - (num_layers - 1) * (h + b * h + 2) - h - 2
    blocks = [(f"{d}{layer}", layer) for layer in range(num_layers) for d in dirs]
    layout = []
    for prefix, layer in blocks:
        ni = num_input if layer == 0 else b * h
        layout += [(f"{prefix}_i2h{g}_weight", (h, ni)) for g in gates]
        layout += [(f"{prefix}_h2h{g}_weight", (h, h)) for g in gates]
    for prefix, _ in blocks:
        layout += [(f"{prefix}_{kind}{g}_bias", (h,)) for kind in ("i2h", "h2h") for g in gates]
    if num_input <= 0 or sum(int(np.prod(s)) for _, s in layout) != size:
        raise AssertionError("Invalid parameters size for FusedRNNCell")
    return layout


@register
class FusedRNN(Initializer):
    """Initialize the packed parameter vector of a fused RNN layer piece by piece.

    The vector is cut into its per-gate weights and biases (named like
    ``l0_i2h_f_weight``), each piece is initialized by ``init`` (or by the global
    initializer when ``init`` is None), and the pieces are packed back. For LSTM every
    forget-gate bias (i2h and h2h) is set to ``forget_bias``.

    Parameters
    ----------
    init : Initializer or str or None
        Initializer for the pieces (a ``dumps()`` string is accepted).
    num_hidden : int
        Hidden size of the layer.
    num_layers : int
        Number of stacked layers.
    mode : {'rnn_relu', 'rnn_tanh', 'lstm', 'gru'}
        Cell type.
    bidirectional : bool, default False
        Whether the layer runs in both directions.
    forget_bias : float, default 1.0
        Forget-gate bias of LSTM layers.
    """

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False,
                 forget_bias=1.0):
        if isinstance(init, string_types):
            init = create(init)  # MXNet 1.9.1 fails here (KeyError) on its own dumps()
        super().__init__(init=init.dumps() if init is not None else None,
                         num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                         bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _init_weight(self, desc, arr):
        layout = _fused_rnn_layout(arr.size, self._num_hidden, self._num_layers, self._mode,
                                   self._bidirectional)
        flat, offset, pieces = arr.asnumpy().reshape(-1), 0, []
        for name, shape in layout:
            size = int(np.prod(shape))
            piece = _nd_array(flat[offset:offset + size].reshape(shape), ctx=arr.context,
                              dtype=arr.dtype)
            offset += size
            piece_desc = InitDesc(name, global_init=desc.global_init)
            if self._mode == "lstm" and name.endswith("_f_bias"):
                piece[:] = self._forget_bias
            elif self._init is None:
                desc.global_init(piece_desc, piece)
            else:
                self._init(piece_desc, piece)
            pieces.append(piece.asnumpy().reshape(-1))
        arr[:] = np.concatenate(pieces).reshape(arr.shape)
