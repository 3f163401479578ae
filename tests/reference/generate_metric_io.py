"""``mx.metric`` and ``mx.io`` goldens from real MXNet 1.9.1, for tests/test_metric.py
and tests/test_io.py.

    /work/refvenv/bin/python tests/reference/generate_metric_io.py

The cases live in ``metric_cases.py`` and ``io_cases.py`` (numpy only), whose
``run_case`` functions take the library as ``mx``: the tests run the very same code on
mxjax. ``goldens/metric_io.npz`` holds the metric inputs (``metric:<id>:<i>``, in the
order the case draws them) and the batches the iterators returned (``io:<id>:<i>``);
``goldens/metric_io.json`` holds everything else: the metric records (names, ``get``
values, ``str``, exceptions), ``get_config`` round trips, the iterator records
(``provide_data``, pad, index, ``str``, exceptions), the prefetch-reset probes and the
DataDesc / DataBatch behaviours.
"""

import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "metric_io.npz")
JSON = os.path.join(HERE, "goldens", "metric_io.json")


def metric_seed(index):
    return 2000 + index


def dumps(meta):
    """JSON with one line per case: small, and diffs still show which cases changed."""
    def line(v):
        return json.dumps(v, sort_keys=True, default=str)
    sections = []
    for name in sorted(meta):
        value = meta[name]
        if isinstance(value, dict):
            body = ",\n".join(f"  {line(k)}: {line(v)}" for k, v in sorted(value.items()))
            sections.append(f" {line(name)}: {{\n{body}\n }}")
        else:
            sections.append(f" {line(name)}: {line(value)}")
    return "{\n" + ",\n".join(sections) + "\n}\n"


def main():
    import mxnet as mx

    sys.path.insert(0, HERE)
    import io_cases
    import metric_cases
    from generate_ops import write_npz  # fixed timestamps: reruns give equal bytes

    arrays = {}
    meta = {"metric": {}, "config": {}, "io": {}}
    for i, (cid, case) in enumerate(metric_cases.CASES.items()):
        draw = metric_cases.Draw(np.random.default_rng(metric_seed(i)))
        meta["metric"][cid] = metric_cases.run_case(mx, case, draw)
        for k, a in enumerate(draw.arrays):
            arrays[f"metric:{cid}:{k}"] = a
    for name in metric_cases.CONFIG_CASES:
        meta["config"][name] = metric_cases.run_config(mx, name)
    with tempfile.TemporaryDirectory() as files:
        io_cases.write_files(files)
        for cid, case in io_cases.CASES.items():
            meta["io"][cid], batches = io_cases.run_case(mx, case, files)
            for k, a in enumerate(batches):
                arrays[f"io:{cid}:{k}"] = a
        meta["prefetch_reset"] = [io_cases.run_prefetch_reset(mx, files, *c)
                                  for c in io_cases.PREFETCH_RESET_CASES]
    meta["misc"] = io_cases.misc(mx)
    write_npz(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        f.write(dumps(meta))
    print(f"{len(metric_cases.CASES)} metric cases, {len(io_cases.CASES)} iterator cases "
          f"-> {JSON}")


if __name__ == "__main__":
    main()
