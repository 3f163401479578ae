"""``autograd.get_symbol``: the graph recorded by ``autograd.record`` as a Symbol.

Every recorded operator becomes a node of the same registry operator (named ``node_<i>``
in graph order, as MXNet names them), with the attributes that differ from the defaults
plus the dynamic ones (``scalar``); marked variables become ``var<i>`` and other input
arrays ``null<i>``.
"""

from ..base import MXNetError
from ..operator import spec as _spec
from .symbol import Symbol, _Node, topological_order

__all__ = ["symbol_of"]


def _op_spec(key):
    if isinstance(key, tuple) and len(key) == 3 and isinstance(key[0], str):
        try:
            return _spec.get(key[0])
        except MXNetError:
            return None
    return None


class _Converter:
    def __init__(self):
        self.nodes, self.variables = {}, {}

    def variable(self, token, marked):
        if token not in self.variables:
            self.variables[token] = _Node("null", "var" if marked else "null")
        return self.variables[token]

    def entry(self, entry):
        kind = entry[0]
        if kind == "node":
            return self.output(entry[1], entry[2])
        if kind == "var":
            return self.variable(("var", id(entry[1])), True), 0
        return self.variable(("const", id(entry[1])), False), 0

    def convert(self, root):
        stack = [root]
        while stack:  # iterative: graphs recorded in long loops are deep
            node = stack[-1]
            if id(node) in self.nodes:
                stack.pop()
                continue
            if node.inputs is None:
                raise MXNetError("get_symbol: the graph was freed by backward; record again "
                                 "or pass retain_graph=True")
            pending = [e[1] for e in node.inputs if e[0] == "node" and id(e[1]) not in self.nodes]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            self.nodes[id(node)] = self._op_node(node)
        return self.nodes[id(root)]

    def output(self, node, index):
        """``(symbol node, output index)`` of a recorded node's output ``index``."""
        converted = self.convert(node)
        if isinstance(converted, list):  # an expanded hybridized block
            return converted[index]
        return converted, index

    def _op_node(self, node):
        spec = _op_spec(node.key)
        if spec is None and node.graph is not None:
            return self._block_node(node)
        if spec is None:
            raise NotImplementedError(
                f"autograd.get_symbol: the graph contains a {node.key[0]!r} node (a hybridized "
                "block, autograd.Function or a recorded gradient), which has no MXNet operator")
        _, static, n_inputs = node.key
        params = {k: v for k, v in static if (k in spec.attrs and v != spec.attrs[k]) or
                  (spec.extra_attrs is not None and k not in spec.attrs
                   and not k.startswith("_"))}  # Custom: the keywords for its CustomOpProp
        dynamic = node.inputs[n_inputs:n_inputs + len(spec.dynamic)]
        params.update((k, e[1]) for k, e in zip(spec.dynamic, dynamic) if e[0] == "const")
        inputs = [self.entry(e) for e in node.inputs[:n_inputs]
                  if not (e[0] == "const" and e[1] is None)]  # optional input not given
        sym_node = _Node(spec.name, "node", {k: str(v) for k, v in params.items()}, params)
        sym_node.inputs = [(c, i, 0) for c, i in inputs]
        return sym_node


    def _block_node(self, node):
        """A hybridized block: its operators inlined (at most ``inline_limit`` of them,
        as MXNet inlines), else one ``_CachedOp`` node over its inputs. The result lists
        ``(symbol node, index)`` per output of the recorded node."""
        graph, names, inline = node.graph()
        entries = {name: e for name, e in zip(names, node.inputs) if name is not None}
        if not inline:
            inputs = [self.entry(entries[n]) for n in graph.list_inputs()]
            n_out = len(graph._outputs)
            op = _Node("_CachedOp", "node", {}, {"num_outputs": n_out})
            op.inputs = [(c, i, 0) for c, i in inputs]
            return [(op, i) for i in range(n_out)]
        copies = {}
        for g in topological_order([n for n, _ in graph._outputs]):
            if g.is_variable():
                copies[id(g)] = self.entry(entries[g.name])
                continue
            op = _Node(g.op, "node", g.attrs, g.params)
            op.inputs = [(*copies[id(c)], 0) if c.is_variable() else (copies[id(c)][0], i, 0)
                         for c, i, _ in g.inputs]
            copies[id(g)] = (op, 0)
        return [(copies[id(n)][0], i) if not n.is_variable() else copies[id(n)]
                for n, i in graph._outputs]


def symbol_of(x):
    """The Symbol of the recorded computation of NDArray ``x``."""
    converter = _Converter()
    recorded = getattr(x, "_node", None)
    if recorded is None:
        head = converter.variable(("var", id(x)), x._grad_req is not None), 0
    else:
        head = converter.output(recorded[0], recorded[1])
    n_variables = n_ops = 0
    for node in topological_order([head[0]]):
        if node.is_variable():
            node.name = f"{node.name}{n_variables}"
            n_variables += 1
        else:
            node.name = f"node_{n_ops}"
            n_ops += 1
    return Symbol([head])
