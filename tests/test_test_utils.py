"""``mx.test_utils``: the same cases as real MXNet 1.9.1 (tolerances, full error
messages, returned gradients, pass/fail of the gradient checks), plus the file helpers
that never touch the network."""

import gzip
import json
import os
import socket
import struct
import sys

import numpy as np
import pytest

import mxjax as mx
from mxjax import test_utils as tu

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "reference"))
import testutils_cases  # noqa: E402

with open(os.path.join(HERE, "reference", "goldens", "test_utils.json")) as f:
    GOLDEN = json.load(f)
ARRAYS = np.load(os.path.join(HERE, "reference", "goldens", "test_utils.npz"))
# numpy writes its own assert_equal message, which changed after 1.23: outcome only.
NUMPY_TEXT = {("comparisons", "bools")}
# Float32 finite differences (eps 1/512) carry ~1e-4 of rounding noise in either library.
ARRAY_ATOL = {"numeric:": 2e-3}


@pytest.fixture(scope="module")
def ours():
    records, arrays = testutils_cases.run(mx)
    return json.loads(json.dumps(records, default=float)), arrays


@pytest.mark.parametrize("section", sorted(k for k in GOLDEN if k != "mxnet_version"))
def test_records_match_mxnet(ours, section):
    golden, got = GOLDEN[section], ours[0][section]
    if not isinstance(golden, dict):
        assert got == golden
        return
    assert sorted(got) == sorted(golden)
    for key in golden:
        if (section, key) in NUMPY_TEXT:
            assert got[key][0] == golden[key][0]
        else:
            assert got[key] == golden[key], f"{section}/{key}"


@pytest.mark.parametrize("name", sorted(ARRAYS.files))
def test_arrays_match_mxnet(ours, name):
    expected, got = ARRAYS[name], ours[1][name]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    atol = next((v for k, v in ARRAY_ATOL.items() if name.startswith(k)), 1e-6)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol)


# ---- tolerances and messages --------------------------------------------------------------

def test_default_tolerances_follow_the_looser_dtype():
    a16 = np.array([1.0, 2.0], np.float16)
    tu.assert_almost_equal(a16, np.array([1.0, 2.01]))  # float16's rtol 1e-2 applies
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(a16.astype(np.float32), np.array([1.0, 2.01], np.float32))
    assert tu.get_tols(mx.nd.zeros((1,)), np.zeros(1), None, None) == (1e-4, 1e-3)
    assert tu.get_tols(np.zeros(1), np.zeros(1), None, None) == (1e-5, 1e-20)
    assert tu.effective_dtype(mx.nd.zeros((1,))) == np.float32  # TF32 only on a GPU


def test_mismatch_message_names_the_worst_element(capsys):
    with pytest.raises(AssertionError) as err:
        tu.assert_almost_equal(mx.nd.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4.5]]),
                               names=("got", "want"))
    message = str(err.value)
    assert "exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 (mismatch 25.000000%)" \
        in message
    assert "Location of maximum error: (1, 1), got=4.00000000, want=4.50000000" in message
    assert "1: Error" in capsys.readouterr().out
    assert np.get_printoptions()["threshold"] == 1000  # printing options are left alone


# ---- gradient checks ----------------------------------------------------------------------

def test_check_numeric_gradient_passes_and_catches_a_wrong_backward():
    x = mx.sym.Variable("x")
    loc = [np.random.uniform(0.5, 1.5, (3, 4))]
    tu.check_numeric_gradient(x * x, loc)
    # BlockGrad hides one factor from backward: gradient x instead of 2x.
    with pytest.raises(AssertionError, match="NUMERICAL_x"):
        tu.check_numeric_gradient(x * mx.sym.BlockGrad(x), loc)


def test_check_symbolic_backward_add_returns_initial_plus_gradient():
    x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
    a, b, head = np.ones((2, 2)), np.full((2, 2), 3.0), np.full((2, 2), 0.5)
    np.random.seed(0)
    initial = np.random.normal(size=(2, 2))
    np.random.seed(0)
    grads = tu.check_symbolic_backward(x * y, [a, b], [head], [b * head, a * head],
                                       grad_req="add")
    np.testing.assert_allclose(grads["x"].asnumpy(), initial + b * head, rtol=1e-6)
    with pytest.raises(AssertionError, match="BACKWARD_y"):
        tu.check_symbolic_backward(x * y, [a, b], [head], [b * head, a * head + 1])


def test_check_consistency_reports_disagreement():
    x = mx.sym.Variable("x")
    ctx = [{"ctx": mx.cpu(), "x": (3,), "type_dict": {"x": t}} for t in (np.float64, np.float32)]
    tu.check_consistency(mx.sym.exp(x), ctx)
    with pytest.raises(AssertionError):
        tu.check_consistency([mx.sym.exp(x), mx.sym.exp(x) * 1.1], ctx)


