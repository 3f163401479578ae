"""Build ``mx.sym.<op>`` functions from the operator registry (the same specs as ``mx.nd``).

Each function adds one node to a graph: ``mx.sym.FullyConnected(data, num_hidden=4,
name='fc1')`` creates ``fc1`` and, for parameter inputs not given, the variables
``fc1_weight`` and ``fc1_bias``. Names route as in ``mx.nd`` (``_contrib_X`` to
``sym.contrib.X``, ``_linalg_X`` to ``sym.linalg.X``, other ``_X`` to ``sym._internal``).
"""

import inspect

import numpy as np

from .. import attribute as _attribute
from .. import name as _name
from ..base import MXNetError
from ..ndarray import register as _nd_register
from ..ndarray.register import split_args
from .symbol import Symbol, _hidden_key, _Node

__all__ = ["create_op", "make_function", "populate", "wire_inputs"]


def create_op(spec, func_name, args, kwargs):
    """A Symbol for operator ``spec`` called as ``mx.sym.<func_name>(*args, **kwargs)``."""
    kwargs = dict(kwargs)
    name, attr = kwargs.pop("name", None), kwargs.pop("attr", None)
    kwargs.pop("out", None)
    if spec.creation and "ctx" not in spec.attrs:
        kwargs.pop("ctx", None)
    if not spec.inputs and not spec.variadic and spec.inputs_for is None:
        # MXNet composes an operator without inputs with no Symbol, ignoring any given
        # by keyword (``sym.random.randn(data=...)``); positional ones still fail.
        kwargs = {k: v for k, v in kwargs.items() if not isinstance(v, Symbol)}
    num_args = kwargs.get("num_args")
    inputs, params = split_args(spec, args, kwargs, Symbol)
    for value in inputs:
        if value is not None and not isinstance(value, Symbol):
            raise TypeError(f"{spec.name}: inputs must be Symbol instances, but got "
                            f"{type(value).__name__}")
        if value is not None and len(value) != 1:
            raise MXNetError(f"{spec.name}: an input is a group of {len(value)} outputs; "
                             "pass a single output")
    hidden = {}
    for key in list(params):  # lr_mult=, ctx_group=, ...: stored as __lr_mult__, ...
        if key not in spec.attrs and _hidden_key(key, params[key]) != key:
            hidden[_hidden_key(key)] = str(params.pop(key))
    if params.get("dtype") is not None and not isinstance(params["dtype"], str):
        params["dtype"] = np.dtype(params["dtype"]).name
    attrs = spec.parse_attrs(params)  # validates (unknown or missing arguments raise)
    strings = {k: str(v) for k, v in params.items()}
    strings.update(hidden)
    if spec.variadic:
        strings["num_args"] = str(num_args if num_args is not None else len(inputs))
    for key, value in _attribute.current().get(attr).items():
        key = _hidden_key(key)
        if not (key.startswith("__") and key.endswith("__")) and key not in spec.attrs:
            raise MXNetError(f"{spec.name}: Cannot find argument '{key}' (extra attributes "
                             "of an operator are named __key__)")
        strings[key] = str(value)
    name = _name.current().get(name, func_name.lower())
    node = _Node(spec.name, name, strings, params)
    node.inputs = wire_inputs(spec, node, attrs, inputs)
    return Symbol([(node, i) for i in range(spec.num_outputs_for(attrs))])


def wire_inputs(spec, node, attrs, inputs):
    """Input entries of a new node: missing parameters become variables named
    ``<node>_<input>``; auxiliary inputs get a new version, as MXNet's graph records."""
    entries = []
    if spec.variadic:
        entries = [s._outputs[0] for s in inputs]
    else:
        present = spec.present_inputs(attrs)
        for input_name, value in zip(spec.input_list(attrs), inputs):
            if input_name not in present:
                if value is not None:
                    raise MXNetError(f"{spec.name}: input '{input_name}' is not used with "
                                     f"these attributes ({node.attrs})")
                continue
            if value is None:
                value = Symbol([(_Node("null", f"{node.name}_{input_name}", node.attrs), 0)])
            entries.append(value._outputs[0])
    mutated = spec.mutated_inputs(attrs, len(entries))
    wired = []
    for i, (child, index) in enumerate(entries):
        if child.is_variable():
            init = spec.input_init.get(i)
            if init is not None and "__init__" not in child.attrs:
                child.attrs["__init__"] = init
        if i in mutated:
            if not child.is_variable():
                raise MXNetError(f"{spec.name}: input {i} ({child.name}) is an auxiliary "
                                 "state and must be a variable")
            child.version += 1
        wired.append((child, index, child.version if child.is_variable() else 0))
    return wired


def make_function(spec, func_name):
    """The ``mx.sym`` function for ``spec``: MXNet's signature plus ``name`` and ``attr``."""

    def fn(*args, **kwargs):
        return create_op(spec, func_name, args, kwargs)

    signature = spec.signature()
    params = list(signature.parameters.values())
    params.insert(-1, inspect.Parameter("attr", inspect.Parameter.KEYWORD_ONLY, default=None))
    fn.__name__ = fn.__qualname__ = func_name
    fn.__doc__ = spec.docstring().replace(": NDArray", ": Symbol")
    fn.__signature__ = signature.replace(parameters=params)
    return fn


def populate(modules):
    """Attach a Symbol-building function for every registered name (same routing as nd)."""
    _nd_register.populate(modules, make_function)
