"""Cases for ``mx.test_utils``, run by real MXNet 1.9.1 (generate_test_utils.py) and by
mxjax (tests/test_test_utils.py) with the very same code: ``run(mx)`` returns
``(records, arrays)``; records are JSON values (tolerances, outcomes, full error
messages and what was printed), arrays are what the helpers returned.

numpy + stdlib only; every random draw comes from numpy's global generator, seeded per
case, as MXNet's helpers draw from it too.
"""

import contextlib
import io
import re

import numpy as np

DTYPES = ("float16", "float32", "float64", "int8", "uint8", "int32", "int64", "bool")


def _outcome(fn):
    """``(outcome, message, printed)``: 'ok' or the exception's type name."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            fn()
    except Exception as err:  # noqa: BLE001 - the outcome is what is recorded
        return type(err).__name__, str(err), printed.getvalue()
    return "ok", "", printed.getvalue()


def _tolerances(tu, mx):
    rec = {
        "rtols": {d: tu.default_rtols()[np.dtype(d)] for d in DTYPES},
        "atols": {d: tu.default_atols()[np.dtype(d)] for d in DTYPES},
        "eps": {d: tu.default_numeric_eps()[np.dtype(d)] for d in DTYPES[:3]},
        "get_rtol": tu.get_rtol(), "get_atol": tu.get_atol(), "get_etol": tu.get_etol(),
        "get_rtol32": tu.get_rtol(None, np.dtype(np.float32)),
        "override": tu.get_tolerance(np.zeros(2, np.float32), {np.dtype(np.float32): 0.5},
                                     tu.default_rtols()),
        "number": tu.get_tolerance(np.zeros(2, np.float16), 0.25, tu.default_rtols()),
    }
    pairs = {"f16_f64": (np.zeros(1, np.float16), np.zeros(1)),
             "nd32_np64": (mx.nd.zeros((1,)), np.zeros(1)),
             "i32_f32": (np.zeros(1, np.int32), np.zeros(1, np.float32)),
             "scalar_f64": (1.0, np.zeros(1, np.float64))}
    rec["get_tols"] = {k: list(tu.get_tols(a, b, None, None)) for k, (a, b) in pairs.items()}
    return rec


def _comparisons(tu, mx):
    grid = np.arange(30, dtype=np.float32).reshape(5, 6)
    shifted = grid.copy()
    shifted[1:4] += 1
    shifted[0, 0] = np.nan
    nan_a = np.array([1.0, np.nan, 3.0])
    checks = {
        "nd_vs_np": lambda: tu.assert_almost_equal(mx.nd.array([[1, 2], [3, 4]]),
                                                   np.array([[1, 2], [3, 4.1]]), names=("x", "y")),
        "mismatch_limits": lambda: tu.assert_almost_equal(grid, shifted, mismatches=(3, 5)),
        "all_counted": lambda: tu.assert_almost_equal(grid, shifted, mismatches=(2, 0)),
        "scalars": lambda: tu.assert_almost_equal(np.float32(1.0), 2.0),
        "f16_default_passes": lambda: tu.assert_almost_equal(
            np.array([1.0, 2.0], np.float16), np.array([1.0, 2.005], np.float16)),
        "f32_default_fails": lambda: tu.assert_almost_equal(
            np.array([1.0, 2.0], np.float32), np.array([1.0, 2.005], np.float32)),
        "f64_default_fails": lambda: tu.assert_almost_equal(np.array([1.0]), np.array([1.0001])),
        "nd_f32_within_atol": lambda: tu.assert_almost_equal(
            mx.nd.array([0.0, 1.0]), mx.nd.array([0.0009, 1.0])),
        "nan_unequal": lambda: tu.assert_almost_equal(nan_a, nan_a.copy()),
        "nan_equal": lambda: tu.assert_almost_equal(nan_a, nan_a.copy(), equal_nan=True),
        "shape_check": lambda: tu.assert_almost_equal(np.zeros((2, 1)), np.zeros((2, 3)),
                                                      use_broadcast=False),
        "broadcast_ok": lambda: tu.assert_almost_equal(np.zeros((2, 1)), np.zeros((2, 3))),
        "explicit_tols": lambda: tu.assert_almost_equal(np.array([1.0]), np.array([1.5]),
                                                        rtol=0.1, atol=0.45),
        "dict_tols": lambda: tu.assert_almost_equal(np.array([1.0], np.float32),
                                                    np.array([1.3], np.float32),
                                                    rtol={np.dtype(np.float32): 0.25}),
        "allclose_strict": lambda: tu.assert_allclose(np.array([1.0]), np.array([1.0 + 1e-6])),
        "with_err_ok": lambda: tu.assert_almost_equal_with_err(grid, grid + (grid > 25), etol=0.2),
        "with_err_fails": lambda: tu.assert_almost_equal_with_err(grid, grid + (grid > 5),
                                                                  etol=0.2),
        "ignore_nan": lambda: tu.assert_almost_equal_ignore_nan(np.array([1.0, np.nan, 2.0]),
                                                                np.array([1.0, 5.0, np.nan])),
        "bools": lambda: tu.assert_almost_equal(np.array([True, False]), np.array([True, True])),
        "ints": lambda: tu.assert_almost_equal(np.array([1, 2], np.int32),
                                               np.array([1, 3], np.int32)),
    }
    rec = {k: list(_outcome(f)) for k, f in checks.items()}
    rec["almost_equal"] = [tu.almost_equal(np.array([1.0]), np.array([1.0 + 1e-6])),
                           tu.almost_equal(np.array([1.0]), np.array([1.0 + 1e-4])),
                           tu.almost_equal(nan_a, nan_a, equal_nan=True)]
    rec["same"] = [tu.same(np.array([1, 2]), np.array([1, 2])),
                   tu.same(np.array([1, 2]), np.array([1, 3]))]
    rec["location"] = tu.locationError(np.array([1.5, 2.0]), np.array([1.0, 2.5]), (1,),
                                       ("p", "q"), maxError=True)
    return rec


def _random(tu, mx, arrays):
    np.random.seed(7)
    arrays["rand_ndarray"] = tu.rand_ndarray((2, 3)).asnumpy()
    arrays["random_arrays"] = tu.random_arrays((2, 2))
    a, b = tu.random_arrays((3,), (1, 2))
    arrays["random_arrays_a"], arrays["random_arrays_b"] = a, b
    arrays["uniform"] = tu.random_uniform_arrays((2, 2), low=-1.0, high=2.0)[0]
    rec = {"shape_nd": [int(s) for s in tu.rand_shape_nd(4, dim=7)],
           "shape_2d": [int(s) for s in tu.rand_shape_2d()],
           "shape_3d": [int(s) for s in tu.rand_shape_3d(3, 4, 5)],
           "coord": [int(c) for c in tu.rand_coord_2d(0, 10, 5, 9)],
           "sample": [int(s) for s in tu.random_sample(list(range(10)), 4)],
           "rand_ndarray_dtype": str(tu.rand_ndarray((2,), dtype="float64").dtype.__name__)}
    arrays["real_eig"] = tu.new_matrix_with_real_eigvals_nd((2, 3, 3))
    arrays["sym_eig"] = tu.new_sym_matrix_with_real_eigvals_nd((2, 3, 3))
    arrays["orthonormal"] = tu.new_orthonormal_matrix_2d(3)
    return rec


def _helpers(tu, arrays):
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    arrays["np_reduce"] = tu.np_reduce(x, (0, 2), True, np.sum)
    arrays["np_reduce_none"] = tu.np_reduce(x, None, False, np.max)
    arrays["collapse"] = tu.collapse_sum_like(x, (3, 1))
    arrays["assign_each"] = tu.assign_each(x[0], lambda v: v * 2 + 1)
    arrays["assign_each2"] = tu.assign_each2(x[0], x[1], lambda u, v: u * v)
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: 10 * p, 4)
    np.random.seed(11)
    return {"buckets": [list(map(float, b)) for b in buckets], "probs": probs,
            "mean_check": bool(tu.mean_check(lambda n: np.random.normal(1, 2, n), 1, 2, 5000)),
            "mean_check_wrong": bool(tu.mean_check(lambda n: np.random.normal(1.5, 2, n),
                                                   1, 2, 5000)),
            "var_check": bool(tu.var_check(lambda n: np.random.normal(0, 2, n), 2, 5000)),
            "identity": tu.get_identity_mat(3).asnumpy().tolist(),
            "identity_batch": list(tu.get_identity_mat_batch(2).shape),
            "tensor_2d": tu.create_2d_tensor(3, 2).asnumpy().tolist(),
            "vector": tu.create_vector(4).asnumpy().tolist()}


def _fc_symbol(mx):
    data = mx.sym.Variable("data")
    return mx.sym.tanh(mx.sym.FullyConnected(data, num_hidden=3, name="fc")) * 2


def _fc_values():
    rng = np.random.RandomState(5)
    loc = {"data": rng.uniform(-1, 1, (2, 4)), "fc_weight": rng.uniform(-1, 1, (3, 4)),
           "fc_bias": rng.uniform(-1, 1, (3,))}
    head = rng.uniform(-1, 1, (2, 3))
    pre = loc["data"] @ loc["fc_weight"].T + loc["fc_bias"]
    out = 2 * np.tanh(pre)
    dpre = head * 2 * (1 - np.tanh(pre) ** 2)
    grads = {"data": dpre @ loc["fc_weight"], "fc_weight": dpre.T @ loc["data"],
             "fc_bias": dpre.sum(0)}
    return loc, head, out, grads


def _symbolic(tu, mx, arrays):
    sym = _fc_symbol(mx)
    loc, head, out, grads = _fc_values()
    order = sym.list_arguments()
    rec = {"arguments": order}
    outs = tu.check_symbolic_forward(sym, [loc[k] for k in order], [out])
    arrays["fwd_list"] = outs[0].asnumpy()
    outs = tu.check_symbolic_forward(sym, loc, {sym.list_outputs()[0]: out}, dtype="asnumpy")
    rec["fwd_asnumpy_dtype"] = outs[0].dtype.__name__
    arrays["fwd_asnumpy"] = outs[0].asnumpy()
    for req in ("write", "add"):
        np.random.seed(3)
        got = tu.check_symbolic_backward(sym, loc, [head], grads, grad_req=req)
        for k, v in got.items():
            arrays[f"bwd_{req}:{k}"] = v.asnumpy()
    np.random.seed(3)
    got = tu.check_symbolic_backward(sym, loc, [head], grads,
                                     grad_req={"data": "write", "fc_weight": "add",
                                               "fc_bias": "null"})
    for k, v in got.items():
        arrays[f"bwd_mixed:{k}"] = v.asnumpy()
    np.random.seed(3)
    got = tu.check_symbolic_backward(sym, loc, {sym.list_outputs()[0]: head},
                                     {"data": grads["data"]})
    rec["bwd_subset_keys"] = sorted(got)
    wrong = {k: v + (k == "fc_bias") for k, v in grads.items()}
    rec["bwd_wrong"] = _outcome(lambda: tu.check_symbolic_backward(sym, loc, [head], wrong))[0]
    rec["fwd_wrong"] = _outcome(lambda: tu.check_symbolic_forward(sym, loc, [out + 0.01]))[0]
    rec["bad_location"] = _outcome(lambda: tu.check_symbolic_forward(
        sym, {"data": loc["data"]}, [out]))[0]

    # BatchNorm at inference reads the given auxiliary states.
    bn = mx.sym.BatchNorm(mx.sym.Variable("x"), fix_gamma=False, eps=1e-3, name="bn")
    rng = np.random.RandomState(9)
    x, gamma, beta = rng.normal(size=(2, 3, 2)), rng.uniform(1, 2, 3), rng.normal(size=3)
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    c = (slice(None), None)
    expect = (x - mean[c]) / np.sqrt(var[c] + 1e-3) * gamma[c] + beta[c]
    outs = tu.check_symbolic_forward(bn, [x, gamma, beta], [expect], aux_states=[mean, var])
    arrays["bn_fwd"] = outs[0].asnumpy()
    rec["aux_names"] = bn.list_auxiliary_states()

    # numeric_grad on a bound executor: central differences of sum(output).
    # With gradient buffers bound: MXNet's inference-only graph caches FC weights (MKLDNN).
    exe = sym.bind(mx.cpu(), args={k: mx.nd.array(v) for k, v in loc.items()},
                   args_grad={k: mx.nd.zeros(v.shape) for k, v in loc.items()})
    numeric = tu.numeric_grad(exe, {k: v.astype(np.float32) for k, v in loc.items()},
                              eps=1.0 / 2**9)
    for k, v in numeric.items():
        arrays[f"numeric:{k}"] = v
    arrays["simple_forward"] = tu.simple_forward(sym, **loc)
    return rec


def _numeric_checks(tu, mx):
    sym = _fc_symbol(mx)
    loc = _fc_values()[0]
    x = mx.sym.Variable("x")
    y = mx.sym.Variable("y")
    rng = np.random.RandomState(2)
    xs, ys = rng.uniform(0.5, 1.5, (2, 3)), rng.uniform(0.5, 1.5, (2, 3))
    checks = {
        "fc_list": lambda: tu.check_numeric_gradient(sym, [loc[k] for k in
                                                          sym.list_arguments()]),
        "fc_dict": lambda: tu.check_numeric_gradient(sym, loc, numeric_eps=1e-3, rtol=1e-2,
                                                     atol=1e-2),
        "fc_grad_nodes": lambda: tu.check_numeric_gradient(sym, loc, grad_nodes=["fc_weight"]),
        "req_add_null": lambda: tu.check_numeric_gradient(
            x * y + mx.sym.sin(x), [xs, ys], grad_nodes={"x": "add", "y": "null"}),
        "f64": lambda: tu.check_numeric_gradient(x * mx.sym.exp(x), [xs], dtype=np.float64),
        "blockgrad_wrong": lambda: tu.check_numeric_gradient(x * mx.sym.BlockGrad(x), [xs]),
        "bad_grad_nodes": lambda: tu.check_numeric_gradient(x * 2, [xs], grad_nodes="x"),
    }
    rec = {}
    for k, f in checks.items():
        np.random.seed(17)
        outcome, message, _ = _outcome(f)
        rec[k] = outcome
        if k == "blockgrad_wrong":  # where the largest error is, values left out
            line = next(s for s in message.splitlines() if s.startswith("Location"))
            rec["blockgrad_location"] = re.sub(r"=[-0-9.e]+", "=", line)
    return rec


def _consistency(tu, mx, arrays):
    sym = _fc_symbol(mx)
    ctx_list = [{"ctx": mx.cpu(0), "data": (2, 4), "type_dict": {"data": t}}
                for t in (np.float64, np.float32)]
    np.random.seed(23)
    gt = tu.check_consistency(sym, ctx_list)
    for k, v in gt.items():
        arrays[f"consistency:{k}"] = v.asnumpy()
    return {"consistency_keys": sorted(gt),
            "consistency_dtype": str(np.dtype(gt["data"].dtype))}


def run(mx):
    """Every case through library ``mx``: ``(records, arrays)``, with fresh operator-name
    counters so the names of unnamed outputs do not depend on what ran before."""
    with mx.name.NameManager():
        return _run_all(mx)


def _run_all(mx):
    tu = mx.test_utils
    arrays = {}
    records = {"tolerances": _tolerances(tu, mx), "comparisons": _comparisons(tu, mx),
               "random": _random(tu, mx, arrays), "helpers": _helpers(tu, arrays),
               "symbolic": _symbolic(tu, mx, arrays), "numeric": _numeric_checks(tu, mx),
               "consistency": _consistency(tu, mx, arrays),
               "sparse": _outcome(lambda: tu.rand_ndarray((2, 2), "foo"))[0]}
    return records, {k: np.asarray(v) for k, v in arrays.items()}
