"""Shape and type inference over a Symbol's graph, computed with the registry.

As in MXNet, shapes may be partly known: internally an unknown dimension is ``-1`` and a
shape of unknown rank ``None`` (MXNet's NumPy-shape convention; with the legacy one, the
default, users write and read unknown dimensions as 0 and unknown shapes as ``()``).

Passes over the graph repeat until nothing changes. In each, an operator

* fills its inputs from the rules on its spec: parameter shapes from ``infer_params``,
  inputs from the output with ``infer_from_output``, and for a ``same_shape`` operator
  inputs and output from one another;
* computes its outputs with ``jax.eval_shape`` of its implementation once every input
  has a rank. Unknown dimensions are evaluated twice, standing for two different sizes;
  an output dimension that differs between the two runs is unknown;
* infers unknown input dimensions backward from known output dimensions: an input
  dimension (or a group of them along one axis) that an output dimension follows exactly
  when the stand-in size changes takes that output dimension's size; a one-input
  operator that keeps any shape unchanged gives its input the output's shape.
"""

import ast
import functools
import warnings

import jax
import numpy as np

from ..base import MXNetError
from ..ndarray.serialization import DTYPE_NAMES, dtype_of
from ..operator.shape_rules import fully_known, merge_partial
from ..util import is_np_shape

__all__ = ["infer_shape", "infer_type", "infer_graph"]

_KEY = jax.ShapeDtypeStruct((2,), np.uint32)
# Sizes standing in for unknown dimensions; far apart, so that an output dimension that
# depends on one (through a stride, say) differs between the two.
_STAND_INS = (1031, 2053)
# Distinct sizes for probing whether an operator keeps every shape unchanged.
_PROBE = (7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43)


def _fill(shape, size):
    return tuple(size if d < 0 else d for d in shape)


def _from_user(shape):
    """A shape as given by the user (or a ``__shape__`` attribute), in internal form."""
    if shape is None:
        return None
    shape = tuple(int(d) for d in shape)
    if is_np_shape():
        return shape
    return tuple(d if d > 0 else -1 for d in shape) if shape else None


def _to_user(shape):
    if is_np_shape():
        return shape
    return () if shape is None else tuple(max(d, 0) for d in shape)


def _attr_shape(node):
    text = node.attrs.get("__shape__")
    value = None if text is None else ast.literal_eval(text)
    if isinstance(value, int):  # var(shape=5), as MXNet reads it: (5,)
        return (value,)
    return None if value is None else tuple(value)


def _attr_dtype(node):
    text = node.attrs.get("__dtype__")
    return None if text is None else DTYPE_NAMES[int(text)]


