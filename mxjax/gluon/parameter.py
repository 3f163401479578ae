"""``Parameter``, ``Constant`` and ``ParameterDict`` with MXNet 1.x semantics."""

import re
import warnings
from collections import OrderedDict

import numpy as np

from .. import _tracing, autograd, initializer
from ..base import MXNetError
from ..context import Context, cpu, current_context
from ..ndarray import ndarray as _nd
from .utils import _brief_print_list, _indent

__all__ = ["DeferredInitializationError", "Parameter", "Constant", "ParameterDict",
           "tensor_types"]

tensor_types = (_nd.NDArray,)
DEFAULT_INIT = initializer.Uniform()  # MXNet's default: Uniform(0.07)


class DeferredInitializationError(MXNetError):
    """Error for unfinished deferred initialization."""


def _shape_known(shape):
    return shape is not None and all(d > 0 for d in shape)


class _DeferredData:
    """Stands in for a Parameter whose shape is unknown, inside an imperative forward:
    the operator that consumes it infers the shape and finishes the initialisation."""

    def __init__(self, param, ctx):
        self.param, self.ctx = param, ctx

    def _resolve_deferred(self, shape):
        self.param.shape = tuple(shape)
        self.param._finish_deferred_init()
        return self.param.data(self.ctx)


class Parameter:
    """A weight of a Block: data (and a gradient buffer) on one or more contexts.

    Parameters
    ----------
    name : str
        Name of the parameter (``dense0_weight``).
    grad_req : {'write', 'add', 'null'}
        How backward updates the gradient buffer.
    shape : int or tuple of int, optional
        Shape; 0 marks a dimension unknown until the first forward.
    dtype : numpy dtype or str
        Data type (float32 by default).
    lr_mult, wd_mult : float
        Multipliers of the optimizer's learning rate and weight decay.
    init : Initializer or str, optional
        Initializer of this parameter; the global one is used when None.
    allow_deferred_init : bool
        Whether initialisation may wait for the shape to be known.
    """

    def __init__(self, name, grad_req="write", shape=None, dtype=np.float32, lr_mult=1.0,
                 wd_mult=1.0, init=None, allow_deferred_init=False, differentiable=True,
                 stype="default", grad_stype="default"):
        for kind, value in (("stype", stype), ("grad_stype", grad_stype)):
            if value not in ("default", "row_sparse", "csr"):
                raise AssertionError(f"{kind} for Parameter '{name}' must be one of 'default', "
                                     f"'row_sparse', or 'csr', but got '{value}'")
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        self._trainer = None
        self._shape = (shape,) if isinstance(shape, int) else shape
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        self._stype, self._grad_stype = stype, grad_stype

    def __repr__(self):
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # ---- attributes ----------------------------------------------------------------------
    @property
    def grad_req(self):
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ("write", "add", "null"):
            raise AssertionError(
                f"grad_req must be one of 'write', 'add', or 'null', but got '{req}'")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        new_shape = tuple(new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or not all(
                j in (-1, 0, i) for i, j in zip(new_shape, self._shape)):
            raise AssertionError(f"Expected shape {new_shape} is incompatible with given shape "
                                 f"{self._shape}.")
        self._shape = new_shape

    @property
    def stype(self):
        return self._stype

    def _set_trainer(self, trainer):
        """Associate the Trainer that updates this parameter (None: none). A sparse
        parameter may belong to one Trainer only, as in MXNet."""
        if self._stype != "default" and self._trainer and trainer and \
                self._trainer is not trainer:
            raise RuntimeError(
                f"Failed to set the trainer for Parameter '{self.name}' because it was already "
                f"set. More than one trainers for a {self._stype} Parameter is not supported.")
        self._trainer = trainer

    # ---- initialisation --------------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=DEFAULT_INIT,
                   force_reinit=False):
        """Create the data (and gradient) arrays, now or at the first forward."""
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. "
                          "Set force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = self._grad = None
        ctx = [current_context()] if ctx is None else ctx
        ctx = [ctx] if isinstance(ctx, Context) else list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        self._deferred_init = (init, ctx, default_init, None)
        if not _shape_known(self.shape):
            if self._allow_deferred_init:
                return
            self._deferred_init = ()
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has "
                             f"invalid shape: {self.shape}.")
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not _shape_known(self.shape):
            raise AssertionError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f"{self.shape}. Please specify in_units, in_channels, etc for `Block`s.")
        with autograd.pause():
            if data is None:
                data = _nd.zeros(self.shape, dtype=self.dtype, ctx=cpu(), stype=self._stype)
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {"__init__": init}), data)
            self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        self._ctx_list = list(ctx_list)
        self._data = [data.copyto(c) for c in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == "null":
            self._grad = None
            return
        self._grad = [_nd.zeros(d.shape, ctx=d.context, dtype=d.dtype, stype=self._grad_stype)
                      for d in self._data]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        """(Re)initialise from loaded ``data``; the caller has validated it already."""
        data = self._checked_load_value(data, cast_dtype, dtype_source)
        if cast_dtype and dtype_source == "saved":
            self.cast(data.dtype)  # MXNet sets the dtype property: the arrays are cast too
        if data.stype != self._stype:  # a file may hold it in another storage type
            data = data.tostype(self._stype)
        self.shape = data.shape
        ctx = [ctx] if isinstance(ctx, Context) else ctx
        if self._data is None:
            if self._deferred_init:
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            self._init_impl(data, ctx)
        else:
            self.set_data(data)
        self._deferred_init = ()

    def _checked_load_value(self, data, cast_dtype=False, dtype_source="current"):
        """``data`` as this parameter will hold it, or AssertionError naming the problem."""
        if self.shape:
            for mine, theirs in zip(self.shape, data.shape):
                if mine not in (0, -1, theirs) or len(self.shape) != len(data.shape):
                    raise AssertionError(
                        f"Failed loading Parameter '{self.name}' from saved params: shape "
                        f"incompatible expected {self.shape} vs saved {data.shape}")
        if self.dtype is not None and np.dtype(self.dtype).type != data.dtype:
            if not cast_dtype:
                raise AssertionError(
                    f"Failed loading Parameter '{self.name}' from saved params: dtype "
                    f"incompatible expected {self.dtype} vs saved {data.dtype}. Set "
                    "cast_dtype=True to cast the dtype of saved params.")
            if dtype_source == "current":
                data = data.astype(self.dtype)
        return data

    def reset_ctx(self, ctx):
        """Move the parameter to other context(s)."""
        ctx = [current_context()] if ctx is None else ctx
        ctx = [ctx] if isinstance(ctx, Context) else list(ctx)
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError(f"Cannot reset context for Parameter '{self.name}' because it "
                             "has not been initialized.")

    # ---- access ------------------------------------------------------------------------------
    def _check_and_get(self, arr_list, ctx):
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            for c, arr in zip(self._ctx_list, arr_list):
                if c == ctx:
                    return arr
            raise RuntimeError(f"Parameter '{self.name}' was not initialized on context {ctx}. "
                               f"It was only initialized on {self._ctx_list}.")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization "
                "was deferred. Actual initialization happens during the first forward pass. "
                "Please pass one batch of data through the network before accessing "
                "Parameters. You can also avoid deferred initialization by specifying "
                "in_units, num_features, etc., for network layers.")
        raise RuntimeError(
            f"Parameter '{self.name}' has not been initialized. Note that you should "
            "initialize parameters and create Trainer with Block.collect_params() instead of "
            "Block.params because the later does not include Parameters of nested child "
            "Blocks")

    def _check_dense(self, method, where):
        if self._stype != "default":
            raise RuntimeError(
                f"Cannot return {where} of Parameter '{self.name}' via {method}() because its "
                f"storage type is {self._stype}. Please use row_sparse_data() instead.")

    def data(self, ctx=None):
        """The parameter's array on ``ctx`` (inside a hybridized trace: the traced value)."""
        self._check_dense("data", f"a copy on ctx {ctx}")
        traced = _tracing.param_value(self)
        if traced is not None:
            return traced
        return self._check_and_get(self._data, ctx)

    def _data_for_forward(self, ctx):
        """``data(ctx)``, or a stand-in that finishes deferred initialisation on use."""
        self._check_dense("data", f"a copy on ctx {ctx}")
        traced = _tracing.param_value(self)
        if traced is not None:
            return traced
        if self._data is None and self._deferred_init:
            return _DeferredData(self, ctx)
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """The parameter's arrays on every context, in the order of ``list_ctx()``."""
        self._check_dense("list_data", "copies on all contexts")
        return self._check_and_get(self._data, list)

    def row_sparse_data(self, row_id):
        """A 'row_sparse' parameter's array on ``row_id``'s context, holding only the rows
        listed in ``row_id`` (pulled from its Trainer's store, which keeps the full value);
        a dense parameter raises RuntimeError, as in MXNet."""
        self._check_row_sparse("row_sparse_data", "a copy")
        return self._get_row_sparse(self._data, row_id.context, row_id)

    def list_row_sparse_data(self, row_id):
        """``row_sparse_data`` on every context, in the order of ``list_ctx()``."""
        self._check_row_sparse("list_row_sparse_data", "copies on all contexts")
        return self._get_row_sparse(self._data, list, row_id)

    def _check_row_sparse(self, method, what):
        if self._stype != "row_sparse":
            raise RuntimeError(f"Cannot return {what} of Parameter '{self.name}' via "
                               f"{method}() because its storage type is {self._stype}. "
                               "Please use data() instead.")

    def _get_row_sparse(self, arr_list, ctx, row_id):
        if not isinstance(row_id, _nd.NDArray):
            raise TypeError(f"row_id must have NDArray type, but {type(row_id)} is given")
        if not self._trainer:
            raise RuntimeError(f"Cannot get row_sparse data for Parameter '{self.name}' when "
                               "no Trainer is created with it.")
        results = self._check_and_get(arr_list, ctx)
        self._trainer._row_sparse_pull(self, results, row_id)
        return results

    def grad(self, ctx=None):
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' "
                               "because grad_req='null'")
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' "
                               "because grad_req='null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
        return self._ctx_list

    def set_data(self, data):
        """Set the value on every context (before deferred init: remembered for it)."""
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise AssertionError(f"Parameter '{self.name}' has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        trainer = self._trainer
        if trainer and trainer._kv_initialized and trainer._update_on_kvstore and \
                self not in trainer._params_to_init:
            trainer._reset_kvstore()  # the store's copy would be stale (MXNet resets it)
        for arr in self._data:
            arr[:] = data

    def zero_grad(self):
        if self._grad is None:
            return
        for g in self._grad:
            if g.stype == "default":
                g[:] = 0
            else:  # MXNet: zeros_like, so a sparse gradient stores nothing
                g._assign(g.zeros_like())

    def _reduce(self):
        """The value, averaged over contexts, on the CPU (a row_sparse parameter's full
        value, from its Trainer's store)."""
        if self._stype != "default" and self._trainer is not None:
            rows = _nd.arange(0, self.shape[0], dtype="int64", ctx=cpu())
            data = _nd.zeros(self.shape, ctx=cpu(), dtype=self.dtype, stype="row_sparse")
            self._trainer._row_sparse_pull(self, data, rows, full_idx=True)
            return data
        arrays = self._check_and_get(self._data, list)
        if len(arrays) == 1:
            return arrays[0].copyto(cpu())
        total = arrays[0].copyto(cpu())
        for a in arrays[1:]:
            total = total + a.copyto(cpu())
        return total / len(arrays)

    def var(self):
        """This parameter as a ``mx.sym`` variable (name, shape, dtype, lr/wd mult, init)."""
        if getattr(self, "_var", None) is None:
            from .. import symbol
            self._var = symbol.var(self.name, shape=self.shape, dtype=self.dtype,
                                   lr_mult=self.lr_mult, wd_mult=self.wd_mult, init=self.init,
                                   stype=self._stype)
        return self._var

    def cast(self, dtype):
        """Cast data and gradient to ``dtype``."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.astype(dtype) for d in self._data]
            if self._grad is not None:
                self._grad = [g.astype(dtype) for g in self._grad]
                autograd.mark_variables(self._data, self._grad, self.grad_req)


class Constant(Parameter):
    """A parameter that training never changes (``grad_req`` is always 'null')."""

    def __init__(self, name, value):
        if not isinstance(value, _nd.NDArray):
            value = _nd.array(value)
        self.value = value
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype,
                         init=initializer.Constant(value))

    def __repr__(self):
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self):
        return "null"

    @grad_req.setter
    def grad_req(self, req):
        if req != "null":
            warnings.warn(f'Constant parameter "{self.name}" does not support grad_req other '
                          f'than "null", and new value "{req}" is ignored.', stacklevel=2)
        self._grad_req = "null"


class ParameterDict:
    """An ordered ``name -> Parameter`` dict whose ``get`` creates with a prefix."""

    def __init__(self, prefix="", shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join(_indent(f"  {v}", 2) for v in self.values())
        return f"{name}(\n{content}\n)"

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """The Parameter ``prefix + name``: existing (here or shared) or newly created."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            existing = getattr(param, k, None)
            if existing is None:
                setattr(param, k, v)
            elif k == "shape" and len(v) == len(existing) and all(
                    a == b or a <= 0 or b <= 0 for a, b in zip(v, existing)):
                param._shape = tuple(b if a <= 0 else a for a, b in zip(v, existing))
            elif k == "dtype" and np.dtype(v) == np.dtype(existing):
                continue
            elif v is not None and v != existing:
                raise AssertionError(
                    f"Cannot retrieve Parameter '{name}' because desired attribute does not "
                    f"match with stored for attribute '{k}': desired '{v}' vs stored "
                    f"'{existing}'.")
        return param

    def get_constant(self, name, value=None):
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(f"No constant named '{name}'. Please specify value if you want "
                               "to create a new constant.")
            param = Constant(name, value)
            self._params[name] = param
        return param

    def update(self, other):
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise AssertionError("Cannot update self with other because they have different "
                                     f"Parameters with the same name '{k}'")
        for k, v in other.items():
            self._params[k] = v

    def initialize(self, init=DEFAULT_INIT, ctx=None, verbose=False,
                   force_reinit=False):
        if verbose:
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx):
        for p in self.values():
            p.reset_ctx(ctx)

    def list_ctx(self):
        seen = []
        for p in self.values():
            seen += [c for c in p.list_ctx() if c not in seen]
        return seen

    def setattr(self, name, value):
        for p in self.values():
            setattr(p, name, value)

    def select(self, pattern):
        regex = re.compile(pattern)
        out = ParameterDict(self._prefix)
        out.update({k: v for k, v in self.items() if regex.match(k)})
        return out

    def save(self, filename, strip_prefix=""):
        arg_dict = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ValueError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                    f"name '{param.name}' does not start with '{strip_prefix}'.")
            arg_dict[param.name[len(strip_prefix):]] = param._reduce()
        _nd_utils().save(filename, arg_dict)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix="", cast_dtype=False, dtype_source="current"):
        for name in self.keys():
            if restore_prefix and not name.startswith(restore_prefix):
                raise AssertionError(f"restore_prefix is '{restore_prefix}' but Parameters name "
                                     f"'{name}' does not start with '{restore_prefix}'.")
        self.load_dict(_nd_utils().load(filename), ctx, allow_missing, ignore_extra,
                       restore_prefix, filename, cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  restore_prefix="", filename=None, cast_dtype=False, dtype_source="current"):
        items = param_dict.items() if isinstance(param_dict, dict) else param_dict
        arg_dict = {restore_prefix + (k[4:] if k.startswith(("arg:", "aux:")) else k): v
                    for k, v in items}
        where = f"file: {filename}" if filename else "param_dict"
        plan = []
        for name in self.keys():
            if name not in arg_dict and not allow_missing:
                raise AssertionError(
                    f"Parameter '{name[len(restore_prefix):]}' is missing in {where}, which "
                    f"contains parameters: {_brief_print_list(arg_dict.keys())}. Please make "
                    "sure source and target networks have the same prefix.")
        for name, value in arg_dict.items():
            if name not in self._params:
                if not ignore_extra:
                    raise AssertionError(
                        f"Parameter '{name[len(restore_prefix):]}' loaded from {where} is not "
                        "present in ParameterDict, choices are: "
                        f"{_brief_print_list(self._params.keys())}. Set ignore_extra to True "
                        "to ignore.")
                continue
            self[name]._checked_load_value(value, cast_dtype, dtype_source)
            plan.append((self[name], value))
        for param, value in plan:  # validated above: a failed load changes nothing
            param._load_init(value, ctx, cast_dtype, dtype_source)


def _nd_utils():
    from ..ndarray import utils
    return utils
