"""``Symbol``: a graph of registry operators, as MXNet 1.x's ``mx.sym`` builds it.

A node is an operator (its registry name, a name such as ``fullyconnected0``, the
attributes as given and as MXNet's strings, and its inputs as ``(node, output index,
version)``) or a variable (``op == 'null'``). A Symbol is a tuple of node outputs. Graphs
are shared, not copied, when symbols are combined, as in MXNet. Shape and type inference
live in ``inference.py``, the ``-symbol.json`` format in ``_json.py``, running a graph in
``graph_run.py`` and ``executor.py``.
"""

import copy
import sys
from numbers import Number

import numpy as np

from .. import attribute as _attribute
from .._files import write_atomically
from ..base import MXNetError, NotImplementedForSymbol, numeric_types
from ..ndarray.ndarray import FORWARDED_METHODS, STORAGE_TYPE_IDS
from ..ndarray.serialization import DTYPE_FLAGS
from ..operator import spec as _spec

__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "pow", "power",
           "maximum", "minimum", "hypot", "eye", "zeros", "ones", "full", "arange",
           "linspace", "split_v2", "histogram", "NotImplementedForSymbol"]

# Attribute keys MXNet stores as ``__key__`` (the optimizer and device placement read them).
_HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage")


class _Node:
    """One operator or variable of a graph."""

    __slots__ = ("op", "name", "attrs", "params", "inputs", "version")

    def __init__(self, op, name, attrs=None, params=None, inputs=()):
        self.op = op                      # registry name, or "null" for a variable
        self.name = name
        self.attrs = dict(attrs or {})    # key -> string, as in -symbol.json
        self.params = dict(params or {})  # operator attributes as given (Python values)
        self.inputs = list(inputs)        # [(node, output index, version)]
        self.version = 0                  # a variable's count of mutations (aux states)

    def is_variable(self):
        return self.op == "null"

    @property
    def spec(self):
        return _spec.get(self.op)

    def op_attrs(self):
        """Every attribute of the operator, defaults filled in."""
        return self.spec.parse_attrs(self.params)

    def num_outputs(self):
        return 1 if self.is_variable() else self.spec.num_outputs_for(self.op_attrs())

    def output_names(self):
        if self.is_variable():
            return [self.name]
        names = self.spec.output_names_for(self.op_attrs())
        return [f"{self.name}_{n}" if self.name else n for n in names]

    def input_names(self):
        """Names of this node's inputs (MXNet's argument names of the operator)."""
        return self.spec.present_inputs(self.op_attrs(), len(self.inputs))

    def mutated_inputs(self):
        if self.is_variable():
            return set()
        return set(self.spec.mutated_inputs(self.op_attrs(), len(self.inputs)))


def topological_order(heads):
    """Nodes reachable from ``heads`` in depth-first post-order (MXNet's node order)."""
    order, seen = [], set()
    for head in heads:
        if id(head) in seen:
            continue
        seen.add(id(head))
        stack = [(head, iter(head.inputs))]
        while stack:
            node, children = stack[-1]
            for child, _, _ in children:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _hidden_key(key, value="..."):
    """``lr_mult`` -> ``__lr_mult__`` (MXNet's hidden attributes: a key starting with one
    of their names); MXNet rejects ``weight_lr_mult``-style keys."""
    for hidden in _HIDDEN_KEYS:
        pos = key.rfind(hidden)
        if pos == 0:
            return f"__{key}__"
        if pos > 0 and pos == len(key) - len(hidden):
            raise MXNetError(f"setting variable attributes with {key} is deprecated. please "
                             f"instead use\nw = Variable({hidden}={value})\nsym = "
                             f"YourSymbolName({key[:pos - 1]}=w)")
    return key


