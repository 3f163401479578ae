"""Symbol checks of ``mx.test_utils``: finite-difference gradients, forward and backward
against expected values, consistency across contexts and dtypes, speed."""

import json
import time
import traceback
from collections import OrderedDict

import numpy as np

from .. import autograd, initializer
from .. import ndarray as nd
from .. import symbol as sym_module
from ..executor import forward_batch
from ..ndarray import array
from ..symbol import Symbol
from .compare import (
    as_numpy,
    assert_almost_equal,
    compare_ndarray_tuple,
    default_context,
    default_numeric_eps,
    get_tolerance,
    get_tols,
    sorted_items,
)

_FLOATS = (np.float16, np.float32, np.float64)

__all__ = ["simple_forward", "numeric_grad", "check_numeric_gradient", "check_symbolic_forward",
           "check_symbolic_backward", "check_speed", "check_consistency", "same_symbol_structure",
           "check_gluon_hybridize_consistency", "compare_optimizer"]


# ---- symbols and executors ----------------------------------------------------------------

def _check_dtype(dtype, allow_asnumpy=True):
    assert (allow_asnumpy and isinstance(dtype, str) and dtype == "asnumpy") or \
        dtype in _FLOATS, f"dtype must be 'asnumpy' or a float type, got {dtype}"


def _to_nd(value, ctx, dtype):
    if not isinstance(value, np.ndarray):
        return value
    return nd.array(value, ctx=ctx, dtype=value.dtype if _is_asnumpy(dtype) else dtype)


def _is_asnumpy(dtype):
    return isinstance(dtype, str) and dtype == "asnumpy"


def _parse_location(sym, location, ctx, dtype=np.float32):
    """Argument name -> NDArray, sorted by name, from a list (in ``list_arguments`` order)
    or a dict naming every argument."""
    assert isinstance(location, (dict, list, tuple))
    _check_dtype(dtype)
    names = sym.list_arguments()
    if isinstance(location, dict):
        if set(location) != set(names):
            raise ValueError("Symbol arguments and keys of the given location do not match."
                             f"symbol args:{set(names)}, location.keys():{set(location)}")
    else:
        location = dict(zip(names, location))
    return OrderedDict(sorted_items({k: _to_nd(v, ctx, dtype) for k, v in location.items()}))


