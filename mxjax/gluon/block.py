"""``Block`` and ``HybridBlock``: MXNet 1.x naming, children, parameters, hooks, files."""

import re
import threading
import warnings
from collections import OrderedDict, defaultdict

from .. import _tracing
from .. import name as _name
from .. import ndarray as nd
from ..base import MXNetError
from ..symbol import Symbol
from . import _hybrid, _model_file
from .parameter import DEFAULT_INIT, Parameter, ParameterDict
from .utils import HookHandle, _brief_print_list, _indent

__all__ = ["Block", "HybridBlock", "SymbolBlock"]


class _BlockScope:
    """Scope for naming and collecting the children created inside ``name_scope()``."""

    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def create(prefix, params, hint):
        """``(prefix, params)`` for a new block, from its scope (MXNet's naming rules)."""
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = _name.current().get(None, hint) + "_"
            params = ParameterDict(prefix) if params is None else \
                ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f"{hint}{count}_"
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        self._name_scope = _name.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix:
            return
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope


class Block:
    """Base class of all layers and models.

    Children assigned as attributes are registered; ``collect_params`` gathers their
    Parameters recursively. ``prefix`` names the block (``dense0_``); ``params`` shares
    another block's ParameterDict.
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}"
                           for key, block in self.__dict__.items() if isinstance(block, Block))
        return f"{type(self).__name__}(\n{modstr}\n)"

    def __setattr__(self, name, value):
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(f"Changing attribute type for {name} from {type(existing)} to "
                                f"{type(value)}is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise AssertionError(
                    f"Overriding Parameter attribute {name} is not allowed. If you want to "
                    "share parameters between blocks, please set 'params' at Block "
                    "construction instead.")
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _alias(self):
        return type(self).__name__.lower()

    @property
    def prefix(self):
        return self._prefix

    @property
    def name(self):
        return self._name

    def name_scope(self):
        return self._scope

    @property
    def params(self):
        return self._params

    def collect_params(self, select=None):
        """Parameters of this block and all its children (names matching ``select``)."""
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            pattern = re.compile(select)
            ret.update({k: v for k, v in self.params.items() if pattern.match(k)})
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _check_container_with_block(self):
        """Warn about Blocks kept in a list, tuple or dict attribute: they are not
        registered children, so their parameters are not collected."""
        children = set(map(id, self._children.values()))

        def unregistered(data):
            if isinstance(data, (list, tuple)):
                return any(unregistered(d) for d in data)
            if isinstance(data, dict):
                return any(unregistered(d) for d in data.values())
            return isinstance(data, Block) and id(data) not in children

        for key, value in self.__dict__.items():
            if isinstance(value, (list, tuple, dict)) and not key.startswith("__") and \
                    key != "_children" and unregistered(value):
                warnings.warn(f'"{type(self).__name__}.{key}" is an unregistered container '
                              "with Blocks. Blocks inside a list, tuple or dict are not "
                              "registered automatically: register them with register_child() "
                              "or use nn.Sequential/nn.HybridSequential instead.",
                              stacklevel=3)

    def _collect_params_with_prefix(self, prefix=""):
        if prefix:
            prefix += "."
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    # ---- files -------------------------------------------------------------------------------
    def save_parameters(self, filename, deduplicate=False):
        """Save parameters under structural names (``0.weight``) in MXNet's format."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            first_name = {}
            for k, v in params.items():
                first_name.setdefault(v, k)
            params = {k: v for v, k in first_name.items()}
        nd.save(filename, {key: val._reduce() for key, val in params.items()})

    def save_params(self, filename):
        warnings.warn("save_params is deprecated. Please use save_parameters. Note that if "
                      "you want load from SymbolBlock later, please use export instead.",
                      stacklevel=2)
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source="current"):
        """Load a file written by ``save_parameters`` (mxjax's or MXNet's).

        Everything is checked before anything is written: a failed load changes no
        parameter.
        """
        loaded = nd.load(filename)
        if isinstance(loaded, list):
            raise MXNetError(f"load_parameters: {filename} holds a list of arrays, not named "
                             "parameters")
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any("." in k for k in loaded):
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra, self.prefix,
                                       cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        if not allow_missing:
            names_of = defaultdict(list)
            for k, v in params.items():
                names_of[v].append(k)
            for name, param in params.items():
                if not any(p in loaded for p in names_of[param]):
                    raise AssertionError(
                        f"Parameter '{name}' is missing in file '{filename}', which contains "
                        f"parameters: {_brief_print_list(loaded.keys())}. Set "
                        "allow_missing=True to ignore missing parameters.")
        plan = []
        for name, value in loaded.items():
            if name not in params:
                if not ignore_extra:
                    raise ValueError(
                        f"Parameter '{name}' loaded from file '{filename}' is not present in "
                        f"ParameterDict, which contains parameters "
                        f"{_brief_print_list(self._params.keys())}. Set ignore_extra=True to "
                        "ignore. ")
                continue
            params[name]._checked_load_value(value, cast_dtype, dtype_source)
            plan.append((params[name], value))
        for param, value in plan:
            param._load_init(value, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)

    def save(self, prefix):
        """Save the structure (``prefix-model.json``: block names, children, hybridized
        graphs) and parameters (``prefix-model.params``), as MXNet 1.9.1 does."""
        _model_file.save_model(self, prefix)

    def load(self, prefix):
        """Load what ``save`` wrote into this block, built by the same code in the same
        order: blocks and parameter keys get their saved names back, the blocks that were
        hybridized are hybridized, then the parameters are loaded."""
        _model_file.load_model(self, prefix)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        warnings.warn("load_params is deprecated. Please use load_parameters.", stacklevel=2)
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    # ---- structure ---------------------------------------------------------------------------
    def register_child(self, block, name=None):
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=DEFAULT_INIT, ctx=None, verbose=False,
                   force_reinit=False):
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        for child in self._children.values():
            child.cast(dtype)
        for param in self.params.values():
            param.cast(dtype)

    def zero_grad(self):
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        self.collect_params().reset_ctx(ctx)

    def __call__(self, *args):
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args):
        raise NotImplementedError

    def register_op_hook(self, callback, monitor_all=False):
        """Install ``callback(node_name, op_name, array)`` on the hybridized blocks inside:
        called for each operator output (and input, with ``monitor_all``) when they run,
        with what MXNet's C callback gives: names as bytes, the array as the address of
        its handle (``NDArray(ctypes.cast(array, NDArrayHandle))`` reads it)."""
        for child in self._children.values():
            child.register_op_hook(callback, monitor_all)

    def summary(self, *inputs):
        """Print each layer's output shape and parameter count, as MXNet does."""
        from .summary import print_summary
        print_summary(self, *inputs)


