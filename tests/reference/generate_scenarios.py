"""Run every behaviour scenario in real MXNet 1.9.1 and store the results as goldens.

    .refvenv/bin/python tests/reference/generate_scenarios.py
"""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxnet as mx
from scenarios import SCENARIOS, encode, run_scenario

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens", "scenarios.json")


def main():
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in SCENARIOS:
            results[name] = encode(run_scenario(name, mx, tmp))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT + ".tmp", "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    os.replace(OUT + ".tmp", OUT)
    print(f"wrote {len(results)} scenarios to {OUT}")


if __name__ == "__main__":
    main()
