"""Build ``mx.nd.<op>`` functions from the operator registry and run them eagerly.

Naming follows MXNet: ``_contrib_X`` goes to ``nd.contrib.X``, ``_linalg_X`` to
``nd.linalg.X``, ``_random_X``/``_sample_X`` and every other leading-underscore name to
``nd._internal``; the rest to ``nd.op`` (re-exported as ``nd.X``).
"""

import copy
import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _tracing, autograd, engine
from .. import random as _random
from ..base import MXNetError
from ..context import Context, current_context
from ..engine import Pending
from ..operator import spec as _spec
from . import _sparse_dispatch
from .ndarray import NDArray

__all__ = ["invoke", "make_function", "populate", "check_registered"]

_PREFIX_MODULES = {"_contrib_": "contrib", "_linalg_": "linalg", "_image_": "image",
                   "_sparse_": "sparse"}


def split_args(spec, args, kwargs, array_types=(NDArray, np.ndarray, jax.Array)):
    """Separate array inputs from attributes, MXNet-style (attrs may be positional)."""
    kwargs = dict(kwargs)
    if spec.inputs_for is not None:
        return _split_named(spec, args, kwargs, array_types)
    if spec.variadic:
        inputs = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) \
            else list(args)
        if spec.inputs[0] in kwargs:
            inputs += _as_list(kwargs.pop(spec.inputs[0]))
        kwargs.pop("num_args", None)
        return inputs, kwargs
    n = len(spec.inputs)
    inputs = list(args[:n]) + [None] * max(0, n - len(args))
    for name, value in zip(spec.attrs, args[n:]):
        if name in kwargs:
            raise TypeError(f"{spec.name}: got multiple values for argument '{name}'")
        kwargs[name] = value
    if len(args) > n + len(spec.attrs):
        raise TypeError(f"{spec.name}: too many positional arguments")
    for i, name in enumerate(spec.inputs):
        if name in kwargs:
            if inputs[i] is not None:
                raise TypeError(f"{spec.name}: got multiple values for argument '{name}'")
            inputs[i] = kwargs.pop(name)
    return inputs, kwargs


def _split_named(spec, args, kwargs, array_types):
    """Inputs named by the attributes (Custom): positional arrays in order, then keyword
    arrays by name; every other keyword is an attribute."""
    named = {k: kwargs.pop(k) for k in list(kwargs) if isinstance(kwargs[k], array_types)}
    names = spec.input_list(spec.parse_attrs(kwargs))
    if len(args) > len(names):
        raise TypeError(f"{spec.name}: got {len(args)} inputs, expected at most {len(names)} "
                        f"({', '.join(names) or 'none'})")
    inputs = list(args) + [None] * (len(names) - len(args))
    for name, value in named.items():
        if name not in names:
            raise TypeError(f"{spec.name}: unknown input '{name}'; its inputs are "
                            f"{list(names)}")
        if inputs[names.index(name)] is not None:
            raise TypeError(f"{spec.name}: got multiple values for argument '{name}'")
        inputs[names.index(name)] = value
    return inputs, kwargs


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _input_value(spec, name, x):
    if x is None or isinstance(x, NDArray):
        return x
    if isinstance(x, (np.ndarray, jax.Array)):
        return NDArray(jnp.asarray(x))
    raise TypeError(f"{spec.name}: argument '{name}' must be an NDArray, got {type(x).__name__}")


def _input_names(spec, inputs, attrs):
    if spec.variadic:
        return [f"{spec.inputs[0]}[{i}]" for i in range(len(inputs))]
    return list(spec.input_list(attrs))


class _Call:
    """What an operator call compiles in -- its parsed attributes, bound functions, cache
    key and the inputs it writes in place -- shared by every call with those attributes."""

    __slots__ = ("attrs", "pure", "jitted", "key", "mutated")

    def __init__(self, spec, attr_kwargs, training, n_inputs):
        attrs = spec.parse_attrs(attr_kwargs)
        if spec.training:
            attrs["_training"] = training
        self.attrs = attrs
        self.pure, self.jitted = spec.bind(attrs, n_inputs)
        self.key = (spec.name, spec.static_key(attrs), n_inputs)
        self.mutated = spec.returned_inputs(attrs, n_inputs)