class _Graph:
    """Inference state: ``partial`` holds every (possibly partial) shape of a node output,
    ``shape`` the fully known ones, ``dtype`` dtype names; all keyed by
    ``(id(node), output)``."""

    def __init__(self, symbol, shapes, dtypes, default_dtype):
        self.nodes = symbol._nodes()
        self.partial, self.dtype = {}, {}
        self.default_dtype = default_dtype
        self._evaluated = {}
        self._from_attr = set()  # variables whose shape is their ``__shape__`` attribute
        for node in self.nodes:
            if node.is_variable():
                key = (id(node), 0)
                if node.name in shapes:
                    shape = _from_user(shapes[node.name])
                else:
                    shape = _from_user(_attr_shape(node))
                    if shape is not None:
                        self._from_attr.add(key)
                if shape is not None:
                    self.partial[key] = shape
                dtype = dtypes.get(node.name, _attr_dtype(node))
                if dtype is not None:
                    self.dtype[key] = dtype_of(dtype).name
        ops = [n for n in self.nodes if not n.is_variable()]
        for _ in range(2 * len(self.nodes) + 2):
            if not any([self._step(n) for n in ops]):
                break
        self.shape = {k: s for k, s in self.partial.items() if fully_known(s)}

    # ---- one operator ------------------------------------------------------------------------
    def _step(self, node):
        spec, attrs = node.spec, node.op_attrs()
        keys = [(id(c), i) for c, i, _ in node.inputs]
        outs = [(id(node), i) for i in range(node.num_outputs())]
        names = node.input_names()
        needed = spec.shape_needs_known
        if needed is not None and not fully_known(self.partial.get(keys[names.index(needed)])):
            return self._step_dtype(node, spec, attrs, keys, outs)
        progress = self._fill_inputs(node, spec, attrs, keys, outs, names)
        shapes = [self.partial.get(k) for k in keys]
        if all(s is not None for s in shapes) and all(self._dtype_of(k) for k in keys):
            signature = (tuple(shapes), tuple(self._dtype_of(k) for k in keys),
                         tuple(self.partial.get(k) for k in outs))
            if self._evaluated.get(id(node)) != signature:
                self._evaluated[id(node)] = signature
                progress |= self._forward(node, spec, attrs, keys, outs, names, shapes)
                progress |= self._backward(node, spec, attrs, keys, outs, names)
        elif len(keys) == 1 and shapes[0] is None:
            progress |= self._shape_preserving(node, spec, attrs, keys, outs, names)
        return self._step_dtype(node, spec, attrs, keys, outs) or progress

    def _step_dtype(self, node, spec, attrs, keys, outs):  # noqa: ARG002
        if outs[0] in self.dtype:
            return False
        dtype = attrs.get("dtype") if "dtype" in spec.attrs else None
        if dtype in (None, "None") and keys and all(k in self.dtype for k in keys):
            dtype = self.dtype[keys[0]]
        if dtype in (None, "None"):
            return False
        for k in outs:
            self.dtype.setdefault(k, np.dtype(dtype).name)
        return True

    def _dtype_of(self, key):
        """The dtype to evaluate an input with: its own, else the default (shapes rarely
        depend on it)."""
        return self.dtype.get(key, self.default_dtype)

    def _set(self, key, shape, node):
        """Merge ``shape`` into the shape of ``key`` (an input or output of ``node``);
        known dimensions must agree."""
        old = self.partial.get(key)
        merged = merge_partial(old, shape)
        if old is not None and shape is not None and (
                len(old) != len(shape) or any(a >= 0 and b >= 0 and a != b
                                              for a, b in zip(old, shape))):
            raise MXNetError(f"Error in operator {node.name}: {self._describe(node, key)} "
                             f"has shape {_to_user(old)}, expected {_to_user(shape)} "
                             f"({node.op}: inconsistent shapes)")
        if merged is None or merged == old:
            return False
        if key in self._from_attr and not fully_known(merged):
            return False  # MXNet keeps a ``__shape__`` until inference completes it
        self.partial[key] = merged
        return True

    @staticmethod
    def _describe(node, key):
        for (child, i, _), name in zip(node.inputs, node.input_names()):
            if (id(child), i) == key:
                return name
        return f"output {key[1]}"

    def _fill_inputs(self, node, spec, attrs, keys, outs, names):
        """Shapes of inputs (and, element-wise, outputs) from rules; dtypes of variable
        inputs from the known ones."""
        progress = False
        shapes = [self.partial.get(k) for k in keys]
        if spec.same_shape:
            every = [*shapes, self.partial.get(outs[0])]
            merged = functools.reduce(merge_partial, every)
            if merged is not None:
                for k in [*keys, outs[0]]:
                    progress |= self._set(k, merged, node)
        elif not all(fully_known(s) for s in shapes):
            inferred = _rule_shapes(spec, names, shapes, attrs,
                                    [self.partial.get(k) for k in outs])
            for k, name in zip(keys, names):  # a known input is checked by the forward
                if inferred.get(name) is not None and not fully_known(self.partial.get(k)):
                    progress |= self._set(k, tuple(int(d) for d in inferred[name]), node)
        known = next((self.dtype[k] for k in keys if k in self.dtype), None)
        for k, (child, _, _), name in zip(keys, node.inputs, names):
            if k in self.dtype or not child.is_variable():
                continue
            dtype = spec.unknown_input_dtype(name, known, attrs)
            if dtype is None and k in self.partial:
                dtype = self.default_dtype
            if dtype is not None:
                self.dtype[k] = np.dtype(dtype).name
                progress = True
        return progress

    def _forward(self, node, spec, attrs, keys, outs, names, shapes):
        """Outputs from the inputs; with unknown input dimensions, the output dimensions
        that differ between two stand-in sizes are unknown."""
        target = attrs.get("shape") if not keys else None
        if isinstance(target, tuple) and any(d < 0 for d in target):
            # a creation operator's unknown dimensions (-1), settled from its consumers
            filled = dict(attrs, shape=tuple(max(d, 1) for d in target))
            dtype = self._eval(node, spec, filled, keys, names, shapes)[0].dtype
            found = [(target, dtype)]
        elif all(fully_known(s) for s in shapes):
            results = self._eval(node, spec, attrs, keys, names, shapes)
            found = [(tuple(r.shape), r.dtype) for r in results]
            if not keys and not is_np_shape() and 0 in tuple(attrs.get("shape") or ()):
                # legacy shapes: a 0 in a creation operator's shape is an unknown dimension
                found = [(tuple(-1 if d == 0 else d for d in s), t) for s, t in found]
        elif not spec.infers_partial_shapes:
            return False
        else:
            runs = []
            for size in _STAND_INS:
                try:
                    runs.append(self._eval(node, spec, attrs, keys, names,
                                           [_fill(s, size) for s in shapes]))
                except MXNetError:  # the stand-in sizes do not fit: outputs stay unknown
                    return False
            found = [(tuple(a if a == b else -1 for a, b in zip(r1.shape, r2.shape))
                      if len(r1.shape) == len(r2.shape) else None, r1.dtype)
                     for r1, r2 in zip(*runs)]
            if spec.keeps_unknown_dims:
                found = [(tuple(-1 if d < 0 else o for o, d in zip(s, shapes[0])), t)
                         for s, t in found]
        progress = False
        for k, (shape, dtype) in zip(outs, found):
            if shape is not None:
                progress |= self._set(k, shape, node)
            if self.dtype.get(k) != np.dtype(dtype).name:
                self.dtype[k] = np.dtype(dtype).name
                progress = True
        return progress

    def _backward(self, node, spec, attrs, keys, outs, names):
        """Unknown input dimensions from known output dimensions that move with them one
        for one (``out = in + offset``: element-wise, concatenated, stride-1 windows)."""
        shapes = [self.partial[k] for k in keys]
        unknown = [(i, d) for i, s in enumerate(shapes) for d, v in enumerate(s) if v < 0]
        targets = [(o, j, v) for o, k in enumerate(outs)
                   for j, v in enumerate(self.partial.get(k) or ()) if v >= 0]
        if not unknown or not targets or not spec.infers_partial_shapes:
            return False
        low, high = _STAND_INS

        def run(group):
            filled = [list(_fill(s, low)) for s in shapes]
            for i, d in group:
                filled[i][d] = high
            try:
                return [tuple(r.shape) for r in self._eval(node, spec, attrs, keys, names,
                                                           [tuple(s) for s in filled])]
            except MXNetError:
                return None

        base, everything = run(()), run(unknown)
        if base is None or everything is None:
            return False
        step = high - low
        # Output dimensions that move with the stand-in size one for one: out = in + offset.
        targets = [(o, j, v) for o, j, v in targets
                   if o < len(base) and len(base[o]) == len(everything[o]) > j and
                   everything[o][j] - base[o][j] == step]
        axes = sorted({d for _, d in unknown})
        groups = [[u] for u in unknown] + [[u for u in unknown if u[1] == axis]
                                           for axis in axes]
        resolved = {}
        for group in groups:
            if not targets or all(u in resolved for u in group):
                continue
            result = run(group)
            if result is None:
                continue
            for o, j, v in targets:
                size = v - (base[o][j] - low)
                if len(result[o]) == len(base[o]) and result[o][j] - base[o][j] == step \
                        and size >= 0:
                    for u in group:
                        resolved.setdefault(u, size)
        progress = False
        for i, k in enumerate(keys):
            new = tuple(resolved.get((i, d), v) for d, v in enumerate(shapes[i]))
            progress |= self._set(k, new, node)
        return progress

    def _shape_preserving(self, node, spec, attrs, keys, outs, names):
        """A one-input operator that maps every shape to itself: its input of unknown
        rank gets the output's shape."""
        out = self.partial.get(outs[0])
        if out is None:
            return False
        if not self._dtype_of(keys[0]):
            return False
        for probe in (_PROBE[:len(out)], _PROBE[1:len(out) + 2]):
            try:
                result = self._eval(node, spec, attrs, keys, names, [probe])
            except MXNetError:
                return False
            if tuple(result[0].shape) != probe:
                return False
        return self._set(keys[0], out, node)

    def _eval(self, node, spec, attrs, keys, names, shapes):
        structs = dict(zip(names, (jax.ShapeDtypeStruct(s, self._dtype_of(k))
                                   for k, s in zip(keys, shapes))))
        args = [structs[n] for n in names] if spec.variadic else \
            [structs.get(n) for n in spec.input_list(attrs)]
        if spec.training:
            attrs = dict(attrs, _training=False)
        pure, _ = spec.bind(attrs, len(args))
        dynamic = [attrs[k] for k in spec.dynamic] + ([_KEY] if spec.random else [])
        try:
            results = _eval_shape(pure, args, dynamic)
        except (TypeError, ValueError, IndexError, MXNetError) as e:
            shapes = ", ".join(f"{n}={s.shape}" for n, s in structs.items())
            raise MXNetError(f"Error in operator {node.name}: {e} (inputs: {shapes})") from e
        return results

    def lookup(self, table, nodes_and_outputs):
        return [table.get((id(n), i)) for n, i in nodes_and_outputs]