class Symbol:
    """Symbolic output(s) of a graph of MXNet operators."""

    __slots__ = ("_outputs",)

    def __init__(self, outputs=()):
        self._outputs = tuple(outputs)  # ((node, output index), ...)

    # ---- structure -------------------------------------------------------------------------
    def _nodes(self):
        return topological_order([node for node, _ in self._outputs])

    def __repr__(self):
        name = self.name
        if name is None:
            return f"<Symbol group [{', '.join(node.name for node, _ in self._outputs)}]>"
        return f"<Symbol {name}>"

    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Group([self[i] for i in range(*index.indices(len(self)))])
        if isinstance(index, str):
            matches = [i for i, n in enumerate(self.list_outputs()) if n == index]
            if len(matches) > 1:
                raise ValueError(f'There are multiple outputs with name "{index}"')
            if not matches:
                raise ValueError(f'Cannot find output that matches name "{index}"')
            index = matches[0]
        if not isinstance(index, int):
            raise TypeError("Symbol only support integer index to fetch i-th output")
        if index >= len(self):
            raise IndexError
        return Symbol([self._outputs[index]])

    @property
    def name(self):
        """The node's name; ``None`` for a group of outputs of several nodes."""
        first = self._outputs[0][0]
        return first.name if all(n is first for n, _ in self._outputs) else None

    def list_outputs(self):
        """Names of the outputs (``fc1_output``; a variable's own name)."""
        return [node.output_names()[i] for node, i in self._outputs]

    def _variables(self):
        nodes = self._nodes()
        mutated = {id(n.inputs[i][0]) for n in nodes for i in n.mutated_inputs()}
        return [n for n in nodes if n.is_variable()], mutated

    def list_arguments(self):
        """Names of the variables that are not auxiliary states, in graph order."""
        variables, mutated = self._variables()
        return [n.name for n in variables if id(n) not in mutated]

    def list_auxiliary_states(self):
        """Names of the variables operators write to (BatchNorm's moving statistics)."""
        variables, mutated = self._variables()
        return [n.name for n in variables if id(n) in mutated]

    def list_inputs(self):
        """Names of all variables (arguments and auxiliary states), in graph order."""
        return [n.name for n in self._variables()[0]]

    def get_internals(self):
        """Every visible output of every node (variables included), in graph order."""
        return Symbol([(n, i) for n in self._nodes() for i in range(n.num_outputs())])

    def get_children(self):
        """The inputs of the output node(s), or ``None`` for a variable."""
        heads = []
        for node, _ in self._outputs:
            if all(node is not h for h in heads):
                heads.append(node)
        entries = [(child, i) for node in heads for child, i, _ in node.inputs]
        return Symbol(entries) if entries else None

    # ---- attributes ------------------------------------------------------------------------
    def attr(self, key):
        """The attribute string ``key`` of this (single-output) symbol, or ``None``."""
        node = self._outputs[0][0]
        if any(n is not node for n, _ in self._outputs):
            return None
        attrs = node.attrs
        if key in attrs:
            return attrs[key]
        return attrs.get(f"__{key}__") if key in _HIDDEN_KEYS else None

    def list_attr(self, recursive=False):
        """The attributes of this (single-node) symbol."""
        if recursive:
            raise DeprecationWarning("Symbol.list_attr with recursive=True has been deprecated. "
                                     "Please use attr_dict instead.")
        return _with_plain_keys(self._outputs[0][0].attrs)  # MXNet: the first output's node

    def attr_dict(self):
        """``{node name: {key: value}}`` for every node that has attributes."""
        return {n.name: _with_plain_keys(n.attrs) for n in self._nodes() if n.attrs}

    def _set_attr(self, **kwargs):
        """Set string attributes on the output node(s)."""
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ValueError("Set Attr only accepts string values")
            for node, _ in self._outputs:
                node.attrs[_hidden_key(key)] = value

    # ---- copies and composition --------------------------------------------------------------
    def __copy__(self):
        return self.__deepcopy__(None)

    def __deepcopy__(self, _memo):
        clones = {}
        for node in self._nodes():
            clone = _Node(node.op, node.name, node.attrs, copy.deepcopy(node.params),
                          [(clones[id(c)], i, v) for c, i, v in node.inputs])
            clone.version = node.version
            clones[id(node)] = clone
        return Symbol([(clones[id(n)], i) for n, i in self._outputs])

    def __call__(self, *args, **kwargs):
        """A copy of this symbol with some variables replaced (``net(data=x)``)."""
        s = copy.copy(self)
        s._compose(*args, **kwargs)
        return s

    def _compose(self, *args, **kwargs):
        """Replace variables of this graph, in place, by the given single-output symbols:
        positionally in ``list_arguments()`` order, or by variable name."""
        name = kwargs.pop("name", None)
        if args and kwargs:
            raise TypeError("compose only accept input Symbols either as positional or "
                            "keyword arguments, not both")
        for value in list(args) + list(kwargs.values()):
            if not isinstance(value, Symbol) or len(value) != 1:
                raise TypeError("Compose expect `Symbol` as arguments")
        head = self._outputs[0][0]
        if not head.is_variable() and not head.inputs and head.spec.input_list(
                head.op_attrs()) and all(n is head for n, _ in self._outputs):
            self._compose_atomic(head, name, args, kwargs)
            return
        replace = dict(zip(self.list_arguments(), args)) if args else kwargs
        for node in self._nodes():
            node.inputs = [(*replace[c.name]._outputs[0], 0)
                           if c.is_variable() and c.name in replace else (c, i, v)
                           for c, i, v in node.inputs]
        self._outputs = tuple(replace[n.name]._outputs[0]
                              if n.is_variable() and n.name in replace else (n, i)
                              for n, i in self._outputs)
        if name and len({id(n) for n, _ in self._outputs}) == 1 and \
                not self._outputs[0][0].is_variable():
            self._outputs[0][0].name = name

    @staticmethod
    def _compose_atomic(node, name, args, kwargs):
        """Give an operator node without inputs (``_gen_atomic_symbol``) its inputs, by
        position or by input name; inputs not given become variables ``<name>_<input>``."""
        from .register import wire_inputs
        spec, attrs = node.spec, node.op_attrs()
        names = spec.input_list(attrs)
        unknown = set(kwargs) - set(names)
        if unknown or len(args) > len(names):
            raise TypeError(f"{spec.name}: cannot compose with inputs "
                            f"{sorted(unknown) or len(args)}; its inputs are {list(names)}")
        inputs = list(args) + [kwargs.get(n) for n in names[len(args):]]
        if name:
            node.name = name
        node.inputs = wire_inputs(spec, node, attrs, inputs)

    def _gen_atomic_symbol(self):
        """The output node's operator and attributes alone, without inputs (compose it by
        calling it with input symbols)."""
        node = self._outputs[0][0]
        if any(n is not node for n, _ in self._outputs):
            raise MXNetError("Generating atomic symbol from other symbol only works for "
                             "nongrouped symbol.")
        if node.is_variable():
            raise MXNetError("_gen_atomic_symbol: a variable has no operator")
        atomic = _Node(node.op, "", node.attrs, copy.deepcopy(node.params))
        return Symbol([(atomic, i) for i in range(atomic.num_outputs())])

    def __getstate__(self):
        return {"handle": self.tojson()}

    def __setstate__(self, state):
        self._outputs = load_json(state["handle"])._outputs

    # ---- inference, files, execution -------------------------------------------------------------
    def infer_shape(self, *args, **kwargs):
        """``(arg_shapes, out_shapes, aux_shapes)`` from the known argument shapes."""
        from . import inference
        return inference.infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args, **kwargs):
        """Like ``infer_shape``, with ``()`` for shapes that cannot be inferred."""
        from . import inference
        return inference.infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args, **kwargs):
        """``(arg_types, out_types, aux_types)`` from the known argument types."""
        from . import inference
        return inference.infer_type(self, args, kwargs, partial=False)

    def infer_type_partial(self, *args, **kwargs):
        """Like ``infer_type``, with ``None`` for types that cannot be inferred."""
        from . import inference
        return inference.infer_type(self, args, kwargs, partial=True)

    def tojson(self, remove_amp_cast=True):  # noqa: ARG002 - no AMP casts in mxjax graphs
        """The graph in MXNet 1.9.1's ``-symbol.json`` format."""
        from . import _json
        return _json.dumps(self)

    def save(self, fname, remove_amp_cast=True):
        """Write ``tojson()`` to the file ``fname``."""
        write_atomically(fname, self.tojson(remove_amp_cast))

    def debug_str(self):
        """A readable listing of the graph's nodes, inputs and attributes."""
        lines = ["Symbol Outputs:"]
        lines += [f"\toutput[{k}]={n.name}({i})" for k, (n, i) in enumerate(self._outputs)]
        for node in self._nodes():
            if node.is_variable():
                lines.append(f"Variable:{node.name}")
                continue
            lines += ["-" * 20, f"Op:{node.op}, Name={node.name}", "Inputs:"]
            lines += [f"\targ[{k}]={c.name}({i})" + (f" version={v}" if c.is_variable() else "")
                      for k, (c, i, v) in enumerate(node.inputs)]
            if node.attrs:
                lines += ["Attrs:"] + [f"\t{k}={v}" for k, v in sorted(node.attrs.items())]
        return "\n".join(lines) + "\n"

    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None,
             group2ctx=None, shared_exec=None):  # noqa: ARG002 - one device per executor
        """An Executor running this graph on the given argument arrays."""
        from ..executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states)

    def simple_bind(self, ctx, grad_req="write", type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None,
                    shared_buffer=None, **kwargs):  # noqa: ARG002
        """An Executor with zero-filled arguments of the shapes given as keywords (on the
        context of their ``ctx_group`` in ``group2ctx``, if any)."""
        from ..executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, kwargs, group2ctx)

    def eval(self, ctx=None, **kwargs):
        """Outputs of the graph for the given argument arrays (a list of NDArrays)."""
        from ..context import current_context
        return self.bind(ctx or current_context(), kwargs).forward()

    def gradient(self, wrt):
        raise NotImplementedError("Symbol.gradient is not implemented in MXNet 1.9.1 either; "
                                  "bind the symbol and call Executor.backward")

    def astype(self, *args, **kwargs):
        """``mx.sym.cast(self, dtype)``."""
        return _module().cast(self, *args, **kwargs)

    # ---- arithmetic (no broadcasting: use broadcast_* for that) ---------------------------
    def _binary(self, other, array_op, scalar_op, types=Number):
        if isinstance(other, Symbol):
            return _call(array_op, self, other)
        if isinstance(other, types):
            return _call(scalar_op, self, scalar=other)
        raise TypeError(f"type {type(other)} not supported")

    def __add__(self, other):
        return self._binary(other, "_Plus", "_PlusScalar")

    __radd__ = __add__

    def __sub__(self, other):
        return self._binary(other, "_Minus", "_MinusScalar")

    def __rsub__(self, other):
        return self._binary(other, None, "_RMinusScalar")

    def __mul__(self, other):
        return self._binary(other, "_Mul", "_MulScalar")

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._binary(other, "_Div", "_DivScalar")

    def __rtruediv__(self, other):
        return self._binary(other, None, "_RDivScalar")

    def __mod__(self, other):
        return self._binary(other, "_Mod", "_ModScalar")

    def __rmod__(self, other):
        return self._binary(other, None, "_RModScalar")

    def __pow__(self, other):
        return self._binary(other, "_Power", "_PowerScalar")

    def __rpow__(self, other):
        return self._binary(other, None, "_rpower_scalar")

    def __neg__(self):
        return self * -1.0

    def __abs__(self):
        return _module().abs(self)

    def __eq__(self, other):
        return self._binary(other, "_equal", "_equal_scalar", numeric_types)

    def __ne__(self, other):
        return self._binary(other, "_not_equal", "_not_equal_scalar", numeric_types)

    def __gt__(self, other):
        return self._binary(other, "_greater", "_greater_scalar", numeric_types)

    def __ge__(self, other):
        return self._binary(other, "_greater_equal", "_greater_equal_scalar", numeric_types)

    def __lt__(self, other):
        return self._binary(other, "_lesser", "_lesser_scalar", numeric_types)

    def __le__(self, other):
        return self._binary(other, "_lesser_equal", "_lesser_equal_scalar", numeric_types)

    __hash__ = None  # == builds a symbol, so symbols are not hashable (as in MXNet)

    def __bool__(self):
        raise NotImplementedForSymbol(self.__bool__, "bool")

    def _no_inplace(self, other, alias):
        raise NotImplementedForSymbol(self._no_inplace, alias, other)

    def __iadd__(self, other):
        self._no_inplace(other, "+=")

    def __isub__(self, other):
        self._no_inplace(other, "-=")

    def __imul__(self, other):
        self._no_inplace(other, "*=")

    def __itruediv__(self, other):
        self._no_inplace(other, "/=")

    def _ndarray_only(self, *args, **kwargs):
        raise NotImplementedForSymbol(self._ndarray_only, "NDArray-only method")

    asnumpy = asscalar = wait_to_read = as_in_context = detach = backward = copy = \
        _ndarray_only


