"""``mx.io`` cases, run by real MXNet 1.9.1 (generate_metric_io.py) and by mxjax
(tests/test_io.py) through the same functions; numpy and the standard library only.

An iterator case builds one iterator and runs a script over it: ``"epoch"`` iterates to
StopIteration, an integer takes that many batches, ``"reset"``/``"hard_reset"`` call
those methods, ``"sleep"`` gives MXNet's prefetch thread time to read ahead,
``"protocol"`` drives ``iter_next``/``getdata``/``getlabel``/``getpad`` to the end.
Every batch is recorded (its arrays, pad, index and ``str``), as are
``provide_data``/``provide_label`` and the exceptions raised. Inputs are ``arange``-based
so the recorded values name the examples; files (CSV, MNIST idx) are written by
``write_files`` into a directory given by the caller.
"""

import os
import struct
import time

import numpy as np


def examples(n, width=2, dtype="float32"):
    """``n`` examples whose values identify them: row i is ``[i*width, ..., i*width+width-1]``."""
    return np.arange(n * width, dtype=dtype).reshape(n, width)


def labels(n, dtype="float32"):
    return np.arange(n, dtype=dtype) * 10


def nd_iter(data, label=None, nd=False, **kwargs):
    """``NDArrayIter`` over ``data``/``label`` (arrays, lists or dicts of numpy arrays;
    ``nd`` turns them into NDArrays of the same dtype first)."""
    def build(mx, files):
        def conv(x):
            if x is None or not nd:
                return x
            if isinstance(x, dict):
                return {k: mx.nd.array(v, dtype=v.dtype) for k, v in x.items()}
            if isinstance(x, list):
                return [mx.nd.array(v, dtype=v.dtype) for v in x]
            return mx.nd.array(x, dtype=x.dtype)
        return mx.io.NDArrayIter(conv(data), conv(label), **kwargs)
    return build


def epochs(n):
    return ("epoch", "reset") * (n - 1) + ("epoch",)


ND_CASES = {
    # last_batch_handle='pad' (the default)
    "pad": (nd_iter(examples(10), labels(10), batch_size=3), epochs(2)),
    "pad-exact": (nd_iter(examples(9), labels(9), batch_size=3), epochs(2)),
    "pad-bigger-batch": (nd_iter(examples(5), labels(5), batch_size=7), epochs(2)),
    "pad-tile": (nd_iter(examples(4), labels(4), batch_size=11), epochs(2)),
    "pad-tile-exact": (nd_iter(examples(3), labels(3), batch_size=9), epochs(1)),
    # 'discard'
    "discard": (nd_iter(examples(10), labels(10), batch_size=3, last_batch_handle="discard"),
                epochs(2)),
    "discard-protocol": (nd_iter(examples(7), labels(7), batch_size=3,
                                 last_batch_handle="discard"), ("protocol",)),
    # 'roll_over': the incomplete batch starts the next epoch
    "roll_over": (nd_iter(examples(10), labels(10), batch_size=3,
                          last_batch_handle="roll_over"), epochs(4)),
    "roll_over-4": (nd_iter(examples(10), labels(10), batch_size=4,
                            last_batch_handle="roll_over"), epochs(3)),
    "roll_over-exact": (nd_iter(examples(8), labels(8), batch_size=4,
                                last_batch_handle="roll_over"), epochs(2)),
    "roll_over-bigger-batch": (nd_iter(examples(5), labels(5), batch_size=7,
                                       last_batch_handle="roll_over"), epochs(3)),
    "roll_over-no-label": (nd_iter(examples(7), batch_size=3, last_batch_handle="roll_over"),
                           epochs(3)),
    "roll_over-hard_reset": (nd_iter(examples(10), labels(10), batch_size=3,
                                     last_batch_handle="roll_over"),
                             ("epoch", "hard_reset", "epoch")),
    "roll_over-mid-epoch-reset": (nd_iter(examples(10), labels(10), batch_size=3,
                                          last_batch_handle="roll_over"),
                                  (2, "reset", "epoch", "reset", "epoch")),
    "pad-mid-epoch-reset": (nd_iter(examples(10), labels(10), batch_size=4), (1, "reset",
                                                                               "epoch")),
    # inputs: lists, dicts, NDArrays, dtypes, names, layout
    "lists": (nd_iter([examples(6), examples(6, 3)], [labels(6), labels(6) + 1],
                      batch_size=4), epochs(1)),
    "many-labels-sorted-by-name": (nd_iter(examples(4), [labels(4) + i for i in range(11)],
                                           batch_size=4), epochs(1)),
    "dict": (nd_iter({"b": examples(5), "a": examples(5, 1)}, {"y": labels(5)},
                     batch_size=2), epochs(1)),
    "names": (nd_iter(examples(5), labels(5), batch_size=2, data_name="x", label_name="y"),
              epochs(1)),
    "no-label": (nd_iter(examples(5), batch_size=2), epochs(1)),
    "numpy-int64": (nd_iter(examples(5, dtype="int64"), labels(5, "int64"), batch_size=2),
                    epochs(1)),
    "nd-int32": (nd_iter(examples(5, dtype="int32"), labels(5, "int32"), nd=True,
                         batch_size=2), epochs(1)),
    "nd-float64": (nd_iter(examples(5, dtype="float64"), labels(5), nd=True, batch_size=2),
                   epochs(1)),
    "3d-data": (nd_iter(np.arange(60, dtype="float32").reshape(5, 3, 4), labels(5),
                        batch_size=2), epochs(2)),
    "layout-NTC": (nd_iter(examples(4), labels(4), batch_size=2, layout="NTC"), epochs(1)),
    "batch-size-1": (nd_iter(examples(3), labels(3)), epochs(1)),
    "list-of-lists": (nd_iter([[1, 2, 3], [4, 5, 6]], batch_size=2), epochs(1)),
    "data-none": (nd_iter(None), ()),
    "data-empty-list": (nd_iter([]), ()),
    "data-bad-type": (nd_iter("abc"), ()),
}


