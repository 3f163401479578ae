"""The operator registry: every MXNet operator is one ``OpSpec``.

``mx.nd.X`` (and later ``mx.sym.X`` and ``F.X`` inside ``hybrid_forward``) are generated
views of these specs; no operator is implemented twice.

An operator is a pure JAX function ``impl(*inputs, **attrs)``. Inputs are arrays
(``None`` for an optional input that was not given); attributes are static Python values
(they become part of compile-cache keys) except the ones named in ``dynamic``, which are
passed to the compiled function as traced scalars so that changing them (a learning rate,
the scalar in ``x * 0.5``) never recompiles. Output shapes and dtypes come from the
implementation itself (``jax.eval_shape``), so there is no separate rule to keep in sync.
"""

import ast
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from ..base import MXNetError
from .attr_check import check_value, kind_of

__all__ = ["OpSpec", "Required", "is_required", "register", "get", "add_alias", "all_specs",
           "infer_param_shapes", "choices_type", "if_attr", "unless_attr"]


class _RequiredType:
    __slots__ = ("kind", "low")

    def __init__(self, kind=None, low=None):
        self.kind = kind
        self.low = low

    def __call__(self, kind, low=None):
        """``Required(int, low=1)``: a required attribute of that kind (``int``: MXNet's
        32-bit int; ``float``, ``bool``, ``tuple`` for a shape), checked at every call and
        every ``-symbol.json`` load."""
        return _RequiredType(kind, low)

    def __repr__(self):
        return "Required"


Required = _RequiredType()
"""Default value marking an attribute the caller must give; ``Required(int, low=1)``
also gives its kind and lower bound."""


def is_required(default):
    """Whether an attribute default is ``Required`` (with or without a kind)."""
    return isinstance(default, _RequiredType)


