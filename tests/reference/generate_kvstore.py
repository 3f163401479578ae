"""KVStore goldens from real MXNet 1.9.1.

    /work/main/.refvenv/bin/python tests/reference/generate_kvstore.py

Runs every case of ``kvstore_cases.py`` and writes ``goldens/kvstore.npz``: per case
and name, ``"<case>/<name>"``, the values MXNet pulled.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "kvstore.npz")


def main():
    import mxnet as mx
    sys.path.insert(0, HERE)
    import kvstore_cases as cases

    arrays = {}
    for cid, run in cases.CASES.items():
        for name, value in run(mx).items():
            arrays[f"{cid}/{name}"] = np.asarray(value)
    with open(NPZ, "wb") as f:
        np.savez(f, **dict(sorted(arrays.items())))


if __name__ == "__main__":
    main()