def _parse_aux_states(sym, aux_states, ctx, dtype=np.float32):
    """Auxiliary state name -> NDArray from a list or a dict naming every state."""
    _check_dtype(dtype)
    if aux_states is None:
        return None
    names = sym.list_auxiliary_states()
    if isinstance(aux_states, dict):
        if set(aux_states) != set(names):
            raise ValueError("Symbol aux_states names and given aux_states do not match."
                             f"symbol aux_names:{set(names)}, "
                             f"aux_states.keys:{set(aux_states)}")
    else:
        aux_states = dict(zip(names, aux_states))
    return {k: nd.array(as_numpy(v), ctx=ctx,
                        dtype=np.asarray(as_numpy(v)).dtype if _is_asnumpy(dtype) else dtype)
            for k, v in aux_states.items()}


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Outputs of ``sym`` (numpy; one array, or a list for several outputs) for the
    inputs given as name=numpy array."""
    exe = sym.bind(ctx or default_context(), args={k: array(v) for k, v in inputs.items()})
    exe.forward(is_train=is_train)
    outputs = [o.asnumpy() for o in exe.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True,
                 dtype=np.float32):
    """Central differences of ``sum(executor.outputs[0])`` with respect to every floating
    argument in ``location`` (name -> numpy array); aux states are reset before each run.

    Returns name -> numpy gradient (``dtype``).
    """
    assert dtype in _FLOATS
    grads = {k: np.zeros(v.shape, dtype=dtype) for k, v in location.items()}
    for k, v in location.items():
        executor.arg_dict[k][:] = nd.array(v, dtype=dtype)
    for k in location:
        location[k] = np.asarray(location[k], order="C")
    for k, v in location.items():
        if v.dtype.kind != "f":
            continue
        grads[k][...] = _batched_differences(executor, k, v, eps, use_forward_train,
                                             aux_states, dtype)
    return grads


_BATCH_ELEMENTS = 1 << 22  # values per vectorized run of perturbed forwards


def _batched_differences(executor, name, value, eps, use_forward_train, aux_states, dtype):
    """The central differences of ``numeric_grad`` for argument ``name``, many perturbed
    forwards at a time in one vectorized program (the same inputs as one by one)."""
    for key, val in (aux_states or {}).items():
        executor.aux_dict[key][:] = nd.array(val, dtype=dtype)
    base = np.asarray(value, dtype=dtype).reshape(-1)
    out_size = max(1, int(np.prod(executor.outputs[0].shape)))
    chunk = max(1, _BATCH_ELEMENTS // max(base.size, out_size))
    result = np.zeros(base.size, dtype=dtype)
    for start in range(0, base.size, chunk):
        idx = np.arange(start, min(base.size, start + chunk))
        rows = np.arange(idx.size)
        plus = np.repeat(base[None], idx.size, axis=0)
        minus = plus.copy()
        plus[rows, idx] += eps / 2.0
        minus[rows, idx] += eps / 2.0
        minus[rows, idx] -= eps
        shape = (idx.size, *value.shape)
        f_plus = forward_batch(executor, name, plus.reshape(shape), use_forward_train)
        f_minus = forward_batch(executor, name, minus.reshape(shape), use_forward_train)
        result[idx] = (f_plus - f_minus).reshape(idx.size, -1).sum(axis=1) / eps
    return result.reshape(value.shape)


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None,
                           atol=None, grad_nodes=None, use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """Check ``sym``'s backward against finite differences.

    The single output is multiplied by a random array and summed (``make_loss``); its
    symbolic gradient for each node of ``grad_nodes`` (all arguments by default; a dict
    gives each node's ``grad_req``: with 'add' the gradient is added to a random initial
    one, with 'null' that one is left untouched) is compared with central differences of
    step ``numeric_eps`` (``default_numeric_eps()`` by default).

    Parameters
    ----------
    sym : Symbol
    location : list or dict of numpy.ndarray
        The point: one array per argument (``list_arguments()`` order), or name -> array.
    aux_states : list or dict of numpy.ndarray, optional
    numeric_eps, rtol, atol : float, optional
    grad_nodes : list or dict of str -> grad_req, optional
    use_forward_train : bool
        Whether the finite-difference forwards run in training mode.
    ctx : Context, optional
    grad_stype_dict : dict of str -> str, optional
        Storage types of the gradient buffers ('default', 'row_sparse', 'csr').
    dtype : np.float16, np.float32 or np.float64
    """
    assert dtype in _FLOATS
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    location_npy = {k: v.asnumpy() for k, v in location.items()}
    aux_states = _parse_aux_states(sym, aux_states, ctx, dtype)
    aux_npy = None if aux_states is None else {k: v.asnumpy() for k, v in aux_states.items()}
    if grad_nodes is None:
        grad_nodes = sym.list_arguments()
        grad_req = dict.fromkeys(grad_nodes, "write")
    elif isinstance(grad_nodes, (list, tuple)):
        grad_nodes = list(grad_nodes)
        grad_req = dict.fromkeys(grad_nodes, "write")
    elif isinstance(grad_nodes, dict):
        grad_req = dict(grad_nodes)
        grad_nodes = list(grad_nodes)
    else:
        raise ValueError(f"grad_nodes must be a list, a tuple or a dict, got {grad_nodes!r}")

    _, out_shapes, _ = sym.infer_shape(**{k: v.shape for k, v in location.items()})
    out = sym_module.make_loss(sym * sym_module.Variable("__random_proj"))
    # A projection away from 0, so finite differences keep their precision.
    location["__random_proj"] = nd.array(np.random.rand(*out_shapes[0]) + 0.1, ctx=ctx,
                                         dtype=dtype)
    initial = {k: np.random.normal(0, 0.01, size=location[k].shape) for k in grad_nodes}
    initial["__random_proj"] = np.random.normal(0, 0.01, size=out_shapes[0])
    args_grad = {k: nd.array(v, ctx=ctx, dtype=dtype) for k, v in initial.items()}
    for k, stype in (grad_stype_dict or {}).items():
        if k in args_grad and stype != "default":
            args_grad[k] = args_grad[k].tostype(stype)

    executor = out.bind(ctx, grad_req=grad_req, args=location, args_grad=args_grad,
                        aux_states=aux_states)
    if len(executor.arg_arrays) != len(location):
        raise ValueError("Executor arg_arrays and and location len do not match."
                         f"Got {len(executor.arg_arrays)} inputs and {len(location)} locations")
    executor.forward(is_train=True)
    assert len(executor.outputs) == 1
    eps = get_tolerance(executor.outputs[0], numeric_eps, default_numeric_eps())
    if dtype in (np.float32, np.float16):  # smaller steps drown in rounding
        assert eps >= 1e-5
    executor.backward()
    symbolic = executor.grad_dict
    numeric = numeric_grad(executor, location_npy, aux_npy, eps=eps,
                           use_forward_train=use_forward_train, dtype=dtype)
    for name in grad_nodes:
        names = (f"NUMERICAL_{name}", f"BACKWARD_{name}")
        req, sym_grad = grad_req[name], symbolic[name]
        if req == "write":
            assert_almost_equal(numeric[name], sym_grad, rtol, atol, names)
        elif req == "add":
            assert_almost_equal(numeric[name], as_numpy(sym_grad) - initial[name], rtol, atol,
                                names)
        elif req == "null":
            assert_almost_equal(initial[name], sym_grad, rtol, atol, names)
        else:
            raise ValueError(f"Invalid grad_req {req} for argument {name}")


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Bind ``sym`` at ``location``, run an inference forward, compare each output with
    ``expected`` (a list in output order or a dict by output name) and return the
    outputs (NDArrays).

    ``dtype`` is the dtype of the bound arrays, or ``'asnumpy'`` to keep each numpy
    array's own dtype.
    """
    _check_dtype(dtype)
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux_states = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, dict):
        expected = [expected[k] for k in sym.list_outputs()]
    args_grad = {k: nd.zeros(v.shape, ctx=ctx, dtype=v.dtype if _is_asnumpy(dtype) else dtype)
                 for k, v in location.items()}
    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad, aux_states=aux_states)
    executor.forward(is_train=False)
    for name, expect, output in zip(sym.list_outputs(), expected, executor.outputs):
        assert_almost_equal(expect, output, rtol, atol, (f"EXPECTED_{name}", f"FORWARD_{name}"),
                            equal_nan=equal_nan)
    return executor.outputs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req="write", ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Bind ``sym`` at ``location``, run a training forward and a backward with head
    gradients ``out_grads`` (list, dict by output name, or None for ones) and compare the
    gradients with ``expected`` (list in argument order or dict by argument name).

    Gradient buffers start random: with ``grad_req='add'`` the gradient is what was added
    to them, with 'null' they must be unchanged. Returns argument name -> gradient NDArray.
    """
    _check_dtype(dtype)
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux_states = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(sym.list_arguments(), expected))
    # Deterministically dirty buffers, so 'write' must really overwrite them.
    initial = {k: np.random.normal(size=v.shape) for k, v in sorted_items(expected)}
    args_grad = {}
    for k, v in initial.items():
        stype = (grad_stypes or {}).get(k)
        args_grad[k] = nd.array(v, ctx=ctx, dtype=np.asarray(as_numpy(expected[k])).dtype
                                if _is_asnumpy(dtype) else dtype)
        if stype not in (None, "default"):
            args_grad[k] = args_grad[k].tostype(stype)
    if isinstance(grad_req, str):
        grad_req = dict.fromkeys(sym.list_arguments(), grad_req)
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(sym.list_arguments(), grad_req))
    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad, aux_states=aux_states,
                        grad_req=grad_req)
    executor.forward(is_train=True)
    if isinstance(out_grads, (list, tuple)):
        out_grads = [_to_nd(g, ctx, dtype) for g in out_grads]
    elif isinstance(out_grads, dict):
        out_grads = {k: _to_nd(g, ctx, dtype) for k, g in out_grads.items()}
    else:
        assert out_grads is None
    executor.backward(out_grads)
    for name in expected:
        names = (f"EXPECTED_{name}", f"BACKWARD_{name}")
        req = grad_req[name]
        if req == "write":
            assert_almost_equal(expected[name], args_grad[name], rtol, atol, names,
                                equal_nan=equal_nan)
        elif req == "add":
            assert_almost_equal(expected[name], args_grad[name].asnumpy() - initial[name],
                                rtol, atol, names, equal_nan=equal_nan)
        elif req == "null":
            assert_almost_equal(initial[name], args_grad[name], rtol, atol, names,
                                equal_nan=equal_nan)
        else:
            raise ValueError(f"Invalid grad_req {req} for argument {name}")
    return args_grad


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ="whole",  # noqa: N803
                **kwargs):
    """Seconds per run of ``sym``: forward + backward (``typ='whole'``) or forward only,
    averaged over ``N`` runs after a warm-up (which compiles)."""
    ctx = ctx or default_context()
    grad_req = grad_req or "write"
    if location is None:
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx, **kwargs)
        location = {k: np.random.normal(size=a.shape, scale=1.0)
                    for k, a in exe.arg_dict.items()}
    else:
        assert isinstance(location, dict), f'Expect dict, get "location"={location}'
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx,
                              **{k: v.shape for k, v in location.items()})
    for name, value in location.items():
        exe.arg_dict[name][:] = value.astype(exe.arg_dict[name].dtype)
    if typ not in ("whole", "forward"):
        raise ValueError('typ can only be "whole" or "forward".')

    def step():
        exe.forward(is_train=typ == "whole")
        if typ == "whole":
            exe.backward(out_grads=exe.outputs)

    step()
    for output in exe.outputs:
        output.wait_to_read()
    tic = time.time()
    for _ in range(N):
        step()
    nd.waitall()
    return (time.time() - tic) / N


def _smaller_dtype(dt1, dt2):
    """The less precise of two dtypes (``dt1`` when ``dt2`` is None)."""
    return dt1 if dt2 is None or np.dtype(dt1).itemsize < np.dtype(dt2).itemsize else dt2


def _compare_or_report(arr, gtarr, rtol, atol, equal_nan, raise_on_err, what):
    try:
        assert_almost_equal(arr, gtarr, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except AssertionError as err:
        print(what)
        traceback.print_exc()
        if raise_on_err:
            raise
        print(str(err))


def check_consistency(sym, ctx_list, scale=1.0, grad_req="write", arg_params=None,
                      aux_params=None, rtol=None, atol=None, raise_on_err=True,
                      ground_truth=None, equal_nan=False, use_uniform=False,
                      rand_type=np.float64):
    """Check that ``sym`` (or one symbol per entry) gives the same outputs and gradients
    on every entry of ``ctx_list``: dicts of ``simple_bind`` keywords (``ctx``, input
    shapes, ``type_dict``). The most precise entry (or ``ground_truth``) is the
    reference. Returns the reference dict (output and argument name -> array)."""
    assert len(ctx_list) > 1
    syms = [sym] * len(ctx_list) if isinstance(sym, Symbol) else list(sym)
    assert len(syms) == len(ctx_list)
    output_names, arg_names = syms[0].list_outputs(), syms[0].list_arguments()
    exe_list, ctxs = [], [bind_args.get("ctx") for bind_args in ctx_list]
    for s, bind_args in zip(syms, ctx_list):
        assert s.list_arguments() == arg_names
        assert s.list_outputs() == output_names
        exe_list.append(s.simple_bind(grad_req=grad_req, **bind_args))
    arg_params = {} if arg_params is None else arg_params
    aux_params = {} if aux_params is None else aux_params
    for n, arr in sorted_items(exe_list[0].arg_dict):  # sorted: reproducible draws
        if n not in arg_params:
            arg_params[n] = (np.random.uniform(-0.92 * scale, 0.92 * scale, size=arr.shape)
                             if use_uniform else
                             np.random.normal(size=arr.shape, scale=scale)).astype(rand_type)
    for n in exe_list[0].aux_dict:
        aux_params.setdefault(n, 0)
    for exe in exe_list:
        for name, arr in exe.arg_dict.items():
            arr[:] = arg_params[name]
        for name, arr in exe.aux_dict.items():
            arr[:] = aux_params[name]
        if grad_req == "add":
            for arr in exe.grad_arrays:
                if arr is not None:
                    arr[:] = 0

    for exe in exe_list:
        exe.forward(is_train=False)
    dtypes = [np.dtype(exe.outputs[0].dtype) for exe in exe_list]
    gt_idx = max(range(len(dtypes)), key=lambda i: dtypes[i].itemsize)

    def reference():
        if ground_truth is not None:
            return ground_truth
        gt = dict(exe_list[gt_idx].output_dict)
        if grad_req != "null":
            gt.update(exe_list[gt_idx].grad_dict)
        return gt

    gt = reference()
    for i, exe in enumerate(exe_list):
        if i != gt_idx:
            for name, arr in zip(output_names, exe.outputs):
                _compare_or_report(arr, gt[name], rtol, atol, equal_nan, raise_on_err,
                                   f"Predict Err: ctx {i} vs ctx {gt_idx} at {name}")
    if grad_req == "null":
        return gt

    for exe in exe_list:
        exe.forward(is_train=True)
    least = [o.dtype for o in exe_list[0].outputs]
    for exe in exe_list:
        least = [_smaller_dtype(o.dtype, dt) for o, dt in zip(exe.outputs, least)]
    heads = [o.astype(dt).asnumpy() for o, dt in zip(exe_list[0].outputs, least)]
    for exe, ctx in zip(exe_list, ctxs):
        exe.backward([nd.array(h, ctx=ctx, dtype=o.dtype) for h, o in zip(heads, exe.outputs)])
    gt = reference()
    for i, exe in enumerate(exe_list):
        if i == gt_idx:
            continue
        for name, arr in zip(output_names + arg_names, exe.outputs + exe.grad_arrays):
            gtarr = gt[name]
            if gtarr is None:
                assert arr is None
                continue
            rt, at = rtol, atol
            # float16 data: compare float32 gradients (BatchNorm's gamma) at float16's tolerance.
            small_arr, small_gt = _smaller_dtype(arr.dtype, dtypes[i]), \
                _smaller_dtype(gtarr.dtype, dtypes[gt_idx])
            if small_arr != arr.dtype or small_gt != gtarr.dtype:
                rt, at = get_tols(arr.astype(small_arr), gtarr.astype(small_gt), rtol, atol)
            _compare_or_report(arr, gtarr, rt, at, equal_nan, raise_on_err,
                               f"Train Err: {np.dtype(arr.dtype).name} {arr.context} ctx {i} "
                               f"vs {np.dtype(gtarr.dtype).name} {gtarr.context} ctx {gt_idx} "
                               f"at {name}")
    return gt


def same_symbol_structure(sym1, sym2):
    """Whether the two symbols' graphs have the same operator at every node position."""
    nodes1 = json.loads(sym1.tojson())["nodes"]
    nodes2 = json.loads(sym2.tojson())["nodes"]
    return all(n1["op"] == n2["op"] for n1, n2 in zip(nodes1, nodes2))


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None, test_grad=True,
                                      rtol=1E-4, atol=1E-4):
    """Check that a HybridBlock gives the same outputs (and input gradients) with and
    without ``hybridize()``, and matches ``numpy_func`` if given.

    ``net_builder(prefix='net_')`` builds the block; every build gets the parameters of
    the first one. The block must not draw random numbers.
    """
    class _Cached(initializer.Initializer):
        def __init__(self, values):
            super().__init__()
            self._values = values

        def _init_weight(self, name, arr):
            arr[:] = self._values[name]

    saved_out = saved_grads = init = None
    for hybridize in (False, True):
        for use_autograd in ((False, True) if test_grad else (False,)):
            net = net_builder(prefix="net_")
            if init is None:
                net.initialize()
            else:
                net.initialize(init)
            if hybridize:
                net.hybridize()
            inputs = [x.copy() for x in data_l]
            if use_autograd:
                for x in inputs:
                    x.attach_grad()
                with autograd.record():
                    out = net(*inputs)
                out.backward(out)
            else:
                out = net(*inputs)
            if init is None:
                init = _Cached({k: v.data().asnumpy() for k, v in net.collect_params().items()})
            if saved_out is None:
                saved_out = out.asnumpy()
            else:
                assert_almost_equal(out.asnumpy(), saved_out, rtol=rtol, atol=atol)
            if use_autograd:
                grads = [x.grad.asnumpy() for x in inputs]
                if saved_grads is None:
                    saved_grads = grads
                else:
                    for g, saved in zip(grads, saved_grads):
                        assert_almost_equal(g, saved, rtol=rtol, atol=atol)
    if numpy_func is not None:
        expected = numpy_func(*[x.asnumpy() for x in data_l])
        assert_almost_equal(saved_out, expected, rtol=rtol, atol=atol)


