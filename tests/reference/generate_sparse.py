"""Sparse-storage goldens from real MXNet 1.9.1.

    .refvenv/bin/python tests/reference/generate_sparse.py

Runs every scenario of ``sparse_cases.py`` in MXNet and writes ``goldens/sparse.json``
(per scenario, its non-array results: storage types, stored indices, exception types,
reprs) and ``goldens/sparse.npz`` (its arrays, keyed ``<scenario>/<result path>``).
``tests/test_sparse.py`` runs the same scenarios on mxjax and compares.
"""

import io
import json
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "sparse.npz")
JSON = os.path.join(HERE, "goldens", "sparse.json")


def write_npz(path, arrays):
    """np.savez_compressed with fixed timestamps, so reruns give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def main():
    os.environ.setdefault("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "0")
    import mxnet as mx

    sys.path.insert(0, HERE)
    import sparse_cases

    leaves, arrays = {}, {}
    for name, scenario in sparse_cases.SCENARIOS.items():
        mx.random.seed(0)
        np.random.seed(0)
        scenario_leaves, scenario_arrays = sparse_cases.flatten(scenario(mx))
        leaves[name] = scenario_leaves
        arrays.update({f"{name}/{k}": v for k, v in scenario_arrays.items()})
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet_version": mx.__version__, "scenarios": leaves}, f, indent=1,
                  sort_keys=True)
        f.write("\n")
    write_npz(NPZ, arrays)


if __name__ == "__main__":
    main()
