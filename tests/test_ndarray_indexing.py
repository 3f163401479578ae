"""NDArray indexing keys MXNet's tests use beyond the golden cases: numpy integer scalars,
sequences nested in the key, and which basic keys give views (numpy's contiguity)."""

import itertools

import numpy as np

import mxjax as mx


def test_numpy_integer_scalars_are_basic_indices():
    x = mx.nd.arange(12).reshape((3, 4))
    row = x[np.int64(1)]
    assert row.shape == (4,)
    row[:] = -1  # a contiguous basic index is a view: the write reaches x
    np.testing.assert_array_equal(x.asnumpy()[1], -1)
    np.testing.assert_array_equal(x[np.int32(2), np.int64(-1)].asnumpy(), [11])
    x[np.int32(0), 1:3] = mx.nd.array([7, 8])
    np.testing.assert_array_equal(x.asnumpy()[0], [0, 7, 8, 3])


def test_sequence_nested_in_key_is_advanced():
    a = np.arange(60).reshape((3, 4, 5))
    x = mx.nd.array(a, dtype="int32")
    key = ([1, 2], slice(0, 3), (2, 3))
    np.testing.assert_array_equal(x[key].asnumpy(), a[key])
    x[key] = -7
    a[key] = -7
    np.testing.assert_array_equal(x.asnumpy(), a)


def test_contiguity_predicate_matches_numpy():
    a = np.empty((4, 5, 6))
    slices = [slice(None), slice(2), slice(1, 3), slice(None, None, 2), slice(0, 1),
              slice(None, None, -1), slice(3, 3)]
    predicate = mx.nd.NDArray._basic_indexing_slice_is_contiguous
    for key in itertools.product(slices, repeat=3):
        assert predicate(key, a.shape) == a[key].flags.contiguous, key