def sparse_iter(**kwargs):
    """NDArrayIter over a CSR array (rows of ``examples`` with the odd values kept) next
    to the same rows dense; batches come out dense."""
    def build(mx, files):
        dense = examples(7, 3) * (examples(7, 3) % 2)
        return mx.io.NDArrayIter({"csr": mx.nd.array(dense).tostype("csr"), "dense": dense},
                                 labels(7), batch_size=3, **kwargs)
    return build


SPARSE_CASES = {
    "csr-discard": (sparse_iter(last_batch_handle="discard"), epochs(2)),
    "csr-pad-unsupported": (sparse_iter(), ()),
    "csr-roll_over-unsupported": (sparse_iter(last_batch_handle="roll_over"), ()),
}


def shuffled(seed, last_batch_handle="pad", nd=False, dtype="float32"):
    """A shuffled NDArrayIter built right after ``numpy.random.seed(seed)``."""
    def build(mx, files):
        np.random.seed(seed)
        data, label = examples(10, dtype=dtype), labels(10)
        if nd:
            data = mx.nd.array(data, dtype=data.dtype)
        return mx.io.NDArrayIter(data, label, batch_size=4, shuffle=True,
                                 last_batch_handle=last_batch_handle)
    return build


SHUFFLE_CASES = {
    "shuffle-pad": (shuffled(3), epochs(3)),
    "shuffle-discard": (shuffled(5, "discard"), epochs(2)),
    "shuffle-roll_over": (shuffled(7, "roll_over"), epochs(3)),
    "shuffle-nd-int32": (shuffled(11, nd=True, dtype="int32"), epochs(1)),
}


def resize(size, reset_internal=True, batch_size=3):
    def build(mx, files):
        base = mx.io.NDArrayIter(examples(7), labels(7), batch_size=batch_size)
        return mx.io.ResizeIter(base, size, reset_internal)
    return build


def prefetching(rename):
    def build(mx, files):
        a = mx.io.NDArrayIter(examples(7), labels(7), batch_size=3)
        b = mx.io.NDArrayIter(examples(7, 3) + 100, labels(7) + 100, batch_size=3,
                              data_name="data2", label_name="label2")
        if not rename:
            return mx.io.PrefetchingIter([a, b])
        return mx.io.PrefetchingIter([a, b], rename_data=[{"data": "x"}, {"data2": "x2"}],
                                     rename_label=[{"softmax_label": "y"}, {"label2": "y2"}])
    return build


WRAPPER_CASES = {
    "resize-longer": (resize(5), epochs(2)),
    "resize-shorter": (resize(2), epochs(3)),
    "resize-no-reset-internal": (resize(2, False), epochs(3)),
    "prefetching": (prefetching(False), epochs(2)),
    "prefetching-renamed": (prefetching(True), epochs(1)),
    "prefetching-single": (lambda mx, files: mx.io.PrefetchingIter(
        mx.io.NDArrayIter(examples(5), labels(5), batch_size=2)), epochs(2)),
}


