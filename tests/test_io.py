"""``mx.io`` against MXNet 1.9.1 goldens (tests/reference/generate_metric_io.py).

Each case of ``io_cases.py`` runs through the same ``run_case`` on files written by the
same ``write_files``; every batch (values, dtype, shape, pad, index, ``str``),
``provide_data``/``provide_label`` and exception must be MXNet's. Shuffling uses numpy's
global RNG as MXNet does, so seeded shuffles match MXNet's order too.
"""

import json
import logging
import pickle

import jax
import numpy as np
import pytest

import mxjax as mx
from tests.reference import io_cases
from tests.reference.generate_metric_io import JSON, NPZ

with np.load(NPZ) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files if k.startswith("io:")}
with open(JSON, encoding="utf-8") as _f:
    META = json.load(_f)

REGENERATE = "regenerate with: /work/refvenv/bin/python tests/reference/generate_metric_io.py"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    path = tmp_path_factory.mktemp("io_files")
    io_cases.write_files(str(path))
    return str(path)


def as_json(value):
    return json.loads(json.dumps(value, default=str))


def test_goldens_cover_every_case():
    assert set(META["io"]) == set(io_cases.CASES), REGENERATE


@pytest.mark.parametrize("cid", sorted(io_cases.CASES))
def test_matches_mxnet(cid, files):
    records, arrays = io_cases.run_case(mx, io_cases.CASES[cid], files)
    assert as_json(records) == META["io"][cid]
    want = [ARRAYS[f"io:{cid}:{k}"] for k in range(len(arrays))]
    assert f"io:{cid}:{len(arrays)}" not in ARRAYS, "fewer batches than MXNet"
    for k, (got, exp) in enumerate(zip(arrays, want)):
        assert (got.dtype, got.shape) == (exp.dtype, exp.shape), (cid, k)
        np.testing.assert_array_equal(got, exp, err_msg=f"{cid} array {k}")


def test_prefetch_reset(files):
    got = [io_cases.run_prefetch_reset(mx, files, *c) for c in io_cases.PREFETCH_RESET_CASES]
    assert got == META["prefetch_reset"]


def test_datadesc_databatch():
    assert as_json(io_cases.misc(mx)) == META["misc"]


# ---- behaviours the goldens cannot show ----------------------------------------------------
@pytest.mark.parametrize("handle", ["pad", "discard", "roll_over"])
def test_shuffle_is_a_permutation(handle):
    it = mx.io.NDArrayIter(io_cases.examples(12), io_cases.labels(12), batch_size=4,
                           shuffle=True, last_batch_handle=handle)
    orders = []
    for _ in range(3):
        batches = list(it)
        seen = np.concatenate([b.data[0].asnumpy()[:, 0] // 2 for b in batches])
        labels = np.concatenate([b.label[0].asnumpy() // 10 for b in batches])
        assert sorted(seen.tolist()) == list(range(12)) and (labels == seen).all()
        orders.append(seen.tolist())
        it.reset()
    assert orders[0] != orders[1] or orders[1] != orders[2]


def test_shuffle_keeps_examples_and_labels_together():
    it = mx.io.NDArrayIter(io_cases.examples(9), io_cases.labels(9), batch_size=3, shuffle=True)
    for batch in it:
        np.testing.assert_array_equal(batch.data[0].asnumpy()[:, 0] * 5, batch.label[0].asnumpy())


def test_sparse_shuffle_keeps_rows_together():
    dense = io_cases.examples(7, 3) * (io_cases.examples(7, 3) % 2)
    it = mx.io.NDArrayIter({"csr": mx.nd.array(dense).tostype("csr"), "dense": dense},
                           io_cases.labels(7), batch_size=3, shuffle=True,
                           last_batch_handle="discard")
    assert isinstance(dict(it.data)["csr"], mx.nd.sparse.CSRNDArray)
    for batch in it:
        csr, rows = (a.asnumpy() for a in batch.data)
        np.testing.assert_array_equal(csr, rows)
        np.testing.assert_array_equal(rows, dense[(batch.label[0].asnumpy() // 10).astype(int)])


def test_batches_compile_nothing_and_are_copies(caplog):
    """Batches are sliced on the host (one transfer each, nothing compiled per position)
    and are copies, as MXNet's ``slice_axis``: writing one leaves the source alone."""
    source = mx.nd.array(io_cases.examples(40), dtype="int32")
    it = mx.io.NDArrayIter(source, io_cases.labels(40), batch_size=1)
    first = it.next()
    with caplog.at_level(logging.WARNING, logger="jax"), jax.log_compiles():
        batches = [it.next() for _ in range(30)]
    assert not [r for r in caplog.records if "Compiling" in r.getMessage()]
    assert batches[4].data[0].dtype == np.int32
    np.testing.assert_array_equal(batches[4].data[0].asnumpy(), [[10, 11]])
    first.data[0][:] = -1
    np.testing.assert_array_equal(source[0].asnumpy(), [0, 1])


def test_dict_input_is_not_modified():
    data = {"a": np.ones((4, 2))}
    mx.io.NDArrayIter(data, batch_size=2)
    assert isinstance(data["a"], np.ndarray)  # MXNet 1.9.1 replaces it by an NDArray


def test_prefetching_iter_runs_in_threads_and_stops():
    base = mx.io.NDArrayIter(io_cases.examples(6), io_cases.labels(6), batch_size=2)
    it = mx.io.PrefetchingIter(base)
    assert all(t.is_alive() for t in it.prefetch_threads)
    assert len(list(it)) == 3
    threads = it.prefetch_threads
    it.__del__()
    assert not any(t.is_alive() for t in threads)


def test_datadesc_pickles_with_dtype_and_layout():
    desc = pickle.loads(pickle.dumps(mx.io.DataDesc("x", (2, 3), np.int32, "NTC")))
    assert (desc, desc.dtype, desc.layout) == (("x", (2, 3)), np.int32, "NTC")


@pytest.mark.parametrize("name", ["ImageRecordIter", "ImageRecordIter_v1", "ImageRecordUInt8Iter",
                                  "ImageRecordUInt8Iter_v1", "ImageRecordInt8Iter",
                                  "ImageDetRecordIter", "LibSVMIter"])
def test_unsupported_iterators_say_so(name):
    with pytest.raises(NotImplementedError, match=name):
        getattr(mx.io, name)(path_imgrec="x.rec", batch_size=2)


def test_mnist_shuffle_is_a_permutation_for_any_seed(files):
    plain = mx.io.MNISTIter(image=f"{files}/big-images", label=f"{files}/big-labels",
                            batch_size=300, shuffle=False, flat=True, silent=True).next()
    shuffled = mx.io.MNISTIter(image=f"{files}/big-images", label=f"{files}/big-labels",
                               batch_size=300, seed=12345, flat=True, silent=True).next()
    a, b = plain.data[0].asnumpy(), shuffled.data[0].asnumpy()
    assert not np.array_equal(a, b)
    assert sorted(map(tuple, a.tolist())) == sorted(map(tuple, b.tolist()))
