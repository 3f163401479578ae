"""Custom operators (``mx.operator.CustomOp``) run twice: by real MXNet 1.9.1 (to make
goldens, ``generate_custom_op.py``) and by mxjax (``tests/operator/test_custom_op.py``).

``define(mx)`` registers the same operators in either library; each ``case_*`` takes the
library as ``mx`` and returns a dict of results (numpy arrays, strings, numbers, lists).
Only numpy and the ``mx`` API are used, so the code is valid for both.
"""

import numpy as np

__all__ = ["CASES", "define", "run_case", "PREFIX"]

PREFIX = "cop_"  # op_type names, unlikely to clash with other tests' registrations


def define(mx):
    """Register this module's custom operators in library ``mx``; returns a dict that
    records what the operators were given (``create_operator`` arguments, ``is_train``)."""
    seen = {"create": [], "is_train": [], "prop_kwargs": []}

    # The softmax-with-loss example of MXNet's documentation: backward ignores the output
    # gradient (need_top_grad=False) and gives softmax - onehot(label).
    class Softmax(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            seen["is_train"].append(int(is_train))
            x = in_data[0].asnumpy()
            y = np.exp(x - x.max(axis=1).reshape((x.shape[0], 1)))
            y /= y.sum(axis=1).reshape((x.shape[0], 1))
            self.assign(out_data[0], req[0], mx.nd.array(y))

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            label = in_data[1].asnumpy().ravel().astype(int)
            y = out_data[0].asnumpy()
            y[np.arange(label.shape[0]), label] -= 1.0
            self.assign(in_grad[0], req[0], mx.nd.array(y))

    @mx.operator.register(PREFIX + "softmax")
    class SoftmaxProp(mx.operator.CustomOpProp):
        def __init__(self):
            super().__init__(need_top_grad=False)

        def list_arguments(self):
            return ["data", "label"]

        def list_outputs(self):
            return ["output"]

        def infer_shape(self, in_shape):
            data_shape = in_shape[0]
            return [data_shape, (data_shape[0],)], [data_shape], []

        def create_operator(self, ctx, shapes, dtypes):
            seen["create"].append([str(ctx), [list(s) for s in shapes], list(dtypes)])
            return Softmax()

    # Square with an auxiliary state that forward sets and backward reads.
    class Sqr(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            aux[0][:] = aux[0] + 1
            self.assign(out_data[0], req[0], in_data[0] * in_data[0])

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0] * aux[0])

    @mx.operator.register(PREFIX + "sqr")
    class SqrProp(mx.operator.CustomOpProp):
        def __init__(self):
            super().__init__(need_top_grad=True)

        def list_arguments(self):
            return ["data"]

        def list_outputs(self):
            return ["output"]

        def list_auxiliary_states(self):
            return ["aux"]

        def infer_shape(self, in_shape):
            return in_shape, [in_shape[0]], [in_shape[0]]

        def infer_type(self, in_type):
            return in_type, [in_type[0]], [in_type[0]]

        def create_operator(self, ctx, shapes, dtypes):
            return Sqr()

    # Two outputs, a keyword argument (a string for the Prop) and numpy in backward.
    class ScaleSplit(mx.operator.CustomOp):
        def __init__(self, scale):
            super().__init__()
            self.scale = scale

        def forward(self, is_train, req, in_data, out_data, aux):
            a, b = in_data[0], in_data[1]
            self.assign(out_data[0], req[0], a * self.scale + b)
            self.assign(out_data[1], req[1], mx.nd.array(np.tanh(a.asnumpy() * b.asnumpy())))

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            a, b = in_data[0].asnumpy(), in_data[1].asnumpy()
            g0, g1 = out_grad[0].asnumpy(), out_grad[1].asnumpy()
            dt = g1 * (1 - np.tanh(a * b) ** 2)
            self.assign(in_grad[0], req[0], mx.nd.array(g0 * self.scale + dt * b))
            self.assign(in_grad[1], req[1], mx.nd.array(g0 + dt * a))

    @mx.operator.register(PREFIX + "scale_split")
    class ScaleSplitProp(mx.operator.CustomOpProp):
        def __init__(self, scale="1.0"):
            super().__init__()
            seen["prop_kwargs"].append(repr(scale))
            self.scale = float(scale)

        def list_arguments(self):
            return ["lhs", "rhs"]

        def list_outputs(self):
            return ["sum", "prod"]

        def infer_shape(self, in_shape):
            return in_shape, [in_shape[0], in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return ScaleSplit(self.scale)

    # float32 in, float64 out: infer_type decides the output dtype.
    class Widen(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0].astype("float64") * 3)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0].astype("float32") * 3)

    @mx.operator.register(PREFIX + "widen")
    class WidenProp(mx.operator.CustomOpProp):
        def infer_type(self, in_type):
            return in_type, [np.float64], []

        def create_operator(self, ctx, shapes, dtypes):
            seen["create"].append([str(ctx), [list(s) for s in shapes], list(dtypes)])
            return Widen()

    class Broken(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            raise ValueError("broken forward")

    @mx.operator.register(PREFIX + "broken")
    class BrokenProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return Broken()

    return seen


def _data(shape, seed, low=-1.0, high=1.0):
    return np.random.RandomState(seed).uniform(low, high, shape).astype(np.float32)


def case_nd_softmax(mx, seen):
    nd = mx.nd
    x = nd.array(_data((4, 5), 0) * 3)
    label = nd.array([0, 3, 1, 4])
    x.attach_grad()
    seen["is_train"].clear()
    with mx.autograd.record():
        y = nd.Custom(x, label, op_type=PREFIX + "softmax")
    y.backward()
    grad_ones = x.grad.asnumpy()
    # need_top_grad=False: a head gradient does not change the result
    with mx.autograd.record():
        y = nd.Custom(x, label, op_type=PREFIX + "softmax")
    y.backward(nd.array(_data((4, 5), 1)))
    out = y.asnumpy()
    training = sorted(set(seen["is_train"]))
    seen["is_train"].clear()
    inference = nd.Custom(x, label, op_type=PREFIX + "softmax").asnumpy()
    return {"out": out, "grad": grad_ones, "grad_heads": x.grad.asnumpy(),
            "inference": inference, "is_train": [training, sorted(set(seen["is_train"]))],
            "create": seen["create"][-1]}


def case_nd_aux(mx, seen):
    nd = mx.nd
    x = nd.array(_data((3, 4), 2))
    aux = nd.ones((3, 4)) * 2
    plain = nd.Custom(x, aux, op_type=PREFIX + "sqr")
    aux_after_plain = aux.asnumpy()
    x.attach_grad()
    with mx.autograd.record():
        y = nd.Custom(x, aux, op_type=PREFIX + "sqr")
        z = (y * nd.array(_data((3, 4), 3))).sum()
    z.backward()
    return {"plain": plain.asnumpy(), "aux_after_plain": aux_after_plain,
            "out": y.asnumpy(), "grad": x.grad.asnumpy(), "aux": aux.asnumpy()}


def case_nd_two_outputs(mx, seen):
    nd = mx.nd
    a, b = nd.array(_data((2, 3), 4)), nd.array(_data((2, 3), 5))
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        s, p = nd.Custom(a, b, op_type=PREFIX + "scale_split", scale=2.5)
        loss = (s * p).sum() + (s * 2).sum()
    loss.backward()
    c = nd.array(_data((2, 3), 6))
    c.attach_grad(grad_req="add")
    for _ in range(2):
        with mx.autograd.record():
            s2, p2 = nd.Custom(c, b, op_type=PREFIX + "scale_split")
        mx.autograd.backward([s2, p2], [nd.ones((2, 3)), nd.ones((2, 3)) * 3])
    return {"sum": s.asnumpy(), "prod": p.asnumpy(), "grad_a": a.grad.asnumpy(),
            "grad_b": b.grad.asnumpy(), "grad_add": c.grad.asnumpy(),
            "prop_kwargs": sorted(set(seen["prop_kwargs"]))}


def case_nd_widen(mx, seen):
    nd = mx.nd
    x = nd.array(_data((2, 2), 7))
    x.attach_grad()
    with mx.autograd.record():
        y = nd.Custom(x, op_type=PREFIX + "widen")
    y.backward()
    return {"out": y.asnumpy(), "dtype": str(y.dtype.__name__), "grad": x.grad.asnumpy(),
            "create": seen["create"][-1]}


def _sqr_symbol(mx):
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    return mx.sym.Custom(data=fc, op_type=PREFIX + "sqr", name="sq")


def case_sym_executor(mx, seen):
    nd = mx.nd
    out = _sqr_symbol(mx)
    info = {"arguments": out.list_arguments(), "aux": out.list_auxiliary_states(),
            "outputs": out.list_outputs(),
            "shapes": [list(map(list, s)) for s in out.infer_shape(data=(2, 4))],
            "json": out.tojson()}
    ex = out.simple_bind(mx.cpu(), data=(2, 4))
    ex.arg_dict["data"][:] = _data((2, 4), 8)
    ex.arg_dict["fc_weight"][:] = _data((3, 4), 9)
    ex.arg_dict["fc_bias"][:] = _data((3,), 10)
    ex.aux_dict["sq_aux"][:] = 0.5
    ex.forward(is_train=True)
    fwd = ex.outputs[0].asnumpy()
    ex.backward(nd.array(_data((2, 3), 11)))
    info.update({"out": fwd, "grad_data": ex.grad_dict["data"].asnumpy(),
                 "grad_weight": ex.grad_dict["fc_weight"].asnumpy(),
                 "grad_bias": ex.grad_dict["fc_bias"].asnumpy(),
                 "aux": ex.aux_dict["sq_aux"].asnumpy()})
    reloaded = mx.sym.load_json(out.tojson())
    info["reloaded_json"] = reloaded.tojson()
    return info


def case_sym_softmax_bind(mx, seen):
    nd = mx.nd
    data, label = mx.sym.var("data"), mx.sym.var("label")
    out = mx.sym.Custom(data, label, op_type=PREFIX + "softmax", name="sm")
    x = nd.array(_data((3, 4), 12))
    grad = nd.zeros((3, 4))
    ex = out.bind(mx.cpu(), args={"data": x, "label": nd.array([1, 0, 3])},
                  args_grad={"data": grad}, grad_req={"data": "write", "label": "null"})
    ex.forward(is_train=True)
    ex.backward()
    return {"out": ex.outputs[0].asnumpy(), "grad": grad.asnumpy(),
            "outputs": out.list_outputs(), "arguments": out.list_arguments()}


def _net(mx, hybridize):
    gluon = mx.gluon

    class Net(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.fc = gluon.nn.Dense(4, in_units=5)

        def hybrid_forward(self, F, x, label):
            return F.Custom(self.fc(x), label, op_type=PREFIX + "softmax")

    net = Net()
    net.initialize()
    net.fc.weight.set_data(mx.nd.array(_data((4, 5), 13)))
    net.fc.bias.set_data(mx.nd.array(_data((4,), 14)))
    if hybridize:
        net.hybridize()
    return net


def _train(mx, hybridize):
    net = _net(mx, hybridize)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    x = mx.nd.array(_data((6, 5), 15))
    label = mx.nd.array([0, 1, 2, 3, 1, 2])
    outs = []
    for _ in range(3):
        with mx.autograd.record():
            out = net(x, label)
        out.backward()
        trainer.step(6)
        outs.append(out.asnumpy())
    return {"outs": outs, "weight": net.fc.weight.data().asnumpy(),
            "bias": net.fc.bias.data().asnumpy()}


def case_gluon_train(mx, seen):
    return _train(mx, False)


def case_gluon_train_hybridized(mx, seen):
    return _train(mx, True)


def case_gluon_aux(mx, seen):
    # The auxiliary state is a Parameter (grad_req='null'); Sqr's forward adds 1 to it.
    class Net(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.count = self.params.get("count", shape=(2, 3), grad_req="null",
                                             init=mx.init.Constant(2.0))

        def hybrid_forward(self, F, x, count):
            return F.Custom(x, count, op_type=PREFIX + "sqr")

    results = {}
    for name, hybridize in (("imperative", False), ("hybridized", True)):
        net = Net()
        net.initialize()
        if hybridize:
            net.hybridize()
        x = mx.nd.array(_data((2, 3), 18))
        x.attach_grad()
        counts = [net(x).asnumpy()]
        counts.append(net.count.data().asnumpy())
        with mx.autograd.record():
            y = net(x)
        counts.append(net.count.data().asnumpy())
        y.backward(mx.nd.array(_data((2, 3), 19)))
        counts.append(net.count.data().asnumpy())
        results[name] = {"counts": counts, "out": y.asnumpy(), "grad": x.grad.asnumpy()}
    return results


def case_executor_aux_grad(mx, seen):
    # What backward reads is the state after the forward passes (MXNet 1.9.1's aux_dict
    # does not show it for an operator applied to an argument directly: not recorded).
    out = mx.sym.Custom(data=mx.sym.var("data"), op_type=PREFIX + "sqr", name="sq")
    ex = out.simple_bind(mx.cpu(), data=(2, 3))
    ex.arg_dict["data"][:] = _data((2, 3), 20)
    ex.aux_dict["sq_aux"][:] = 2
    ex.forward(is_train=False)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 3)))
    return {"out": ex.outputs[0].asnumpy(), "grad": ex.grad_dict["data"].asnumpy()}


