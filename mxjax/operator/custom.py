"""Operators written in Python: ``mx.operator.CustomOp``, ``CustomOpProp``, ``register``
and the registry operator ``Custom`` that runs them (``mx.nd.Custom``, ``mx.sym.Custom``).

``Custom`` is one OpSpec. Its inputs (arguments, then auxiliary states), outputs and
output shapes and dtypes come from the ``CustomOpProp`` registered under ``op_type``,
built from the node's other attributes as strings, as MXNet builds it. Its
implementation is a pure JAX function whose forward and backward call the user's
``CustomOp`` on the host (``mxjax._host``), so the operator records, differentiates,
compiles inside hybridized blocks and executors, and joins captured steps like any other.

A ``CustomOp`` is created per operator node of a computation when it first runs, so its
forward and backward share it (state kept on ``self`` in forward is there in backward).
An eager ``nd.Custom`` call compiles once per attributes and input shapes, and its
operator serves every later call of that signature, as an executor's does in MXNet.
"""

import collections
import contextlib
import functools
import itertools
import traceback
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _host, profiler
from ..base import MXNetError
from ..context import current_context
from .spec import Required, all_specs, get
from .spec import register as _register_op

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators",
           "OperatorArguments", "get_operator_arguments", "PythonOp", "NumpyOp",
           "NDArrayOp"]

_REQS = ("null", "write", "inplace", "add")


class CustomOp:
    """Base class of operators implemented in Python: override ``forward`` and
    ``backward``, which write their results with ``self.assign``."""

    def __init__(self):
        pass

    def forward(self, is_train, req, in_data, out_data, aux):
        """Compute ``out_data`` from ``in_data`` (lists of NDArrays); ``req[i]`` says how
        to write ``out_data[i]`` ('null', 'write', 'inplace' or 'add'); ``aux`` holds the
        auxiliary states, which forward may update in place."""

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Compute ``in_grad`` (the gradients of the arguments) from ``out_grad`` and the
        forward's ``in_data`` and ``out_data``; ``req[i]`` says how to write
        ``in_grad[i]``."""

    def assign(self, dst, req, src):
        """Write ``src`` into ``dst`` as ``req`` says: nothing for 'null', overwrite for
        'write' and 'inplace', accumulate for 'add'."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] += src


