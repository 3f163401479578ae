"""``mx.io``: data iterators (``NDArrayIter``, ``CSVIter``, ``MNISTIter`` ...) and the
``DataBatch`` / ``DataDesc`` types that Module-style training loops consume."""

from . import io, utils
from ._native import (
    CSVIter,
    ImageDetRecordIter,
    ImageRecordInt8Iter,
    ImageRecordIter,
    ImageRecordIter_v1,
    ImageRecordUInt8Iter,
    ImageRecordUInt8Iter_v1,
    LibSVMIter,
    MNISTIter,
    MXDataIter,
)
from .io import DataBatch, DataDesc, DataIter, NDArrayIter, PrefetchingIter, ResizeIter
from .utils import _getdata_by_idx, _has_instance, _init_data  # noqa: F401  (as in MXNet)

__all__ = ["io", "utils", "DataDesc", "DataBatch", "DataIter", "NDArrayIter", "ResizeIter",
           "PrefetchingIter", "MXDataIter", "CSVIter", "MNISTIter", "LibSVMIter",
           "ImageRecordIter", "ImageRecordIter_v1", "ImageRecordUInt8Iter",
           "ImageRecordUInt8Iter_v1", "ImageRecordInt8Iter", "ImageDetRecordIter"]
