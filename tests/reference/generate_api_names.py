"""The public names of MXNet 1.9.1's Python API, for tests/test_api_coverage.py.

    .refvenv/bin/python tests/reference/generate_api_names.py

Writes ``goldens/api_names.json``: per namespace (``mx.nd``, ``mx.gluon.nn``, ...), the
sorted public names MXNet 1.9.1 exposes there (no leading underscore, no modules). The
namespaces are the ones issue 10 covers, and ``mx.image`` (issue 15); the Module,
KVStore, viz and model-zoo APIs, the NumPy interface and the sparse-only names are left
to their own work.
"""

import importlib
import inspect
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "goldens", "api_names.json")

NAMESPACES = [
    "", "ndarray", "ndarray.contrib", "ndarray.linalg", "ndarray.random",
    "symbol", "symbol.contrib", "symbol.linalg", "symbol.random", "autograd", "random",
    "initializer", "optimizer", "lr_scheduler", "metric", "io", "recordio", "context", "name",
    "attribute", "base", "util", "runtime", "engine", "test_utils", "operator",
    "gluon", "gluon.nn", "gluon.rnn", "gluon.loss", "gluon.utils", "gluon.data",
    "gluon.data.vision", "gluon.data.vision.transforms", "gluon.contrib.nn",
    "gluon.contrib.rnn", "image",
]
# Names that belong to other issues or to interfaces mxjax does not provide.
LATER = {"mod", "module", "kv", "kvstore", "kvstore_server", "viz", "visualization", "image",
         "img", "model", "callback", "monitor", "mon", "profiler", "np", "npx", "numpy",
         "numpy_extension", "contrib", "rtc", "torch", "th", "library", "tvmop", "notebook",
         "symbol_doc", "log", "api", "numpy_op_signature", "numpy_dispatch_protocol",
         "numpy_op_fallback", "model_zoo"}


# Operators defined on sparse storage only (mxjax stores arrays densely), and the NumPy
# interface's helpers.
SPARSE_ONLY = re.compile(r"sparse|Sparse|^dgl_|^getnnz$|^edge_id$|^cast_storage$")
# The ctypes bridge to libmxnet: no meaning without MXNet's C library.
C_API = re.compile(r"Handle$|^c_|^mx_(u?int|int64|float)|ctypes|check_call|ffi|MXCallbackList|"
                   r"c2pyerror|^long$|^basestring$|^py_str$")


def public_names(module, base):
    """Names ``module`` defines (or re-exports from MXNet's operator registry), minus the
    helpers it merely imports from elsewhere (Python's library, numpy, ctypes, mxnet.base)."""
    names = []
    for name in dir(module):
        if name.startswith("_") or name in LATER or C_API.search(name):
            continue
        value = getattr(module, name)
        if inspect.ismodule(value):
            continue
        if SPARSE_ONLY.search(name) or name.startswith(("np_", "npi_", "npx_")):
            continue
        origin = getattr(value, "__module__", None)
        if inspect.isclass(value) or inspect.isfunction(value):
            if not (origin or "").startswith(("mxnet", "ndarray", "symbol")):
                continue
            if module is not base and origin == "mxnet.base":
                continue
        elif not isinstance(value, (bool, int, float, str, tuple, list, dict)):
            continue  # imported objects: locks, ctypes helpers, optional modules
        elif module is not base and any(value is v for v in vars(base).values()):
            continue
        names.append(name)
    return sorted(names)


def main():
    import mxnet
    import mxnet.base
    api = {}
    for ns in NAMESPACES:
        module = importlib.import_module("mxnet" + ("." + ns if ns else ""))
        api["mx" + ("." + ns if ns else "")] = public_names(module, mxnet.base)
    with open(OUT, "w") as f:
        json.dump({"mxnet": mxnet.__version__, "names": api}, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"{OUT}: {sum(map(len, api.values()))} names in {len(api)} namespaces")


if __name__ == "__main__":
    main()
