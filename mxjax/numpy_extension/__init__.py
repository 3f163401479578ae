"""``mx.npx``: the NumPy-interface extensions, not implemented in mxjax.

The module exists so that code importing it loads; using any of its names raises
``NotImplementedError``. mxjax implements the ``mx.nd`` API.
"""

from ..util import NUMPY_INTERFACE_MISSING


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(f"mx.npx.{name}: {NUMPY_INTERFACE_MISSING}")
