"""MXNet 1.9.1's ``-symbol.json`` format, written byte for byte as MXNet writes it.

``nodes`` in graph order (each with ``op``, ``name``, ``attrs`` when it has any, and
``inputs`` as ``[node, output, version]``), ``arg_nodes`` (the variables),
``node_row_ptr`` (running count of every node's outputs, hidden ones included), ``heads``
and the graph attribute ``mxnet_version``.
"""

import ast
import json

from ..base import MXNetError
from ..operator import spec as _spec
from ..util import is_np_shape
from .symbol import Symbol, _Node

__all__ = ["dumps", "loads"]

MXNET_VERSION = 10901


def _string(s):
    """A JSON string as dmlc's writer escapes it (non-ASCII characters kept as they are)."""
    return json.dumps(s, ensure_ascii=False)


def _dict(d, indent):
    """dmlc writes a one-entry object on one line, a larger one with an entry per line."""
    items = [f"{_string(k)}: {_string(v)}" for k, v in sorted(d.items())]
    if len(items) == 1:
        return "{" + items[0] + "}"
    pad = " " * indent
    return "{\n" + ", \n".join(pad + "  " + item for item in items) + "\n" + pad + "}"


def _array(items, indent):
    """dmlc writes an array of more than 10 items with one item per line."""
    items = list(items)
    if len(items) <= 10:
        return "[" + ", ".join(items) + "]"
    pad = " " * indent
    return "[\n" + ", \n".join(pad + "  " + item for item in items) + "\n" + pad + "]"


def _entries(entries, indent):
    return _array((f"[{a}, {b}, {c}]" for a, b, c in entries), indent)


def _ints(values):
    return _array((str(v) for v in values), 2)


def dumps(symbol):
    nodes = symbol._nodes()
    index = {id(n): i for i, n in enumerate(nodes)}
    blocks, row_ptr = [], [0]
    for node in nodes:
        fields = [f'"op": {_string(node.op)}', f'"name": {_string(node.name)}']
        if node.attrs:
            fields.append(f'"attrs": {_dict(node.attrs, 6)}')
        fields.append('"inputs": ' + _entries(((index[id(c)], i, v) for c, i, v in node.inputs),
                                              6))
        blocks.append("    {\n" + ", \n".join("      " + f for f in fields) + "\n    }")
        total = 1 if node.is_variable() else node.spec.total_outputs_for(node.op_attrs())
        row_ptr.append(row_ptr[-1] + total)
    arg_nodes = [i for i, n in enumerate(nodes) if n.is_variable()]
    heads = [(index[id(n)], i, 0) for n, i in symbol._outputs]
    return ("{\n" + '  "nodes": [\n' + ", \n".join(blocks) + "\n  ], \n"
            f'  "arg_nodes": {_ints(arg_nodes)}, \n'
            f'  "node_row_ptr": {_ints(row_ptr)}, \n'
            f'  "heads": {_entries(heads, 2)}, \n'
            f'  "attrs": {_graph_attrs()}\n'
            "}")


def _graph_attrs():
    """``mxnet_version``, and ``is_np_shape`` when NumPy shape semantics are on (then a
    0 in a ``__shape__`` is a zero-size dimension, not an unknown one)."""
    attrs = {"mxnet_version": MXNET_VERSION}
    if is_np_shape():
        attrs["is_np_shape"] = 1
    items = [f'"{k}": ["int", {v}]' for k, v in sorted(attrs.items())]
    if len(items) == 1:
        return "{" + items[0] + "}"
    return "{\n" + ", \n".join("    " + item for item in items) + "\n  }"


def _legacy_shape_to_numpy(text):
    """A legacy ``__shape__`` (0: unknown dimension, ``()``: unknown shape) as MXNet
    rewrites it when loading under NumPy shape semantics."""
    shape = tuple(ast.literal_eval(text))
    if not shape:
        return "None"
    return "[" + ",".join(str(d if d > 0 else -1) for d in shape) + "]"


class _Where:
    """Where in the file a check failed: ``load_json: node #3 'fc' (FullyConnected): ...``."""

    def __init__(self, text="load_json"):
        self.text = text

    def error(self, message):
        return MXNetError(f"{self.text}: {message}")

    def field(self, obj, key, types, what):
        if not isinstance(obj, dict) or key not in obj:
            raise self.error(f'missing field "{key}" in {what}')
        value = obj[key]
        if not isinstance(value, types) or isinstance(value, bool) and types is not bool:
            raise self.error(f'field "{key}" of {what} must be {_type_names(types)}, got '
                             f"{type(value).__name__} {_short(value)}")
        return value