def _optimizer_input(shape, dtype, stype, ctx, density=None):
    """``(array, its dense copy)``: uniform, or random sparse of ``stype``."""
    from .compare import rand_ndarray

    if stype == "default":
        arr = nd.random.uniform(shape=shape, ctx=ctx, dtype=dtype)
        return arr, arr.copyto(ctx)
    if stype not in ("row_sparse", "csr"):
        raise Exception("type not supported yet")
    arr = rand_ndarray(shape, stype, density=density, dtype=dtype)
    return arr, arr.copyto(ctx).tostype("default")


def compare_optimizer(opt1, opt2, shape, dtype, w_stype="default", g_stype="default",
                      rtol=1e-4, atol=1e-5, compare_states=True, ntensors=1):
    """Check that two optimizers make the same update (and states) from the same random
    weight and gradient; with a list of shapes, ``opt2`` updates all tensors at once.
    A sparse ``w_stype``/``g_stype`` gives ``opt2`` a random sparse weight/gradient (a
    fully stored weight) and ``opt1`` its dense copy."""
    ctx = default_context()
    if not isinstance(shape, list):
        assert ntensors == 1
        w2, w1 = _optimizer_input(shape, dtype, w_stype, ctx, density=1)
        g2, g1 = _optimizer_input(shape, dtype, g_stype, ctx)
        state1 = opt1.create_state_multi_precision(0, w1)
        state2 = opt2.create_state_multi_precision(0, w2)
        if compare_states:
            compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(0, w1, g1, state1)
        opt2.update_multi_precision(0, w2, g2, state2)
        if compare_states:
            compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        assert_almost_equal(w1, w2, rtol=rtol, atol=atol)
        return
    w1, g1 = [], []
    for s in shape:
        w1.append(nd.random.uniform(shape=s, ctx=ctx, dtype=dtype))
        g1.append(nd.random.uniform(shape=s, ctx=ctx, dtype=dtype))
    w2, g2 = tuple(w.copy() for w in w1), tuple(g.copy() for g in g1)
    state2 = [opt2.create_state_multi_precision(0, w2[i]) for i in range(ntensors)]
    opt2.update_multi_precision(list(range(ntensors)), w2, g2, state2)
    for i in range(ntensors):
        state1 = opt1.create_state_multi_precision(i, w1[i])
        opt1.update_multi_precision(i, w1[i], g1[i], state1)
        if compare_states:
            compare_ndarray_tuple(state1, state2[i], rtol, atol)
        compare_ndarray_tuple(w1[i], w2[i], rtol, atol)