class CustomOpProp:
    """Base class of the properties of a Python operator: its arguments, outputs,
    auxiliary states, shape and type inference, and ``create_operator``.

    Keyword arguments given to ``Custom`` (other than ``op_type``) reach the
    constructor as strings. ``need_top_grad=False`` (loss layers) means backward does
    not read the gradient of the outputs.
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape):
        """``(argument shapes, output shapes[, auxiliary state shapes])`` from the
        argument shapes; by default every output has the first argument's shape."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """``(argument types, output types[, auxiliary state types])`` from the argument
        types; by default everything has the first argument's type."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        """Storage types of the arguments, outputs and auxiliary states: by default all
        dense, and a sparse argument is an error (MXNet's default)."""
        for i, stype in enumerate(in_stype):
            if stype != "default":
                raise MXNetError(
                    "Default infer_storage_type implementation doesnt allow non default "
                    f"stypes: found non default stype '{stype}' for in_stype[{i}]. Please "
                    "implement infer_storage_type and infer_storage_type_backward interface in "
                    "your custom operator if you have non-default input/output stypes")
        return (in_stype, ["default"] * len(self.list_outputs()),
                ["default"] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype, in_stype, out_stype, igrad_stype,
                                    aux_stype):
        """Storage types of the backward pass: all dense."""
        lists = [ograd_stype, in_stype, out_stype, igrad_stype, aux_stype]
        return tuple(["default"] * len(stypes) for stypes in lists)

    def list_outputs(self):
        """Names of the outputs."""
        return ["output"]

    def list_arguments(self):
        """Names of the arguments (the inputs that are not auxiliary states)."""
        return ["data"]

    def list_auxiliary_states(self):
        """Names of the auxiliary states (inputs the operator updates in place)."""
        return []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """Which of the ids in ``out_grad``, ``in_data`` and ``out_data`` backward reads;
        the others reach it as empty arrays."""
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """The ``CustomOp`` that computes, for inputs of these shapes and (MXNet type
        flag) dtypes on ``ctx``."""
        return CustomOp()


# ---------------------------------------------------------------------------------------
# Registration

_props = {}
_override_count = 0  # part of every Custom node's attributes: re-registration recompiles


def register(reg_name):
    """Class decorator: register a ``CustomOpProp`` subclass as custom operator
    ``reg_name``, run by ``mx.nd.Custom(..., op_type=reg_name)``."""

    def do_register(prop_cls):
        global _override_count
        if reg_name in _props:
            warnings.warn(f"New registration is overriding existing custom operator "
                          f"{reg_name}", stacklevel=2)
            _override_count += 1
        _props[reg_name] = prop_cls
        return prop_cls

    return do_register


register("custom_op")(CustomOpProp)


def get_all_registered_operators():
    """The names of every registered operator (MXNet's names, internal ones included)."""
    return sorted({name for name, _ in all_specs()})


OperatorArguments = collections.namedtuple("OperatorArguments", ["narg", "names", "types"])


def get_operator_arguments(op_name):
    """``OperatorArguments(narg, names, types)``: the inputs and attributes of operator
    ``op_name``, with MXNet's type descriptions."""
    names, types = get(op_name).arguments()
    return OperatorArguments(len(names), names, types)


# ---------------------------------------------------------------------------------------
# The ``Custom`` operator

_INTERNAL = ("op_type", "_training", "_registration")


class _Prop:
    """A ``CustomOpProp`` built for one node's attributes, and the facts the graph takes
    from it (MXNet reads them once, when it parses the node)."""

    def __init__(self, op_type, kwargs):
        prop_cls = _props.get(op_type)
        if prop_cls is None:
            raise MXNetError(f"Custom: cannot find custom operator {op_type!r}; register "
                             f"its CustomOpProp with @mx.operator.register({op_type!r})")
        self.op_type = op_type
        with _user_code(op_type, f"{prop_cls.__name__}.__init__"):
            self.prop = prop_cls(**kwargs)
        with _user_code(op_type, "list_arguments/list_outputs/list_auxiliary_states"):
            self.arguments = [str(n) for n in self.prop.list_arguments()]
            self.outputs = [str(n) for n in self.prop.list_outputs()]
            self.aux = [str(n) for n in self.prop.list_auxiliary_states()]
        n_out, n_args = len(self.outputs), len(self.arguments)
        with _user_code(op_type, "declare_backward_dependency"):
            deps = self.prop.declare_backward_dependency(
                list(range(n_out)), list(range(n_out, n_out + n_args)),
                list(range(n_out + n_args, 2 * n_out + n_args)))
        # ids: output gradients, then arguments, then outputs
        self.deps = tuple(sorted({int(d) for d in deps}))

    def aux_positions(self):
        """Input positions of the auxiliary states (after the arguments)."""
        n_args = len(self.arguments)
        return tuple(range(n_args, n_args + len(self.aux)))

    def error(self, where, e):
        detail = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        return MXNetError(f"Custom operator '{self.op_type}': {type(e).__name__} in {where}: "
                          f"{e}\n{detail}")

    def infer(self, shapes, dtypes):
        """Output and auxiliary-state ``ShapeDtypeStruct``s for inputs of ``shapes`` and
        ``dtypes`` (arguments, then auxiliary states), checked against the Prop."""
        n_args = len(self.arguments)
        with _user_code(self.op_type, "infer_shape"):
            ishape, oshape, ashape = _three(self.prop.infer_shape([list(s) for s in
                                                                   shapes[:n_args]]))
        with _user_code(self.op_type, "infer_type"):
            _, otype, _ = _three(self.prop.infer_type(
                [np.dtype(d).type for d in dtypes[:n_args]]))
        for what, got, names in (("output shapes", oshape, self.outputs),
                                 ("output types", otype, self.outputs),
                                 ("input shapes", ishape, self.arguments),
                                 ("aux state shapes", ashape, self.aux)):
            if len(got) != len(names):
                raise MXNetError(f"Custom operator '{self.op_type}': infer_shape/infer_type "
                                 f"returned {len(got)} {what}, expected {len(names)} "
                                 f"({names})")
        for name, expected, given in zip(self.arguments + self.aux,
                                         list(ishape) + list(ashape), shapes):
            if tuple(expected) != tuple(given):
                raise MXNetError(f"Custom operator '{self.op_type}': input '{name}' has shape "
                                 f"{tuple(given)}, but infer_shape says {tuple(expected)}")
        outs = [jax.ShapeDtypeStruct(tuple(int(d) for d in s), np.dtype(t))
                for s, t in zip(oshape, otype)]
        aux = [jax.ShapeDtypeStruct(tuple(s), np.dtype(d)) for s, d in
               zip(shapes[n_args:], dtypes[n_args:])]
        return outs, aux

    def input_shapes(self, known):
        """Shapes of every input (arguments, then auxiliary states) by name, from the
        known ones (``None``: unknown, given to ``infer_shape`` as ``[]``, as MXNet does)."""
        with _user_code(self.op_type, "infer_shape"):
            ishape, _, ashape = _three(self.prop.infer_shape(
                [list(known.get(n) or []) for n in self.arguments]))
        return {n: tuple(int(d) for d in s) if len(s) else None
                for n, s in zip(self.arguments + self.aux, list(ishape) + list(ashape))}


@contextlib.contextmanager
def _user_code(op_type, where):
    """An error raised by a CustomOpProp's method becomes an MXNetError naming the
    operator and the method."""
    try:
        yield
    except _PropError:
        raise
    except Exception as e:
        raise _PropError(f"Custom operator '{op_type}': {type(e).__name__} in {where}: "
                         f"{e}") from e


class _PropError(MXNetError):
    """An error in a CustomOpProp's method."""


def _three(result):
    """``infer_shape``/``infer_type`` may leave out the auxiliary-state list."""
    result = tuple(result)
    if len(result) == 2:
        return (*result, ())
    if len(result) != 3:
        raise MXNetError(f"infer_shape/infer_type must return 2 or 3 lists, got {len(result)}")
    return result


@functools.lru_cache(maxsize=4096)
def _cached_prop(op_type, kwargs, registration):  # noqa: ARG001 - part of the cache key
    return _Prop(op_type, dict(kwargs))


def _prop(attrs):
    kwargs = tuple((k, v) for k, v in attrs.items() if k not in _INTERNAL)
    return _cached_prop(attrs["op_type"], kwargs, attrs.get("_registration", 0))


def _extra_attrs(extra):
    # MXNet hands every keyword to the CustomOpProp as a string.
    return {**{k: str(v) for k, v in extra.items()}, "_registration": _override_count}


def _input_shapes(shapes, attrs):
    return _prop(attrs).input_shapes(shapes)


class _Operator:
    """The ``CustomOp`` of one operator node of a computation (created when it first
    runs) and its host-side forward and backward."""

    def __init__(self, prop, shapes, dtypes, outs, aux):
        from ..ndarray.serialization import DTYPE_FLAGS

        self.prop, self.outs, self.aux = prop, outs, aux
        self.ctx = current_context()
        self.shapes = [list(s) for s in shapes]
        self.flags = [DTYPE_FLAGS.get(np.dtype(d).name, -1) for d in dtypes]
        self.args = [jax.ShapeDtypeStruct(tuple(s), np.dtype(d))
                     for s, d in zip(shapes, dtypes)][:len(prop.arguments)]
        self._op = None

    @property
    def op(self):
        if self._op is None:
            self._op = self.prop.prop.create_operator(self.ctx, self.shapes, self.flags)
        return self._op

    def forward(self, is_train, *values):
        n_args = len(self.args)
        in_data = [_host.ndarray(v) for v in values[:n_args]]
        aux = [_host.ndarray(v) for v in values[n_args:]]
        out_data = [_host.ndarray(np.zeros(s.shape, s.dtype)) for s in self.outs]
        with self.ctx, profiler.custom_operator(f"{self.prop.op_type}::pure_python"):
            self.op.forward(is_train=is_train, req=["write"] * len(out_data),
                            in_data=in_data, out_data=out_data, aux=aux)
        return out_data + aux

    def backward(self, *values):
        n_out, n_args = len(self.outs), len(self.args)
        deps = self.prop.deps
        structs = [*self.outs, *self.args, *self.outs]
        # What backward did not declare it reads is an empty array, as in MXNet.
        arrays = [_host.ndarray(np.zeros((), s.dtype)) for s in structs]
        for i, v in zip(deps, values):
            arrays[i] = _host.ndarray(v)
        aux = [_host.ndarray(v) for v in values[len(deps):]]
        in_grad = [_host.ndarray(np.zeros(s.shape, s.dtype)) for s in self.args]
        with self.ctx, profiler.custom_operator(f"_backward_{self.prop.op_type}::pure_python"):
            self.op.backward(req=["write"] * n_args, out_grad=arrays[:n_out],
                             in_data=arrays[n_out:n_out + n_args],
                             out_data=arrays[n_out + n_args:], in_grad=in_grad, aux=aux)
        return in_grad


def _run(operator, is_train):
    """``f(*arguments, *aux) -> (*outputs, *new aux)``, differentiable in the arguments
    through the user's backward."""
    prop = operator.prop
    n_out, n_args = len(operator.outs), len(operator.args)

    def forward(xs):
        return tuple(_host.call(functools.partial(operator.forward, int(is_train)),
                                [*operator.outs, *operator.aux], *xs,
                                error=functools.partial(prop.error, "CustomOp.forward")))

    @jax.custom_vjp
    def run(*xs):
        return forward(xs)

    def fwd(*xs):
        ys = forward(xs)
        return ys, (xs, ys)

    def bwd(residuals, cotangents):
        xs, ys = residuals
        available = (*cotangents[:n_out], *xs[:n_args], *ys[:n_out])
        grads = _host.call(operator.backward, operator.args,
                           *[available[i] for i in prop.deps], *ys[n_out:],
                           error=functools.partial(prop.error, "CustomOp.backward"))
        return (*[g if jnp.issubdtype(s.dtype, jnp.inexact) else None
                  for g, s in zip(grads, operator.args)],
                *[None] * (len(xs) - n_args))

    run.defvjp(fwd, bwd)
    return run


@_register_op(
    "Custom", inputs=(), attrs=dict(op_type=Required), training=True,
    inputs_for=lambda attrs: _prop(attrs).arguments + _prop(attrs).aux,
    outputs_for=lambda attrs: _prop(attrs).outputs,
    num_outputs=lambda attrs: len(_prop(attrs).outputs),
    mutate=lambda attrs, n: _prop(attrs).aux_positions(),
    infer_params=_input_shapes, extra_attrs=_extra_attrs, arg_types=dict(op_type="string"),
    stateful=True, lists_input_names=True)
def custom(*inputs, op_type, _training=False, **kwargs):
    """Apply the custom operator registered as ``op_type`` (``mx.operator.register``) to
    its arguments followed by its auxiliary states; other keyword arguments are passed,
    as strings, to its CustomOpProp."""
    prop = _prop(dict(kwargs, op_type=op_type))
    names = prop.arguments + prop.aux
    missing = [n for n, x in zip(names, inputs) if x is None] + names[len(inputs):]
    if missing or len(inputs) != len(names):
        raise MXNetError(f"Custom operator '{op_type}': expected {len(names)} inputs "
                         f"({', '.join(names) or 'none'}), got {len(inputs) - len(missing)}"
                         + (f"; missing {missing}" if missing else ""))
    shapes = [tuple(x.shape) for x in inputs]
    dtypes = [np.dtype(x.dtype) for x in inputs]
    outs, aux = prop.infer(shapes, dtypes)
    return _run(_Operator(prop, shapes, dtypes, outs, aux), _training)(*inputs)


# ---------------------------------------------------------------------------------------
# The deprecated PythonOp interface, run as Custom operators

_python_ops = itertools.count()


class PythonOp:
    """Base class of the deprecated Python operators (use ``CustomOp``): ``get_symbol``
    (or calling the instance) gives a Symbol that runs ``forward`` and ``backward``."""

    def __init__(self, need_top_grad=True):
        self.info_ = None
        self.need_top_grad_ = need_top_grad
        warnings.warn("PythonOp has been deprecated. Please use CustomOp", stacklevel=2)

    def __call__(self, *args, **kwargs):
        return self.get_symbol(*args, **kwargs)

    def get_symbol(self, *args, **kwargs):
        """A Symbol applying this operator to ``args``."""
        raise NotImplementedError("Must override this")

    def forward(self, in_data, out_data):
        """Write ``out_data`` from ``in_data``; by default a copy of the first input."""
        out_data[0][:] = in_data[0]

    def backward(self, out_grad, in_data, out_data, in_grad):  # noqa: ARG002
        """Write ``in_grad``; by default ones."""
        in_grad[0][:] = 1.0

    def infer_shape(self, in_shape):
        """``(argument shapes, output shapes)``; by default the first argument's shape."""
        return in_shape, [in_shape[0]]

    def list_outputs(self):
        """Names of the outputs."""
        return ["output"]

    def list_arguments(self):
        """Names of the arguments."""
        return ["data"]

    def need_top_grad(self):
        """Whether backward reads the gradient of the outputs (False for loss layers)."""
        return self.need_top_grad_

    def _custom_symbol(self, adapter, args, kwargs):
        from .. import symbol

        op_type = f"_{type(self).__name__.lower()}{next(_python_ops)}"
        python_op = self

        class _AdapterProp(CustomOpProp):
            def __init__(self, **_):
                super().__init__(python_op.need_top_grad())

            def list_arguments(self):
                return python_op.list_arguments()

            def list_outputs(self):
                return python_op.list_outputs()

            def infer_shape(self, in_shape):
                return python_op.infer_shape(in_shape)

            def declare_backward_dependency(self, out_grad, in_data, out_data):
                declare = getattr(python_op, "declare_backward_dependency", None)
                if declare is None:
                    return super().declare_backward_dependency(out_grad, in_data, out_data)
                return declare(out_grad, in_data, out_data)

            def create_operator(self, ctx, in_shapes, in_dtypes):
                return adapter(python_op)

        register(op_type)(_AdapterProp)
        return symbol.Custom(*args, op_type=op_type, **kwargs)


class _NumpyAdapter(CustomOp):
    """Runs a NumpyOp's forward and backward on numpy arrays."""

    def __init__(self, python_op):
        super().__init__()
        self.python_op = python_op

    def forward(self, is_train, req, in_data, out_data, aux):  # noqa: ARG002
        outs = [o.asnumpy() for o in out_data]
        self.python_op.forward(in_data=[x.asnumpy() for x in in_data], out_data=outs)
        for dst, r, src in zip(out_data, req, outs):
            self.assign(dst, r, src)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):  # noqa: ARG002
        grads = [g.asnumpy() for g in in_grad]
        self.python_op.backward(out_grad=[g.asnumpy() for g in out_grad],
                                in_data=[x.asnumpy() for x in in_data],
                                out_data=[o.asnumpy() for o in out_data], in_grad=grads)
        for dst, r, src in zip(in_grad, req, grads):
            self.assign(dst, r, src)


