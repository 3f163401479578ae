"""Sparse-storage scenarios run twice: by real MXNet 1.9.1 (``generate_sparse.py`` makes the
goldens) and by mxjax (``tests/test_sparse.py``).

Each ``scenario_*`` takes the module under test as ``mx`` and returns a dict of results:
``describe``d arrays (storage type, stored structure, dense value), strings, numbers, or
``{"raised": <exception type>}``. Only numpy and the ``mx`` API are used, so the same code
runs on both libraries.
"""

import operator

import numpy as np

__all__ = ["SCENARIOS", "describe", "flatten"]

F32 = np.float32
A = np.array([[0, 1, 0, 2, 0], [0, 0, 0, 0, 0], [3, 0, 4, 0, 5], [0, 0, 0, 6, 0]], F32)
B = np.array([[0, 0, 0, 0, 0], [1, 0, 2, 0, 0], [0, 0, 3, 0, 0], [0, 4, 0, 0, 0]], F32)


def describe(x):
    """An NDArray's storage type, stored structure and dense value (or the exception)."""
    try:
        out = {"stype": x.stype, "dense": x.asnumpy(), "dtype": np.dtype(x.dtype).name}
        if x.stype == "row_sparse":
            out["indices"] = x.indices.asnumpy().tolist()
        elif x.stype == "csr":
            # MXNet 1.9.1 may leave unsorted columns, and unused entries past indptr[-1]
            # (csr results of elemwise ops): compare each row's sorted (column, value) pairs.
            indptr = x.indptr.asnumpy()
            indices, data = x.indices.asnumpy(), x.data.asnumpy()
            order = np.concatenate([np.argsort(indices[lo:hi], kind="stable") + lo
                                    for lo, hi in zip(indptr[:-1], indptr[1:])] or [[]])
            order = order.astype(np.int64)
            out["indptr"] = indptr.tolist()
            out["indices"] = indices[order].tolist()
            out["data"] = data[order]
        return out
    except Exception as e:  # noqa: BLE001 - the exception type is the result
        return {"raised": type(e).__name__}


def _try(fn, *args, **kwargs):
    try:
        return describe(fn(*args, **kwargs))
    except Exception as e:  # noqa: BLE001
        return {"raised": type(e).__name__}


def _raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return None


def _inputs(mx):
    """A: a row_sparse one storing a zero row (1), a csr one storing a zero (1, 3)."""
    sp = mx.nd.sparse
    a_rows = [0, 1, 2]
    a_csr = A.copy()
    a_csr[1, 3] = 0
    rows, cols = np.nonzero(A)
    rows, cols = np.append(rows, 1), np.append(cols, 3)
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=4))])
    a = {"default": mx.nd.array(A),
         "row_sparse": sp.row_sparse_array((A[a_rows], a_rows), shape=A.shape),
         "csr": sp.csr_matrix((A[rows, cols], cols, indptr), shape=A.shape)}
    b = {"default": mx.nd.array(B), "row_sparse": mx.nd.array(B).tostype("row_sparse"),
         "csr": mx.nd.array(B).tostype("csr")}
    return a, b


STYPES = ("default", "row_sparse", "csr")
UNARY = ("abs sqrt square sign relu negative tanh sin floor round expm1 log1p exp cos "
         "sigmoid rsqrt zeros_like ones_like stop_gradient make_loss").split()
SCALAR = ("_plus_scalar _minus_scalar _rminus_scalar _mul_scalar _div_scalar _rdiv_scalar "
          "_power_scalar _equal_scalar _not_equal_scalar _greater_scalar _lesser_scalar "
          "_maximum_scalar").split()
BINARY = ("elemwise_add elemwise_sub elemwise_mul elemwise_div broadcast_add "
          "broadcast_mul _maximum").split()