_calls = {}
_MAX_CALLS = 1 << 16


def _prepare(spec, args, kwargs, training):
    """``(inputs, call)``; the call comes from a cache when inputs are positional and the
    static attributes were seen before (dynamic ones -- scalars -- may differ)."""
    n = len(spec.inputs)
    if spec.variadic or spec.inputs_for is not None or len(args) > n or \
            not spec.input_names.isdisjoint(kwargs):
        inputs, attr_kwargs = split_args(spec, args, kwargs)
        return inputs, _Call(spec, attr_kwargs, training, len(inputs))
    inputs = [*args, *[None] * (n - len(args))]
    call = _cached_call(spec, kwargs, training)
    if spec.dynamic:  # this call's own values (the cached call holds another call's)
        call = copy.copy(call)
        call.attrs = dict(call.attrs)
        for k in spec.dynamic:
            value = kwargs.get(k, spec.attrs[k])
            if _spec.is_required(value):
                raise MXNetError(f"{spec.name}: required argument '{k}' is missing")
            call.attrs[k] = _spec.hashable(value)
    return inputs, call


def _cached_call(spec, kwargs, training):
    try:
        key = (spec, training,
               *[item for item in kwargs.items() if item[0] not in spec.dynamic])
        call = _calls.get(key)
    except TypeError:  # an unhashable attribute value (a list): parse it every time
        key = call = None
    if call is None:
        call = _Call(spec, kwargs, training, len(spec.inputs))
        if key is not None:
            if len(_calls) >= _MAX_CALLS:
                _calls.clear()
            _calls[key] = call
    return call


def invoke(spec, args, kwargs):
    """Run ``spec`` on NDArrays (or capture it, see ``mxjax.engine``); record it when
    autograd is recording."""
    out = kwargs.pop("out", None)
    name = kwargs.pop("name", None)
    ctx = kwargs.pop("ctx", None) if spec.creation else None
    inputs, call = _prepare(spec, args, kwargs, autograd.is_training() if spec.training
                            else None)
    attrs = call.attrs
    storage = None
    if any(x is not None and type(x) is not NDArray for x in inputs):
        inputs = _convert_inputs(spec, inputs, attrs)
        storage = _sparse_dispatch.infer(spec, attrs, inputs)  # may raise, before running
    elif getattr(spec.infer_storage, "on_dense", False):  # cast_storage: sparse from dense
        storage = _sparse_dispatch.infer(spec, attrs, inputs)
    dynamic = [getattr(attrs[k], "_lazy", attrs[k]) for k in spec.dynamic]  # NDArray: value
    if spec.random:
        dynamic.append(_random.next_key())
    ctx = _output_context(spec, inputs, ctx)
    values = [None if x is None else x._lazy for x in inputs]
    try:
        result = engine.call(call.pure, call.key, [*values, *dynamic], ctx,
                             compiled=call.jitted)
    except (TypeError, ValueError, jax.errors.JaxRuntimeError) as e:
        shapes = ", ".join(f"{n}={None if v is None else tuple(v.shape)}"
                           for n, v in zip(_input_names(spec, inputs, attrs), values))
        raise MXNetError(f"{spec.name}: {e} (inputs: {shapes})") from e
    mutated = call.mutated
    recorded = inputs
    if mutated:  # optimizer and auxiliary states: written into their inputs, not returned
        if autograd.is_recording():  # the graph reads the values the operator was given
            recorded = [x._lazy if i in mutated and x is not None else x
                        for i, x in enumerate(inputs)]
        n_out = len(result) - len(mutated)
        for i, value in zip(mutated, result[n_out:]):
            inputs[i]._set_data(value)
            if _tracing.active():
                _tracing.note_written(inputs[i])
        result = result[:n_out]
    outputs = _wrap_outputs(spec, result, ctx)
    if storage is not None:
        outputs = _sparse_dispatch.finish(storage, spec, attrs, inputs, values, outputs)
    if _tracing.active():  # hybridized: print(x) shows the Symbol name MXNet would give
        _tracing.name_outputs(outputs, name, spec.name)
    if autograd.is_recording():
        node = autograd.record_node(call.pure, call.key, [*recorded, *dynamic], outputs)
        if node is not None and spec.on_backward is not None:
            node.on_backward = functools.partial(spec.on_backward, attrs, inputs, result)
    elif spec.on_backward is not None and _tracing.active():
        # Inside a hybridized block: apply now to the traced state; the block's own
        # recorded node writes the new state back when backward runs.
        spec.on_backward(attrs, inputs, result)
    if out is not None:
        for o, r in zip(_as_list(out), outputs):
            autograd.check_inplace(o, inputs if any(x is o for x in inputs) else ())
            o._assign(r)
        return out
    return outputs[0] if len(outputs) == 1 else outputs


