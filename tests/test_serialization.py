"""MXNet's NDArray file format: fixtures written by real MXNet 1.9.1 (made by
tests/reference/generate_files.py) must load exactly, and mxjax must write them byte for byte."""

import builtins
import json
import os
import struct

import ml_dtypes
import numpy as np
import pytest

import mxjax as mx
from mxjax import _files as files
from mxjax.base import MXNetError
from mxjax.ndarray import serialization as ser
from mxjax.ndarray.serialization import SparseArray, dumps, load, loads, save

FIXTURES = os.path.join(os.path.dirname(__file__), "reference", "fixtures")
with open(os.path.join(FIXTURES, "nd_expected.json"), encoding="utf-8") as _f:
    MANIFEST = json.load(_f)["files"]
EXACT = sorted(f for f, spec in MANIFEST.items() if spec["exact_bytes"])

V1, V2 = 0xF993FAC8, 0xF993FAC9


def fixture_bytes(fname):
    with open(os.path.join(FIXTURES, fname), "rb") as f:
        return f.read()


def expected(fname):
    """The list or dict of numpy arrays MXNet 1.9.1 loads from a fixture."""
    spec = MANIFEST[fname]
    with np.load(os.path.join(FIXTURES, "nd_expected.npz")) as npz:
        arrays = [npz[e["npz"]] for e in spec["entries"]]
    arrays = [a.view(ml_dtypes.bfloat16) if e["dtype"] == "bfloat16" else a
              for a, e in zip(arrays, spec["entries"])]
    if spec["kind"] == "list":
        return arrays
    return {e["name"]: a for e, a in zip(spec["entries"], arrays)}


def assert_same(got, want):
    """Same container, names, order, dtypes, shapes and bytes (so nan payloads and -0.0 count)."""
    assert type(got) is type(want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        got, want = list(got.values()), list(want.values())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray)
        assert (g.dtype, g.shape) == (w.dtype, w.shape)
        assert g.tobytes() == w.tobytes()


def nd_file(*records, names=()):
    """An NDArray file around hand-made array records."""
    out = struct.pack("<QQQ", 0x112, 0, len(records)) + b"".join(records)
    out += struct.pack("<Q", len(names))
    for name in names:
        out += struct.pack("<Q", len(name)) + name
    return out


# ---------------------------------------------------------------------------- MXNet's files

@pytest.mark.parametrize("fname", sorted(MANIFEST))
def test_mxnet_fixture_loads(fname):
    # A file saved under NumPy shape semantics loads only under them, as in MXNet 1.9.1.
    got = densified(load(os.path.join(FIXTURES, fname), np_shape=fname == NP_SHAPE_FIXTURE))
    assert_same(got, expected(fname))
    for arr in got.values() if isinstance(got, dict) else got:
        assert arr.flags.writeable and arr.flags.owndata


NP_SHAPE_FIXTURE = "nd_np_shape.params"


def test_np_shape_file_needs_np_shape_semantics():
    with pytest.raises(MXNetError, match="np shape semantics"):
        load(os.path.join(FIXTURES, NP_SHAPE_FIXTURE))


def densified(loaded):
    """``loaded`` with each SparseArray replaced by its dense numpy array."""
    def dense(v):
        return np.asarray(v) if isinstance(v, SparseArray) else v
    if isinstance(loaded, dict):
        return {k: dense(v) for k, v in loaded.items()}
    return [dense(v) for v in loaded]


def test_sparse_fixture_keeps_its_structure():
    buf = fixture_bytes("nd_sparse.params")
    got = loads(buf)
    assert {k: (v.stype, v.shape, str(v.dtype)) for k, v in got.items()} == {
        "rsp": ("row_sparse", (4, 3), "float32"), "csr": ("csr", (4, 3), "float64"),
        "rsp_empty": ("row_sparse", (3, 2), "float32"),
        "csr_empty": ("csr", (2, 5), "float16")}
    assert got["rsp"].aux[0].tolist() == [1, 3]
    assert [a.tolist() for a in got["csr"].aux] == [[0, 0, 2, 2, 3], [0, 2, 1]]
    assert dumps(got) == buf  # written back byte for byte as MXNet wrote it


@pytest.mark.parametrize("fname", EXACT)
def test_dumps_matches_mxnet_bytes(fname):
    assert dumps(expected(fname)) == fixture_bytes(fname)


