"""Gluon and ``mx.sym``: symbolic forward, ``HybridBlock.export`` and ``SymbolBlock``.

Called with Symbols, a HybridBlock runs ``hybrid_forward(mx.sym, x, **param_vars)``
inside its name scope, so every ``F.X`` adds a node named like MXNet's (``dense0_fwd``).
``export`` traces the block this way and writes ``path-symbol.json`` plus
``path-%04d.params`` (``arg:``/``aux:`` keys). ``SymbolBlock`` runs a loaded graph on
NDArrays through the registry's operators (see ``symbol/graph_run.py``): recorded by autograd
when eager, one compiled function when hybridized.
"""

import copy
import os
import warnings

import numpy as np

from .. import autograd, symbol
from ..executor import monitored_values
from ..ndarray import utils as nd_utils
from ..ndarray.ndarray import STORAGE_TYPE_IDS
from ..ndarray.serialization import DTYPE_NAMES
from ..symbol import Symbol, graph_run, inference
from ..symbol.symbol import topological_order
from ._hybrid import _flatten, _regroup
from .block import HybridBlock
from .parameter import ParameterDict

__all__ = ["SymbolBlock", "symbolic_forward", "export"]


def symbolic_forward(block, x, *args):
    """``block(x, ...)`` on Symbols: its ``hybrid_forward`` with ``F = mx.sym``."""
    params = {name: p.var() for name, p in block._reg_params.items()}
    with block.name_scope():
        return block.hybrid_forward(symbol, x, *args, **params)


def _flatten_symbols(args):
    """Nested lists of Symbols -> flat single-output Symbols and a format for ``_regroup``
    (a Symbol of several outputs counts as the list of its outputs)."""
    if isinstance(args, Symbol):
        if len(args) == 1:
            return [args], 0
        return list(args), (0,) * len(args)
    if not isinstance(args, (list, tuple)):
        raise ValueError(f"expected (nested lists of) Symbols, got {type(args)}")
    flat, fmt = [], []
    for a in args:
        f, sub = _flatten_symbols(a)
        flat += f
        fmt.append(sub)
    return flat, tuple(fmt)


def _graph(block):
    """(input variables, output Symbol) of a hybridized block that has run at least once."""
    cached = block._cached
    if cached is None or not cached.calls:
        raise RuntimeError("Please first call block.hybridize() and then run forward with this "
                           "block at least once before calling export.")
    in_fmt = next(reversed(cached._jitted))[1]
    present = [x is not None for x in cached._signatures[-1][1]]
    names = iter(["data"] if sum(present) == 1 else [f"data{i}" for i in range(sum(present))])
    flat = [symbol.var(next(names)) if p else None for p in present]
    inputs = [s for s in flat if s is not None]
    out = symbolic_forward(block, *_regroup(flat, in_fmt))
    outputs, _ = _flatten_symbols(out)
    return inputs, symbol.Group(outputs) if len(outputs) > 1 else outputs[0]


def run_op_hook(block, hook, inputs):
    """Call an op hook ``(callback, monitor_all)`` for each operator of ``block``, a
    hybridized block that has just run on ``inputs`` (its NDArray arguments, flat)."""
    callback, monitor_all = hook
    variables, out = _graph(block)
    ctx = inputs[0].context
    values = {v.name: a for v, a in zip(variables, inputs)}
    values.update((p.name, p.data(ctx)) for p in block.collect_params().values())
    for name, op, value, alias in monitored_values(out, values, autograd.is_training(),
                                                   monitor_all):
        if not alias:
            callback(name.encode(), op.encode(), value.handle.value)


def export(block, path, epoch=0, remove_amp_cast=True):
    """Write ``path-symbol.json`` and ``path-%04d.params`` (MXNet's formats)."""
    _, out = _graph(block)
    graph_json = out.tojson(remove_amp_cast)
    arg_names = set(out.list_arguments())
    params = {p.name: p for p in block.collect_params().values()}
    graph_inputs = out.list_inputs()
    arg_dict = {}
    for name in graph_inputs:  # graph order, as MXNet writes its cached op's arguments
        if name in params:
            kind = "arg" if name in arg_names else "aux"
            arg_dict[f"{kind}:{name}"] = params[name]._reduce()
    for name in params:
        if name not in graph_inputs:
            warnings.warn(f'Parameter "{name}" is not found in the graph. ', stacklevel=3)
    # Both files in one atomic step: a failure leaves the old pair, never a mismatched one.
    nd_utils.save_with(f"{path}-{epoch:04d}.params", arg_dict,
                       [(f"{path}-symbol.json", graph_json)])


def _common_prefix(names):
    return os.path.commonprefix(list(names)) if names else ""


