"""Behaviour scenarios run twice: by real MXNet 1.9.1 (to make goldens) and by mxjax.

Each ``scenario_*`` takes the module under test as ``mx`` and returns a dict of results
(numpy arrays, strings, numbers, or ``Raised`` markers). Only numpy and the ``mx`` API may
be used, so the same code is valid for both libraries.
"""

import numpy as np

__all__ = ["SCENARIOS", "run_scenario", "encode", "decode"]


def _raises(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception type is the result
        return {"raised": type(e).__name__}
    return {"raised": None}


def scenario_repr(mx):
    nd = mx.nd
    return {
        "f32": repr(nd.array([[1, 2], [3, 4]])),
        "f16": repr(nd.array([1.5, 2], dtype="float16")),
        "i32": repr(nd.array([1, -2, 3], dtype="int32")),
        "i64": str(nd.array([7], dtype="int64")),
        "u8": repr(nd.array([[255, 0]], dtype="uint8")),
        "f64": repr(nd.array([0.1, 1e-8], dtype="float64")),
        "3d": repr(nd.zeros((2, 1, 3))),
        "scalar_index": repr(nd.array([[1, 2], [3, 4]])[1, 0]),
        "dtype": str(nd.array([1]).dtype),
        "dtype_np": str(nd.array(np.array([1, 2], dtype=np.int64)).dtype),
        "dtype_keep": str(nd.array(nd.array([1], dtype="int32")).dtype),
        "ctx": str(nd.zeros((1,)).context),
        "stype": nd.zeros((1,)).stype,
    }


def scenario_views(mx):
    nd = mx.nd
    a = nd.arange(6).reshape((2, 3))
    row = a[1]
    a[:] = 7
    seen_by_view = row.asnumpy()
    row[:] = 1
    after_view_write = a.asnumpy()
    r = a.reshape((3, 2))
    r[0] = 5
    after_reshape_write = a.asnumpy()
    b = nd.arange(12).reshape((3, 4))
    col = b[:, 1]
    col[:] = -1  # not contiguous: a copy, the source is unchanged
    c = nd.arange(12).reshape((3, 4))
    block = c[1:3]
    block += 100
    d = nd.arange(12).reshape((3, 4))
    part = d[1, 1:3]  # contiguous: a view
    part[:] = 0
    e = nd.arange(4)
    det = e.detach()
    det[1] = 9
    return {"seen_by_view": seen_by_view, "after_view_write": after_view_write,
            "after_reshape_write": after_reshape_write, "col_copy": b.asnumpy(),
            "col": col.asnumpy(), "block_inplace": c.asnumpy(), "row_part": d.asnumpy(),
            "detach_shares": e.asnumpy()}


def scenario_setitem(mx):
    nd = mx.nd
    x = nd.zeros((3, 4))
    x[1] = 1
    x[:, 2] = nd.array([5, 6, 7])
    x[0, 0] = 3.5
    x[2, 1:3] = nd.array([[8, 9]])
    y = nd.zeros((4,), dtype="int32")
    y[:] = 2.7
    z = nd.zeros((5,))
    z[nd.array([0, 3])] = 4
    w = nd.zeros((2, 3))
    w[:] = nd.array([1, 2, 3])
    v = nd.arange(6).reshape((2, 3))
    v[1][2] = 40
    return {"x": x.asnumpy(), "y": y.asnumpy(), "z": z.asnumpy(), "w": w.asnumpy(),
            "v": v.asnumpy()}


def scenario_getitem(mx):
    nd = mx.nd
    x = nd.arange(24).reshape((2, 3, 4))
    big = nd.arange(10)
    return {
        "int": x[1].asnumpy(), "int_int": x[1, 2].asnumpy(), "all_int": x[1, 2, 3].asnumpy(),
        "neg": x[-1, -1].asnumpy(), "step": x[:, ::2].asnumpy(), "ellipsis": x[..., 1].asnumpy(),
        "newaxis": x[None, 0].shape, "nd_index": big[nd.array([1, 3, 3])].asnumpy(),
        "list_index": x[[0, 1], [2, 0]].asnumpy(), "mask_as_int": big[big > 5].asnumpy(),
        "mixed": x[:, nd.array([0, 2])].asnumpy(),
        "out_of_range": _raises(lambda: x[2]),
        "too_many": _raises(lambda: x[0, 0, 0, 0]),
    }


def scenario_arith(mx):
    nd = mx.nd
    a = nd.array([[1, 2, 3], [4, 5, 6]])
    b = nd.array([10, 20, 30])
    i = nd.array([7, -7, 5], dtype="int32")
    j = nd.array([2, 2, -3], dtype="int32")
    x = nd.array([1, 2, 3])
    x += 1
    x *= 2
    x -= nd.array([1, 1, 1])
    x /= 2
    return {
        "add_bcast": (a + b).asnumpy(), "rsub": (1 - a).asnumpy(), "rdiv": (6 / a).asnumpy(),
        "pow": (a ** 2).asnumpy(), "rpow": (2 ** a).asnumpy(), "neg": (-a).asnumpy(),
        "int_div": (i / j).asnumpy(), "int_mod": (i % j).asnumpy(),
        "int_scalar_mul": (i * 0.5).asnumpy(), "int_scalar_add": (i + 2.7).asnumpy(),
        "eq": (a == 2).asnumpy(), "gt": (a > b / 10).asnumpy(),
        "cmp_int": (i >= 0).asnumpy(), "cmp_int_dtype": str((i >= 0).dtype),
        "inplace_chain": x.asnumpy(), "abs": abs(nd.array([-1.5, 2])).asnumpy(),
        "matmul": _raises(lambda: a @ nd.ones((3, 2))),
        "bad_bcast": _raises(lambda: a + nd.ones((4,))),
        "maximum": nd.maximum(a, 3).asnumpy(), "minimum_arr": nd.minimum(a, b / 10).asnumpy(),
        "scalar_scalar": nd.add(2, 3),
    }


def scenario_methods(mx):
    nd = mx.nd
    a = nd.array([[1.5, -2], [3, 4]])
    it = [r.asnumpy() for r in a]
    return {
        "asscalar": float(nd.array([3.25]).asscalar()), "len": len(a), "iter": np.stack(it),
        "bool0": bool(nd.array([0])), "bool1": bool(nd.array([2])),
        "bool_many": _raises(lambda: bool(a)), "asscalar_many": _raises(lambda: a.asscalar()),
        "astype": a.astype("int32").asnumpy(), "astype_dtype": str(a.astype("int32").dtype),
        "T": a.T.asnumpy(), "copy_independent": _copy_independent(nd),
        "copyto": a.copyto(nd.zeros((2, 2))).asnumpy(), "size": a.size, "ndim": a.ndim,
        "shape": a.shape, "reshape_codes": nd.zeros((2, 3, 4)).reshape((0, -1)).shape,
        "reshape_m2": nd.zeros((2, 3, 4)).reshape((-2,)).shape,
        "reshape_m3": nd.zeros((2, 3, 4)).reshape((-3, 4)).shape,
        "reshape_m4": nd.zeros((2, 12)).reshape((0, -4, 3, -1)).shape,
        "reshape_rev": nd.zeros((10, 5, 4)).reshape((-1, 0), reverse=True).shape,
        "reshape_star": nd.zeros((2, 6)).reshape(3, 4).shape,
        "reshape_bad": _raises(lambda: nd.zeros((2, 3)).reshape((4, 2))),
        "sum_method": a.sum().asnumpy(), "exp_method": nd.array([0.0]).exp().asnumpy(),
        "bad_dtype": _raises(lambda: nd.zeros((2,), dtype="float17")),
    }


def _copy_independent(nd):
    a = nd.array([1, 2])
    b = a.copy()
    b[0] = 5
    return a.asnumpy()


def scenario_creation(mx):
    nd = mx.nd
    return {
        "zeros": nd.zeros((2, 3)).asnumpy(), "ones_i": nd.ones((2,), dtype="int32").asnumpy(),
        "full": nd.full((2, 2), 7).asnumpy(), "full_dtype": str(nd.full((1,), 7).dtype),
        "arange": nd.arange(2, 6, step=1.5, repeat=2).asnumpy(),
        "arange_int": nd.arange(5, dtype="int32").asnumpy(),
        "arange_frac": nd.arange(0, 1, 0.1).asnumpy(),
        "linspace": nd.linspace(0, 1, 5).asnumpy(),
        "eye": nd.eye(3, 4, k=1).asnumpy(), "empty_shape": nd.empty((2, 2)).shape,
        "zeros_int_shape": nd.zeros(3).shape, "array_nested": nd.array([[1, 2], [3, 4]]).asnumpy(),
        "array_f64": str(nd.array([1, 2], dtype="float64").dtype),
    }


def scenario_autograd_basic(mx):
    nd, ag = mx.nd, mx.autograd
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with ag.record():
        y = x * x + 2 * x
    y.backward()
    g1 = x.grad.asnumpy()
    with ag.record():
        z = (x * 3).sum()
    z.backward(nd.array([2.0]))
    g2 = x.grad.asnumpy()
    states = []
    states.append((ag.is_recording(), ag.is_training()))
    with ag.record():
        states.append((ag.is_recording(), ag.is_training()))
        with ag.pause():
            states.append((ag.is_recording(), ag.is_training()))
        with ag.predict_mode():
            states.append((ag.is_recording(), ag.is_training()))
    with ag.record(train_mode=False):
        states.append((ag.is_recording(), ag.is_training()))
    with ag.train_mode():
        states.append((ag.is_recording(), ag.is_training()))
    prev = ag.set_recording(True)
    states.append((prev, ag.is_recording()))
    ag.set_recording(False)
    prev_t = ag.set_training(True)
    states.append((prev_t, ag.is_training()))
    ag.set_training(False)
    return {"grad_poly": g1, "grad_head": g2, "states": np.array(states, dtype=np.int32)}


def scenario_autograd_reqs(mx):
    nd, ag = mx.nd, mx.autograd
    x = nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(3):
        with ag.record():
            y = x * x
        y.backward()
    add = x.grad.asnumpy()
    w = nd.array([1.0, 2.0])
    w.attach_grad(grad_req="null")
    v = nd.array([3.0, 4.0])
    v.attach_grad()
    with ag.record():
        out = (w * v).sum()
    out.backward()
    g = nd.zeros((2,))
    m = nd.array([5.0, 6.0])
    ag.mark_variables([m], [g])
    with ag.record():
        (m * m).backward()
    with ag.record():
        y2 = x * 2
    y2.backward(retain_graph=True)
    y2.backward(retain_graph=True)
    with ag.record():
        y3 = x * 2
    y3.backward()
    second = _raises(lambda: y3.backward())
    not_recorded = _raises(lambda: (x * 2).backward())
    x2 = nd.array([1.0, 2.0])
    x2.attach_grad()

    def inplace_in_graph():
        with ag.record():
            t = x2 * 2
            t += 1

    return {"add": add, "null_grad": w.grad is None, "v_grad": v.grad.asnumpy(),
            "marked": g.asnumpy(), "retained_add": x.grad.asnumpy(), "second": second,
            "not_recorded": not_recorded, "inplace": _raises(inplace_in_graph)}


def scenario_autograd_graphs(mx):
    nd, ag = mx.nd, mx.autograd
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with ag.record():
        y = x[1:2] * 2
        z = (x[:, 1] * 3).sum() + y.sum()
    z.backward()
    slice_grad = x.grad.asnumpy()
    a = nd.array([0.5, -1.0, 2.0])
    a.attach_grad()
    with ag.record():
        b = a.reshape((3, 1)) * nd.array([[1.0, 2.0]])
        c = nd.relu(b) + nd.exp(b) * b
    c.backward(nd.ones((3, 2)))
    multi_grad = a.grad.asnumpy()
    p = nd.array([1.0, 2.0])
    p.attach_grad()
    with ag.record():
        q = p * 1
        for _ in range(5):
            q = q * p + 1
    q.backward()
    loop_grad = p.grad.asnumpy()
    u = nd.array([2.0, 3.0])
    u.attach_grad()
    with ag.record():
        k = u * u
        with ag.pause():
            const = k * 10
        r = k * const
    r.backward()
    return {"slice_grad": slice_grad, "multi_grad": multi_grad, "loop_grad": loop_grad,
            "pause_grad": u.grad.asnumpy()}


def scenario_autograd_higher(mx):
    nd, ag = mx.nd, mx.autograd
    x = nd.ones((2,))
    x.attach_grad()
    with ag.record():
        z = nd.elemwise_add(nd.exp(x), x)
    dx = ag.grad(z, [x], create_graph=True)
    first = dx[0].asnumpy()
    text = str(dx)
    dx[0].backward()
    second = x.grad.asnumpy()
    y = nd.array([1.0, 2.0, 3.0])
    y.attach_grad()
    with ag.record():
        # MXNet 1.9.1 has second-order rules for few operators (sin, exp, log, ...)
        f = nd.sin(y)
        (gy,) = ag.grad(f, [y], create_graph=True, retain_graph=True)
        h = nd.sin(gy).sum()
    h.backward()
    w = nd.array([0.5, -2.0])
    w.attach_grad()
    with ag.record():
        q = w * w
    single = ag.grad(q, w)  # one variable, not in a list: MXNet still returns a list
    return {"first": first, "printed": text, "second": second, "mixed_second": y.grad.asnumpy(),
            "single_is_list": isinstance(single, list), "single": single[0].asnumpy()}


def scenario_function(mx):
    nd, ag = mx.nd, mx.autograd

    class Sigmoid(ag.Function):
        def forward(self, x):
            y = 1 / (1 + nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y * (1 - y)

    class NumpyScale(ag.Function):
        def forward(self, x, s):
            return nd.array(x.asnumpy() * s.asnumpy())

        def backward(self, dy):
            return nd.array(dy.asnumpy() * 3), nd.array(dy.asnumpy() * 0 + 1)

    x = nd.array([-1.0, 0.0, 0.5, 2.0])
    x.attach_grad()
    with ag.record():
        m = Sigmoid()(x)
        out = (m * nd.array([1.0, 2.0, 3.0, 4.0])).sum()
    out.backward()
    s = nd.array([3.0, 3.0, 3.0, 3.0])
    s.attach_grad()
    x2 = nd.array([1.0, 2.0, 3.0, 4.0])
    x2.attach_grad()
    with ag.record():
        y = NumpyScale()(x2, s) * 2
    y.backward()
    return {"value": m.asnumpy(), "grad": x.grad.asnumpy(), "numpy_grad_x": x2.grad.asnumpy(),
            "numpy_grad_s": s.grad.asnumpy()}


def scenario_context(mx):
    return {
        "cpu": str(mx.cpu()), "cpu1": repr(mx.cpu(1)), "gpu": str(mx.gpu(2)),
        "eq": mx.cpu(0) == mx.Context("cpu", 0), "current": str(mx.current_context()),
        "with": _with_ctx(mx), "device_type": mx.gpu(0).device_type,
        "array_ctx": str(mx.nd.zeros((1,), ctx=mx.cpu(0)).context),
    }


def _with_ctx(mx):
    with mx.cpu(1):
        inside = str(mx.current_context())
    return inside + "," + str(mx.current_context())


def scenario_save_load(mx, tmpdir):
    nd = mx.nd
    path = f"{tmpdir}/arrays.params"
    nd.save(path, {"w": nd.array([[1, 2], [3, 4]]), "b": nd.array([1, 2, 3], dtype="int32")})
    loaded = nd.load(path)
    nd.save(path, [nd.ones((2,)), nd.zeros((1, 2), dtype="float16")])
    as_list = nd.load(path)
    return {"keys": ",".join(sorted(loaded)), "w": loaded["w"].asnumpy(),
            "b": loaded["b"].asnumpy(), "b_dtype": str(loaded["b"].dtype),
            "list_len": len(as_list), "list1": as_list[1].asnumpy(),
            "list1_dtype": str(as_list[1].dtype)}


def scenario_inplace_views(mx):
    nd = mx.nd
    t = (nd.arange(30) + 1).reshape((2, 3, 5))
    flat_copy, flat_view = t.flatten(), t.flatten(inplace=True)
    d = nd.arange(15).reshape((1, 5, 1, 3))
    sq_copy, sq_view = d.squeeze(axis=(0, 2)), d.squeeze(axis=(0, 2), inplace=True)
    e = nd.arange(6).reshape((2, 3))
    ex_copy, ex_view = e.expand_dims(-2), e.expand_dims(-2, inplace=True)
    t[0] = -1
    d[0, 1] = -2
    e[1] = -3
    return {"flat_copy": flat_copy.asnumpy(), "flat_view": flat_view.asnumpy(),
            "sq_copy": sq_copy.asnumpy(), "sq_view": sq_view.asnumpy(),
            "ex_copy": ex_copy.asnumpy(), "ex_view": ex_view.asnumpy(),
            "squeeze_all": nd.ones((1, 1, 1)).squeeze(inplace=True).shape,
            "squeeze_not_one": _raises(lambda: d.squeeze(axis=1, inplace=True)),
            "expand_bad_axis": _raises(lambda: e.expand_dims(4, inplace=True))}


def scenario_reshape_sizes(mx):
    t = mx.nd.arange(30).reshape((2, 3, 5))
    return {"smaller": _raises(lambda: t.reshape((2, 3))),
            "larger": _raises(lambda: t.reshape((100,))),
            "floor_infer": _raises(lambda: t.reshape((7, -1))),
            "reverse": t.reshape((-1, 0), reverse=True).shape,
            "codes": t.reshape((-1, 15)).reshape((0, -4, 3, -1)).shape}


def scenario_moveaxis(mx):
    nd = mx.nd
    x = nd.arange(24).reshape((4, 1, 2, 3))
    shapes = {f"{src}->{dst}": nd.moveaxis(x, src, dst).shape
              for src, dst in ((0, 2), (-1, 0), ((0, 1), (2, 3)), ((3, 0), (1, 0)),
                               ((0, 1, 2), (2, 3, 0)), (range(4), range(4)))}
    errors = {f"{src}->{dst}": _raises(lambda s=src, d=dst: nd.moveaxis(x, s, d))
              for src, dst in ((4, 0), (-5, 0), (0, 6), ([0, 0], [0, 1]), (0, [0, 1]))}
    return {"shapes": shapes, "errors": errors,
            "values": nd.moveaxis(x, [3, 0], [1, 0]).asnumpy()}


def scenario_cached_op(mx):
    nd, ag = mx.nd, mx.autograd
    op = nd.CachedOp(mx.sym.Convolution(kernel=(3, 3), num_filter=2) + 2)
    data = nd.array(np.arange(2 * 3 * 5 * 5).reshape((2, 3, 5, 5)) / 100)
    weight = nd.array(np.linspace(-1, 1, 2 * 3 * 9).reshape((2, 3, 3, 3)))
    bias = nd.array([0.5, -1.0])
    first = op(data, weight, bias)
    bias[:] = 2
    out = nd.zeros(first.shape)
    op(data, weight, bias, out=out)
    weight.attach_grad()
    data.attach_grad()
    with ag.record():
        y = op(data, weight, bias * 3) * nd.array([1.0, -2.0]).reshape((1, 2, 1, 1))
    y.backward()
    return {"first": first.asnumpy(), "out": out.asnumpy(), "y": y.asnumpy(),
            "weight_grad": weight.grad.asnumpy(), "data_grad": data.grad.asnumpy()}


def scenario_contiguous_slices(mx):
    slices = [slice(None), slice(2), slice(1, 4), slice(None, None, 2), slice(0, 1),
              slice(None, None, -1), slice(3, None, -2), slice(4, 4)]
    predicate = mx.nd.NDArray._basic_indexing_slice_is_contiguous
    return {"flags": [bool(predicate((a, b, c), (6, 7, 8)))
                      for a in slices for b in slices for c in slices]}


def scenario_inplace_recording(mx):
    nd, ag = mx.nd, mx.autograd

    def fresh():
        y = nd.ones((2, 4))
        y.attach_grad()
        return nd.zeros((3, 4)), y

    def partial_write():
        x, y = fresh()
        with ag.record():
            x[0:2] = y

    def whole_write():
        x, y = fresh()
        with ag.record():
            x[:] = nd.concat(y, y[0:1], dim=0)

    def iadd():
        x, y = fresh()
        with ag.record():
            x += y[0]

    def write_variable():
        x, y = fresh()
        with ag.record():
            y[0] = 1

    def untracked():
        x, _ = fresh()
        with ag.record():
            x[1] = 5
            x += 1
        return x

    return {"partial_write": _raises(partial_write), "whole_write": _raises(whole_write),
            "iadd": _raises(iadd), "write_variable": _raises(write_variable),
            "untracked": untracked().asnumpy()}


def scenario_integer_grads(mx):
    nd, ag = mx.nd, mx.autograd
    x = nd.array(np.arange(24).reshape((2, 3, 4)), dtype="int32")
    x.attach_grad()
    with ag.record():
        y = x[1, 1:3]
    y.backward()
    basic = x.grad.asnumpy()
    with ag.record():
        z = x[[0, 1, 1], 2]
    z.backward(nd.array([[1, 2, 3, 4]] * 3, dtype="int32"))
    a = nd.arange(0, 20, dtype="int64")
    a.attach_grad()
    with ag.record():
        top = nd.topk(a, k=3, ret_typ="value")
    top.backward(nd.array([5, 6, 7], dtype="int64"))
    return {"basic": basic, "advanced": x.grad.asnumpy(), "topk": a.grad.asnumpy(),
            "grad_dtype": str(x.grad.dtype)}


def scenario_np_shape_files(mx, tmpdir):
    nd = mx.nd
    path = f"{tmpdir}/v3.nd"
    with mx.np_shape(True):
        nd.save(path, [nd.array(np.array(3.0)), nd.zeros((2, 0, 1)), nd.arange(3)])
        loaded = nd.load(path)
    with open(path, "rb") as f:
        v3 = f.read().hex()
    legacy = f"{tmpdir}/v2.nd"
    nd.save(legacy, [nd.array(np.zeros((2, 0, 1))), nd.arange(3)])
    with mx.np_shape(True):
        v2_in_np = _raises(lambda: nd.load(legacy))
    return {"v3_bytes": v3, "v3_shapes": [a.shape for a in loaded],
            "v3_values": loaded[2].asnumpy(), "v3_outside_np": _raises(lambda: nd.load(path)),
            "v2_in_np": v2_in_np, "v2": [a.shape for a in nd.load(legacy)],
            "pickle_state": bytes(nd.array([[1, 2], [3, 4]]).__getstate__()["handle"]).hex(),
            "pickle_int": bytes(nd.array([7], dtype="int64").__getstate__()["handle"]).hex()}


def scenario_interop(mx):
    nd = mx.nd
    shared = np.arange(6, dtype="float32").reshape((3, 2))
    x = nd.from_numpy(shared)
    x[2, 1] = 100
    copied = np.arange(4).reshape((2, 2))
    y = nd.from_numpy(copied, zero_copy=False)
    a = nd.array([[1.5, 2], [3, 4]])
    b = nd.from_dlpack(a.to_dlpack_for_read())
    c = nd.from_dlpack(nd.to_dlpack_for_write(a.copy()))
    return {"shared_after_write": shared, "shared_writeable": bool(shared.flags["WRITEABLE"]),
            "x": x.asnumpy(), "y_dtype": str(y.dtype), "y": y.asnumpy(),
            "copied_writeable": bool(copied.flags["WRITEABLE"]),
            "non_contiguous": _raises(lambda: nd.from_numpy(np.ones((2, 3)).T)),
            "dlpack_read": b.asnumpy(), "dlpack_write": c.asnumpy(),
            "dlpack_dtype": str(b.dtype)}


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in dict(globals()).items()
             if name.startswith("scenario_")}


def run_scenario(name, mx, tmpdir):
    fn = SCENARIOS[name]
    return fn(mx, tmpdir) if name in ("save_load", "np_shape_files") else fn(mx)


def encode(value):
    """JSON-ready form of a scenario result."""
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, list):
        return [encode(v) for v in value]
    if hasattr(value, "asnumpy"):
        return encode(value.asnumpy())
    return value


def decode(value):
    if isinstance(value, dict):
        if "array" in value and "dtype" in value:
            return np.array(value["array"], dtype=value["dtype"]).reshape(value["shape"])
        if "tuple" in value:
            return tuple(decode(v) for v in value["tuple"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
