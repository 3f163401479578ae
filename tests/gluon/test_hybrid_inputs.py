"""What a HybridBlock accepts as inputs, as MXNet 1.9.1 checks it: None arguments, the
argument structure a hybridized block was first called with, no mixing of Symbols and
NDArrays, one context; the compiled function is rebuilt when children change; Blocks
hidden in containers are reported; row_sparse parameters refuse dense access;
``autograd.get_symbol`` shows a hybridized block as MXNet does (goldens from
tests/reference/generate_gluon_io.py)."""

import json
import warnings

import numpy as np
import pytest

import mxjax as mx
from mxjax import gluon
from tests.reference import gluon_io_cases as cases
from tests.reference.generate_gluon_io import JSON

with open(JSON, encoding="utf-8") as _f:
    GET_SYMBOL = json.load(_f)["get_symbol"]


class AddOrPass(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b=None):
        if a is None:
            return b
        return a if b is None else a + b


def test_none_arguments_hybridized_and_not():
    ones = mx.nd.ones((3,))
    for args in [(None, ones), (ones, ones), (ones, None)]:
        hybrid, plain = AddOrPass(), AddOrPass()
        hybrid.hybridize()
        for _ in range(2):
            np.testing.assert_array_equal(hybrid(*args).asnumpy(), plain(*args).asnumpy())


def test_a_hybridized_block_keeps_its_argument_structure():
    ones = mx.nd.ones((3,))
    block = AddOrPass()
    block.hybridize()
    block(None, ones)
    with pytest.raises(ValueError, match="does not match the cached version"):
        block(ones, ones)
    block = AddOrPass()
    block.hybridize()
    block(ones)
    np.testing.assert_array_equal(block(ones, None).asnumpy(), ones.asnumpy())  # a default
    with pytest.raises(ValueError, match="does not match the cached version"):
        block(ones, ones)


@pytest.mark.parametrize("hybridize", [False, True])
def test_inputs_need_an_array_and_no_mixing(hybridize):
    block = AddOrPass()
    if hybridize:
        block.hybridize()
    with pytest.raises(ValueError, match="there must be one NDArray or one Symbol"):
        block(None, None)
    with pytest.raises(ValueError, match="mixed NDArrays and Symbols"):
        block(mx.nd.ones((3,)), mx.sym.var("a"))


def test_scalars_and_several_contexts_only_without_hybridize():
    block = AddOrPass()
    np.testing.assert_array_equal(block(mx.nd.ones((3,)), 1).asnumpy(), [2, 2, 2])
    block.hybridize()
    with pytest.raises(ValueError, match="must be \\(nested\\) list of"):
        block(mx.nd.ones((3,)), 1)
    block = AddOrPass()
    block.hybridize()
    with pytest.raises(ValueError, match="multiple contexts"):
        block(mx.nd.ones((3,), ctx=mx.cpu(1)), mx.nd.ones((3,), ctx=mx.cpu(2)))


def test_adding_a_child_rebuilds_the_compiled_function():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(10, flatten=False))
    net.hybridize()
    net.initialize()
    assert net(mx.nd.ones((2, 3, 5))).shape == (2, 3, 10)
    net.add(gluon.nn.Flatten())
    assert net(mx.nd.ones((2, 3, 5))).shape == (2, 30)


def test_children_of_a_hybrid_block_must_be_hybrid():
    with pytest.raises(ValueError, match="must also be HybridBlock"):
        gluon.nn.HybridSequential().add(gluon.nn.Sequential())


class _InList(gluon.Block):
    def __init__(self):
        super().__init__()
        self.layers = [gluon.nn.Dense(2)]
        self.options = {"a": 1}


def test_blocks_in_a_container_are_reported():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _InList().collect_params()
    assert any("_InList.layers" in str(w.message) for w in caught)
    assert not any("options" in str(w.message) for w in caught)


def test_row_sparse_parameters_refuse_dense_access():
    p = gluon.Parameter("weight", shape=(4, 4), stype="row_sparse")
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    with pytest.raises(RuntimeError, match="storage type is row_sparse"):
        p.data()
    with pytest.raises(RuntimeError, match="storage type is row_sparse"):
        p.list_data()
    dense = gluon.Parameter("weight", shape=(4, 4))
    dense.initialize()
    with pytest.raises(RuntimeError, match="storage type is default"):
        dense.row_sparse_data(mx.nd.arange(0, 4))
    with pytest.raises(RuntimeError, match="storage type is default"):
        dense.list_row_sparse_data(mx.nd.arange(0, 4))


def test_symbol_block_refuses_row_sparse_variables():
    out = mx.sym.dot(mx.sym.var("data"), mx.sym.var("weight", stype="row_sparse"))
    with pytest.raises(AssertionError, match="storage type is 'row_sparse'"):
        gluon.SymbolBlock(out, mx.sym.var("data"))


@pytest.mark.parametrize("cid", sorted(cases.GET_SYMBOL_CASES))
def test_get_symbol_through_a_hybridized_block(cid):
    """Inlined when it has at most ``inline_limit`` operators (and no static_alloc), else
    one ``_CachedOp`` node over the inputs and parameters: MXNet 1.9.1's graph."""
    assert cases.get_symbol_nodes(mx, cid) == GET_SYMBOL[cid]


def test_a_cached_op_node_cannot_run_on_its_own():
    with pytest.raises(mx.base.MXNetError, match="_CachedOp"):
        mx.nd._internal._CachedOp(mx.nd.ones((2,)))