def _with_plain_keys(attrs):
    """MXNet lists ``__lr_mult__`` also as ``lr_mult``."""
    out = dict(attrs)
    out.update({k[2:-2]: v for k, v in attrs.items() if k[2:-2] in _HIDDEN_KEYS})
    return out


def _fluent_method(name):
    def method(self, *args, **kwargs):
        return getattr(_module(), name)(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Same as ``mx.sym.{name}(self, ...)``."
    return method


for _method in (*FORWARDED_METHODS, "reshape", "flatten", "expand_dims", "squeeze"):
    setattr(Symbol, _method, _fluent_method(_method))


def _module():
    """``mx.sym`` itself (generated operators plus the Python-level functions)."""
    return sys.modules[__package__]


def _call(func_name, *args, **kwargs):
    """Call a generated ``mx.sym`` function by its MXNet name (``_Plus``, ``_internal``)."""
    from .register import create_op
    return create_op(_spec.get(func_name), func_name, args, kwargs)


def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None,
        stype=None, **kwargs):
    """A variable (an input of the graph): data, a parameter or an auxiliary state.

    Parameters
    ----------
    name : str
        Variable name.
    attr : dict of str to str, optional
        Extra attributes.
    shape : tuple, optional
        Shape used by shape inference when no other shape is given.
    lr_mult, wd_mult : float, optional
        Learning rate and weight decay multipliers for the optimizer.
    dtype : str or numpy dtype, optional
        Data type used by type inference.
    init : Initializer or str, optional
        Initializer of this variable (stored as its ``dumps()`` string).
    stype : str, optional
        Storage type ('default', 'row_sparse', 'csr').
    **kwargs
        More attributes, named ``__name__``.
    """
    if not isinstance(name, str):
        raise TypeError("Expect a string for variable `name`")
    attrs = _attribute.current().get(attr)
    if shape is not None:
        attrs["__shape__"] = str(shape)
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(DTYPE_FLAGS[np.dtype(dtype).name])
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str(STORAGE_TYPE_IDS[stype])
    for key, value in kwargs.items():
        if not (key.startswith("__") and key.endswith("__")):
            raise ValueError(f"Attribute name={key} is not supported. Additional attributes "
                             "must start and end with double underscores, e.g, __yourattr__")
        attrs[key] = str(value)
    sym = Symbol([(_Node("null", name), 0)])
    sym._set_attr(**attrs)
    return sym


