"""Shape and type inference over a Symbol's graph, computed with the registry.

Known shapes and dtypes flow forward node by node: an operator's outputs come from
``jax.eval_shape`` of its implementation once all its inputs are known. Unknown
parameter inputs get their shapes from the operator's ``infer_params`` rule (or, for
element-wise operators, from the other inputs) and their dtypes from the data's. Passes
repeat until nothing changes, so a variable used by several operators is settled by
whichever can tell.
"""

import ast
import warnings

import jax
import numpy as np

from ..base import MXNetError
from ..ndarray.serialization import _DTYPES, _dtype
from . import _opinfo

__all__ = ["infer_shape", "infer_type", "infer_graph"]

_KEY = jax.ShapeDtypeStruct((2,), np.uint32)


def _known(shape):
    """MXNet 1.x shapes: ``()`` or a 0 dimension mean unknown."""
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _attr_shape(node):
    text = node.attrs.get("__shape__")
    return None if text is None else tuple(ast.literal_eval(text))


def _attr_dtype(node):
    text = node.attrs.get("__dtype__")
    return None if text is None else _DTYPES[int(text)]


class _Graph:
    """Shapes and dtype names of node outputs, keyed by ``(id(node), output)``."""

    def __init__(self, symbol, shapes, dtypes, default_dtype):
        self.nodes = symbol._nodes()
        self.shape, self.dtype = {}, {}
        self.default_dtype = default_dtype
        for node in self.nodes:
            if node.is_variable():
                key = (id(node), 0)
                shape = shapes.get(node.name, _attr_shape(node))
                if _known(shape):
                    self.shape[key] = tuple(int(d) for d in shape)
                dtype = dtypes.get(node.name, _attr_dtype(node))
                if dtype is not None:
                    self.dtype[key] = _dtype(dtype).name
        for _ in range(len(self.nodes) + 1):
            if not any([self._step(n) for n in self.nodes if not n.is_variable()]):
                break

    def _step(self, node):
        spec, attrs = node.spec, node.op_attrs()
        keys = [(id(c), i) for c, i, _ in node.inputs]
        names = node.input_names()
        progress = self._fill_inputs(node, spec, attrs, keys, names)
        outs = [(id(node), i) for i in range(node.num_outputs())]
        if outs[0] in self.shape:
            return progress
        if all(k in self.shape and k in self.dtype for k in keys):
            results = self._eval(node, spec, attrs, keys, names)
            for k, r in zip(outs, results):
                self.shape[k], self.dtype[k] = tuple(r.shape), np.dtype(r.dtype).name
            return True
        if outs[0] not in self.dtype:
            dtype = attrs.get("dtype") if "dtype" in spec.attrs else None
            if dtype in (None, "None") and keys and all(k in self.dtype for k in keys):
                dtype = self.dtype[keys[0]]
            if dtype not in (None, "None"):
                for k in outs:
                    self.dtype[k] = np.dtype(dtype).name
                return True
        return progress

    def _fill_inputs(self, node, spec, attrs, keys, names):
        """Shapes and dtypes of unknown variable inputs, from the known inputs."""
        progress = False
        if any(k not in self.shape for k in keys):
            inferred = self._missing_shapes(spec, names, [self.shape.get(k) for k in keys],
                                            attrs)
            for k, (child, _, _), name in zip(keys, node.inputs, names):
                if k not in self.shape and child.is_variable() and _known(inferred.get(name)):
                    self.shape[k] = tuple(inferred[name])
                    progress = True
        known = next((self.dtype[k] for k in keys if k in self.dtype), None)
        for k, (child, _, _), name in zip(keys, node.inputs, names):
            if k in self.dtype or not child.is_variable():
                continue
            dtype = _opinfo.input_dtype(spec, name, known, attrs)
            if dtype is None and k in self.shape:
                dtype = self.default_dtype
            if dtype is not None:
                self.dtype[k] = np.dtype(dtype).name
                progress = True
        return progress

    @staticmethod
    def _missing_shapes(spec, names, shapes, attrs):
        known = {n: s for n, s in zip(names, shapes) if s is not None}
        if spec.infer_params is not None and "data" in known:
            try:
                return spec.infer_params({n: known.get(n) for n in spec.inputs}, attrs)
            except (KeyError, TypeError, IndexError, ValueError, MXNetError):
                return {}
        if spec.name in _opinfo.SAME_SHAPE and known:
            return dict.fromkeys(names, next(iter(known.values())))
        if spec.name == "SoftmaxOutput" and "data" in known:
            return {"label": _opinfo.softmax_label_shape(known["data"], attrs)}
        return {}

    def _eval(self, node, spec, attrs, keys, names):
        structs = dict(zip(names, (jax.ShapeDtypeStruct(self.shape[k], self.dtype[k])
                                   for k in keys)))
        args = [structs[n] for n in names] if spec.variadic else \
            [structs.get(n) for n in spec.inputs]
        if spec.training:
            attrs = dict(attrs, _training=False)
        pure, _ = spec.bind(attrs, len(args))
        dynamic = [attrs[k] for k in spec.dynamic] + ([_KEY] if spec.random else [])
        try:
            return jax.eval_shape(pure, *args, *dynamic)
        except (TypeError, ValueError, IndexError, MXNetError) as e:
            shapes = ", ".join(f"{n}={s.shape}" for n, s in structs.items())
            raise MXNetError(f"Error in operator {node.name}: {e} (inputs: {shapes})") from e

    def lookup(self, table, nodes_and_outputs):
        return [table.get((id(n), i)) for n, i in nodes_and_outputs]


def infer_graph(symbol, shapes=None, dtypes=None, default_dtype=None):
    """The inference state of ``symbol`` (shapes and dtype names of every node output)."""
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


def _report(symbol, result, partial, what, empty):
    if all(v is not None for part in result for v in part):
        return result
    if partial:
        return tuple([empty if v is None else v for v in part] for part in result)
    unknown = [f"{n}: {empty}" for n, v in zip(symbol.list_arguments(), result[0]) if v is None]
    warnings.warn(f"Cannot decide {what} for the following arguments" +
                  (" (0s in shape means unknown dimensions)" if what == "shape" else "") +
                  ". Consider providing them as input:\n\t" + "\n\t".join(unknown[:10]),
                  stacklevel=3)
    return None, None, None


def infer_shape(symbol, args, kwargs, partial):
    for name, shape in zip(symbol.list_arguments(), args) if args else kwargs.items():
        if shape is not None and not isinstance(shape, tuple):
            raise TypeError(f"Arguments need to be shapes (tuple), but '{name}' is "
                            f"{type(shape)}.")
    graph = infer_graph(symbol, _given(symbol, args, kwargs, "shape"),
                        default_dtype="float32")
    return _report(symbol, _split(symbol, graph, graph.shape), partial, "shape", ())


def infer_type(symbol, args, kwargs, partial):
    given = {n: np.dtype(v).name for n, v in _given(symbol, args, kwargs, "type").items()}
    graph = infer_graph(symbol, dtypes=given)
    result = tuple([None if d is None else np.dtype(d).type for d in part]
                   for part in _split(symbol, graph, graph.dtype))
    return _report(symbol, result, partial, "type", None)
