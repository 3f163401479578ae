"""Build ``mx.nd.<op>`` functions from the operator registry and run them eagerly.

Naming follows MXNet: ``_contrib_X`` goes to ``nd.contrib.X``, ``_linalg_X`` to
``nd.linalg.X``, ``_random_X``/``_sample_X`` and every other leading-underscore name to
``nd._internal``; the rest to ``nd.op`` (re-exported as ``nd.X``).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _tracing, autograd
from .. import random as _random
from ..base import MXNetError
from ..context import Context, current_context
from ..operator import spec as _spec
from .ndarray import NDArray

__all__ = ["invoke", "make_function", "populate", "check_registered"]

_PREFIX_MODULES = {"_contrib_": "contrib", "_linalg_": "linalg", "_image_": "image"}


def _split_args(spec, args, kwargs):
    """Separate array inputs from attributes, MXNet-style (attrs may be positional)."""
    kwargs = dict(kwargs)
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


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _input_value(spec, name, x):
    if x is None or isinstance(x, NDArray):
        return x
    if isinstance(x, (np.ndarray, jax.Array)):
        return NDArray(jnp.asarray(x))
    raise TypeError(f"{spec.name}: argument '{name}' must be an NDArray, got {type(x).__name__}")


def _input_names(spec, inputs):
    if spec.variadic:
        return [f"{spec.inputs[0]}[{i}]" for i in range(len(inputs))]
    return list(spec.inputs)


def invoke(spec, args, kwargs):
    """Run ``spec`` now on NDArrays; record it when autograd is recording."""
    out = kwargs.pop("out", None)
    kwargs.pop("name", None)
    ctx = kwargs.pop("ctx", None) if spec.creation else None
    inputs, attr_kwargs = _split_args(spec, args, kwargs)
    names = _input_names(spec, inputs)
    attrs = spec.parse_attrs(attr_kwargs)
    if any(hasattr(x, "_resolve_deferred") for x in inputs):
        inputs = _resolve_deferred(spec, names, inputs, attrs)
    inputs = [_input_value(spec, n, x) for n, x in zip(names, inputs)]
    if spec.training:
        attrs["_training"] = autograd.is_training()
    dynamic = [getattr(attrs[k], "_data", attrs[k]) for k in spec.dynamic]  # NDArray: its value
    if spec.random:
        dynamic.append(_random.next_key())
    pure, jitted = spec.bind(attrs, len(inputs))
    values = [None if x is None else x._data for x in inputs]
    try:
        result = jitted(*values, *dynamic)
    except (TypeError, ValueError, jax.errors.JaxRuntimeError) as e:
        shapes = ", ".join(f"{n}={None if v is None else tuple(v.shape)}"
                           for n, v in zip(names, values))
        raise MXNetError(f"{spec.name}: {e} (inputs: {shapes})") from e
    mutated = spec.mutated_inputs(attrs, len(inputs))
    if mutated:  # optimizer states: written into their inputs, not returned (no gradient)
        n_out = len(result) - len(mutated)
        for i, value in zip(mutated, result[n_out:]):
            inputs[i]._set_data(value)
        result = result[:n_out]
    outputs = _wrap_outputs(spec, inputs, result, ctx)
    if autograd.is_recording() and not mutated:
        node = autograd.record_node(pure, (spec.name, spec.static_key(attrs), len(inputs)),
                                    [*inputs, *dynamic], outputs)
        if node is not None and spec.on_backward is not None:
            node.on_backward = functools.partial(spec.on_backward, attrs, inputs, result)
    elif spec.on_backward is not None and _tracing.active():
        # Inside a hybridized block: apply now to the traced state; the block's own
        # recorded node writes the new state back when backward runs.
        spec.on_backward(attrs, inputs, result)
    single = len(outputs) == 1
    if out is not None:
        for o, r in zip(_as_list(out), outputs):
            autograd.check_inplace(o)
            o._assign(r)
        return out
    return outputs[0] if single else outputs


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


def _wrap_outputs(spec, inputs, result, ctx):
    results = list(result)
    if spec.creation:
        ctx = Context(ctx) if ctx is not None else current_context()
        if not _tracing.active():  # inside a hybridized trace placement is XLA's business
            device = ctx.jax_device
            results = [r if device in r.devices() else jax.device_put(r, device)
                       for r in results]
    else:
        ctx = next((x._ctx for x in inputs if x is not None and x._ctx is not None), None)
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