def _abstract(value):
    if value is None:
        return None
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return (tuple(value.shape), np.dtype(value.dtype).name, getattr(value, "weak_type", 0))
    return type(value)


_EVAL_SHAPE_CACHE = {}
_EVAL_SHAPE_CACHE_SIZE = 4096


def _eval_shape(pure, args, dynamic):
    """``jax.eval_shape(pure, *args, *dynamic)``, remembered per operator function and
    abstract inputs: an unrolled network repeats the same node hundreds of times."""
    key = (pure, tuple(_abstract(a) for a in args), tuple(_abstract(d) for d in dynamic))
    try:
        hit = _EVAL_SHAPE_CACHE.get(key)
    except TypeError:  # an unhashable dynamic value: no caching
        return jax.eval_shape(pure, *args, *dynamic)
    if hit is None:
        hit = jax.eval_shape(pure, *args, *dynamic)
        if len(_EVAL_SHAPE_CACHE) >= _EVAL_SHAPE_CACHE_SIZE:
            _EVAL_SHAPE_CACHE.clear()
        _EVAL_SHAPE_CACHE[key] = hit
    return hit


# ---- rules for inputs ------------------------------------------------------------------------
def _rule_shapes(spec, names, shapes, attrs, out_shapes):
    """Input name -> shape from the operator's rules. Rules written for known shapes see
    unknown dimensions as two stand-in sizes; a dimension that differs is unknown."""
    known = {n: s for n, s in zip(names, shapes) if s is not None}
    if spec.infer_from_output is not None:
        return spec.infer_from_output(known, attrs, out_shapes[0])
    # A partly known parameter is asked for in full and merged; a partly known data
    # input is given to the rules as stand-in sizes.
    known = {n: s for n, s in known.items() if fully_known(s) or n == "data"}
    if all(fully_known(s) for s in known.values()):
        return _param_rules(spec, known, attrs)
    runs = [_param_rules(spec, {n: _fill(s, size) for n, s in known.items()}, attrs)
            for size in _STAND_INS]
    result = {}
    for name, a in runs[0].items():
        b = runs[1].get(name)
        if a is not None and b is not None and len(a) == len(b):
            result[name] = tuple(x if x == y else -1 for x, y in zip(a, b))
    return result


