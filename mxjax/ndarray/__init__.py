"""``mx.nd``: NDArray and every operator of the registry as an eager function."""

from .. import operator as _operator  # noqa: F401  (registers every operator)
from . import _internal, contrib, image, linalg, op, sparse
from . import register as _register

_register.populate({"op": op, "_internal": _internal, "contrib": contrib, "linalg": linalg,
                    "image": image, "sparse": sparse})

from . import random as random  # noqa: E402
from ._cached_op import CachedOp  # noqa: E402,F401
from ._interop import from_dlpack, from_numpy, to_dlpack_for_read, to_dlpack_for_write  # noqa: E402,F401,E501
from .ndarray import *  # noqa: E402,F401,F403
from .ndarray import NDArray  # noqa: E402,F401
from .op import *  # noqa: E402,F401,F403  (the Python-level functions below take priority)
from .utils import array, empty, load, load_frombuffer, save, zeros  # noqa: E402,F401