# ---- files ---------------------------------------------------------------------------
def write_files(path):
    """CSV and MNIST idx files for the file-iterator cases, into directory ``path``."""
    np.savetxt(os.path.join(path, "d4.csv"), examples(4, 3) + 1, delimiter=",", fmt="%g")
    np.savetxt(os.path.join(path, "l4.csv"), examples(4, 2) * 10, delimiter=",", fmt="%g")
    np.savetxt(os.path.join(path, "d41.csv"), examples(41), delimiter=",", fmt="%g")
    np.savetxt(os.path.join(path, "frac.csv"), examples(5, 2) / 4, delimiter=",", fmt="%g")
    with open(os.path.join(path, "bad.csv"), "w", encoding="utf-8") as f:
        f.write("1,2\n4,5,6\n")
    os.makedirs(os.path.join(path, "dir"), exist_ok=True)
    np.savetxt(os.path.join(path, "dir", "a.csv"), examples(2, 3), delimiter=",", fmt="%g")
    np.savetxt(os.path.join(path, "dir", "b.csv"), examples(3, 3) + 50, delimiter=",",
               fmt="%g")
    for name, n, rows, cols in (("small", 10, 4, 3), ("big", 300, 2, 2)):
        i = np.arange(n * rows * cols)
        pixels = ((i * 37 + (i // 7) * 11) % 256).astype(np.uint8)
        with open(os.path.join(path, f"{name}-images"), "wb") as f:
            f.write(struct.pack(">iiii", 2051, n, rows, cols) + pixels.tobytes())
        with open(os.path.join(path, f"{name}-labels"), "wb") as f:
            f.write(struct.pack(">ii", 2049, n) + ((np.arange(n) * 7) % 10).astype(np.uint8)
                    .tobytes())


def csv(**kwargs):
    def build(mx, files):
        args = {k: os.path.join(files, v) if k.endswith("_csv") and v != "NULL" else v
                for k, v in kwargs.items()}
        return mx.io.CSVIter(**args)
    return build


def mnist(name="small", **kwargs):
    def build(mx, files):
        return mx.io.MNISTIter(image=os.path.join(files, f"{name}-images"),
                               label=os.path.join(files, f"{name}-labels"), silent=True,
                               **kwargs)
    return build


FILE_CASES = {
    "csv-round_batch": (csv(data_csv="d4.csv", data_shape=(3,), batch_size=3), epochs(4)),
    "csv-no-round_batch-int32": (csv(data_csv="d4.csv", data_shape=(3,), batch_size=3,
                                     round_batch=False, dtype="int32"), epochs(2)),
    "csv-label-int64": (csv(data_csv="d4.csv", data_shape=(3,), label_csv="l4.csv",
                            label_shape=(2,), batch_size=2, dtype="int64"), epochs(2)),
    "csv-label-rows": (csv(data_csv="d4.csv", data_shape=(1, 3), label_csv="l4.csv",
                             label_shape=(2,), batch_size=3, round_batch=False), epochs(2)),
    "csv-batch-bigger-than-data": (csv(data_csv="d4.csv", data_shape=(3,), batch_size=5),
                                   epochs(3)),
    "csv-reset-first": (csv(data_csv="d4.csv", data_shape=(3,), batch_size=3),
                        ("sleep", "reset", "epoch", "reset", "epoch")),
    "csv-names-strings": (csv(data_csv="d4.csv", data_shape="(3,)", batch_size="2",
                              data_name="x", label_name="y", unknown_arg=3), epochs(1)),
    "csv-fractions": (csv(data_csv="frac.csv", data_shape=(2,), batch_size=2), epochs(1)),
    "csv-directory": (csv(data_csv="dir", data_shape=(3,), batch_size=2), epochs(1)),
    "csv-bad-row": (csv(data_csv="bad.csv", data_shape=(3,), batch_size=1), epochs(1)),
    "csv-missing-batch_size": (csv(data_csv="d4.csv", data_shape=(3,)), ()),
    "csv-float16": (csv(data_csv="d4.csv", data_shape=(3,), batch_size=2, dtype="float16"),
                    ()),
    "csv-positional": (lambda mx, files: mx.io.CSVIter(os.path.join(files, "d4.csv")), ()),
    "mnist": (mnist(batch_size=3, shuffle=False), epochs(2)),
    "mnist-flat": (mnist(batch_size=4, shuffle=False, flat=True), epochs(1)),
    "mnist-shuffle": (mnist(batch_size=5), epochs(2)),
    "mnist-shuffle-seed": (mnist("big", batch_size=100, seed=3), epochs(1)),
    "mnist-parts": (mnist(batch_size=2, shuffle=False, num_parts=3, part_index=1), epochs(1)),
    "mnist-part-shuffle": (mnist("big", batch_size=50, num_parts=2, part_index=1, seed=9),
                           epochs(1)),
}

# (rows, batch_size, batches consumed before reset): a round_batch CSVIter reset in
# mid-epoch, after MXNet's prefetch thread may already have read the wrapped batch.
PREFETCH_RESET_CASES = [(41, 2, k) for k in range(8)] + [(4, 3, 0), (4, 3, 1)]
# MXNet's prefetch thread gets this long to run ahead before a reset.
PREFETCH_WAIT = 0.1

CASES = {**ND_CASES, **SPARSE_CASES, **SHUFFLE_CASES, **WRAPPER_CASES, **FILE_CASES}


# ---- running -------------------------------------------------------------------------
def _descs(descs):
    return [repr(d) for d in descs]


def _record_batch(batch, arrays):
    entry = {"str": str(batch), "pad": batch.pad,
             "index": None if batch.index is None else [int(i) for i in batch.index],
             "index_dtype": None if batch.index is None else str(batch.index.dtype),
             "data": [], "label": None if batch.label is None else []}
    for key, values in (("data", batch.data), ("label", batch.label or [])):
        for a in values:
            entry[key].append(len(arrays))
            arrays.append(a.asnumpy())
    return entry


def run_case(mx, case, files):
    """``(records, arrays)``: the JSON-able record of the script and the batch arrays it
    refers to by position."""
    build, script = case
    arrays = []
    try:
        it = build(mx, files)
    except Exception as e:  # noqa: BLE001 - the exception type is the result
        return [{"error": type(e).__name__}], arrays
    records = [{"provide_data": _descs(it.provide_data),
                "provide_label": _descs(it.provide_label), "batch_size": it.batch_size}]
    for step in script:
        try:
            if step == "epoch":
                records.append({"epoch": [_record_batch(b, arrays) for b in it]})
            elif step == "protocol":
                got = []
                while it.iter_next():
                    got.append({"data": [len(arrays) + i for i in range(len(it.getdata()))],
                                "pad": it.getpad()})
                    arrays.extend(a.asnumpy() for a in it.getdata())
                records.append({"protocol": got})
            elif step == "sleep":
                time.sleep(PREFETCH_WAIT)
                records.append({"sleep": True})
            elif isinstance(step, int):
                records.append({"take": [_record_batch(it.next(), arrays)
                                         for _ in range(step)]})
            else:
                getattr(it, step)()
                records.append({step: True})
        except Exception as e:  # noqa: BLE001
            records.append({"error": type(e).__name__})
    return records, arrays


def run_prefetch_reset(mx, files, rows, batch_size, taken):
    """Index of the first batch after a reset that follows ``taken`` batches."""
    name = "d41.csv" if rows == 41 else "d4.csv"
    it = mx.io.CSVIter(data_csv=os.path.join(files, name), data_shape=(3 if rows == 4 else 2,),
                       batch_size=batch_size)
    for _ in range(taken):
        it.next()
    time.sleep(PREFETCH_WAIT)
    it.reset()
    return [int(i) for i in it.next().index]


def misc(mx):
    """DataDesc and DataBatch behaviours."""
    desc = mx.io.DataDesc
    batch = mx.io.DataBatch([mx.nd.ones((2, 3)), mx.nd.ones((2, 1))], [mx.nd.ones((2,))],
                            pad=1)
    return {
        "desc-repr": [repr(desc("x", (1, 2))), repr(desc("x", (1, 2), "float16", "NTC")),
                      repr(desc("x", (3,), np.int32))],
        "desc-tuple": [list(desc("x", (1, 2))), desc("x", (1, 2)) == ("x", (1, 2)),
                       desc("x", (1, 2), "int32").dtype, desc("x", (1, 2), layout="TN").layout],
        "desc-get_list": _descs(desc.get_list([("a", (1, 2)), ("b", (3,))],
                                              [("a", "int32"), ("b", "float16")]))
        + _descs(desc.get_list([("a", (1, 2))], None)),
        "desc-get_batch_axis": [desc.get_batch_axis(x) for x in ("NCHW", "TNC", "CHW", None)],
        "batch-str": [str(batch), str(mx.io.DataBatch([mx.nd.ones((4,))]))],
        "batch-fields": [batch.pad, batch.index, batch.bucket_key, batch.provide_data],
    }