def _param_rules(spec, known, attrs):
    if spec.infer_params is not None and spec.variadic:  # inputs named data0, data1, ...
        try:
            return spec.infer_params(dict(known), attrs)
        except (KeyError, TypeError, IndexError, ValueError, MXNetError):
            return {}
    if spec.infer_params is not None and ("data" in known or spec.inputs_for):
        try:
            return spec.infer_params({n: known.get(n) for n in spec.input_list(attrs)}, attrs)
        except (KeyError, TypeError, IndexError, ValueError, MXNetError):
            return {}
    return {}


def infer_graph(symbol, shapes=None, dtypes=None, default_dtype=None):
    """The inference state of ``symbol``: ``graph.shape`` (fully known shapes),
    ``graph.partial`` (with unknown dimensions) and ``graph.dtype`` (dtype names) of every
    node output, keyed by ``(id(node), output)``. ``shapes`` are given as the user writes
    them (unknown dimensions 0, or -1 under ``mx.np_shape()``)."""
    return _Graph(symbol, shapes or {}, dtypes or {}, default_dtype)


def _given(symbol, args, kwargs, what):
    """Known values by input name, from positional (argument order) or keyword values."""
    if args and kwargs:
        raise ValueError(f"Can only specify known argument {what} either by positional or "
                         "kwargs way.")
    if args:
        return {n: v for n, v in zip(symbol.list_arguments(), args) if v is not None}
    inputs = symbol.list_inputs()
    for name in kwargs:
        if name not in inputs:
            raise MXNetError(f"Infer{what.capitalize()}Keyword argument name {name} not found."
                             f"\nCandidate arguments:\n" +
                             "\n".join(f"\t[{i}]{n}" for i, n in enumerate(inputs)))
    return dict(kwargs)


