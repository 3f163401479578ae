"""Make NDArray-file fixtures with real MXNet 1.9.1 for tests/test_serialization.py.

Run with the reference environment (mxnet==1.9.1, numpy<1.24)::

    /work/refvenv/bin/python tests/reference/generate_files.py

Writes into tests/reference/fixtures/:

* ``nd_*.params``: files made by ``mx.nd.save`` (list, dict, empty, sparse, numpy shape
  semantics, and a 0-d array that MXNet 1.9.1 saves but cannot load back);
* ``gluon_dense_bn.params`` (``save_parameters``) and ``gluon_dense_bn-0000.params``
  (``export``) of a small Dense + BatchNorm net whose parameters come from a seeded numpy rng;
* ``nd_expected.npz`` + ``nd_expected.json``: what each file holds, as MXNet reads it back
  (bfloat16 arrays are stored in the npz as their uint16 bit patterns).
"""

import glob
import json
import os
import shutil
import tempfile

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
BF16 = np.dtype([("bfloat16", np.uint16)])  # MXNet 1.9.1's numpy spelling of bfloat16
INTS = ("uint8", "int8", "int32", "int64")
FLOATS = ("float32", "float64", "float16")

rng = np.random.default_rng(20240521)


def sample(dtype, shape):
    """Seeded values of a dtype, with the extremes (ints) or nan/inf/-0.0 (floats) first."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INTS:
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        specials = [info.min, info.max, 0]
    else:
        arr = (rng.standard_normal(shape) * 100).astype("float32" if dtype == "bfloat16" else dtype)
        specials = [np.nan, np.inf, -np.inf, -0.0]
    flat = arr.reshape(-1)
    n = min(flat.size, len(specials))
    flat[:n] = specials[:n]
    return arr


def to_mx(dtype, values):
    if dtype == "bfloat16":
        return mx.nd.array(values, dtype="float32").astype(BF16)
    out = mx.nd.array(values, dtype=dtype)
    assert np.array_equal(out.asnumpy(), values, equal_nan=dtype in FLOATS)
    return out


def as_expected(arr):
    """(numpy array to store, dtype name) for an NDArray as MXNet reads it back."""
    if arr.dtype == BF16:
        return arr.asnumpy().view(np.uint16), "bfloat16"
    out = arr.tostype("default").asnumpy() if arr.stype != "default" else arr.asnumpy()
    return out, np.dtype(arr.dtype).name


def record(manifest, npz, fname, loaded, exact_bytes):
    """Note what MXNet loads from fname: list or dict, names, dtypes, shapes, values."""
    items = loaded.items() if isinstance(loaded, dict) else ((None, v) for v in loaded)
    entries = []
    for i, (name, arr) in enumerate(items):
        values, dtype = as_expected(arr)
        key = f"{fname}/{i}"
        npz[key] = values
        entries.append({"name": name, "dtype": dtype, "shape": list(arr.shape), "npz": key})
    manifest[fname] = {"kind": "dict" if isinstance(loaded, dict) else "list",
                       "exact_bytes": exact_bytes, "entries": entries}


def nd_files(manifest, npz):
    specs = [("float32", (2, 3)), ("float64", (5,)), ("float16", (3, 4)), ("uint8", (7,)),
             ("int8", (2, 2, 2)), ("int32", (4, 1)), ("int64", (6,)), ("bool", (3, 3)),
             ("bfloat16", (2, 4)), ("float32", (0,)), ("int64", (2, 0, 3)),
             ("float32", (1, 2, 1, 3, 1, 2, 1, 2)), ("float64", (1,)), ("uint8", (0, 5))]
    arrays = [to_mx(dtype, sample(dtype, shape)) for dtype, shape in specs]
    mx.nd.save(os.path.join(FIXTURES, "nd_list.params"), arrays)

    # insertion order (not sorted), non-ASCII, empty and prefixed names
    names = ["zeta", "arg:fc1_weight", "aux:bn_moving_var", "", "wéight_ß", "a" * 40,
             "0.weight", "x", "m", "n", "p", "q", "r", "s"]
    mx.nd.save(os.path.join(FIXTURES, "nd_dict.params"), dict(zip(names, arrays[::-1])))
    mx.nd.save(os.path.join(FIXTURES, "nd_empty.params"), {})  # written exactly like []

    dense = np.array([[0, 0, 0], [1.5, 0, -2], [0, 0, 0], [0, 3, 0]], dtype="float32")
    mx.nd.save(os.path.join(FIXTURES, "nd_sparse.params"), {
        "rsp": mx.nd.array(dense).tostype("row_sparse"),
        "csr": mx.nd.array(dense, dtype="float64").tostype("csr"),
        "rsp_empty": mx.nd.sparse.zeros("row_sparse", (3, 2)),
        "csr_empty": mx.nd.sparse.zeros("csr", (2, 5), dtype="float16"),
    })

    with mx.util.np_shape(True):  # magic V3: 0-d arrays exist, -1 marks unknown
        mx.nd.save(os.path.join(FIXTURES, "nd_np_shape.params"), [
            mx.nd.array(np.array(2.5, dtype="float32")),
            mx.nd.array(np.array(-7, dtype="int64"), dtype="int64"),
            mx.nd.array(np.zeros((0, 2), dtype="float32")),
            mx.nd.array(sample("float16", (2, 3)), dtype="float16"),
        ])
    # MXNet 1.9.1 writes a 0-d array outside np shape semantics, then cannot read it back
    mx.nd.save(os.path.join(FIXTURES, "nd_scalar_legacy.params"),
               [mx.nd.array(np.array(3.0, dtype="float32"))])
    try:
        mx.nd.load(os.path.join(FIXTURES, "nd_scalar_legacy.params"))
        raise AssertionError("MXNet loaded a legacy 0-d array file")
    except mx.base.MXNetError:
        pass

    for fname in ("nd_list.params", "nd_dict.params", "nd_empty.params"):
        record(manifest, npz, fname, mx.nd.load(os.path.join(FIXTURES, fname)), True)
    record(manifest, npz, "nd_sparse.params",
           mx.nd.load(os.path.join(FIXTURES, "nd_sparse.params")), False)
    with mx.util.np_shape(True):
        record(manifest, npz, "nd_np_shape.params",
               mx.nd.load(os.path.join(FIXTURES, "nd_np_shape.params")), False)


def gluon_files(manifest, npz):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3), nn.BatchNorm(in_channels=4))
    net.initialize()
    for name, param in net.collect_params().items():
        value = rng.standard_normal(param.shape).astype("float32")
        param.set_data(np.abs(value) + 0.5 if name.endswith("running_var") else value)
    fname = "gluon_dense_bn.params"
    net.save_parameters(os.path.join(FIXTURES, fname))
    record(manifest, npz, fname, mx.nd.load(os.path.join(FIXTURES, fname)), True)

    net.hybridize()
    net(mx.nd.array(rng.standard_normal((2, 3))))  # predict mode: running stats unchanged
    with tempfile.TemporaryDirectory() as tmp:
        net.export(os.path.join(tmp, "gluon_dense_bn"))
        fname = "gluon_dense_bn-0000.params"
        shutil.copy(os.path.join(tmp, fname), os.path.join(FIXTURES, fname))
    record(manifest, npz, fname, mx.nd.load(os.path.join(FIXTURES, fname)), True)


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    manifest, npz = {}, {}
    nd_files(manifest, npz)
    gluon_files(manifest, npz)
    np.savez(os.path.join(FIXTURES, "nd_expected.npz"), **npz)
    with open(os.path.join(FIXTURES, "nd_expected.json"), "w") as f:
        json.dump({"mxnet": mx.__version__, "files": manifest}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    made = [p for p in glob.glob(os.path.join(FIXTURES, "*"))
            if os.path.basename(p).startswith(("nd_", "gluon_dense_bn"))]
    print(f"{len(made)} files, {sum(map(os.path.getsize, made))} bytes in {FIXTURES}")


if __name__ == "__main__":
    main()