def _convert_inputs(spec, inputs, attrs):
    """Finish deferred parameter initialisation, wrap raw arrays, reject the rest."""
    names = _input_names(spec, inputs, attrs)
    if any(hasattr(x, "_resolve_deferred") for x in inputs):
        inputs = _resolve_deferred(spec, names, inputs, attrs)
    return [_input_value(spec, n, x) for n, x in zip(names, inputs)]


def _resolve_deferred(spec, names, inputs, attrs):
    """Finish Gluon's deferred initialisation: infer the shapes of parameter inputs not
    yet initialised from the other inputs, through the operator's ``infer_params``."""
    deferred = {n: x for n, x in zip(names, inputs) if hasattr(x, "_resolve_deferred")}
    if spec.infer_params is None:
        raise MXNetError(
            f"{spec.name}: cannot infer the shape of {sorted(deferred)} from this operator "
            "(deferred initialization failed); give the layer its input size (in_units, "
            "in_channels, ...) when constructing it")
    shapes = {n: None if (x is None or n in deferred) else tuple(x.shape)
              for n, x in zip(names, inputs)}
    inferred = spec.infer_params(shapes, attrs)
    return [deferred[n]._resolve_deferred(inferred[n]) if n in deferred else x
            for n, x in zip(names, inputs)]


def _output_context(spec, inputs, ctx):
    if spec.creation:
        return Context(ctx) if ctx is not None else current_context()
    return next((x.context for x in inputs if x is not None), None) or current_context()


def _wrap_outputs(spec, result, ctx):
    results = list(result)
    if spec.creation and not _tracing.active():  # in a hybridized trace: XLA's business
        device = ctx.jax_device
        results = [r if type(r) is Pending or device in r.devices()
                   else jax.device_put(r, device) for r in results]
    return [NDArray(r, ctx) for r in results]


def make_function(spec, func_name):
    """The ``mx.nd`` function for ``spec``, with MXNet's signature and a docstring."""

    def fn(*args, **kwargs):
        return invoke(spec, args, kwargs)

    fn.__name__ = fn.__qualname__ = func_name
    fn.__doc__ = spec.docstring()
    fn.__signature__ = spec.signature()
    return fn


def _target(name):
    for prefix, module in _PREFIX_MODULES.items():
        if name.startswith(prefix):
            return module, name[len(prefix):]
    return ("_internal" if name.startswith("_") else "op"), name


def populate(modules, make=make_function):
    """Attach ``make(spec, name)`` for every registered name to ``modules[target]``."""
    for name, spec in _spec.all_specs():
        module, func_name = _target(name)
        setattr(modules[module], func_name, make(spec, func_name))
        exported = getattr(modules[module], "__all__", None)
        if exported is not None and func_name not in exported:
            exported.append(func_name)


def check_registered(names):
    """Names (of ``mx.nd``) that no registered operator provides — for tests and docs."""
    have = {_target(n)[1] for n, _ in _spec.all_specs()}
    return [n for n in names if n not in have]