def scenario_construction(mx):
    sp, nd = mx.nd.sparse, mx.nd
    a, _ = _inputs(mx)
    return {
        "rsp": describe(a["row_sparse"]), "csr": describe(a["csr"]),
        "rsp_from_dense": describe(sp.row_sparse_array(A)),
        "csr_from_dense": describe(sp.csr_matrix(A)),
        "csr_inferred_shape": describe(sp.csr_matrix(([1.0, 2.0], [3, 1], [0, 1, 2]))),
        "rsp_inferred_shape": describe(sp.row_sparse_array((np.ones((2, 2), F32), [1, 4]))),
        "rsp_zeros": describe(sp.zeros("row_sparse", (3, 2))),
        "csr_zeros_f16": describe(sp.zeros("csr", (2, 4), dtype="float16")),
        "nd_zeros_stype": describe(nd.zeros((2, 3), stype="row_sparse")),
        "empty": describe(sp.empty("csr", (2, 2))),
        "rsp_int_dtype": describe(sp.row_sparse_array(([[1, 2]], [1]), shape=(3, 2),
                                                      dtype="int32")),
        "csr_astype": describe(a["csr"].astype("float64")),
        "rsp_copy": describe(a["row_sparse"].copy()),
        "rsp_copyto_ctx": describe(a["row_sparse"].copyto(mx.cpu(0))),
        "rsp_to_dense": describe(a["row_sparse"].tostype("default")),
        "rsp_retostype": describe(a["row_sparse"].tostype("row_sparse")),
        "csr_dense_csr": describe(a["csr"].tostype("default").tostype("csr")),
        "rsp_to_csr": _raised(lambda: a["row_sparse"].tostype("csr")),
        "csr_to_rsp": _raised(lambda: a["csr"].tostype("row_sparse")),
        "csr_copyto_rsp": _raised(lambda: a["csr"].copyto(sp.zeros("row_sparse", A.shape))),
        "csr_copyto_dense": describe(a["csr"].copyto(nd.zeros(A.shape))),
        "dense_copyto_rsp": describe(nd.array(A).copyto(sp.zeros("row_sparse", A.shape))),
        "sparse_array_of_rsp": describe(sp.array(a["row_sparse"])),
        "nd_array_of_csr": describe(nd.array(a["csr"])),
        "retain": describe(sp.retain(a["row_sparse"], nd.array([0, 3]))),
        "retain_method": describe(a["row_sparse"].retain(nd.array([1, 2]))),
        "csr_rows": describe(a["csr"][1:3]),
        "csr_row": describe(a["csr"][2]),
        "csr_last": describe(a["csr"][-1]),
        "csr_all": describe(a["csr"][:]),
        "rsp_all": describe(a["row_sparse"][:]),
        "rsp_int_index": _raised(lambda: a["row_sparse"][1]),
        "csr_reshape": _raised(lambda: a["csr"].reshape((5, 4))),
        "rsp_size": _raised(lambda: a["row_sparse"].size),
        "repr_rsp": repr(a["row_sparse"]),
        "repr_csr": str(a["csr"]),
        "shape": list(a["csr"].shape),
        "aux_types": [np.dtype(t).name for t in a["csr"]._aux_types],
    }


def scenario_assignment(mx):
    sp, nd = mx.nd.sparse, mx.nd
    a, _ = _inputs(mx)
    out = {}
    x = sp.zeros("row_sparse", (4, 3))
    x[:] = 0
    out["rsp_set_zero"] = describe(x)
    x[:] = 2.5
    out["rsp_set_scalar"] = describe(x)
    x[:] = nd.array(np.eye(4, 3, dtype=F32))
    out["rsp_set_dense"] = describe(x)
    y = sp.zeros("csr", A.shape)
    y[:] = a["csr"]
    out["csr_set_csr"] = describe(y)
    out["csr_set_scalar"] = _raised(lambda: y.__setitem__(slice(None), 1.0))
    z = a["row_sparse"].copy()
    z += a["row_sparse"]
    out["rsp_iadd"] = describe(z)
    z *= 2
    out["rsp_imul"] = describe(z)
    z -= nd.array(A)
    out["rsp_isub_dense"] = describe(z)
    return out