def test_fixtures_cover_every_dtype_and_odd_shapes():
    entries = MANIFEST["nd_list.params"]["entries"]
    assert {e["dtype"] for e in entries} == {"float32", "float64", "float16", "uint8", "int8",
                                             "int32", "int64", "bool", "bfloat16"}
    shapes = [tuple(e["shape"]) for e in entries]
    assert (0,) in shapes and (2, 0, 3) in shapes and max(map(len, shapes)) == 8
    assert [tuple(e["shape"]) for e in MANIFEST["nd_np_shape.params"]["entries"]][:2] == [(), ()]


def test_gluon_files_keys():
    params = loads(fixture_bytes("gluon_dense_bn.params"))
    assert list(params) == ["0.weight", "0.bias", "1.gamma", "1.beta", "1.running_mean",
                            "1.running_var"]
    exported = loads(fixture_bytes("gluon_dense_bn-0000.params"))
    assert [k.split("_", 1)[0] for k in exported] == ["arg:hybridsequential0"] * 4 + [
        "aux:hybridsequential0"] * 2
    for (_, a), (_, b) in zip(params.items(), exported.items()):
        np.testing.assert_array_equal(a, b)


def test_empty_dict_is_written_like_an_empty_list():
    assert dumps({}) == dumps([]) == fixture_bytes("nd_empty.params")
    assert loads(dumps({})) == []


def test_legacy_0d_array_that_mxnet_cannot_read_back():
    with pytest.raises(MXNetError, match="array #0 has no shape"):
        loads(fixture_bytes("nd_scalar_legacy.params"))
    with pytest.raises(MXNetError, match="0-d"):
        dumps([np.float32(3.0)])


# ---------------------------------------------------------------------------- round trips

def test_round_trip_every_dtype():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)).astype(dt)
              for dt in ("float32", "float64", "float16", ml_dtypes.bfloat16)]
    arrays += [rng.integers(-100, 100, (2, 5)).astype(dt)
               for dt in ("uint8", "int8", "int32", "int64", "bool")]
    arrays += [np.zeros((0, 3), "float32"), np.ones((1,) * 10, "int32")]
    assert_same(loads(dumps(arrays)), arrays)
    assert_same(loads(dumps(tuple(arrays))), arrays)
    named = {f"w{i}·é": a for i, a in enumerate(arrays)}
    assert_same(loads(dumps(named)), named)


def test_non_contiguous_and_big_endian_inputs():
    base = np.arange(24, dtype=">f8").reshape(4, 6)
    got = loads(dumps([base.T, base[::2, 1::3]]))
    assert [a.dtype for a in got] == [np.dtype("float64")] * 2
    np.testing.assert_array_equal(got[0], base.T)
    np.testing.assert_array_equal(got[1], base[::2, 1::3])
    assert dumps([base]) == dumps([base.astype("<f8")])


def test_save_load_file(tmp_path):
    path = tmp_path / "w.params"
    data = {"a": np.arange(6, dtype="int64").reshape(2, 3), "b": np.ones(2, "float16")}
    save(path, data)
    assert path.read_bytes() == dumps(data)
    assert_same(load(str(path)), data)
    assert os.listdir(tmp_path) == ["w.params"]


@pytest.mark.parametrize("bad, err, match", [
    ([np.zeros(2, "int16")], MXNetError, "int16"),
    ([np.zeros(2, "complex64")], MXNetError, "complex64"),
    ({1: np.zeros(2)}, TypeError, "str"),
    (np.zeros(2), ValueError, "list"),
])
def test_dumps_rejects(bad, err, match):
    with pytest.raises(err, match=match):
        dumps(bad)


# ---------------------------------------------------------------------------- older formats

def test_legacy_v1_and_v0_records():
    data = np.arange(6, dtype="float32").reshape(2, 3)
    v1 = struct.pack("<Ii2qiii", V1, 2, 2, 3, 1, 0, 0) + data.tobytes()
    v0 = struct.pack("<I2Iiii", 2, 2, 3, 1, 0, 0) + data.tobytes()  # the magic is ndim
    assert_same(loads(nd_file(v1, v0)), [data, data])


def test_gpu_context_loads_on_host():
    record = struct.pack("<Iiiqiii", V2, 0, 1, 2, 2, 1, 6) + np.array([5, -5], "<i8").tobytes()
    assert_same(loads(nd_file(record, names=[b"g"])), {"g": np.array([5, -5], "int64")})


