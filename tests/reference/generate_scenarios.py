"""Run every behaviour scenario in real MXNet 1.9.1 and store the results as goldens.

    .refvenv/bin/python tests/reference/generate_scenarios.py

Writes ``goldens/<module>.json`` for each scenario module in ``MODULES``.
"""

import importlib
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import mxnet as mx

MODULES = ("scenarios", "gluon_scenarios")


def main():
    for module_name in MODULES:
        module = importlib.import_module(f"tests.reference.{module_name}")
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name in module.SCENARIOS:
                results[name] = module.encode(module.run_scenario(name, mx, tmp))
        out = os.path.join(HERE, "goldens", f"{module_name}.json")
        with open(out + ".tmp", "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
        os.replace(out + ".tmp", out)
        print(f"wrote {len(results)} scenarios to {out}")


if __name__ == "__main__":
    main()
