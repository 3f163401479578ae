"""``Block.save`` / ``Block.load``: a block's structure and parameters under one prefix.

``<prefix>-model.json`` is MXNet 1.9.1's nested dictionary: one entry per block, keyed by
its class name (lower case) and its position in a depth-first walk (``myblock0``,
``dense2``), holding the block's name when saved (``orig_name``), its children's
attribute names keyed by their block names (``children``) and, for a HybridBlock, whether
it was hybridized and, if it was and has run, its graph (``inputs``, ``symbol``,
``in_format``, ``out_format``). ``<prefix>-model.params`` is ``save_parameters``'s file.

Loading renames each block (and its ParameterDict's keys) to the saved names, restores
its children's attribute names and hybridizes the blocks that were hybridized, then
loads the parameters. The model itself is rebuilt by the caller's code, as in MXNet;
a hybridized block is traced again from that code rather than run from the saved graph.
"""

import json

from .. import symbol
from .._files import write_atomically

__all__ = ["save_model", "load_model"]


def _mxnet_format(fmt, present):
    """mxjax's nesting format (0 = one array, tuple = list) as MXNet writes it: 0 for an
    array, -1 for None, a list for a list."""
    if fmt == 0:
        return 0 if next(present) else -1
    return [_mxnet_format(f, present) for f in fmt]


def _graph_entry(block):
    """``in_format``, ``out_format``, ``inputs`` and ``symbol`` of a hybridized block that
    has run (``None`` before its first call)."""
    from .symbol_block import _graph

    cached = block._cached
    if cached is None or not cached.calls:
        return None
    inputs, out = _graph(block)
    key = next(reversed(cached._jitted))  # the graph _graph traced: (training, in_fmt)
    in_fmt, out_fmt, sig = key[1], cached._out_fmt[key], cached._signatures[-1][1]
    n_out = len(out.list_outputs())
    return {"in_format": _mxnet_format(in_fmt, iter([s is not None for s in sig])),
            "out_format": _mxnet_format(out_fmt, iter([True] * n_out)),
            "inputs": [s.tojson() for s in inputs],
            "symbol": out.tojson()}


def save_model(block, prefix):
    """Write ``prefix-model.json`` (structure) and ``prefix-model.params``."""
    from .block import HybridBlock

    index = [0]

    def describe(blk, structure):
        entry = {"orig_name": blk.name}
        structure[type(blk).__name__.lower() + str(index[0])] = entry
        if isinstance(blk, HybridBlock):
            graph = _graph_entry(blk) if blk._active else None
            entry["hybridized"] = graph is not None
            entry.update(graph or {})
        children = entry["children"] = {}
        for attr, child in blk._children.items():
            index[0] += 1
            children[child.name] = attr
            describe(child, entry)

    model = {}
    describe(block, model)
    write_atomically(prefix + "-model.json", json.dumps(model))
    block.save_parameters(prefix + "-model.params")


def load_model(block, prefix):
    """Apply ``prefix-model.json`` to ``block`` (built by the same code, in the same
    order) and load ``prefix-model.params`` into it."""
    from .block import HybridBlock

    with open(prefix + "-model.json") as f:
        model = json.load(f)
    index = [0]

    def restore(blk, structure):
        entry = structure[type(blk).__name__.lower() + str(index[0])]
        blk._name = entry["orig_name"]
        if isinstance(blk, HybridBlock) and entry.get("hybridized"):
            symbol.load_json(entry["symbol"])  # a malformed graph fails here, as in MXNet
            blk._active = True
            blk._clear_cached_op()
        params = blk.params._params
        old_prefix = len(blk.params.prefix)
        for key in list(params):
            params[blk.name + "_" + key[old_prefix:]] = params.pop(key)
        for child in blk._children.values():
            index[0] += 1
            restore(child, entry)
        saved = entry["children"]
        for attr in list(blk._children):
            child = blk._children.pop(attr)
            blk._children[saved[child.name]] = child

    restore(block, model)
    block.load_parameters(prefix + "-model.params")