class _NDArrayAdapter(CustomOp):
    """Runs an NDArrayOp's forward and backward on NDArrays."""

    def __init__(self, python_op):
        super().__init__()
        self.python_op = python_op

    def forward(self, is_train, req, in_data, out_data, aux):  # noqa: ARG002
        self.python_op.forward(in_data=in_data, out_data=out_data)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):  # noqa: ARG002
        self.python_op.backward(out_grad=out_grad, in_data=in_data, out_data=out_data,
                                in_grad=in_grad)


class NumpyOp(PythonOp):
    """Deprecated (use ``CustomOp``): an operator whose ``forward`` and ``backward`` write
    into numpy arrays."""

    def __init__(self, need_top_grad=True):
        super().__init__(need_top_grad)
        warnings.warn("NumpyOp has been deprecated. Please use CustomOp", stacklevel=2)

    def get_symbol(self, *args, **kwargs):
        """A Symbol applying this operator to ``args`` (a ``Custom`` node)."""
        return self._custom_symbol(_NumpyAdapter, args, kwargs)


class NDArrayOp(PythonOp):
    """Deprecated (use ``CustomOp``): an operator whose ``forward`` and ``backward`` write
    into NDArrays."""

    def __init__(self, need_top_grad=True):
        super().__init__(need_top_grad)
        warnings.warn("NDArrayOp has been deprecated. Please use CustomOp", stacklevel=2)

    def get_symbol(self, *args, **kwargs):
        """A Symbol applying this operator to ``args`` (a ``Custom`` node)."""
        return self._custom_symbol(_NDArrayAdapter, args, kwargs)

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """Which of the ids in ``out_grad``, ``in_data`` and ``out_data`` backward reads."""
        deps = list(out_grad) if self.need_top_grad() else []
        return deps + list(in_data) + list(out_data)
