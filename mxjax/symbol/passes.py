"""Graph passes MXNet's executor runs when it binds a Symbol.

* ``eliminate_common_expr``: MXNet's common-subexpression elimination (on unless
  ``MXNET_ELIMINATE_COMMON_EXPR=0``): two operator nodes with the same operator,
  attributes and inputs become one, repeatedly; graph outputs that end up the same get a
  ``_copy`` each. Operators that draw random numbers, write their inputs or keep state
  are never merged. ``Executor.get_optimized_symbol`` returns the result (XLA does its
  own elimination when compiling, so the executor runs the graph as given).
* ``backward_nodes``: the operators a backward pass runs: those whose output receives a
  gradient (from an output, not through ``BlockGrad``) and which lead from an argument
  that wants one. An operator MXNet registers no gradient for is an error there.
* ``planned_bytes``: the memory MXNet's planner would allocate for the node outputs
  (``Total N MB allocated`` in ``Executor.debug_str``): a buffer is reused once nothing
  reads it any more; with a backward pass, forward outputs stay alive for it.
"""

import copy

import numpy as np

from ..base import MXNetError
from .symbol import Symbol, _Node

__all__ = ["eliminate_common_expr", "backward_nodes", "planned_bytes", "uses_random"]


def uses_random(symbol):
    """Whether running ``symbol`` draws random numbers (or may: a stateful operator)."""
    return any(not n.is_variable() and (n.spec.random or n.spec.stateful)
               for n in symbol._nodes())


# ---- common-subexpression elimination --------------------------------------------------------
def _mergeable(node):
    if node.is_variable() or node.spec.stateful:
        return False
    return not node.spec.random and not node.mutated_inputs()


def _common_pairs(symbol):
    groups = {}
    for node in symbol._nodes():
        if node.inputs:
            groups.setdefault(tuple((id(c), i) for c, i, _ in node.inputs), []).append(node)
    pairs = []
    for group in groups.values():
        merged = set()
        for i, src in enumerate(group):
            if i in merged or not _mergeable(src):
                continue
            for j in range(i + 1, len(group)):
                other = group[j]
                if j not in merged and other.op == src.op and other.attrs == src.attrs:
                    merged.add(j)
                    pairs.append((src, other))
    return pairs


def eliminate_common_expr(symbol):
    """A copy of ``symbol`` with common subexpressions eliminated, as MXNet does."""
    result = copy.deepcopy(symbol)
    outputs = list(result._outputs)
    while True:
        pairs = _common_pairs(Symbol(outputs))
        if not pairs:
            break
        for src, replaced in pairs:
            for node in Symbol(outputs)._nodes():
                node.inputs = [(src if c is replaced else c, i, v) for c, i, v in node.inputs]
            outputs = [(src if n is replaced else n, i) for n, i in outputs]
    seen = {}
    for k, (node, i) in enumerate(outputs):
        count = seen.get((id(node), i))
        if count is None:
            seen[(id(node), i)] = 0
            continue
        seen[(id(node), i)] = count + 1
        outputs[k] = (_Node("_copy", f"{node.name}_{count}_copy", inputs=[(node, i, 0)]), 0)
    return Symbol(outputs)


# ---- the backward pass -----------------------------------------------------------------------
def backward_nodes(symbol, grad_args):
    """Ids of the operator nodes a backward pass runs, given the names of the arguments
    that get gradients; raises for an operator without a gradient among them."""
    nodes = symbol._nodes()
    reaches = set()  # nodes whose output depends on an argument that wants a gradient
    for node in nodes:
        if node.is_variable():
            if node.name in grad_args:
                reaches.add(id(node))
        elif any(id(c) in reaches for c, _, _ in node.inputs):
            reaches.add(id(node))
    receives = {id(n) for n, _ in symbol._outputs}  # nodes whose output gets a gradient
    for node in reversed(nodes):
        if id(node) in receives and not node.is_variable() and not node.spec.zero_gradient:
            receives.update(id(c) for c, _, _ in node.inputs)
    needed = {id(n) for n in nodes if not n.is_variable() and id(n) in receives and
              id(n) in reaches and not n.spec.zero_gradient}
    for node in nodes:
        if id(node) in needed and not node.spec.differentiable:
            raise MXNetError(f"Operator {node.op} is non-differentiable because it didn't "
                             "register FGradient attribute.")
    return needed


# ---- memory planning -------------------------------------------------------------------------
class _Pool:
    def __init__(self):
        self.buffers, self.free, self.owner = [], [], {}

    def alloc(self, key, size):
        fits = [b for b in self.free if self.buffers[b] >= size]
        if fits:
            buffer = min(fits, key=lambda b: self.buffers[b])
            self.free.remove(buffer)
        else:
            buffer = len(self.buffers)
            self.buffers.append(size)
        self.owner[key] = buffer

    def take(self, key, old_key):
        """``key`` written in place over ``old_key``'s buffer."""
        self.owner[key] = self.owner.pop(old_key)

    def release(self, key):
        buffer = self.owner.pop(key, None)
        if buffer is not None:
            self.free.append(buffer)


def planned_bytes(symbol, shapes, dtypes, backward):
    """Bytes of the buffers holding node outputs (and, with ``backward`` node ids, their
    gradients) when each buffer is reused as soon as nothing needs it any more. Without a
    backward pass, an output may overwrite an input of its size that only it reads (MXNet's
    in-place option)."""
    nodes = symbol._nodes()

    def size(key):
        shape, dtype = shapes.get(key), dtypes.get(key)
        if shape is None or dtype is None:
            return 0
        return int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize

    heads = {(id(n), i) for n, i in symbol._outputs}
    readers = {}
    for node in nodes:
        for c, i, _ in node.inputs:
            readers[(id(c), i)] = readers.get((id(c), i), 0) + 1
    pool = _Pool()
    ops = [n for n in nodes if not n.is_variable()]
    for node in ops:
        outs = [(id(node), i) for i in range(node.num_outputs())]
        if backward:  # the backward pass reads the forward values: nothing is freed
            for key in outs:
                pool.alloc(key, size(key))
            continue
        inputs = [(id(c), i) for c, i, _ in node.inputs if not c.is_variable()]
        in_place = [k for k in inputs if readers[k] == 1 and k not in heads]
        for key in outs:
            donor = next((k for k in in_place if k in pool.owner and size(k) == size(key)
                          and shapes.get(k) == shapes.get(key)), None)
            if donor is None:
                pool.alloc(key, size(key))
            else:
                pool.take(key, donor)
        for key in inputs:
            readers[key] -= 1
            if readers[key] == 0 and key not in heads:
                pool.release(key)
        for key in outs:
            if key not in readers and key not in heads:
                pool.release(key)
    for node in reversed(ops):
        if id(node) not in backward:
            continue
        for c, i, _ in node.inputs:
            key = ("grad", id(c), i)
            if not c.is_variable() and id(c) in backward and key not in pool.owner:
                pool.alloc(key, size((id(c), i)))
        for i in range(node.num_outputs()):
            pool.release(("grad", id(node), i))
    return sum(pool.buffers)