def _type_names(types):
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join({list: "a list", dict: "an object", str: "a string", int: "an integer"}
                       .get(t, t.__name__) for t in types)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _node_attrs(raw, where):
    """Node attributes: ``attrs`` (1.x), or ``param`` and ``attr`` (older files); values
    are strings (numbers are read as their text)."""
    attrs = {}
    for key in ("param", "attr", "attrs"):
        if raw.get(key) is None:
            continue
        table = where.field(raw, key, dict, "the node")
        for name, value in table.items():
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise where.error(f'attribute "{name}" must be a string, got '
                                  f"{type(value).__name__} {_short(value)}")
            attrs[name] = str(value)
    return attrs


def _entry(where, entry, what, nodes, limit, earlier=True):
    """``(node, output index, version)`` of an input or head entry ``[node, index(,
    version)]``; the node must be among the first ``limit`` nodes (an earlier one)."""
    if not isinstance(entry, list) or len(entry) not in (2, 3) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in entry):
        raise where.error(f"{what} must be [node, output] or [node, output, version] "
                          f"integers, got {_short(entry)}")
    index, output = entry[0], entry[1]
    version = entry[2] if len(entry) > 2 else 0
    if not 0 <= index < limit:
        kind = "an earlier node" if earlier else "a node"
        raise where.error(f"{what} refers to node {index}, which is not {kind} "
                          f"(0..{limit - 1})")
    node = nodes[index]
    count = 1 if node.is_variable() else node.spec.total_outputs_for(node.op_attrs())
    if not 0 <= output < count or version < 0:
        raise where.error(f"{what} refers to output {output} (version {version}) of node "
                          f"{index} {node.name!r}, which has {count} output(s)")
    return node, output, version


def _load_node(i, raw):
    where = _Where(f"load_json: node #{i}")
    if not isinstance(raw, dict):
        raise where.error(f"must be an object, got {_short(raw)}")
    op = where.field(raw, "op", str, "the node")
    name = where.field(raw, "name", str, "the node")
    where = _Where(f"load_json: node #{i} {name!r} ({op})")
    attrs = _node_attrs(raw, where)
    if op == "null":
        return _Node("null", name, attrs), where
    try:
        spec = _spec.get(op)
    except MXNetError:
        raise where.error(f"operator {op!r} is not registered") from None
    try:
        params = spec.parse_attr_strings(attrs)
        spec.parse_attrs(params)  # types, ranges and required attributes, as MXNet checks
    except MXNetError as err:
        raise where.error(str(err)) from None
    return _Node(spec.name, name, attrs, params), where


def loads(text):
    top = _Where()
    try:
        graph = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise top.error(f"not an MXNet symbol file ({type(e).__name__}: {e})") from None
    if not isinstance(graph, dict):
        raise top.error(f"not an MXNet symbol file (a JSON {type(graph).__name__}, not an "
                        "object)")
    for key in ("nodes", "heads"):
        if key not in graph:
            raise top.error(f'not an MXNet symbol file (missing field "{key}")')
    raw_nodes = top.field(graph, "nodes", list, "the graph")
    raw_heads = top.field(graph, "heads", list, "the graph")
    nodes = []
    for i, raw in enumerate(raw_nodes):
        node, where = _load_node(i, raw)
        raw_inputs = raw.get("inputs", [])
        if not isinstance(raw_inputs, list):
            raise where.error(f'field "inputs" must be a list, got {_short(raw_inputs)}')
        for k, entry in enumerate(raw_inputs):
            child, output, version = _entry(where, entry, f"input {k}", nodes, i)
            child.version = max(child.version, version)
            node.inputs.append((child, output, version))
        if not node.is_variable():
            _check_inputs(node, where)
        nodes.append(node)
    if not raw_heads:
        raise top.error("the graph has no heads (outputs)")
    heads = [_entry(top, h, f"head {k}", nodes, len(nodes), earlier=False)[:2]
             for k, h in enumerate(raw_heads)]
    attrs = graph.get("attrs") or {}
    np_flag = attrs.get("is_np_shape", [None, 0]) if isinstance(attrs, dict) else [None, 0]
    legacy = not (np_flag[1] if isinstance(np_flag, list) and len(np_flag) > 1 else 0)
    for node in nodes:
        if node.is_variable() and legacy and is_np_shape() and "__shape__" in node.attrs:
            try:
                node.attrs["__shape__"] = _legacy_shape_to_numpy(node.attrs["__shape__"])
            except (ValueError, SyntaxError, TypeError):
                raise top.error(f"variable {node.name!r} has __shape__ "
                                f"{_short(node.attrs['__shape__'])}, not a shape") from None
    return Symbol(heads)


def _check_inputs(node, where):
    expected = node.input_names()
    if not node.spec.variadic and len(expected) != len(node.inputs):
        raise where.error(f"has {len(node.inputs)} inputs, expected {len(expected)} "
                          f"({expected})")
