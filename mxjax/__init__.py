"""mxjax: the Apache MXNet 1.x Python API on JAX/XLA.

``import mxjax as mx`` gives ``mx.nd``, ``mx.autograd``, ``mx.random``, ``mx.cpu()`` ...
with MXNet 1.9.1's behaviour. MXNet computes in float64 and int64 when asked to, so
mxjax turns on JAX's 64-bit mode at import; every MXNet default (``nd.array``,
``nd.zeros``, initializers, ...) is still float32, and Python scalars stay weakly typed,
so nothing is promoted to 64 bits unless a 64-bit array is involved.
"""

import logging as _logging

import jax as _jax

_jax.config.update("jax_enable_x64", True)
# MXNet scripts often run logging.basicConfig(level=logging.DEBUG); JAX logs every trace
# and compilation at DEBUG, which would flood them. Setting the "jax" logger's level
# explicitly brings those messages back.
if _logging.getLogger("jax").level == _logging.NOTSET:
    _logging.getLogger("jax").setLevel(_logging.INFO)

from . import _compile_cache, _distributed  # noqa: E402

_compile_cache.enable()
_distributed.join_from_environment()

from . import (  # noqa: E402
    autograd,
    base,
    callback,
    context,
    contrib,
    gluon,
    image,
    initializer,
    io,
    kvstore,
    lr_scheduler,
    metric,
    model,
    module,
    monitor,
    name,
    ndarray,
    optimizer,
    profiler,
    random,
    recordio,
    rnn,
    runtime,
    symbol,
    util,
    visualization,
)
from . import image as img  # noqa: E402
from . import initializer as init  # noqa: E402
from . import kvstore as kv  # noqa: E402
from . import module as mod  # noqa: E402
from . import monitor as mon  # noqa: E402
from . import ndarray as nd  # noqa: E402
from . import numpy as np  # noqa: E402
from . import numpy_extension as npx  # noqa: E402
from . import random as rnd  # noqa: E402
from . import symbol as sym  # noqa: E402
from . import visualization as viz  # noqa: E402
from .attribute import AttrScope  # noqa: E402,F401
from .base import MXNetError  # noqa: E402,F401
from .context import (  # noqa: E402,F401
    Context,
    cpu,
    cpu_pinned,
    current_context,
    gpu,
    gpu_memory_info,
    num_gpus,
)
from .util import (  # noqa: E402,F401
    is_np_array,
    is_np_shape,
    np_array,
    np_shape,
    set_np_shape,
    use_np,
    use_np_array,
    use_np_shape,
)

for _name in ndarray.random.__all__:  # mx.random.uniform & co, as in MXNet
    setattr(random, _name, getattr(ndarray.random, _name))

from . import test_utils  # noqa: E402  (last: it uses nd, sym, io and mx.random)

__version__ = "1.9.1"
__all__ = ["nd", "ndarray", "np", "npx", "rnd", "runtime", "util", "is_np_array",
           "is_np_shape", "np_array", "np_shape", "set_np_shape", "use_np", "use_np_array",
           "use_np_shape", "autograd", "random", "base", "context", "initializer", "init",
           "name", "gluon", "image", "img", "io", "kv", "kvstore", "lr_scheduler", "metric",
           "optimizer", "profiler", "recordio", "sym", "callback", "contrib", "model",
           "module", "mod", "monitor", "mon", "rnn",
           "symbol", "test_utils", "visualization", "viz", "AttrScope", "Context", "cpu", "gpu",
           "cpu_pinned", "num_gpus", "current_context", "gpu_memory_info", "MXNetError"]
