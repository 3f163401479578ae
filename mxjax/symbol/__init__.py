"""``mx.sym``: symbolic graphs of the registry's operators (MXNet's ``mx.symbol``).

``mx.sym.var`` makes inputs; every operator of ``mx.nd`` exists here as a function adding
a node (``mx.sym.FullyConnected(data, num_hidden=4)``). A Symbol can be saved as MXNet's
``-symbol.json``, inspected (``list_arguments``, ``infer_shape``), and run through an
Executor (``bind``, ``simple_bind``, ``eval``).
"""

from .. import operator as _operator  # noqa: F401  (registers every operator)
from . import _internal, contrib, image, linalg, op, sparse
from . import register as _register

_register.populate({"op": op, "_internal": _internal, "contrib": contrib, "linalg": linalg,
                    "image": image, "sparse": sparse})

from . import random as random  # noqa: E402
from .op import *  # noqa: E402,F401,F403  (the Python-level functions below take priority)
from .symbol import *  # noqa: E402,F401,F403
from .symbol import Symbol  # noqa: E402,F401