def test_gluon_hybridize_consistency_and_optimizer_comparison():
    data = [mx.nd.array(np.random.uniform(size=(2, 5)))]
    tu.check_gluon_hybridize_consistency(
        lambda prefix: mx.gluon.nn.Dense(3, in_units=5, prefix=prefix), data)
    tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
                         mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), (3, 2), np.float32)


# ---- storage, randomness, small helpers ---------------------------------------------------

@pytest.mark.parametrize("stype", ["csr", "row_sparse"])
def test_random_sparse_arrays(stype):
    np.random.seed(3)
    x = tu.rand_ndarray((20, 6), stype, density=0.5)
    assert x.stype == stype and x.shape == (20, 6)
    dense = x.asnumpy()
    assert 0 < np.count_nonzero(dense) < dense.size
    assert ((dense >= 0) & (dense < 1)).all()  # uniform [0, 1) values
    full = tu.rand_ndarray((4, 3), stype, density=1)
    assert np.count_nonzero(full.asnumpy()) == 12
    fixed = tu.create_sparse_array_zd((5, 2), "row_sparse", 0.5, data_init=2.0,
                                      rsp_indices=[3, 1])
    assert fixed.indices.asnumpy().tolist() == [1, 3]
    assert (fixed.data.asnumpy() == 2).all()
    with pytest.raises(AssertionError):
        tu.rand_sparse_ndarray((3, 3), "foo")


def test_small_helpers():
    base = mx.nd.zeros((4,))
    assert tu.same_array(base, base[0:4])  # a view shares memory
    assert not tu.same_array(base, base.copy())
    calls = []

    @tu.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) == 3

    flaky()
    assert len(calls) == 3
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    with pytest.raises(AssertionError):
        tu.assert_exception(lambda: None, ZeroDivisionError)
    os.environ.pop("MXJAX_TU_PROBE", None)
    with tu.environment({"MXJAX_TU_PROBE": "1"}):
        assert os.environ["MXJAX_TU_PROBE"] == "1"
    assert "MXJAX_TU_PROBE" not in os.environ
    with tu.discard_stderr():
        os.write(2, b"")
    it = tu.DummyIter(mx.io.NDArrayIter(np.arange(8).reshape(4, 2), batch_size=2))
    assert next(it) is next(it)
    assert tu.same_symbol_structure(mx.sym.exp(mx.sym.var("a")), mx.sym.exp(mx.sym.var("b")))
    assert tu.check_speed(mx.sym.exp(mx.sym.var("a")), {"a": np.ones(3)}, N=2) > 0
    namespace = {}
    exec("from mxjax.test_utils import *", namespace)  # MXNet's tests rely on np, mx from it
    assert namespace["np"] is np and namespace["mx"] is mx


def test_chi_square_check():
    pytest.importorskip("scipy")
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: p, 5)
    np.random.seed(1)
    p_values = tu.verify_generator(lambda n: np.random.uniform(size=n), buckets, probs,
                                   nsamples=20000, nrepeat=3)
    assert len(p_values) == 3
    with pytest.raises(AssertionError, match="Generator test fails"):
        tu.verify_generator(lambda n: np.random.uniform(size=n) ** 2, buckets, probs,
                            nsamples=20000, nrepeat=3)


def test_set_default_context():
    try:
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1) == mx.current_context()
    finally:
        tu.set_default_context(mx.cpu(0))


# ---- files: local only --------------------------------------------------------------------

def test_download_copies_local_files(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"mxjax" * 100)
    out = tu.download("file://" + str(src), fname=str(tmp_path / "a.bin"))
    assert open(out, "rb").read() == src.read_bytes()
    out = tu.download(str(src), fname="b.bin", dirname=str(tmp_path / "sub"))
    assert out == str(tmp_path / "sub" / "b.bin") and os.path.getsize(out) == 500
    src.write_bytes(b"new")
    assert open(tu.download(str(src), fname=out), "rb").read() != b"new"  # kept
    assert open(tu.download(str(src), fname=out, overwrite=True), "rb").read() == b"new"


def test_download_unreachable_url_fails_clearly(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OSError, match=r"could not fetch .* \(2 attempts\)"):
        tu.download(f"http://127.0.0.1:{port}/x.bin", fname=str(tmp_path / "x.bin"), retries=2)
    assert not os.listdir(tmp_path)


def _write_idx(path, magic, dims, payload):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">" + "I" * (1 + len(dims)), magic, *dims) + payload)


def test_get_mnist_reads_local_files_and_never_downloads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="downloads nothing"):
        tu.get_mnist()
    with pytest.raises(FileNotFoundError, match="mnist.zip"):
        tu.get_mnist_ubyte()
    for split, n in (("train", 3), ("t10k", 2)):
        _write_idx(f"{split}-labels-idx1-ubyte.gz", 2049, (n,), bytes(range(n)))
        _write_idx(f"{split}-images-idx3-ubyte.gz", 2051, (n, 28, 28), bytes([255]) * n * 784)
    data = tu.get_mnist()
    assert data["train_data"].shape == (3, 1, 28, 28) and data["train_data"].max() == 1.0
    assert data["test_label"].tolist() == [0, 1] and data["test_label"].dtype == np.int8
