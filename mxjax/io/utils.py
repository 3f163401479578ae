"""Helpers of the data iterators: canonical ``[(name, NDArray)]`` inputs, shuffling and
batch slicing."""

from collections import OrderedDict

import numpy as np

from ..ndarray import NDArray, array
from ..ndarray.sparse import CSRNDArray
from ..ndarray.sparse import array as sparse_array


def _init_data(data, allow_empty, default_name):
    """``data`` (an array, a list of arrays or a dict of them) as a list of
    ``(name, NDArray)`` sorted by name.

    One array is named ``default_name``; the i-th of several ``_<i>_<default_name>``.
    Non-NDArray values go through ``nd.array`` (so numpy arrays become float32).
    """
    assert data is not None or allow_empty
    if data is None:
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, list):
        if not allow_empty:
            assert len(data) > 0
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict((f"_{i}_{default_name}", d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError("Input must be NDArray, numpy.ndarray, h5py.Dataset a list of them "
                        "or dict with them as values")
    converted = {}
    for k, v in data.items():
        if isinstance(v, NDArray):
            converted[k] = v
            continue
        try:
            converted[k] = array(v)
        except Exception as err:  # noqa: BLE001 - any failure means an unusable value
            raise TypeError(f"Invalid type '{type(v)}' for {k}, should be NDArray, "
                            "numpy.ndarray or h5py.Dataset") from err
    return sorted(converted.items())


def _has_instance(data, dtype):
    """Whether any array of a ``[(name, array)]`` list is an instance of ``dtype``."""
    return any(isinstance(arr, dtype) for _, arr in data)


def _getdata_by_idx(data, idx):
    """Every array of a ``[(name, NDArray)]`` list reordered by ``idx`` along axis 0.

    As in MXNet the result goes through ``nd.array``, so it is float32 whatever the
    source dtype; a ``CSRNDArray`` stays one.
    """
    return [(k, sparse_array(v.asscipy()[idx], v.context) if isinstance(v, CSRNDArray)
             else array(v.asnumpy()[idx], v.context)) for k, v in data]