# ---------------------------------------------------------------------------- bad files

@pytest.mark.parametrize("fname", ["nd_list.params", "nd_dict.params", "nd_sparse.params",
                                   "gluon_dense_bn.params"])
def test_every_truncation_raises(fname):
    buf = fixture_bytes(fname)
    for cut in range(len(buf)):
        with pytest.raises(MXNetError, match=r"truncated: expected \d+ bytes .* byte offset"):
            loads(buf[:cut])


def patched(buf, offset, fmt, *values):
    out = bytearray(buf)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


GOOD = nd_file(struct.pack("<Iiiqiii", V2, 0, 1, 2, 1, 0, 0) + b"\0" * 8, names=[b"w"])


@pytest.mark.parametrize("buf, match", [
    pytest.param(b"", "truncated", id="empty"),
    pytest.param(b"PK\x03\x04" + b"\0" * 40, "not an NDArray file: header 0x4034B50", id="zip"),
    pytest.param(patched(GOOD, 24, "<I", 0xDEADBEEF),
                 "array #0 has unknown magic 0xDEADBEEF .* offset 24", id="array-magic"),
    pytest.param(patched(GOOD, 28, "<i", 7), "unknown storage type 7", id="stype"),
    pytest.param(patched(GOOD, 52, "<i", 9), "unknown type flag 9 .* offset 52", id="dtype"),
    pytest.param(patched(GOOD, 32, "<i", -5), "ndim -5", id="ndim"),
    pytest.param(patched(GOOD, 36, "<q", -3), "negative dimension", id="dim"),
    pytest.param(patched(GOOD, 36, "<q", 1 << 40), "truncated: expected 4398046511104 bytes",
                 id="huge-dim"),
    pytest.param(patched(GOOD, 32, "<i", 2**31 - 1), "truncated", id="huge-ndim"),
    pytest.param(nd_file(struct.pack("<Iii3qiii", V2, 0, 3, 0, 2**62, 2**62, 1, 0, 0)),
                 "impossible shape", id="0-size-overflow"),
    pytest.param(patched(GOOD, 16, "<Q", 1 << 62), "truncated: .* of array #1", id="huge-count"),
    pytest.param(patched(GOOD, 64, "<Q", 2), "2 names for 1 arrays", id="name-count"),
    pytest.param(patched(GOOD, 72, "<Q", 1 << 63),
                 "truncated: expected 9223372036854775808 bytes of name", id="huge-name"),
    pytest.param(GOOD[:-1] + b"\xff", "not valid utf-8", id="utf8"),
    pytest.param(GOOD + b"\0", "1 unexpected bytes after the last name", id="trailing"),
    pytest.param(patched(GOOD, 32, "<i", 0)[:36] + GOOD[-17:], "array #0 has no shape",
                 id="no-shape"),
])
def test_corrupt_files_raise(buf, match):
    with pytest.raises(MXNetError, match=match):
        loads(buf)


def rsp_record(rows, nrows=3):
    """A row_sparse (nrows, 2) float32 array with a stored row per entry of rows."""
    n = len(rows)
    return (struct.pack("<Iii2qi2qiiiiiq", V2, 1, 2, n, 2, 2, nrows, 2, 1, 0, 0, 6, 1, n)
            + np.ones((n, 2), "<f4").tobytes() + np.array(rows, "<i8").tobytes())


def test_sparse_indices_are_checked():
    dense = loads(nd_file(rsp_record([2, 0])))[0]
    np.testing.assert_array_equal(dense, [[1, 1], [0, 0], [1, 1]])
    for rows in ([3], [-1]):
        with pytest.raises(MXNetError, match="row_sparse rows"):
            loads(nd_file(rsp_record(rows)))


def test_sparse_array_too_large_to_hold_densely_is_refused():
    with pytest.raises(MXNetError, match="held densely"):
        loads(nd_file(rsp_record([0], nrows=1 << 62)))


def empty_sparse_record(stype, shape):
    """A row_sparse or csr array of ``shape`` storing nothing: a few dozen bytes."""
    storage = (0, *shape[1:]) if stype == 1 else (0,)
    head = struct.pack("<Ii", V2, stype)
    for dims in (storage, shape):
        head += struct.pack(f"<i{len(dims)}q", len(dims), *dims)
    head += struct.pack("<iii", 1, 0, 0)  # cpu(0), float32
    if stype == 1:
        return head + struct.pack("<iiq", 6, 1, 0)
    indptr = np.zeros(shape[0] + 1, "<i8")
    return (head + struct.pack("<iiqiiq", 6, 1, shape[0] + 1, 6, 1, 0)) + indptr.tobytes()


