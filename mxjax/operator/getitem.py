"""Internal operators behind ``NDArray.__getitem__`` (recorded like any operator)."""

from ..ndarray.indexing import build_advanced
from .spec import Required, register


@register("_basic_index", attrs=dict(key=Required))
def basic_index(data, *, key):
    """Basic indexing with a parsed ``BasicKey`` (copies; views are made by NDArray)."""
    return data[key.jax_key()].reshape(key.out_shape)


@register("_advanced_index", variadic=True, attrs=dict(structure=Required))
def advanced_index(data, *indices, structure):
    """Indexing with integer arrays; MXNet treats every index array as integers."""
    return data[build_advanced(structure, indices)]