def _per_stype(mx, a, b, s):
    """Operators on the input of storage type ``s`` (and ``b`` of each storage type)."""
    nd = mx.nd
    row = nd.array(np.arange(1, 6, dtype=F32).reshape(1, 5))
    x = a[s]
    out = {
        "broadcast_mul_row": _try(nd.broadcast_mul, x, row),
        "broadcast_div_row": _try(nd.broadcast_div, x, row),
        "add_n": _try(nd.add_n, x, b[s], x),
        "clip": _try(nd.clip, x, -1.0, 3.0),
        "clip_positive": _try(nd.clip, x, 1.0, 3.0),
        "sum": _try(nd.sum, x, axis=0),
        "norm": _try(nd.norm, x),
        "slice": _try(nd.slice, x, begin=(1, 1), end=(4, 4)),
        "concat0": _try(nd.concat, x, b[s], dim=0),
        "where": _try(nd.where, x, b[s], x),
        "transpose": _try(nd.transpose, x),
        "cast": _try(nd.cast, x, dtype="float64"),
        "copy": _try(x.copy),
        "astype": _try(x.astype, "int32"),
        "square_sum1k": _try(nd._internal._square_sum, x, axis=1, keepdims=True),
        "square_sum0": _try(nd._internal._square_sum, x, axis=0),
        "retain": _try(nd.sparse.retain, x, nd.array([0, 3])),
        "embedding_weight": _try(nd.Embedding, nd.array([0, 2]), x, input_dim=4,
                                 output_dim=5),
        "fc_data": _try(nd.FullyConnected, x, nd.array(np.ones((2, 5), F32)),
                        nd.array([1, 2]), num_hidden=2),
        "op_add_scalar": _try(operator.add, x, 1),
        "op_rsub_scalar": _try(operator.sub, 1, x),
        "op_mul_scalar": _try(operator.mul, x, 2),
        "op_div_scalar": _try(operator.truediv, x, 2),
        "op_neg": _try(operator.neg, x),
        "op_gt": _try(operator.gt, x, 0),
    }
    for dst in STYPES:
        out[f"cast_storage->{dst}"] = _try(nd.cast_storage, x, stype=dst)
    for t in STYPES:
        out[f"op_add,{t}"] = _try(operator.add, x, b[t])
        out[f"op_mul,{t}"] = _try(operator.mul, x, b[t])
        out[f"op_div,{t}"] = _try(operator.truediv, x, b["default"] + 1)
        out[f"sparse.add,{t}"] = _try(nd.sparse.add, x, b[t])
        out[f"sparse.multiply,{t}"] = _try(nd.sparse.multiply, x, b[t])
    return {f"{k}:{s}": v for k, v in out.items()}


def scenario_stypes(mx):
    """Output storage (and structure, values) of common operators for each input stype."""
    nd = mx.nd
    a, b = _inputs(mx)
    out = {}
    for name in UNARY:
        for s in STYPES:
            out[f"{name}:{s}"] = _try(getattr(nd, name), a[s])
    for name in SCALAR:
        for s in STYPES:
            for scalar in (0.0, 0.5, -0.5):
                out[f"{name}({scalar}):{s}"] = _try(getattr(nd._internal, name), a[s],
                                                    scalar=scalar)
    for name in BINARY:
        fn = getattr(nd, name, None) or getattr(nd._internal, name)
        for s in STYPES:
            for t in STYPES:
                out[f"{name}:{s},{t}"] = _try(fn, a[s], b[t])
    for s in STYPES:
        out.update(_per_stype(mx, a, b, s))
    return out


def scenario_dot(mx):
    """dot for each storage combination and transpose flag."""
    nd = mx.nd
    rng = np.random.RandomState(0)
    rhs = {"plain": (5, 3), "transpose_a": (4, 3), "transpose_b": (3, 5)}
    out = {}
    a, _ = _inputs(mx)
    for mode, shape in rhs.items():
        r = rng.uniform(-1, 1, shape).astype(F32)
        r[1] = 0
        rs = {"default": nd.array(r), "row_sparse": nd.array(r).tostype("row_sparse"),
              "csr": nd.array(r).tostype("csr")}
        kwargs = {} if mode == "plain" else {mode: True}
        for s in STYPES:
            for t in STYPES:
                out[f"{mode}:{s},{t}"] = _try(nd.dot, a[s], rs[t], **kwargs)
    return out


def scenario_dot_grad(mx):
    """Backward of dot(csr, weight) into a row_sparse gradient (the test_autograd case)."""
    nd = mx.nd
    a, _ = _inputs(mx)
    out = {}
    for label, weight in (("rsp_weight", nd.ones((5, 3)).tostype("row_sparse")),
                          ("dense_weight", nd.ones((5, 3)))):
        weight.attach_grad(stype="row_sparse")
        with mx.autograd.record():
            y = nd.dot(a["csr"], weight)
        y.backward()
        out[f"{label}:out"] = describe(y)
        out[f"{label}:grad"] = describe(weight.grad)
    x = nd.array(A).tostype("csr")
    x.attach_grad()
    with mx.autograd.record():
        y = nd.sum(x * 3)
    y.backward()
    out["csr_grad"] = describe(x.grad)
    w = nd.array(A)
    w.attach_grad(stype="row_sparse")
    with mx.autograd.record():
        y = w * 0
    y.backward()
    out["zero_grad_rows"] = describe(w.grad)
    g = nd.zeros((2, 2), stype="csr")
    g.attach_grad()
    out["grad_default_stype"] = g.grad.stype
    out["detach_stype"] = g.detach().stype
    return out