@dataclass(eq=False)
class OpSpec:
    """One MXNet operator: its names, arguments, implementation and rules.

    Besides what it computes, a spec carries the facts MXNet 1.9.1's graph records about
    the operator (``mx.sym``, ``-symbol.json``, shape and type inference, the executor).
    Their defaults fit most operators:

    conditional_inputs
        Inputs that exist only for some attribute values: ``{name: (attrs) -> bool}``
        (FullyConnected has no ``bias`` input with ``no_bias=True``).
    mutate, returns_mutated
        Positions of the inputs the operator writes (auxiliary states: BatchNorm's running
        statistics, optimizer states), or a function of ``(attrs, number of inputs)``. With
        ``returns_mutated`` the impl returns their new values after its outputs; without,
        ``on_backward`` writes them (BatchNorm, at backward as in MXNet).
    input_init
        ``__init__`` strings MXNet gives input variables that have none: ``{position:
        string}`` (BatchNorm's ``moving_var`` starts at one).
    input_dtypes
        The dtype of an input left unknown: ``{name: (first known input dtype or None,
        attrs) -> dtype}``; by default the known one.
    total_outputs
        Outputs of the node in MXNet's graph, hidden ones included (``node_row_ptr``
        counts BatchNorm's saved mean and variance): an int or a function of the
        attributes; None: the visible outputs.
    output_names
        Names of the outputs where MXNet names them (``fc1_output`` is ``fc1`` +
        ``output``); None: ``output``, or ``output0``, ``output1``, ... for several.
    lists_input_names
        MXNet registers the operator's input names (``FListInputNames``): an executor's
        monitor shows ``conv_weight``, not ``conv_input1``.
    same_shape
        Every input and the output have one shape (MXNet infers a missing one from the
        others).
    infers_partial_shapes
        False where MXNet's shape rule gives up on an input with unknown dimensions
        (Flatten): partial inference leaves the outputs unknown.
    keeps_unknown_dims
        An output dimension is unknown wherever the input's is, even where the
        attributes alone would fix it (MXNet's slice rules skip unknown dimensions).
    shape_needs_known
        The input MXNet's shape rule needs fully known before it infers anything.
    infer_from_output
        ``(known input shapes by name, attrs, output shape) -> input shapes``: symbolic
        shape inference for an operator whose inputs follow from its output (where,
        Reshape). Shapes may hold unknown dimensions (-1) and be None (unknown rank).
    reads_training
        ``(attrs) -> bool``: whether a ``training`` operator computes differently in
        training for these attributes (RNN only through dropout); None: always.
    differentiable
        False where MXNet registers no gradient: a backward pass through it is an error.
    zero_gradient
        The operator passes no gradient to its inputs (MXNet prunes the backward pass
        behind it).
    stateful
        MXNet keeps an operator state per node (``FCreateOpState``: Custom, RNN), so
        common-subexpression elimination never merges two of them.
    """

    name: str
    impl: Callable
    inputs: tuple = ()
    attrs: dict = field(default_factory=dict)
    aliases: tuple = ()
    variadic: bool = False          # inputs are ``*data`` (add_n, concat, stack, ...)
    num_outputs: Any = 1            # an int, or a function of the attributes
    dynamic: tuple = ()             # attributes passed as traced scalars
    random: bool = False            # impl takes ``key=`` (a fresh PRNG key per call)
    training: bool = False          # impl takes ``_training=`` (autograd.is_training())
    infer_params: Callable = None   # (known input shapes, attrs) -> shapes of unknown inputs
    creation: bool = False          # no array inputs; takes ctx= (zeros, arange, ...)
    on_backward: Callable = None    # (attrs, input NDArrays, outputs) run after backward
    mutate: Any = ()                # written inputs (auxiliary states); see the docstring
    returns_mutated: bool = True
    # Inputs and outputs named by the attributes, for an operator whose arguments depend on
    # them (Custom: its CustomOpProp's lists): ``(attrs) -> names``.
    inputs_for: Callable = None
    outputs_for: Callable = None
    # ``(keywords beyond attrs) -> attributes`` for an operator that takes any keyword
    # (Custom); without it an unknown keyword is an error.
    extra_attrs: Callable = None
    arg_types: dict = field(default_factory=dict)  # MXNet's type text, where not derivable
    # (attrs, input stypes) -> output storage (MXNet's FInferStorageType); see storage.py
    infer_storage: Callable = None
    doc: str = ""
    # MXNet's graph facts, described in the class docstring.
    conditional_inputs: dict = field(default_factory=dict)
    input_init: dict = field(default_factory=dict)
    input_dtypes: dict = field(default_factory=dict)
    total_outputs: Any = None
    output_names: tuple = None
    lists_input_names: bool = False
    same_shape: bool = False
    infers_partial_shapes: bool = True
    keeps_unknown_dims: bool = False
    shape_needs_known: str = None
    infer_from_output: Callable = None
    reads_training: Callable = None
    differentiable: bool = True
    zero_gradient: bool = False
    stateful: bool = False
    # Lower bounds of attributes, as MXNet's parameter structs declare them (a shape's
    # bound holds for each entry); checked with the kinds in ``attr_check``.
    bounds: dict = field(default_factory=dict)
    # ``(attrs) -> None``: checks across attributes (arange's step != 0), raising
    # MXNetError; run with the kinds and bounds whenever the attributes are parsed.
    check: Callable = None

    # Whether an unknown keyword is ignored rather than an error. MXNet 1.9.1 checks keywords
    # against an operator's parameter struct: one without (no attributes, fixed inputs) or
    # one parsed leniently takes any, e.g. ``broadcast_maximum(a, b, axis=1)`` runs.
    # None: derived from the attributes.
    ignores_unknown_keywords: Any = None

    def __post_init__(self):
        self.input_names = frozenset(self.inputs)
        if self.ignores_unknown_keywords is None:
            self.ignores_unknown_keywords = not self.attrs and not self.variadic
        self.attr_kinds = {}
        for name, default in self.attrs.items():
            kind = kind_of(default, self.bounds.get(name), name)
            if kind is not None:
                self.attr_kinds[name] = kind

    def parse_attrs(self, kwargs):
        """Validate keyword attributes against the spec and fill in defaults.

        MXNet's hidden attributes (``__layout__``, ``__init__``, ...) are accepted and
        ignored, as MXNet's operators ignore them.
        """
        kwargs = {k: v for k, v in kwargs.items() if not (k.startswith("__") and
                                                           k.endswith("__"))}
        unknown = set(kwargs) - set(self.attrs)
        if unknown and self.extra_attrs is None and not self.ignores_unknown_keywords:
            raise MXNetError(
                f"{self.name}: unknown argument(s) {sorted(unknown)}; "
                f"valid arguments are {list(self.inputs) + list(self.attrs)}")
        attrs = {}
        for name, default in self.attrs.items():
            value = kwargs.get(name, default)
            if isinstance(value, _RequiredType):
                raise MXNetError(f"{self.name}: required argument '{name}' is missing "
                                 f"(Required parameter {name} of {_kind_text(default)} "
                                 "is not presented)")
            kind = self.attr_kinds.get(name)
            value = hashable(value)
            if kind is not None and kind.type is tuple and isinstance(value, int) and \
                    not isinstance(value, bool):
                value = (value,)  # MXNet reads a shape given as one number as a 1-tuple
            if kind is not None:
                check_value(self.name, name, kind, value)
            attrs[name] = value
        if self.extra_attrs is not None:
            attrs.update(self.extra_attrs({k: kwargs[k] for k in sorted(unknown)}))
        if self.check is not None:
            self.check(attrs)
        return attrs

    def parse_attr_strings(self, strings):
        """Attribute values from their ``-symbol.json`` string form (``"(3, 3)"``, ``"True"``,
        ``"64"``), each typed after the attribute's default. Names the spec does not know
        (``__lr_mult__``, ``num_args``, ...) are left out."""
        parsed = {k: _parse_attr_string(v, self.attrs[k]) for k, v in strings.items()
                  if k in self.attrs}
        if self.extra_attrs is not None:  # kept as strings, as the operator receives them
            parsed.update((k, v) for k, v in strings.items()
                          if k not in self.attrs and not (k.startswith("__") and
                                                          k.endswith("__")))
        return parsed

    def input_list(self, attrs):
        """The names of every input for ``attrs``, in order."""
        return tuple(self.inputs_for(attrs)) if self.inputs_for is not None else self.inputs

    def num_outputs_for(self, attrs):
        n = self.num_outputs
        return n(attrs) if callable(n) else n

    def mutated_inputs(self, attrs, n_inputs):
        """Positions of the inputs the operator writes (its auxiliary states)."""
        m = self.mutate
        return tuple(m(attrs, n_inputs) if callable(m) else m)

    def returned_inputs(self, attrs, n_inputs):
        """Positions of the written inputs whose new values the impl returns after its
        outputs, in that order."""
        return self.mutated_inputs(attrs, n_inputs) if self.returns_mutated else ()

    # ---- graph facts -------------------------------------------------------------------------
    def present_inputs(self, attrs, n_given=None):
        """The names of the inputs a node has for ``attrs`` (``n_given``: how many were
        given, for a variadic operator: ``data0``, ``data1``, ...)."""
        if self.variadic:
            return [f"{self.inputs[0]}{i}" for i in range(n_given or 0)]
        if self.inputs_for is not None:
            return list(self.inputs_for(attrs))
        rules = self.conditional_inputs
        return [n for n in self.inputs if n not in rules or rules[n](attrs)]

    def total_outputs_for(self, attrs):
        """Outputs of the node in MXNet's graph, hidden ones included."""
        visible = self.num_outputs_for(attrs)
        total = visible if self.total_outputs is None else self.total_outputs
        return max(visible, total(attrs) if callable(total) else total)

    def output_names_for(self, attrs):
        """Names of the visible outputs (``fc1_output`` is ``fc1`` + ``_`` + ``output``)."""
        if self.outputs_for is not None:
            return list(self.outputs_for(attrs))
        visible = self.num_outputs_for(attrs)
        if self.output_names is not None:
            return list(self.output_names[:visible])
        if self.total_outputs_for(attrs) == 1:
            return ["output"]
        return [f"output{i}" for i in range(visible)]

    def unknown_input_dtype(self, name, known, attrs):
        """The dtype (name) of input ``name`` left unknown, given the first known input
        dtype (None if none is known)."""
        rule = self.input_dtypes.get(name)
        return known if rule is None else rule(known, attrs)

    def monitor_input_names(self, attrs, n_given):
        """The names an executor's monitor gives a node's inputs (after ``nodename_``)."""
        if self.lists_input_names:
            if self.variadic:
                return [f"arg{i}" for i in range(n_given)]
            names = self.present_inputs(attrs, n_given)
            if len(names) == n_given:
                return names
        return [f"input{i}" for i in range(n_given)]

    def depends_on_training(self, attrs):
        """Whether the operator computes differently in training for ``attrs``."""
        return self.training and (self.reads_training is None or
                                  bool(self.reads_training(attrs)))

    def static_key(self, attrs):
        """The attributes that are compiled in (everything but ``dynamic``), hashable."""
        return tuple((k, v) for k, v in attrs.items() if k not in self.dynamic)

    def bind(self, attrs, n_inputs):
        """``(pure, jitted)``: ``pure(*inputs, *dynamic_values[, key]) -> tuple of outputs``
        with the static attributes bound. Cached per (spec, static attrs, input count)."""
        return _bind(self, self.static_key(attrs), n_inputs)

    def signature(self):
        if self.inputs_for is not None:
            return self._open_signature()
        params = []
        kind = inspect.Parameter.VAR_POSITIONAL if self.variadic else None
        if self.variadic:
            params.append(inspect.Parameter(self.inputs[0], kind))
        else:
            params += [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
                       for n in self.inputs]
        kw = inspect.Parameter.KEYWORD_ONLY if self.variadic else \
            inspect.Parameter.POSITIONAL_OR_KEYWORD
        for name, default in self.attrs.items():
            params.append(inspect.Parameter(name, kw, default=default))
        params += [inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None),
                   inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None)]
        return inspect.Signature(params)

    def _open_signature(self):
        """``(*data, <attrs>, out=None, name=None, **kwargs)``: inputs and attributes that
        depend on the call (Custom)."""
        kw = inspect.Parameter.KEYWORD_ONLY
        params = [inspect.Parameter("data", inspect.Parameter.VAR_POSITIONAL)]
        params += [inspect.Parameter(n, kw, default=d) for n, d in self.attrs.items()]
        params += [inspect.Parameter("out", kw, default=None),
                   inspect.Parameter("name", kw, default=None),
                   inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
        return inspect.Signature(params)

    def arguments(self):
        """``(names, MXNet type descriptions)`` of the inputs and attributes, as
        ``mx.operator.get_operator_arguments`` reports them."""
        names, types = [], []
        array = "NDArray-or-Symbol[]" if self.variadic or self.inputs_for else \
            "NDArray-or-Symbol"
        for name in ("data",) if self.inputs_for else self.inputs:
            names.append(name)
            types.append(array)
        if self.variadic and "num_args" not in self.attrs:
            names.append("num_args")
            types.append("int, required")
        for name, default in self.attrs.items():
            names.append(name)
            types.append(self.arg_types.get(name) or _describe(default))
        return names, types

    def docstring(self):
        lines = [self.doc.strip() or f"MXNet operator ``{self.name}``.", "", "Parameters",
                 "----------"]
        for n in self.inputs:
            lines.append(f"{n} : NDArray" + (" (variadic)" if self.variadic else ""))
        for n, d in self.attrs.items():
            required = isinstance(d, _RequiredType)
            lines.append(f"{n} : {'required' if required else f'optional, default={d!r}'}")
        return "\n".join(lines)


def if_attr(name):
    """A ``conditional_inputs`` rule: the input exists when attribute ``name`` is true."""
    return lambda attrs: bool(attrs[name])


def unless_attr(name):
    """A ``conditional_inputs`` rule: the input exists unless attribute ``name`` is true
    (``bias`` unless ``no_bias``)."""
    return lambda attrs: not attrs[name]


def hashable(value):
    """``value`` as a hashable attribute: lists and numpy arrays become tuples, 0-d arrays
    Python scalars."""
    if isinstance(value, list):
        return tuple(hashable(v) for v in value)
    if isinstance(value, tuple):
        return tuple(hashable(v) for v in value)
    if hasattr(value, "dtype") and hasattr(value, "shape") and value.shape == ():
        return value.item()
    if isinstance(value, np.ndarray):  # a shape given as a numpy array
        return tuple(hashable(v) for v in value.tolist())
    return value


def _describe(default):
    """MXNet's type description of an attribute, as far as its default tells it."""
    if isinstance(default, _RequiredType):
        return f"{_kind_text(default)}, required" if default.kind else "required"
    if default is None:
        return "optional, default=None"
    if isinstance(default, bool):
        return f"boolean, optional, default={int(default)}"
    if isinstance(default, int):
        return f"int, optional, default={default}"
    if isinstance(default, float):
        return f"float, optional, default={default:g}"
    if isinstance(default, str):
        return f"string, optional, default='{default}'"
    if isinstance(default, tuple):
        return f"Shape(tuple), optional, default=[{','.join(str(d) for d in default)}]"
    return f"optional, default={default}"


def choices_type(choices, default=Required):
    """MXNet's description of an attribute taking one of ``choices``:
    ``{'a', 'b'}, required`` or ``{'a', 'b'},optional, default='a'``."""
    names = "{" + ", ".join(repr(c) for c in sorted(choices)) + "}"
    if isinstance(default, _RequiredType):
        return f"{names}, required"
    return f"{names},optional, default='{default}'"


def _kind_text(default):
    """MXNet's word for a required attribute's kind ("int", "Shape(tuple)", ...)."""
    kind = kind_of(default)
    return kind.describe() if kind is not None else "value"


def _parse_attr_string(text, default):
    """One attribute string -> value: a Python literal when it reads as one (tuples, numbers,
    None, booleans), else the string itself (``"relu"``, ``"float32"``)."""
    if isinstance(default, bool) and text.lower() in ("true", "false", "1", "0"):
        return text.lower() in ("true", "1")
    if isinstance(default, str):
        return None if text == "None" != default else text
    if text in ("true", "false"):  # C++ writes booleans in lower case
        return text == "true"
    kind = getattr(default, "kind", None) or type(default)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        if kind is float:
            try:
                return float(text)  # "inf", "nan"
            except ValueError:
                pass
        return text
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is tuple and isinstance(value, int) and not isinstance(value, bool):
        return (value,)  # MXNet reads a shape written as one number ("-1") as a 1-tuple
    return hashable(value)


@functools.cache
def _bind(spec, static, n_inputs):
    dynamic_names = spec.dynamic + (("key",) if spec.random else ())
    static = dict(static)

    def pure(*args):
        kwargs = dict(static, **dict(zip(dynamic_names, args[n_inputs:])))
        result = spec.impl(*args[:n_inputs], **kwargs)
        return tuple(result) if isinstance(result, (tuple, list)) else (result,)

    # XLA names the program after the function: a profile shows the operator's name
    pure.__name__ = pure.__qualname__ = spec.name
    return pure, jax.jit(pure, compiler_options=_eager_options() if spec.random else None)


@functools.cache
def _eager_options():
    # A random operator run on its own compiles its PRNG for each new output shape, which
    # XLA's CPU backend optimises for over half a second; optimisation level 1 compiles it
    # about 4x faster, for the same values and a few percent of run time.
    return {"xla_backend_optimization_level": 1} if jax.default_backend() == "cpu" else None


_REGISTRY: dict[str, OpSpec] = {}


def register(name, *, inputs=("data",), attrs=None, aliases=(), **options):
    """Decorator: register ``impl`` as MXNet operator ``name`` (and its aliases)."""

    def wrap(impl):
        spec = OpSpec(name=name, impl=impl, inputs=tuple(inputs), attrs=dict(attrs or {}),
                      aliases=tuple(aliases), doc=options.pop("doc", impl.__doc__ or ""),
                      **options)
        for key in (name, *spec.aliases):
            if key in _REGISTRY:
                raise ValueError(f"operator {key!r} registered twice")
            _REGISTRY[key] = spec
        return impl

    return wrap


def get(name) -> OpSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise MXNetError(f"operator {name!r} is not registered in mxjax") from None


def add_alias(name, alias):
    """Register ``alias`` as another name of operator ``name``."""
    spec = get(name)
    if alias in _REGISTRY:
        raise ValueError(f"operator {alias!r} registered twice")
    spec.aliases = (*spec.aliases, alias)
    _REGISTRY[alias] = spec


def all_specs():
    """``(registered name, spec)`` pairs, aliases included."""
    return list(_REGISTRY.items())


def infer_param_shapes(name, shapes, attrs):
    """Shapes of inputs left unknown (``None``) from the known ones, via the op's rule.

    Used by Gluon's deferred initialisation: ``shapes`` maps input name to a shape
    tuple or ``None``; the result maps every input name to its shape.
    """
    spec = get(name)
    attrs = spec.parse_attrs(attrs)
    if spec.infer_params is None:
        missing = [k for k, v in shapes.items() if v is None]
        if missing:
            raise MXNetError(f"{name}: cannot infer the shape of {missing}")
        return dict(shapes)
    return {**shapes, **spec.infer_params(shapes, attrs)}
