"""Custom operators (``mx.operator``): the cases of ``tests/reference/custom_op_cases.py``
against MXNet 1.9.1 goldens (``generate_custom_op.py``) -- nd, autograd, the symbol
executor, hybridized blocks and training steps -- with step capture on and off, plus
mxjax's own checks: errors that name the operator, re-registration, the module's API."""

import json
import os
import warnings

import numpy as np
import pytest

import mxjax as mx
from mxjax.base import MXNetError
from tests.reference import custom_op_cases as cases
from tests.reference.scenarios import decode, encode

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "reference", "goldens",
                      "custom_op.json")
with open(GOLDEN) as _f:
    EXPECTED = json.load(_f)

SEEN = cases.define(mx)


def assert_same(got, want, where):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: expected an array, got {got!r}"
        assert (got.dtype, got.shape) == (want.dtype, want.shape), where
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=where)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{where}: keys differ"
        for k in want:
            assert_same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


@pytest.mark.parametrize("capture", [True, False], ids=["captured", "eager"])
@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_matches_mxnet(name, capture):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PythonOp's deprecation warnings
        with mx.engine.capture(capture):
            got = decode(encode(cases.run_case(name, mx, SEEN)))
    assert_same(got, decode(EXPECTED[name]), name)


# ---- errors ------------------------------------------------------------------------------
class _FailingBackward(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * 2)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        raise ArithmeticError("no gradient today")


@mx.operator.register("cop_test_failing_backward")
class _FailingBackwardProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return _FailingBackward()


def test_forward_error_names_the_operator():
    x = mx.nd.ones((2, 2))
    with pytest.raises(MXNetError, match=r"Custom operator 'cop_broken': ValueError in "
                                         r"CustomOp.forward: broken forward"):
        mx.nd.Custom(x, op_type="cop_broken").wait_to_read()
    with pytest.raises(MXNetError, match="cop_broken"):
        with mx.autograd.record():
            y = mx.nd.Custom(x, op_type="cop_broken")
        y.asnumpy()


def test_forward_error_in_executor_and_hybridized_block():
    sym = mx.sym.Custom(mx.sym.var("data"), op_type="cop_broken")
    ex = sym.simple_bind(mx.cpu(), data=(2, 2))
    with pytest.raises(MXNetError, match="'cop_broken': ValueError in CustomOp.forward"):
        ex.forward()

    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.Custom(x, op_type="cop_broken")

    net = Net()
    net.hybridize()
    with pytest.raises(MXNetError, match="'cop_broken': ValueError in CustomOp.forward"):
        net(mx.nd.ones((2, 2))).asnumpy()


@pytest.mark.parametrize("capture", [True, False], ids=["captured", "eager"])
def test_backward_error_raises_at_backward(capture):
    x = mx.nd.ones((2, 2))
    x.attach_grad()
    with mx.engine.capture(capture):
        with mx.autograd.record():
            y = mx.nd.Custom(x, op_type="cop_test_failing_backward")
        with pytest.raises(MXNetError, match=r"'cop_test_failing_backward': ArithmeticError "
                                             r"in CustomOp.backward: no gradient today"):
            y.backward()


def test_bad_calls():
    x = mx.nd.ones((2, 3))
    with pytest.raises(MXNetError, match="required argument 'op_type'"):
        mx.nd.Custom(x)
    with pytest.raises(MXNetError, match="cannot find custom operator 'cop_nothing'"):
        mx.nd.Custom(x, op_type="cop_nothing")
    with pytest.raises(MXNetError, match=r"expected 2 inputs \(data, aux\).*missing \['aux'\]"):
        mx.nd.Custom(x, op_type="cop_sqr")
    with pytest.raises(TypeError, match="at most 2"):
        mx.nd.Custom(x, x, x, op_type="cop_sqr")
    with pytest.raises(MXNetError, match=r"input 'label' has shape \(3,\), but infer_shape "
                                         r"says \(2,\)"):
        mx.nd.Custom(x, mx.nd.ones((3,)), op_type="cop_softmax")