def _rsp_grad(mx, shape, rows, seed, zero_row=None):
    rng = np.random.RandomState(seed)
    data = rng.uniform(-1, 1, (len(rows),) + shape[1:]).astype(F32)
    if zero_row is not None:
        data[zero_row] = 0
    return mx.nd.sparse.row_sparse_array((data, rows), shape=shape)


def _weight(mx, shape, stype, seed):
    w = mx.nd.array(np.random.RandomState(seed).uniform(-1, 1, shape).astype(F32))
    return w if stype == "default" else w.tostype(stype)


def _state_values(state):
    if state is None:
        return []
    if isinstance(state, (list, tuple)):
        return [v for s in state for v in _state_values(s)]
    return [describe(state)]


OPTIMIZERS = {
    "sgd": ("sgd", dict(learning_rate=0.1, wd=0.1)),
    "sgd_std": ("sgd", dict(learning_rate=0.1, wd=0.1, lazy_update=False)),
    "sgd_mom": ("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.1, clip_gradient=0.5)),
    "sgd_mom_std": ("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.1, lazy_update=False)),
    "adam": ("adam", dict(learning_rate=0.1, wd=0.1, rescale_grad=0.5)),
    "adam_std": ("adam", dict(learning_rate=0.1, wd=0.1, lazy_update=False)),
    "ftrl": ("ftrl", dict(learning_rate=0.1, wd=0.1, lamda1=0.01)),
    "adagrad": ("adagrad", dict(learning_rate=0.1)),
    "signum": ("signum", dict(learning_rate=0.1, momentum=0.9, wd=0.1)),
    "rmsprop": ("rmsprop", dict(learning_rate=0.1, wd=0.1)),
}


def scenario_optimizers(mx):
    """Two updates with row_sparse gradients (a stored zero row included): lazy updates
    change only the gradient's rows, standard ones every row."""
    out = {}
    shape = (5, 3)
    for name, (opt_name, kwargs) in OPTIMIZERS.items():
        for w_stype in ("default", "row_sparse"):
            opt = mx.optimizer.create(opt_name, **kwargs)
            w = _weight(mx, shape, w_stype, 1)
            state = opt.create_state_multi_precision(0, w)
            for step, rows in enumerate(([0, 2], [2, 3])):
                opt.update_multi_precision(0, w, _rsp_grad(mx, shape, rows, step, 0), state)
            key = f"{name}:{w_stype}"
            out[f"{key}:weight"] = describe(w)
            out[f"{key}:state_stypes"] = [getattr(s, "stype", None) for s in
                                          (state if isinstance(state, (list, tuple))
                                           else [state])]
            for i, s in enumerate(_state_values(state)):
                out[f"{key}:state{i}"] = s["dense"] if "dense" in s else s
    return out


def scenario_update_operators(mx):
    """The update operators called directly with a row_sparse gradient."""
    nd = mx.nd
    shape = (5, 3)
    grad = _rsp_grad(mx, shape, [1, 3], 7, 0)
    out = {}
    for lazy in (True, False):
        for w_stype in ("default", "row_sparse"):
            key = f"{'lazy' if lazy else 'std'}:{w_stype}"
            w = _weight(mx, shape, w_stype, 2)
            nd.sgd_update(w, grad, lr=0.1, wd=0.1, lazy_update=lazy, out=w)
            out[f"sgd:{key}"] = describe(w)
            w = _weight(mx, shape, w_stype, 2)
            mom = nd.zeros(shape, stype=w_stype)
            nd.sgd_mom_update(w, grad, mom, lr=0.1, momentum=0.9, wd=0.1, lazy_update=lazy,
                              out=w)
            out[f"sgd_mom:{key}"] = describe(w)
            out[f"sgd_mom:{key}:mom"] = describe(mom)
            w = _weight(mx, shape, w_stype, 2)
            mean, var = nd.zeros(shape, stype=w_stype), nd.zeros(shape, stype=w_stype)
            nd.adam_update(w, grad, mean, var, lr=0.1, wd=0.1, lazy_update=lazy, out=w)
            out[f"adam:{key}"] = describe(w)
            out[f"adam:{key}:var"] = describe(var)
    w = _weight(mx, shape, "row_sparse", 3)
    z, n = nd.zeros(shape, stype="row_sparse"), nd.zeros(shape, stype="row_sparse")
    nd.ftrl_update(w, grad, z, n, lr=0.1, wd=0.1, out=w)
    out["ftrl:weight"], out["ftrl:z"] = describe(w), describe(z)
    w = _weight(mx, shape, "default", 3)
    history = nd.zeros(shape)
    nd.sparse.adagrad_update(w, grad, history, lr=0.1, epsilon=1e-7, out=w)
    out["adagrad:weight"], out["adagrad:history"] = describe(w), describe(history)
    out["adagrad_wd"] = _raised(lambda: nd.sparse.adagrad_update(
        w, grad, history, lr=0.1, wd=0.1, out=w))
    return out


def scenario_embedding(mx):
    """An Embedding with sparse_grad trained by SGD with weight decay: the looked-up rows
    (one with a zero gradient) are updated, the others keep their values."""
    gluon = mx.gluon
    emb = gluon.nn.Embedding(6, 3, sparse_grad=True, prefix="emb_")
    emb.initialize(mx.init.Constant(0.5))
    trainer = gluon.Trainer(emb.collect_params(), "sgd",
                            {"learning_rate": 0.1, "wd": 0.1, "momentum": 0.5})
    data = mx.nd.array([[1, 4], [4, 2]])
    head = mx.nd.array(np.array([[[1, 2, 3], [0, 0, 0]], [[0, 0, 0], [-1, 0, 1]]], F32))
    out = {"grad_stype": emb.weight.grad().stype}
    for step in range(2):
        with mx.autograd.record():
            y = emb(data)
        y.backward(head)
        out[f"step{step}:grad"] = describe(emb.weight.grad())
        trainer.step(1)
        out[f"step{step}:weight"] = describe(emb.weight.data())
    emb.collect_params().zero_grad()
    out["zeroed_grad"] = describe(emb.weight.grad())
    return out


def scenario_gluon_row_sparse(mx):
    """A row_sparse Parameter: row_sparse_data pulls rows through its Trainer."""
    gluon = mx.gluon
    p = gluon.Parameter("w", shape=(4, 2), stype="row_sparse", grad_stype="row_sparse")
    p.initialize(init=mx.init.Constant(1.5))
    out = {"no_trainer": _raised(lambda: p.row_sparse_data(mx.nd.array([0]))),
           "data_raises": _raised(p.data),
           "grad_stype": p.grad().stype}
    trainer = gluon.Trainer([p], "sgd", {"learning_rate": 0.5})
    w = p.row_sparse_data(mx.nd.array([1, 3]))
    out["pulled"] = describe(w)
    with mx.autograd.record():
        y = (w * mx.nd.array(np.arange(8, dtype=F32).reshape(4, 2))).sum()
    y.backward()
    out["grad"] = describe(p.grad())
    trainer.step(1)
    out["after_step"] = describe(p.row_sparse_data(mx.nd.arange(0, 4)))
    out["list"] = [describe(a) for a in p.list_row_sparse_data(mx.nd.array([2]))]
    return out


def scenario_files(mx):
    """nd.save of sparse arrays: the bytes, and what loading them gives."""
    import os
    import tempfile

    sp, nd = mx.nd.sparse, mx.nd
    a, _ = _inputs(mx)
    arrays = {"rsp": a["row_sparse"], "csr": a["csr"],
              "rsp_empty": sp.zeros("row_sparse", (3, 2)),
              "csr_f64": a["csr"].astype("float64"), "dense": nd.array(B)}
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, "sparse.params")
        nd.save(fname, arrays)
        with open(fname, "rb") as f:
            raw = f.read()
        loaded = nd.load(fname)
    out = {"bytes": np.frombuffer(raw, np.uint8).copy()}
    out.update({f"loaded:{k}": describe(v) for k, v in loaded.items()})
    return out


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in sorted(globals().items())
             if name.startswith("scenario_")}


def flatten(results, prefix=""):
    """``(json-able leaves, numpy arrays)`` of a scenario's results, keyed by path."""
    leaves, arrays = {}, {}
    for key, value in results.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            sub_leaves, sub_arrays = flatten(value, path + "/")
            leaves.update(sub_leaves)
            arrays.update(sub_arrays)
        elif isinstance(value, np.ndarray):
            arrays[path] = value
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            sub_leaves, sub_arrays = flatten(dict(enumerate(value)), path + "/")
            leaves.update(sub_leaves)
            arrays.update(sub_arrays)
        else:
            leaves[path] = value
    return leaves, arrays