Variable = var


def Group(symbols):  # noqa: N802 - MXNet's name
    """One symbol whose outputs are the outputs of all ``symbols``, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    return Symbol([entry for s in symbols for entry in s._outputs])


def load(fname):
    """Load a symbol from a ``-symbol.json`` file (MXNet's or mxjax's)."""
    if not isinstance(fname, str):
        raise TypeError("fname need to be string")
    try:
        with open(fname, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as err:
        raise MXNetError(f"load: {fname!r} is not an MXNet symbol file (not UTF-8 text: "
                         f"{err})") from None
    return load_json(text)


def load_json(json_str):
    """Load a symbol from a JSON string in MXNet's format."""
    from . import _json
    if not isinstance(json_str, str):
        raise TypeError("fname required to be string")
    return _json.loads(json_str)


# ---------------------------------------------------------------------------------------
# Python-level functions of mx.sym

def _binary_function(name, array_op, scalar_op, rscalar_op, py_fn):
    def fn(left, right):
        if isinstance(left, Symbol) and isinstance(right, Symbol):
            return _call(array_op, left, right)
        if isinstance(left, Symbol) and isinstance(right, Number):
            return _call(scalar_op, left, scalar=right)
        if isinstance(left, Number) and isinstance(right, Symbol):
            return _call(rscalar_op, right, scalar=left)
        if isinstance(left, Number) and isinstance(right, Number):
            return py_fn(left, right)
        raise TypeError(f"types ({type(left)}, {type(right)}) not supported")

    fn.__name__ = name
    fn.__doc__ = (f"``{name}(left, right)`` element-wise: ``{array_op}`` for two Symbols "
                  f"(same shape, no broadcasting), ``{scalar_op}`` with a scalar.")
    return fn


