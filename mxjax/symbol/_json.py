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


def _node_attrs(raw):
    """Node attributes: ``attrs`` (1.x), or ``param`` and ``attr`` (older files)."""
    attrs = {}
    for key in ("param", "attr", "attrs"):
        attrs.update(raw.get(key) or {})
    return {k: str(v) for k, v in attrs.items()}


def loads(text):
    try:
        graph = json.loads(text)
        raw_nodes, raw_heads = graph["nodes"], graph["heads"]
    except (ValueError, KeyError, TypeError) as e:
        raise MXNetError(f"load_json: not an MXNet symbol file ({e})") from None
    nodes = []
    for raw in raw_nodes:
        attrs = _node_attrs(raw)
        if raw["op"] == "null":
            node = _Node("null", raw["name"], attrs)
        else:
            spec = _spec.get(raw["op"])
            node = _Node(spec.name, raw["name"], attrs, spec.parse_attr_strings(attrs))
        for entry in raw.get("inputs", []):
            child = nodes[entry[0]]
            version = entry[2] if len(entry) > 2 else 0
            child.version = max(child.version, version)
            node.inputs.append((child, entry[1], version))
        nodes.append(node)
    legacy = not (graph.get("attrs") or {}).get("is_np_shape", [None, 0])[1]
    for node in nodes:
        if not node.is_variable():
            _check_inputs(node)
        elif legacy and is_np_shape() and "__shape__" in node.attrs:
            node.attrs["__shape__"] = _legacy_shape_to_numpy(node.attrs["__shape__"])
    return Symbol([(nodes[h[0]], h[1]) for h in raw_heads])


def _check_inputs(node):
    expected = node.input_names()
    if not node.spec.variadic and len(expected) != len(node.inputs):
        raise MXNetError(f"load_json: node {node.name} ({node.op}) has {len(node.inputs)} "
                         f"inputs, expected {len(expected)} ({expected})")