def _split(symbol, graph, table):
    variables = {}
    for node in graph.nodes:
        if node.is_variable():
            variables.setdefault(node.name, node)
    args = [(variables[n], 0) for n in symbol.list_arguments()]
    aux = [(variables[n], 0) for n in symbol.list_auxiliary_states()]
    return (graph.lookup(table, args), graph.lookup(table, symbol._outputs),
            graph.lookup(table, aux))


def _warn_incomplete(symbol, arg_values, what, show):
    unknown = [f"{n}: {show(v)}" for n, v in zip(symbol.list_arguments(), arg_values)
               if not _complete(v, what)]
    warnings.warn(f"Cannot decide {what} for the following arguments" +
                  (" (0s in shape means unknown dimensions)" if what == "shape" else "") +
                  ". Consider providing them as input:\n\t" + "\n\t".join(unknown[:10]),
                  stacklevel=4)


def _complete(value, what):
    return fully_known(value) if what == "shape" else value is not None


def infer_shape(symbol, args, kwargs, partial):
    for name, shape in zip(symbol.list_arguments(), args) if args else kwargs.items():
        if shape is not None and not isinstance(shape, tuple):
            raise TypeError(f"Arguments need to be shapes (tuple), but '{name}' is "
                            f"{type(shape)}.")
    graph = infer_graph(symbol, _given(symbol, args, kwargs, "shape"),
                        default_dtype="float32")
    result = _split(symbol, graph, graph.partial)
    if not partial and not all(fully_known(v) for part in result for v in part):
        _warn_incomplete(symbol, result[0], "shape", _to_user)
        return None, None, None
    return tuple([_to_user(v) for v in part] for part in result)


def infer_type(symbol, args, kwargs, partial):
    given = {n: np.dtype(v).name for n, v in _given(symbol, args, kwargs, "type").items()}
    graph = infer_graph(symbol, dtypes=given)
    result = tuple([None if d is None else np.dtype(d).type for d in part]
                   for part in _split(symbol, graph, graph.dtype))
    if not partial and not all(v is not None for part in result for v in part):
        _warn_incomplete(symbol, result[0], "type", lambda v: v)
        return None, None, None
    return result
