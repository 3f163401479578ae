"""An executor's monitor callback and C-style NDArray handles, against MXNet 1.9.1.

The cases of ``tests/reference/generate_executor_monitor.py`` run here unchanged: the
names a monitor sees (``conv_weight`` for a named input, ``act_input0`` for an operator
that does not name its inputs, a variable input also under its own name) and slicing
rules that keep unknown dimensions unknown. Below them, what goldens cannot show.
"""

import ctypes
import json
import os

import numpy as np
import pytest

import mxjax as mx
from tests.reference import generate_executor_monitor as cases

GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")
with open(os.path.join(GOLDENS, "executor_monitor.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)


@pytest.mark.parametrize("name", list(cases.MONITOR))
def test_monitor_names_match_mxnet(name):
    assert cases.monitor(mx, name) == EXPECTED["monitor"][name]


@pytest.mark.parametrize("name", list(cases.PARTIAL))
def test_partial_slice_shapes_match_mxnet(name):
    assert cases.partial(mx, name) == EXPECTED["partial"][name]


def test_monitor_arrays_read_through_handles():
    # MXNet's monitor code casts what it gets to a handle and wraps it in an NDArray
    seen = {}

    def callback(name, arr):
        array = mx.nd.NDArray(ctypes.cast(arr, mx.base.NDArrayHandle), writable=False)
        seen[mx.base.py_str(name)] = array.asnumpy()

    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=2, no_bias=True, name="fc")
    exe = fc.simple_bind(mx.cpu(), grad_req="null", data=(1, 3))
    exe.arg_dict["data"][:] = [[1, 2, 3]]
    exe.arg_dict["fc_weight"][:] = [[1, 0, 0], [0, 1, 1]]
    exe.set_monitor_callback(callback, monitor_all=True)
    exe.forward()
    np.testing.assert_array_equal(seen["fc_output"], [[1, 5]])
    np.testing.assert_array_equal(seen["data"], [[1, 2, 3]])


def test_handle_round_trip_shares_data_and_readonly_refuses_writes():
    a = mx.nd.ones((2, 2))
    b = mx.nd.NDArray(a.handle)
    b[:] = 3
    np.testing.assert_array_equal(a.asnumpy(), np.full((2, 2), 3.0))
    readonly = mx.nd.NDArray(ctypes.cast(a, mx.base.NDArrayHandle), writable=False)
    assert not readonly.writable and a.writable
    with pytest.raises(ValueError, match="readonly"):
        readonly += 1
    with pytest.raises(mx.base.MXNetError, match="handle"):
        mx.nd.NDArray(mx.base.NDArrayHandle(12345))


def test_operator_star_import_gives_mxnet_names():
    namespace = {}
    exec("from mxjax.operator import *", namespace)
    assert namespace["NDArray"] is mx.nd.NDArray and namespace["ctypes"] is ctypes
    assert namespace["NDArrayHandle"] is ctypes.c_void_p


def test_zero_gradient_operators_ignore_head_gradient_shapes():
    # MXNet's backward does not read the head gradient of index_array (zero gradient)
    x = mx.sym.var("x")
    exe = mx.sym.contrib.index_array(x, axes=(1,)).simple_bind(mx.cpu(), x=(2, 3))
    exe.forward(is_train=True)
    exe.backward(mx.nd.ones((5,)))
    np.testing.assert_array_equal(exe.grad_dict["x"].asnumpy(), np.zeros((2, 3)))


def test_softmax_float_length_binds_and_fails_when_run():
    data, length = mx.sym.var("data"), mx.sym.var("length")
    sym = mx.sym.softmax(data, length, axis=1, use_length=True)
    exe = sym.simple_bind(mx.cpu(), grad_req="null", data=(2, 3), length=(2,))
    with pytest.raises(mx.base.MXNetError, match="integer dtype"):
        exe.forward()
        mx.nd.waitall()
