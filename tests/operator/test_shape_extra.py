"""Shape, indexing and ordering behaviour the goldens cannot express: tie order, errors
raised from data, gradients of duplicate scatters, legacy and Python-level signatures.
Expected values come from MXNet 1.9.1."""

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd

nd = mx.nd
TIES = [1, 0, 1, 0, 2, 1, 0, 2, 1, 1, 0, 0]


@pytest.mark.parametrize("call, expected", [
    (lambda x: nd.argsort(x), [1, 3, 6, 10, 11, 0, 2, 5, 8, 9, 4, 7]),
    (lambda x: nd.argsort(x, is_ascend=False), [4, 7, 0, 2, 5, 8, 9, 1, 3, 6, 10, 11]),
    (lambda x: nd.topk(x, k=3), [4, 7, 0]),
    (lambda x: nd.topk(x, k=3, is_ascend=True), [1, 3, 6]),
    (lambda x: nd.topk(x, k=4, ret_typ="mask"), [1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]),
    (lambda x: nd.topk(x.astype("int32"), k=3, is_ascend=True), [1, 3, 6]),
    (lambda x: nd.topk(x.astype("uint8"), k=3, is_ascend=True), [1, 3, 6]),
])
def test_equal_elements_keep_their_order(call, expected):
    np.testing.assert_array_equal(call(nd.array(TIES)).asnumpy(), expected)


def test_sort_and_topk_without_axis_are_differentiable():
    # MXNet 1.9.1's backward fails here (a bug); the gradient scatters back in place.
    x = nd.array([[3, 1, 2], [0, 5, 4]])
    x.attach_grad()
    with autograd.record():
        top = nd.topk(x, axis=None, k=2, ret_typ="value")
        ordered = nd.sort(x, axis=None)
    autograd.backward([top, ordered], [nd.array([1, 2]), nd.arange(6)])
    np.testing.assert_array_equal(top.asnumpy(), [5, 4])
    np.testing.assert_array_equal(x.grad.asnumpy(), [[3, 1, 2], [0, 6, 6]])


def test_scatter_nd_gradient_reaches_every_duplicate():
    data = nd.array([1, 2, 3])
    data.attach_grad()
    with autograd.record():
        out = nd.scatter_nd(data, nd.array([[0, 1, 0]]), shape=(3,))
    out.backward(nd.array([10, 20, 30]))
    np.testing.assert_array_equal(out.asnumpy(), [3, 2, 0])
    np.testing.assert_array_equal(data.grad.asnumpy(), [10, 20, 10])


def test_take_raise_mode_checks_values():
    a = nd.arange(12).reshape((4, 3))
    np.testing.assert_array_equal(nd.take(a, nd.array([0, 3, 1.7]), mode="raise").asnumpy(),
                                  [[0, 1, 2], [9, 10, 11], [3, 4, 5]])
    for bad in ([0, 4], [-1], [3.5]):
        with pytest.raises(RuntimeError, match="out of bound"):
            nd.take(a, nd.array(bad), mode="raise").asnumpy()


@pytest.mark.parametrize("kwargs, shape", [
    (dict(target_shape=(4, 0)), (4, 6)),
    (dict(target_shape=(5, 0), keep_highest=True), (2, 12)),
    (dict(shape=(4, 6), target_shape=(6, 4)), (4, 6)),
    (dict(shape=(-4, 1, 2, -2)), (1, 2, 3, 4)),
])
def test_reshape_legacy_and_split_codes(kwargs, shape):
    assert nd.reshape(nd.zeros((2, 3, 4)), **kwargs).shape == shape


@pytest.mark.parametrize("target", [(-4, -1, -1, -2), (-4, 0, -1, -2), (0, 0, 0, 0), ()])
def test_reshape_bad_codes_raise(target):
    with pytest.raises(mx.base.MXNetError, match="Reshape"):
        nd.reshape(nd.zeros((2, 3, 4)), shape=target)


def test_split_v2_python_signature():
    pieces = nd.split_v2(nd.arange(28).reshape((7, 4)), (2, 5))
    assert [p.shape for p in pieces] == [(2, 4), (3, 4), (2, 4)]
    np.testing.assert_array_equal(pieces[1].asnumpy()[:, 0], [8, 12, 16])
    assert [p.shape for p in nd.arange(24).reshape((6, 4)).split_v2(3, axis=0)] == [(2, 4)] * 3
    assert nd.split_v2(nd.zeros((6, 4)), 1).shape == (6, 4)
    with pytest.raises(mx.base.MXNetError):
        nd.split_v2(nd.zeros((7, 4)), 3)


def test_small_mxnet_conventions():
    assert nd.repeat(nd.zeros((2, 3)), repeats=0, axis=0).shape == (0,)
    assert nd.squeeze(nd.zeros((1, 1))).shape == (1,)
    assert nd.flatten(nd.zeros((5,))).shape == (5, 1)
    assert nd.one_hot(nd.array([1]), depth=2, dtype="uint8", on_value=-1).asnumpy().tolist() \
        == [[0, 255]]
    assert nd.size_array(nd.zeros((2, 3))).asnumpy().tolist() == [6]
    assert nd.size_array(nd.zeros((2, 3))).dtype == np.int64
    flipped = nd.slice(nd.arange(6).reshape((2, 3)), begin=(None, -1), end=(None, None),
                       step=(-1, -2))
    np.testing.assert_array_equal(flipped.asnumpy(), [[5, 3], [2, 0]])
    picked = nd.pick(nd.arange(12).reshape((4, 3)), nd.array([[0], [5], [-1], [1.7]]), axis=1)
    np.testing.assert_array_equal(picked.asnumpy(), [0, 5, 6, 10])


@pytest.mark.parametrize("shape, pad_width, mode", [
    ((1, 2, 2), (0, 0, 0, 0, 1, 1), "constant"),             # 3-D input
    ((1, 2, 3, 4), (0, 0, 1, 0, 1, 0, 0, 0), "constant"),    # padding on axis 1
    ((1, 2, 3, 4), (0, 0, 0, 0, 1, 0), "edge"),              # pad_width too short
    ((1, 2, 3, 4), (0, 0, 0, 0, 3, 0, 0, 0), "reflect"),     # reflection wider than input
])
def test_pad_rejects_what_mxnet_rejects(shape, pad_width, mode):
    with pytest.raises(mx.base.MXNetError, match="Pad"):
        nd.pad(nd.zeros(shape), mode=mode, pad_width=pad_width)
