"""Shape inference and the executor's graph passes against MXNet 1.9.1.

The cases of ``tests/reference/generate_symbol_infer.py`` run here unchanged on mxjax:
partial and backward shape inference (legacy and NumPy shape semantics), the memory
``Executor.debug_str`` reports, ``get_optimized_symbol`` (common subexpressions),
binding through operators without a gradient, hidden attributes given as keywords,
``_gen_atomic_symbol`` and ``is_np_shape`` in the JSON. Below them, what goldens cannot
show: ``Executor.reshape`` sharing memory and executors sharing compiled code.
"""

import json
import os

import numpy as np
import pytest

import mxjax as mx
from tests.reference import generate_symbol_infer as cases

GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")
with open(os.path.join(GOLDENS, "symbol_infer.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)


@pytest.mark.parametrize("name", list(cases.INFER))
def test_infer_shape_matches_mxnet(name):
    assert cases.infer(mx, name) == EXPECTED["infer"][name]


@pytest.mark.parametrize("name", list(cases.MEMORY))
def test_planned_memory_matches_mxnet(name):
    assert cases.memory(mx, name) == EXPECTED["memory"][name]


@pytest.mark.parametrize("name", list(cases.CSE))
def test_optimized_symbol_matches_mxnet(name):
    assert cases.cse(mx, name) == EXPECTED["cse"][name]


@pytest.mark.parametrize("name", list(cases.BIND))
def test_bind_through_operator_without_gradient(name):
    assert cases.bind(mx, name) == EXPECTED["bind"][name]


@pytest.mark.parametrize("name", list(cases.ATTRS))
def test_attributes_and_atomic_symbols_match_mxnet(name):
    assert cases.attrs(mx, name) == EXPECTED["attrs"][name]


@pytest.mark.parametrize("name", list(cases.JSON_CASES))
def test_np_shape_json_matches_mxnet(name):
    assert cases.json_case(mx, name) == EXPECTED["json"][name]


def test_deprecated_variable_attribute_keywords_raise():
    with pytest.raises(mx.base.MXNetError, match="weight_lr_mult is deprecated"):
        mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2, weight_lr_mult=0.1)


# ---- Executor.reshape: the new executor shares memory with the original -------------------
def test_reshape_views_the_original_arrays_and_outputs():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=4, name="fc")
    ex = fc.simple_bind(mx.cpu(), x=(5, 4), grad_req="null")
    assert ex.outputs[0].shape == (5, 4)  # allocated at bind, as in MXNet
    ex.arg_dict["x"][:] = 1
    ex.arg_dict["fc_weight"][:] = 1
    small = ex.reshape(x=(3, 4))
    assert small.arg_dict["fc_weight"] is ex.arg_dict["fc_weight"]
    small.forward()
    np.testing.assert_array_equal(small.outputs[0].asnumpy(), np.full((3, 4), 4.0))
    np.testing.assert_array_equal(ex.outputs[0].asnumpy()[:3], np.full((3, 4), 4.0))
    small.arg_dict["x"][:] = 2  # a view of the first rows of the original
    np.testing.assert_array_equal(ex.arg_dict["x"].asnumpy()[:3], np.full((3, 4), 2.0))
    np.testing.assert_array_equal(ex.arg_dict["x"].asnumpy()[3:], np.full((2, 4), 1.0))


def test_reshape_up_sizing_and_unspecified_arguments():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=4, name="fc")
    ex = fc.simple_bind(mx.cpu(), x=(2, 3))
    with pytest.raises(mx.base.MXNetError, match="allow_up_sizing"):
        ex.reshape(x=(4, 3))
    big = ex.reshape(x=(4, 3), allow_up_sizing=True)
    big.arg_dict["x"][:] = 5
    assert not ex.arg_dict["x"].asnumpy().any()
    assert big.grad_dict["fc_weight"] is ex.grad_dict["fc_weight"]
    with pytest.raises(mx.base.MXNetError, match="partial_shaping"):
        ex.reshape(x=(1, 6))  # fc_weight would change shape
    wider = ex.reshape(x=(2, 2), partial_shaping=True)
    assert wider.arg_dict["fc_weight"].shape == (4, 2)


# ---- executors share compiled code -----------------------------------------------------------
def test_binding_again_compiles_nothing():
    from mxjax.symbol import graph_cache

    def run(name, shape):
        a, b = mx.sym.var(f"{name}_a"), mx.sym.var(f"{name}_b")
        ex = (a * b + a).bind(mx.cpu(), args=[mx.nd.ones(shape), mx.nd.ones(shape)],
                              args_grad=[mx.nd.zeros(shape), mx.nd.zeros(shape)])
        ex.forward()
        ex.backward([mx.nd.ones(shape)])
        return ex.grad_arrays[0].asnumpy()

    np.testing.assert_array_equal(run("p", (3, 2)), np.full((3, 2), 2.0))
    misses = graph_cache.cache_info()["misses"]
    np.testing.assert_array_equal(run("q", (3, 2)), np.full((3, 2), 2.0))
    assert graph_cache.cache_info()["misses"] == misses
