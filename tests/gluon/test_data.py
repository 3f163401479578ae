"""``gluon.data`` (datasets, samplers, DataLoader) and ``mx.recordio`` against MXNet 1.9.1
goldens (tests/reference/generate_data.py), plus worker processes and threads.

Worker tests keep to a few DataLoaders with processes: the first one starts the fork
server, which imports JAX and mxjax (a second or more).
"""

import json
import pickle
import struct
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import mxjax as mx
from mxjax.gluon import data
from mxjax.gluon.data import _pickling, dataloader
from mxjax.gluon.data.vision import transforms as T
from tests.reference.generate_data import LOADER_CASES, NPZ, run_loader, run_misc

with np.load(NPZ) as _npz:
    G = {k: _npz[k] for k in _npz.files}
META = json.loads(G["meta:json"].tobytes().decode())


# ---- goldens -----------------------------------------------------------------------------
@pytest.mark.parametrize("cid", sorted(LOADER_CASES))
def test_loader_epochs_match_mxnet(cid):
    assert run_loader(mx, LOADER_CASES[cid]) == META["loader"][cid]


def test_dataset_methods_and_batchify_match_mxnet():
    got = json.loads(json.dumps(run_misc(mx)))
    want = META["misc"]
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == want[key], key


# ---- samplers ----------------------------------------------------------------------------
def test_random_sampler_is_a_permutation_driven_by_numpy():
    np.random.seed(3)
    a = list(data.RandomSampler(20))
    np.random.seed(3)
    assert sorted(a) == list(range(20)) and a == list(data.RandomSampler(20))
    assert len(data.RandomSampler(20)) == 20


def test_batch_sampler_rollover_carries_over():
    s = data.BatchSampler(data.SequentialSampler(5), 2, "rollover")
    assert len(s) == 2
    assert list(s) == [[0, 1], [2, 3]]
    assert len(s) == 3          # the carried sample counts towards the next epoch
    assert list(s) == [[4, 0], [1, 2], [3, 4]]


def test_batch_sampler_bad_mode():
    s = data.BatchSampler(data.SequentialSampler(5), 2, "drop")
    with pytest.raises(ValueError, match="last_batch must be one of"):
        len(s)
    with pytest.raises(ValueError, match="last_batch must be one of"):
        list(s)


def test_filter_sampler_and_sample():
    ds = data.SimpleDataset(list(range(10)))
    s = data.FilterSampler(lambda x: x > 6, ds)
    assert list(s) == [7, 8, 9] and len(s) == 3
    assert list(ds.sample(s)) == [7, 8, 9]
    with pytest.raises(TypeError, match="Invalid sampler type"):
        ds.sample([1, 2])


def test_lazy_transform_reruns_and_eager_does_not():
    calls = []

    def fn(x):
        calls.append(x)
        return x + 1

    ds = data.SimpleDataset([1, 2, 3])
    lazy = ds.transform(fn)
    assert not calls and lazy[0] == 2 and lazy[0] == 2 and calls == [1, 1]
    calls.clear()
    eager = ds.transform(fn, lazy=False)
    assert calls == [1, 2, 3] and eager[2] == 4 and calls == [1, 2, 3]


def test_array_dataset():
    x = mx.nd.arange(6).reshape((3, 2))
    ds = data.ArrayDataset(x, mx.nd.array([5, 6, 7]), [7, 8, 9])
    a, b, c = ds[1]
    assert isinstance(a, mx.nd.NDArray) and a.shape == (2,)
    assert isinstance(b, np.float32) and b == 6 and c == 8
    assert data.ArrayDataset([1, 2])[1] == 2   # one array: samples are not tuples
    with pytest.raises(AssertionError, match="same length"):
        data.ArrayDataset([1, 2], [1])


# ---- DataLoader --------------------------------------------------------------------------
def test_loader_argument_errors():
    ds = list(range(4))
    with pytest.raises(ValueError, match="batch_size must be specified"):
        data.DataLoader(ds)
    with pytest.raises(ValueError, match="shuffle must not be specified"):
        data.DataLoader(ds, 2, shuffle=True, sampler=data.SequentialSampler(4))
    with pytest.raises(ValueError, match="must not be specified if batch_sampler"):
        data.DataLoader(ds, 2, batch_sampler=data.BatchSampler(data.SequentialSampler(4), 2))