class HybridBlock(Block):
    """A Block whose ``hybrid_forward(F, x, ...)`` can be compiled by ``hybridize()``.

    After ``hybridize()`` the block runs as one jit-compiled pure function of its
    parameters, auxiliary states, a PRNG key and its inputs (see ``_hybrid.py``).
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = {}
        self._cached = None
        self._op_hook = None

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def _clear_cached_op(self):
        self._cached = None

    def register_child(self, block, name=None):
        """Register a child HybridBlock (the compiled function is rebuilt at the next call)."""
        if not isinstance(block, HybridBlock):
            raise ValueError(f"Children of HybridBlock must also be HybridBlock, but {block} has "
                             f"type {type(block)}. If you are using Sequential, please try "
                             "HybridSequential instead.")
        super().register_child(block, name)
        self._clear_cached_op()

    def __getstate__(self):
        # The compiled function is rebuilt on demand; it does not pickle.
        return {**self.__dict__, "_cached": None}

    def register_op_hook(self, callback, monitor_all=False):
        """Install ``callback(node_name, op_name, array_handle)`` on this block and its
        children: after each hybridized call, called for every operator output (and
        input, with ``monitor_all``) in MXNet's order and names. The values come from a
        second, op-by-op run of the block's graph: the compiled call shows none."""
        self._op_hook = (callback, monitor_all)
        for child in self._children.values():
            child._op_hook = self._op_hook

    def hybridize(self, active=True, **kwargs):
        self._active = active
        self._flags = dict(kwargs)
        self._clear_cached_op()
        super().hybridize(active, **kwargs)

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def forward(self, x, *args):
        leaves = _leaves([x, *args])
        has_symbol = any(isinstance(a, Symbol) for a in leaves)
        has_ndarray = any(isinstance(a, nd.NDArray) for a in leaves)
        if has_symbol and has_ndarray:
            raise ValueError("In HybridBlock, we do not support mixed NDArrays and Symbols "
                             "types for the input. Please check the type of the args.")
        if not has_symbol and not has_ndarray:
            raise ValueError("In HybridBlock, there must be one NDArray or one Symbol in the "
                             "input. Please check the type of the args.")
        if has_symbol:
            return symbol_block.symbolic_forward(self, x, *args)
        if self._active and not _hybrid.tracing_active():
            contexts = {a.context for a in leaves}
            if len(contexts) > 1:
                raise ValueError("Find multiple contexts in the input: after hybridize(), a "
                                 "HybridBlock runs on one context only. Contexts of the "
                                 f"inputs: {contexts}")
            if self._cached is None:
                self._cached = _hybrid.CachedBlock(self)
            out = self._cached(x, *args)
            if self._op_hook is not None:
                symbol_block.run_op_hook(self, self._op_hook, leaves)
            return out
        return self._imperative_forward(x, *args)

    def _imperative_forward(self, x, *args):
        ctx = _first_context((x, *args))
        params = {name: p._data_for_forward(ctx) for name, p in self._reg_params.items()}
        if _tracing.active():  # hybridized: outputs are named after this block, as in MXNet
            with _tracing.block_scope(self.prefix):
                return self.hybrid_forward(nd, x, *args, **params)
        return self.hybrid_forward(nd, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError

    def _cache_info(self):
        """Compile statistics of the hybridized block (``None`` before the first call)."""
        return None if self._cached is None else self._cached.info()

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write ``path-symbol.json`` and ``path-%04d.params`` (hybridize and run first)."""
        symbol_block.export(self, path, epoch, remove_amp_cast)

    def infer_shape(self, *args):
        self._imperative_forward(*args)

    def optimize_for(self, x, *args, backend=None, **kwargs):
        self.hybridize(True, **kwargs)
        return self(x, *args)


def _leaves(args):
    """The NDArrays and Symbols among (nested lists of) arguments."""
    if isinstance(args, (list, tuple)):
        return [leaf for a in args for leaf in _leaves(a)]
    return [args] if isinstance(args, (nd.NDArray, Symbol)) else []


def _first_context(args):
    for a in args:
        if isinstance(a, nd.NDArray):
            return a.context
        if isinstance(a, (list, tuple)):
            ctx = _first_context(a)
            if ctx is not None:
                return ctx
    return None


from . import symbol_block  # noqa: E402  (needs HybridBlock)
from .symbol_block import SymbolBlock  # noqa: E402
