"""``mx.contrib``: MXNet's experimental namespace. ``mx.contrib.nd`` and ``mx.contrib.sym``
(also ``ndarray``/``symbol``) hold the contrib operators, the same functions as
``mx.nd.contrib`` and ``mx.sym.contrib`` (``mx.contrib.nd.MultiBoxPrior``, ...)."""

from ..ndarray import contrib as ndarray
from ..symbol import contrib as symbol

nd = ndarray
sym = symbol

__all__ = ["ndarray", "symbol", "nd", "sym"]