def test_loader_tuples_give_lists_and_shuffle_uses_numpy():
    ds = data.ArrayDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
    np.random.seed(0)
    batches = list(data.DataLoader(ds, batch_size=2, shuffle=True))
    assert [len(b[1]) for b in batches] == [2, 2, 1]
    assert isinstance(batches[0], list) and batches[0][0].dtype == np.float32
    assert batches[0][1].dtype == np.int64
    seen = np.concatenate([b[1].asnumpy() for b in batches])
    np.random.seed(0)
    assert seen.tolist() == list(data.RandomSampler(5))


def test_loader_batch_sampler_and_batchify_fn():
    sampler = data.BatchSampler(data.SequentialSampler(5), 3, "discard")
    loader = data.DataLoader(list(range(5)), batch_sampler=sampler,
                             batchify_fn=lambda samples: sum(samples))
    assert len(loader) == 1 and list(loader) == [3]


def test_loader_pin_memory_context():
    loader = data.DataLoader(data.ArrayDataset(np.ones((4, 2)), np.arange(4)), batch_size=2,
                             pin_memory=True)
    x, y = next(iter(loader))
    assert x.context == mx.cpu_pinned(0) and y.context == mx.cpu_pinned(0)


def test_loader_ndarray_dataset():
    x = mx.nd.arange(12).reshape((6, 2))
    batches = list(data.DataLoader(x, batch_size=4))
    assert [b.shape for b in batches] == [(4, 2), (2, 2)]
    np.testing.assert_array_equal(batches[1].asnumpy(), x.asnumpy()[4:])


class Scaled(data.Dataset):
    """Picklable dataset for the worker tests: NDArray samples and a numpy label; index
    ``n`` (reachable only through a custom sampler) raises."""

    def __init__(self, n):
        self._x = mx.nd.arange(n * 3).reshape((n, 3))

    def __len__(self):
        return self._x.shape[0]

    def __getitem__(self, i):
        if i == len(self):
            raise KeyError(f"sample {i} is broken")
        return self._x[i] * 2, np.int32(i)


def add_one(x):
    return x + 1


class ThenBroken(data.Sampler):
    """Batches of ``BatchSampler(SequentialSampler(n), 3, 'rollover')`` for two epochs,
    then one epoch whose second batch asks for the broken sample."""

    def __init__(self, n):
        self._n = n
        self._inner = data.BatchSampler(data.SequentialSampler(n), 3, "rollover")
        self.epoch = 0

    def __iter__(self):
        self.epoch += 1
        if self.epoch > 2:
            return iter([[0, 1], [2, self._n], [3]])
        return iter(self._inner)

    def __len__(self):
        return len(self._inner) if self.epoch < 2 else 3


def _epochs(loader, n=2):
    return [[[t.asnumpy() for t in b] for b in loader] for _ in range(n)]


def _assert_same(a, b):
    assert len(a) == len(b)
    for ea, eb in zip(a, b):
        assert len(ea) == len(eb)
        for ba, bb in zip(ea, eb):
            for ta, tb in zip(ba, bb):
                assert ta.dtype == tb.dtype
                np.testing.assert_array_equal(ta, tb)


def test_worker_processes_match_single_process():
    # a hybridized Compose (already called, so compiled) must still reach the workers
    compose = T.Compose([T.Cast("float64"), T.Cast("float32")])
    ds = Scaled(11).transform_first(add_one).transform_first(compose)
    reference = _epochs(data.DataLoader(ds, batch_size=3, last_batch="rollover"))
    loader = data.DataLoader(ds, batch_sampler=ThenBroken(11), num_workers=2)
    assert not loader._thread_pool   # real processes
    _assert_same(_epochs(loader), reference)
    it = iter(loader)   # third epoch: a worker's exception reaches the caller
    batch = next(it)
    assert isinstance(batch[0], mx.nd.NDArray) and batch[0].context == mx.cpu()
    with pytest.raises(KeyError, match="sample 11 is broken"):
        next(it)


SCRIPT = """
import mxnet as mx
from mxnet.gluon.data import DataLoader, Dataset


class Squares(Dataset):   # defined in the script: workers must re-import it
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return mx.nd.array([i * i]), i


if __name__ == "__main__":
    loader = DataLoader(Squares(), batch_size=3, num_workers=2)
    print([x.asnumpy().ravel().tolist() for x, _ in loader])
"""


