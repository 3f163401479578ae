"""What MXNet 1.9.1 does with the bad inputs of ``bad_input_cases.py``.

    .refvenv/bin/python tests/reference/generate_bad_inputs.py

Writes ``goldens/bad_inputs.json``: case name -> ``{"error": exception class name or
null, "message": its first line, "value": the result as a nested list (NaN as null)}``.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "goldens", "bad_inputs.json")


def record(mx, fn):
    try:
        value = fn(mx)
    except Exception as e:  # noqa: BLE001 - the class is what is recorded
        lines = [ln for ln in str(e).splitlines() if ln.strip()]
        text = next((ln for ln in lines if "Error" in ln or "Check failed" in ln), lines[0])
        text = re.sub(r"\[\d\d:\d\d:\d\d\] ", "", text.strip())  # no time stamps
        return {"error": type(e).__name__, "message": text[:300], "value": None}
    return {"error": None, "message": None,
            "value": [None if v != v else v for v in value.astype(float).ravel().tolist()]}


def main():
    import mxnet as mx

    sys.path.insert(0, HERE)
    from bad_input_cases import CASES

    out = {name: record(mx, fn) for name, fn in CASES.items()}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