power = _binary_function("power", "_Power", "_PowerScalar", "_RPowerScalar",
                         lambda a, b: a ** b)
pow = power  # noqa: A001 - MXNet's name
maximum = _binary_function("maximum", "_Maximum", "_MaximumScalar", "_MaximumScalar", max)
minimum = _binary_function("minimum", "_Minimum", "_MinimumScalar", "_MinimumScalar", min)
hypot = _binary_function("hypot", "_Hypot", "_HypotScalar", "_HypotScalar",
                         lambda a, b: float(np.hypot(a, b)))


def eye(N, M=0, k=0, dtype=None, **kwargs):  # noqa: N803 - MXNet's names
    """A 2-D symbol with ones on diagonal ``k`` (float32 unless ``dtype``)."""
    return _call("_eye", N=N, M=M, k=k, dtype=dtype or np.float32, **kwargs)


def zeros(shape, dtype=None, **kwargs):
    """A symbol of ``shape`` filled with zeros (float32 unless ``dtype``)."""
    return _call("_zeros", shape=shape, dtype=dtype or np.float32, **kwargs)


def ones(shape, dtype=None, **kwargs):
    """A symbol of ``shape`` filled with ones (float32 unless ``dtype``)."""
    return _call("_ones", shape=shape, dtype=dtype or np.float32, **kwargs)