def test_workers_under_mxjax_run(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, "-m", "mxjax", "run", str(script)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[[0.0, 1.0, 4.0], [9.0, 16.0, 25.0], [36.0]]"


UNGUARDED_SCRIPT = """
import os
import {mx} as mx
from {mx}.gluon.data import DataLoader, Dataset

print("top level, once")
OFFSET = 100


def shift(i):
    return i + OFFSET


class Squares(Dataset):   # the script's own class, and its globals, reach the workers
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return mx.nd.array([i * i]), shift(i), os.getpid()


loader = DataLoader(Squares().transform_first(lambda x: x * 2), batch_size=3, num_workers=2)
batches = list(loader)
print([x.asnumpy().ravel().tolist() for x, _, _ in batches])
print([y.asnumpy().tolist() for _, y, _ in batches])
pids = {{int(p) for _, _, pid in batches for p in pid.asnumpy()}}
print("worker processes:", not loader._thread_pool and os.getpid() not in pids)
"""


SCRIPT_DEFINITIONS = """
import mxjax as mx

SCALE = 3


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


class Base(mx.gluon.data.Dataset):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def __len__(self):
        return self.n

    @staticmethod
    def twice(x):
        return 2 * x

    @classmethod
    def scale(cls):
        return SCALE

    @property
    def size(self):
        return self.n


class Child(Base):
    __slots__ = ("extra",)

    def __init__(self, n):
        super().__init__(n)
        self.extra = 1

    def __getitem__(self, i):
        return fact(i) * self.scale() + self.twice(self.extra) + self.size


def make(k):
    return Child(4).transform_first(lambda x: x + k)
"""


def test_script_definitions_travel_by_value():
    # What a script run as __main__ defines is rebuilt from its pickle alone (workers do
    # not run the script): closures, recursion, super(), slots, class and static methods.
    script = {"__name__": "__main__"}
    exec(textwrap.dedent(SCRIPT_DEFINITIONS), script)
    clone = pickle.loads(_pickling.dumps(script["make"](1000)))
    script["SCALE"] = 0   # a snapshot, as a fork would have taken
    assert [clone[i] for i in range(4)] == [3 * f + 2 + 4 + 1000 for f in (1, 1, 2, 6)]
    child = type(clone._data)
    assert child is not script["Child"] and child.__module__ == "__main__"


@pytest.mark.parametrize("runner", ["mxjax run", pytest.param("python", marks=pytest.mark.slow)])
def test_workers_with_an_unguarded_script(tmp_path, runner):
    # MXNet forks its workers, so scripts rarely guard their top level; the workers must
    # neither fail to find the script's definitions nor run its top level again.
    script = tmp_path / "script.py"
    script.write_text(UNGUARDED_SCRIPT.format(mx="mxnet" if runner == "mxjax run" else "mxjax"))
    command = [sys.executable, *(["-m", "mxjax", "run"] if runner == "mxjax run" else []),
               str(script)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "top level, once",
        "[[0.0, 2.0, 8.0], [18.0, 32.0, 50.0], [72.0]]",
        "[[100, 101, 102], [103, 104, 105], [106]]",
        "worker processes: True"]
    assert "cannot be pickled" not in out.stderr


def test_thread_pool_and_unpicklable_fallback():
    ds = Scaled(7)
    reference = _epochs(data.DataLoader(ds, batch_size=2))
    threads = data.DataLoader(ds, batch_size=2, num_workers=2, thread_pool=True, prefetch=1)
    _assert_same(_epochs(threads), reference)
    with pytest.warns(UserWarning, match="cannot be pickled"):
        fallback = data.DataLoader(ds.transform_first(lambda x: x), batch_size=2,
                                   num_workers=2)
    assert fallback._thread_pool
    _assert_same(_epochs(fallback), reference)


def test_auto_reload_prefetches_next_epoch():
    calls = []

    class Counting(data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            calls.append(i)
            return i

    loader = data.DataLoader(Counting(), batch_size=2, num_workers=1, thread_pool=True,
                             auto_reload=True)
    for _ in range(50):   # prefetched at construction, by the worker thread
        if calls:
            break
        __import__("time").sleep(0.01)
    assert calls
    assert [b.asnumpy().tolist() for b in loader] == [[0, 1], [2, 3]]
    assert loader._iter is not None   # the next epoch is already on its way
    manual = data.DataLoader(Counting(), batch_size=2)
    assert manual._iter is None


def test_worker_batches_rebuild_ndarrays():
    batch = [mx.nd.array([1, 2]), (np.float32(3), {"k": mx.nd.ones((2,), dtype="int32")})]
    dataloader._worker_dataset = [batch]   # what a worker holds after its initializer
    try:
        payload = dataloader._worker_fn([0], lambda samples: samples[0])
    finally:
        dataloader._worker_dataset = None
    back = pickle.loads(payload)
    assert isinstance(back[0], mx.nd.NDArray) and back[0].context == mx.cpu()
    assert back[1][1]["k"].dtype == np.int32
    np.testing.assert_array_equal(back[0].asnumpy(), [1, 2])


# ---- RecordIO ----------------------------------------------------------------------------
RECORDS = [G[f"recordio:record{i}"].tobytes() for i in range(10)]


def test_recordio_writes_mxnet_bytes(tmp_path):
    rec, idx = str(tmp_path / "d.rec"), str(tmp_path / "d.idx")
    writer = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    for i, r in enumerate(RECORDS):
        writer.write_idx(10 + i, r)
    writer.close()
    assert open(rec, "rb").read() == G["recordio:rec"].tobytes()
    assert open(idx, "rb").read() == G["recordio:idx"].tobytes()


def test_recordio_reads_mxnet_file(tmp_path):
    rec, idx = tmp_path / "d.rec", tmp_path / "d.idx"
    rec.write_bytes(G["recordio:rec"].tobytes())
    idx.write_bytes(G["recordio:idx"].tobytes())
    reader = mx.recordio.MXRecordIO(str(rec), "r")
    assert [reader.read() for _ in RECORDS] == RECORDS and reader.read() is None
    reader.reset()
    assert reader.read() == RECORDS[0]
    indexed = mx.recordio.MXIndexedRecordIO(str(idx), str(rec), "r")
    assert indexed.keys == list(range(10, 20))
    assert indexed.read_idx(16) == RECORDS[6] and indexed.read_idx(11) == RECORDS[1]
    clone = pickle.loads(pickle.dumps(indexed))
    assert clone.read_idx(19) == RECORDS[9] and indexed.read_idx(12) == RECORDS[2]
    ds = data.RecordFileDataset(str(rec))
    assert len(ds) == 10 and ds[5] == RECORDS[5]


def test_recordio_pack_unpack():
    for (flag, label, rid, rid2), record in zip(META["unpack"], RECORDS[-2:]):
        header, payload = mx.recordio.unpack(record)
        assert (header.flag, np.asarray(header.label).tolist(), header.id, header.id2) == \
            (flag, label, rid, rid2)
        assert mx.recordio.pack(mx.recordio.IRHeader(0, label, rid, rid2), payload) == record


def test_recordio_errors(tmp_path):
    path = tmp_path / "bad.rec"
    path.write_bytes(struct.pack("<II", 0x12345678, 4) + b"abcd")
    with pytest.raises(RuntimeError, match="bad magic"):
        mx.recordio.MXRecordIO(str(path), "r").read()
    path.write_bytes(G["recordio:rec"].tobytes()[:-8])
    reader = mx.recordio.MXRecordIO(str(path), "r")
    with pytest.raises(RuntimeError, match="truncated"):
        while reader.read() is not None:
            pass
    with pytest.raises(ValueError, match="Invalid flag"):
        mx.recordio.MXRecordIO(str(path), "x")
    writer = mx.recordio.MXRecordIO(str(tmp_path / "w.rec"), "w")
    with pytest.raises(AssertionError):
        writer.read()


def test_loader_over_record_file_with_workers(tmp_path):
    rec, idx = tmp_path / "d.rec", tmp_path / "d.idx"
    rec.write_bytes(G["recordio:rec"].tobytes())
    idx.write_bytes(G["recordio:idx"].tobytes())
    ds = data.RecordFileDataset(str(rec)).transform(len)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loader = data.DataLoader(ds, batch_size=4, num_workers=1)
    got = [b.asnumpy().tolist() for b in loader]
    assert got == [[len(r) for r in RECORDS[i:i + 4]] for i in (0, 4, 8)]