# ---- the operator in graphs --------------------------------------------------------------
def test_state_kept_on_the_operator_reaches_backward():
    class Remember(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.factor = float(in_data[0].asnumpy().max())
            self.assign(out_data[0], req[0], in_data[0] * self.factor)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0] * self.factor)

    @mx.operator.register("cop_test_remember")
    class RememberProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return Remember()

    a, b = mx.nd.array([1.0, 2.0]), mx.nd.array([3.0, 5.0])
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():  # two nodes of one op: each keeps its own state
        loss = (mx.nd.Custom(a, op_type="cop_test_remember")
                + mx.nd.Custom(b, op_type="cop_test_remember")).sum()
    loss.backward()
    np.testing.assert_array_equal(a.grad.asnumpy(), [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.asnumpy(), [5.0, 5.0])


def test_training_step_is_captured_once():
    net = cases._net(mx, hybridize=False)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x, label = mx.nd.ones((3, 5)), mx.nd.array([0, 1, 2])
    for step in range(4):
        if step == 2:
            mx.engine.reset_compile_stats()
        with mx.autograd.record():
            out = net(x, label)
        out.backward()
        trainer.step(3)
    net.fc.weight.data().asnumpy()
    stats = mx.engine.compile_stats()
    assert stats["compiles"] == 0, stats  # steps 3 and 4 reuse step 2's compiled graph


def test_symbol_json_keeps_op_type_and_strings():
    sym = mx.sym.Custom(mx.sym.var("a"), mx.sym.var("b"), op_type="cop_scale_split",
                        scale=0.5, name="ss")
    assert sym.list_outputs() == ["ss_sum", "ss_prod"]
    graph = json.loads(sym.tojson())
    assert graph["nodes"][-1]["attrs"] == {"op_type": "cop_scale_split", "scale": "0.5"}
    loaded = mx.sym.load_json(sym.tojson())
    assert loaded.tojson() == sym.tojson()
    a, b = np.ones((2, 2), np.float32), np.full((2, 2), 2, np.float32)
    out = loaded.eval(a=mx.nd.array(a), b=mx.nd.array(b))
    np.testing.assert_allclose(out[0].asnumpy(), a * 0.5 + b)


def test_reregistration_overrides():
    x = mx.nd.array([1.0, 2.0])

    def make(factor):
        class Scale(mx.operator.CustomOp):
            def forward(self, is_train, req, in_data, out_data, aux):
                self.assign(out_data[0], req[0], in_data[0] * factor)

        class ScaleProp(mx.operator.CustomOpProp):
            def create_operator(self, ctx, shapes, dtypes):
                return Scale()

        return ScaleProp

    mx.operator.register("cop_test_override")(make(2))
    np.testing.assert_array_equal(mx.nd.Custom(x, op_type="cop_test_override").asnumpy(),
                                  [2.0, 4.0])
    with pytest.warns(UserWarning, match="overriding existing custom operator"):
        mx.operator.register("cop_test_override")(make(3))
    np.testing.assert_array_equal(mx.nd.Custom(x, op_type="cop_test_override").asnumpy(),
                                  [3.0, 6.0])


# ---- the module's API --------------------------------------------------------------------
def test_star_import_and_names():
    namespace = {}
    exec("from mxjax.operator import *", namespace)
    for name in ("CustomOp", "CustomOpProp", "register", "get_all_registered_operators",
                 "get_operator_arguments", "OperatorArguments", "PythonOp", "NumpyOp",
                 "NDArrayOp", "OpSpec", "Required", "get", "all_specs",
                 "infer_param_shapes"):
        assert name in namespace, name
    ops = mx.operator.get_all_registered_operators()
    assert ops == sorted(ops) and "_plus_scalar" in ops and "Custom" in ops
    fc = mx.operator.get_operator_arguments("FullyConnected")
    assert fc.names == ["data", "weight", "bias", "num_hidden", "no_bias", "flatten"]
    assert fc.types[:3] == ["NDArray-or-Symbol"] * 3
    assert fc.types[4:] == ["boolean, optional, default=0", "boolean, optional, default=1"]
    with pytest.raises(MXNetError):
        mx.operator.get_operator_arguments("NoSuchOperator")


def test_default_prop_and_storage_types():
    prop = mx.operator.CustomOpProp()
    assert prop.infer_shape([[2, 3]]) == ([[2, 3]], ([2, 3],), ())
    assert prop.infer_type([np.float32]) == ([np.float32], [np.float32], [])
    assert prop.infer_storage_type(["default"]) == (["default"], ["default"], [])
    with pytest.raises(MXNetError, match="non default stype"):
        prop.infer_storage_type(["csr"])
    assert prop.declare_backward_dependency([0], [1], [2]) == [0, 1, 2]
    assert mx.operator.CustomOpProp(need_top_grad=False).declare_backward_dependency(
        [0], [1], [2]) == [1, 2]