def _param_dtypes(inputs, out):
    """Dtype of every variable of ``out``: inferred from the inputs' dtypes when they all
    have one, else float32 (MXNet's default)."""
    given = {s.name: s.attr("__dtype__") for s in inputs}
    dtypes = {}
    if all(v is not None for v in given.values()):
        dtypes = {k: DTYPE_NAMES[int(v)] for k, v in given.items()}
        graph = inference.infer_graph(out, dtypes=dtypes)
        dtypes = {n.name: graph.dtype.get((id(n), 0)) for n in graph.nodes if n.is_variable()}
    return {k: v or "float32" for k, v in dtypes.items()}


class SymbolBlock(HybridBlock):
    """A block running a Symbol: its outputs from the given input variables, with every
    other argument and auxiliary state of the graph as a Parameter.

    Parameters
    ----------
    outputs : Symbol or list of Symbol
        The outputs to compute.
    inputs : Symbol or list of Symbol
        The variables fed by the block's call arguments, in order.
    params : ParameterDict, optional
        Parameters to share (for example another block's ``collect_params()``).
    """

    def __init__(self, outputs, inputs, params=None):
        super().__init__(prefix=None, params=None)
        self._prefix = ""
        self._params = ParameterDict("", params)
        if isinstance(inputs, Symbol) and len(inputs) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten_symbols(inputs)
        out, self._out_format = _flatten_symbols(outputs)
        for s in syms:
            if len(s.get_internals()) != 1:
                raise AssertionError(f"Input symbols must be variable, but {s} is an output "
                                     "of operators")
        out = symbol.Group(out) if len(out) > 1 else out[0]
        row_sparse = str(STORAGE_TYPE_IDS["row_sparse"])
        for node in out.get_internals():
            if node.attr("__storage_type__") == row_sparse:
                raise AssertionError(f"SymbolBlock doesn't support Parameter '{node.name}' "
                                     "because its storage type is 'row_sparse'.")
        input_names = {s.name for s in syms}
        dtypes = _param_dtypes(syms, out)
        for name in out.list_arguments():
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True,
                                dtype=dtypes.get(name, "float32"))
        for name in out.list_auxiliary_states():
            if name not in input_names:
                self.params.get(name, grad_req="null", allow_deferred_init=True,
                                dtype=dtypes.get(name, "float32"))
        self._cached_graph = syms, out
        strip = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {k[strip:]: v for k, v in self._params.items()}
        self._param_names = {k[strip:]: k for k in self._params.keys()}

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False):
        """A SymbolBlock from files written by ``export`` (mxjax's or MXNet's) or by
        ``Module.save_checkpoint``."""
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        dtype = "float32" if param_file is None else None
        block = SymbolBlock(sym, [symbol.var(n, dtype=dtype) for n in input_names])
        if param_file is not None:
            block.collect_params().load(param_file, ctx, allow_missing, ignore_extra,
                                        cast_dtype=True, dtype_source="saved")
        return block

    def __repr__(self):
        inputs, out = self._cached_graph
        return (f"{type(self).__name__}(\n{out} : {len(inputs)} -> "
                f"{len(out.list_outputs())}\n)")

    def forward(self, x, *args):
        if isinstance(x, Symbol):
            flat, in_fmt = _flatten_symbols([x, *args])
            if in_fmt != self._in_format:
                raise AssertionError("Invalid input format")
            ret = copy.copy(self._cached_graph[1])
            ret._compose(**{s.name: v for s, v in zip(self._cached_graph[0], flat)})
            return _regroup(list(ret), self._out_format)
        self._infer_deferred(x, *args)
        return super().forward(x, *args)

    def _infer_deferred(self, *args):
        """Give deferred parameters the shapes the graph infers from the inputs."""
        pending = [p for p in self._params.values() if p._data is None and p._deferred_init]
        if not pending:
            return
        flat, _ = _flatten(list(args))
        inputs, out = self._cached_graph
        shapes = {s.name: a.shape for s, a in zip(inputs, flat) if a is not None}
        dtypes = {s.name: np.dtype(a.dtype).name for s, a in zip(inputs, flat) if a is not None}
        graph = inference.infer_graph(out, shapes, dtypes, default_dtype="float32")
        heads = [n for n, _ in out._outputs]
        nodes = {n.name: n for n in topological_order(heads) if n.is_variable()}
        for p in pending:
            shape = graph.shape.get((id(nodes[p.name]), 0)) if p.name in nodes else None
            if shape is not None:
                p.shape = shape
                p._finish_deferred_init()

    def hybrid_forward(self, F, x, *args, **kwargs):  # noqa: ARG002 - runs on NDArrays
        inputs, out = self._cached_graph
        flat, _ = _flatten([x, *args])
        values = {s.name: v for s, v in zip(inputs, flat)}
        values.update({self._param_names[k]: v for k, v in kwargs.items()})
        return _regroup(graph_run.evaluate(out, values), self._out_format)