def case_errors(mx, seen):
    nd = mx.nd

    def forward_error():
        nd.Custom(nd.ones((2, 2)), op_type=PREFIX + "broken").wait_to_read()

    def missing_input():
        nd.Custom(nd.ones((2, 2)), op_type=PREFIX + "sqr").wait_to_read()

    def unknown_op():
        nd.Custom(nd.ones((2, 2)), op_type=PREFIX + "not_registered").wait_to_read()

    result = {}
    for name, fn in (("forward", forward_error), ("missing_input", missing_input),
                     ("unknown", unknown_op)):
        try:
            fn()
            result[name] = None
        except Exception as e:  # noqa: BLE001 - the exception type is the result
            result[name] = type(e).__name__
    return result


def case_operator_api(mx, seen):
    ops = mx.operator.get_all_registered_operators()
    args = {name: list(mx.operator.get_operator_arguments(name))
            for name in ("Custom", "Activation")}
    return {"is_list": isinstance(ops, list), "has": [n in ops for n in
                                                      ("Custom", "Activation", "_plus_scalar")],
            "args": args, "fields": list(mx.operator.OperatorArguments._fields)}


def case_python_ops(mx, seen):
    nd = mx.nd

    class Double(mx.operator.NumpyOp):
        def forward(self, in_data, out_data):
            out_data[0][:] = in_data[0] * 2

        def backward(self, out_grad, in_data, out_data, in_grad):
            in_grad[0][:] = out_grad[0] * 2 + in_data[0]

    class Shift(mx.operator.NDArrayOp):
        def __init__(self):
            super().__init__(need_top_grad=True)

        def forward(self, in_data, out_data):
            out_data[0][:] = in_data[0] + 1

        def backward(self, out_grad, in_data, out_data, in_grad):
            in_grad[0][:] = out_grad[0] * out_data[0]

    results = {}
    for name, op in (("numpy", Double()), ("ndarray", Shift())):
        s = op.get_symbol(mx.sym.var("X"), name=f"{name}_op")
        x = nd.array(_data((5,), 16))
        dx = nd.zeros((5,))
        ex = s.bind(mx.cpu(), args=[x], args_grad={"X": dx})
        ex.forward(is_train=True)
        ex.backward(nd.array(_data((5,), 17)))
        results[name] = {"out": ex.outputs[0].asnumpy(), "grad": dx.asnumpy(),
                         "outputs": s.list_outputs()}
    return results


CASES = {name[len("case_"):]: fn for name, fn in sorted(globals().items())
         if name.startswith("case_")}


def run_case(name, mx, seen):
    return CASES[name](mx, seen)