def full(shape, val, dtype=None, **kwargs):
    """A symbol of ``shape`` filled with ``val`` (float32 unless ``dtype``)."""
    return _call("_full", shape=shape, dtype=dtype or np.float32, value=float(val), **kwargs)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``, each repeated ``repeat`` times."""
    return _call("_arange", start=start, stop=stop, step=step, repeat=repeat,
                 infer_range=infer_range, name=name, dtype=dtype or np.float32)


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return _call("_linspace", start=start, stop=stop, num=num, endpoint=endpoint, name=name,
                 dtype=dtype or np.float32)


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split ``ary`` along ``axis`` into equal sections or at the given indices."""
    if isinstance(indices_or_sections, int):
        indices, sections = [], indices_or_sections
    elif isinstance(indices_or_sections, tuple):
        indices, sections = [0, *indices_or_sections], 0
    else:
        raise ValueError("indices_or_sections must either int or tuple of ints")
    return _call("_split_v2", ary, indices, axis, squeeze_axis, sections)


def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002 - MXNet's argument name
    """Counts of ``a`` in the bins given by the Symbol ``bins`` (bounds) or by ``bins``
    equal bins over ``range``; outputs (int64 counts, bounds)."""
    if isinstance(bins, Symbol):
        return _call("_histogram", a, bins, **kwargs)
    if isinstance(bins, int):
        if range is None:
            raise ValueError("null range is not supported in symbol mode")
        return _call("_histogram", a, bin_cnt=bins, range=range, **kwargs)
    raise ValueError("bins argument should be either an integer or an NDArray")
