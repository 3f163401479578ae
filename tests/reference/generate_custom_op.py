"""Run the custom-operator cases in real MXNet 1.9.1 and store the results as goldens.

    .refvenv/bin/python tests/reference/generate_custom_op.py

The operators and cases live in ``custom_op_cases.py`` and run unchanged on both
libraries; writes ``goldens/custom_op.json``, read by ``tests/operator/test_custom_op.py``.
"""

import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

warnings.filterwarnings("ignore")
import mxnet as mx

from tests.reference import custom_op_cases as cases
from tests.reference.scenarios import encode


def main():
    seen = cases.define(mx)
    results = {name: encode(cases.run_case(name, mx, seen)) for name in cases.CASES}
    out = os.path.join(HERE, "goldens", "custom_op.json")
    with open(out + ".tmp", "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    os.replace(out + ".tmp", out)
    print(f"wrote {len(results)} cases to {out}")


if __name__ == "__main__":
    main()
