"""Run the op-hook cases in real MXNet 1.9.1 and store what the hook saw as goldens.

    .refvenv/bin/python tests/reference/generate_op_hook.py

The cases live in ``op_hook_cases.py``; writes ``goldens/op_hook.json``, read by
``tests/gluon/test_op_hook.py``.
"""

import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

warnings.filterwarnings("ignore")
import mxnet as mx

from tests.reference import op_hook_cases as cases


def main():
    results = {case: cases.run_case(mx, case) for case in cases.CASES}
    out = os.path.join(HERE, "goldens", "op_hook.json")
    with open(out + ".tmp", "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    os.replace(out + ".tmp", out)
    print(f"wrote {len(results)} cases to {out}")


if __name__ == "__main__":
    main()
