"""``mx.test_utils`` goldens from real MXNet 1.9.1, for tests/test_test_utils.py.

    .refvenv/bin/python tests/reference/generate_test_utils.py

The cases live in ``testutils_cases.py`` (numpy only); the test runs the same code on
mxjax. ``goldens/test_utils.json`` holds the records (default tolerances, comparison
outcomes with their full messages and printed lines, random draws, pass/fail of the
gradient checks); ``goldens/test_utils.npz`` holds the arrays the helpers returned.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "test_utils.npz")
JSON = os.path.join(HERE, "goldens", "test_utils.json")


def main():
    import mxnet as mx

    sys.path.insert(0, HERE)
    import testutils_cases
    from generate_ops import write_npz  # fixed timestamps: reruns give equal bytes

    records, arrays = testutils_cases.run(mx)
    records["mxnet_version"] = mx.__version__
    with open(JSON, "w") as f:
        json.dump(records, f, indent=1, sort_keys=True, default=float)
        f.write("\n")
    write_npz(NPZ, arrays)
    print(f"wrote {JSON} and {NPZ} ({len(arrays)} arrays)")


if __name__ == "__main__":
    main()
