"""Sharing arrays with other libraries: DLPack capsules and ``from_numpy``."""

import ctypes

import jax
import jax.numpy as jnp
import numpy as np

from ..context import Context, current_context
from .ndarray import NDArray, array

__all__ = ["to_dlpack_for_read", "to_dlpack_for_write", "from_dlpack", "from_numpy"]


def to_dlpack_for_read(data):
    """A DLPack capsule (``PyCapsule`` named ``dltensor``) over ``data``'s buffer, once
    every pending computation of it has finished."""
    return data._data.__dlpack__()


def to_dlpack_for_write(data):
    """A DLPack capsule over ``data``'s buffer. JAX buffers are immutable: this is the same
    capsule as ``to_dlpack_for_read`` gives."""
    return to_dlpack_for_read(data)


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLTensorHead(ctypes.Structure):
    # The first fields of a DLManagedTensor: its DLTensor's data pointer and device.
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice)]


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.restype = ctypes.c_int
_capsule_is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]


class _Capsule:
    """A bare DLPack capsule given the ``__dlpack__`` protocol ``jax.dlpack`` expects."""

    def __init__(self, capsule):
        if not _capsule_is_valid(capsule, b"dltensor"):
            raise ValueError("from_dlpack: expected an unused DLPack capsule named "
                             "'dltensor' (each capsule can be consumed once)")
        head = _DLTensorHead.from_address(_capsule_pointer(capsule, b"dltensor"))
        self._capsule = capsule
        self._device = (head.device.device_type, head.device.device_id)

    def __dlpack__(self, stream=None, **kwargs):  # noqa: ARG002 - the producer synchronised
        return self._capsule

    def __dlpack_device__(self):
        return self._device


def from_dlpack(dlpack):
    """An NDArray sharing the memory of a DLPack capsule (or of any object with
    ``__dlpack__``: a numpy array, a torch tensor, a ``jax.Array``)."""
    source = dlpack if hasattr(dlpack, "__dlpack__") else _Capsule(dlpack)
    return NDArray(jax.dlpack.from_dlpack(source))


class _NumpyShared(NDArray):
    """An NDArray made by ``from_numpy(zero_copy=True)``. MXNet shares the numpy buffer
    (and makes the numpy array read-only): writes through the NDArray show in it."""

    __slots__ = ("_mirror",)

    def _set_data(self, value):
        super()._set_data(value)
        mirror = getattr(self, "_mirror", None)  # unset in an unpickled copy
        if mirror is not None:
            np.copyto(mirror, np.asarray(self._data))


def from_numpy(ndarray, zero_copy=True, array_cls=NDArray):
    """An NDArray of a numpy array's values and dtype. With ``zero_copy`` (C-contiguous
    arrays only) the numpy array becomes read-only and shows every write made through
    the NDArray, as with MXNet's shared buffer."""
    if not zero_copy:
        return array(ndarray, dtype=ndarray.dtype)
    if not ndarray.flags["C_CONTIGUOUS"]:
        raise ValueError("Only c-contiguous arrays are supported for zero-copy")
    if not ndarray.flags["WRITEABLE"]:  # from an earlier from_numpy: share it again
        try:
            ndarray.flags["WRITEABLE"] = True
        except ValueError:  # read-only memory: writes through the NDArray stay there
            pass
    mirror = ndarray.view() if ndarray.flags["WRITEABLE"] else None  # stays writable
    ndarray.flags["WRITEABLE"] = False
    ctx = current_context()
    value = jax.device_put(jnp.asarray(ndarray), Context(ctx).jax_device)
    if array_cls is not NDArray:
        return array_cls(value, ctx)
    result = _NumpyShared(value, ctx)
    result._mirror = mirror
    return result
