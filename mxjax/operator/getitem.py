"""Internal operators behind ``NDArray.__getitem__`` (recorded like any operator)."""

from ..ndarray.indexing import build_advanced, take
from .spec import Required, register


@register("_basic_index", attrs=dict(key=Required, lows=()), dynamic=("lows",))
def basic_index(data, *, key, lows):
    """Basic indexing with a parsed ``BasicKey`` (copies; views are made by NDArray); the
    start positions are traced, so a loop over ``x[:, i]`` compiles once."""
    return take(data, key, lows)


@register("_advanced_index", variadic=True, attrs=dict(structure=Required))
def advanced_index(data, *indices, structure):
    """Indexing with integer arrays; MXNet treats every index array as integers."""
    return data[build_advanced(structure, indices)]
