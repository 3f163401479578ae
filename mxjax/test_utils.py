"""Testing helpers (mirrors ``mxnet.test_utils``).

Tolerance-aware comparisons with MXNet 1.9.1's per-dtype defaults and error messages
(``assert_almost_equal``), finite-difference gradient checks and symbol forward/backward
checks through the executor (``check_numeric_gradient``, ``check_symbolic_forward``,
``check_symbolic_backward``, ``check_consistency``), random inputs, and the small
helpers MXNet's own unit tests import.

The sparse generators (``rand_sparse_ndarray``, ``rand_ndarray(..., stype)``,
``create_sparse_array``) make ``'csr'`` and ``'row_sparse'`` arrays as MXNet's do
(``mx.nd.sparse``). ``download`` fetches ``http(s)://`` and ``file://``
URLs and local paths, with a timeout; the dataset helpers (``get_mnist`` & co) read
files already on disk and never download.
"""

# Like MXNet's module, this one has no ``__all__``: tests do ``from mxnet.test_utils
# import *`` and then use ``np``, ``mx``, ``os`` ... taken from here.
import json  # noqa: F401
import logging  # noqa: F401
import numbers  # noqa: F401
import os  # noqa: F401
import platform  # noqa: F401
import sys  # noqa: F401
import time  # noqa: F401
import traceback  # noqa: F401
from collections import OrderedDict  # noqa: F401
from contextlib import contextmanager  # noqa: F401

import numpy as np  # noqa: F401
import numpy.random as rnd  # noqa: F401
import numpy.testing as npt  # noqa: F401

import mxjax as mx  # noqa: F401

from ._testing.compare import *  # noqa: F401,F403
from ._testing.data import *  # noqa: F401,F403
from ._testing.data import ss  # noqa: F401
from ._testing.symbolic import *  # noqa: F401,F403
from .context import Context, current_context  # noqa: F401
from .ndarray import NDArray, array  # noqa: F401
from .runtime import Features  # noqa: F401
from .symbol import Symbol  # noqa: F401
from .util import get_cuda_compute_capability, getenv, setenv, use_np  # noqa: F401