@pytest.mark.parametrize("stype, shape", [(1, (1 << 22, 1 << 10)), (2, (2, 1 << 40))],
                         ids=["row_sparse", "csr"])
def test_tiny_sparse_bomb_is_refused_before_any_allocation(tmp_path, monkeypatch, stype, shape):
    path = tmp_path / "bomb.params"
    path.write_bytes(nd_file(empty_sparse_record(stype, shape)))
    assert path.stat().st_size < 150
    allocations = []
    monkeypatch.setattr(SparseArray, "densify", lambda self: allocations.append(self.shape))
    with pytest.raises(MXNetError, match=r"would take [\d,.]+ GiB held densely.*"
                                         "MXJAX_SPARSE_DENSE_LIMIT"):
        mx.nd.load(str(path))
    assert allocations == []


def test_sparse_dense_limit_is_configurable(monkeypatch):
    buf = nd_file(empty_sparse_record(1, (4, 8)))  # 128 bytes held densely
    monkeypatch.setenv("MXJAX_SPARSE_DENSE_LIMIT", "127")
    with pytest.raises(MXNetError, match="limit of 127 bytes"):
        loads(buf)
    monkeypatch.setenv("MXJAX_SPARSE_DENSE_LIMIT", "128")
    np.testing.assert_array_equal(loads(buf)[0], np.zeros((4, 8)))
    monkeypatch.setenv("MXJAX_SPARSE_DENSE_LIMIT", "lots")
    with pytest.raises(MXNetError, match="must be a number of bytes"):
        loads(buf)


def csr_record(indptr, indices):
    """A csr (2, 2) float32 array with a stored 1.0 per entry of indices."""
    nnz = len(indices)
    return (struct.pack("<Iiiqi2qiiiiiqiiq", V2, 2, 1, nnz, 2, 2, 2, 1, 0, 0, 6, 1, 3, 6, 1, nnz)
            + np.ones(nnz, "<f4").tobytes() + np.array(indptr, "<i8").tobytes()
            + np.array(indices, "<i8").tobytes())


def test_csr_structure_is_checked():
    np.testing.assert_array_equal(loads(nd_file(csr_record([0, 1, 2], [1, 0])))[0],
                                  [[0, 1], [1, 0]])
    for indptr, indices in (([0, 2, 1], [0, 1]), ([0, 1, 2], [0, 2]), ([1, 1, 2], [0, 1])):
        with pytest.raises(MXNetError, match="csr indptr/indices"):
            loads(nd_file(csr_record(indptr, indices)))


def test_load_missing_file_and_bad_file_name(tmp_path):
    with pytest.raises(MXNetError, match="cannot read"):
        load(tmp_path / "missing.params")
    bad = tmp_path / "bad.params"
    bad.write_bytes(b"not mxnet")
    with pytest.raises(MXNetError, match="bad.params: invalid MXNet NDArray file"):
        load(bad)


# ---------------------------------------------------------------------------- atomic save

class HalfWriter:
    """A file whose write stores half the bytes, then fails like a full disk."""

    def __init__(self, path, mode):
        self.f = builtins.open(path, mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def close(self):
        self.f.close()

    def write(self, data):
        self.f.write(data[:len(data) // 2])
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("how", ["write", "replace", "dumps"])
def test_failed_save_leaves_destination_untouched(tmp_path, monkeypatch, how):
    path = tmp_path / "w.params"
    save(path, [np.arange(3, dtype="float32")])
    before = path.read_bytes()
    new = [np.zeros(1000, "float64")]
    if how == "write":
        monkeypatch.setattr(files, "open", HalfWriter, raising=False)
    elif how == "replace":
        def fail(*args):
            raise OSError(5, "I/O error")
        monkeypatch.setattr(ser.os, "replace", fail)
    else:
        new = [np.zeros(3, "complex64")]
    with pytest.raises(MXNetError):
        save(path, new)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.params"]  # no temporary file left behind


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(MXNetError, match="cannot write"):
        save(tmp_path / "nope" / "w.params", [np.ones(1)])
