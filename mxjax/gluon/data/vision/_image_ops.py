"""Image kernels behind ``vision.transforms`` (they live with the image operators, in
``mxjax.operator.image``). ``apply`` runs a kernel on an NDArray, compiled once per static
configuration; it works eagerly and inside hybridized blocks.
"""

import functools

import jax

from ....ndarray import NDArray
from ....operator.image import (  # noqa: F401  (the kernels the transforms use)
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_lighting,
    adjust_saturation,
    flip,
    random_color_jitter,
    random_enhance,
    random_flip,
    random_lighting,
    resize,
    resize_shape,
)

__all__ = ["apply", "resize_shape", "resize", "flip", "random_flip", "adjust_brightness",
           "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_lighting",
           "random_enhance", "random_color_jitter", "random_lighting"]


@functools.cache
def _compiled(kernel, static):
    return jax.jit(functools.partial(kernel, **dict(static)))


def apply(kernel, x, *dynamic, **static):
    """``kernel(x, *dynamic, **static)`` on an NDArray, jit-compiled per ``static``."""
    out = _compiled(kernel, tuple(sorted(static.items())))(x._data, *dynamic)
    return NDArray(out, x._ctx)
