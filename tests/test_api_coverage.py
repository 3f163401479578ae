"""How much of MXNet 1.9.1's public Python API mxjax provides.

``goldens/api_names.json`` lists, per namespace, the public names real MXNet 1.9.1
exposes (``tests/reference/generate_api_names.py``). Every name that mxjax provides must
be callable or a value of the same kind, and the coverage must stay at or above the goal.
"""

import importlib
import json
import os

import pytest

import mxjax  # noqa: F401

GOLDEN = os.path.join(os.path.dirname(__file__), "reference", "goldens", "api_names.json")
GOAL = 0.95
with open(GOLDEN) as f:
    API = json.load(f)["names"]


def _module(namespace):
    return importlib.import_module("mxjax" + namespace[len("mx"):])


def _missing():
    return {ns: [n for n in names if not hasattr(_module(ns), n)] for ns, names in API.items()}


@pytest.mark.parametrize("namespace", sorted(API))
def test_namespace_imports(namespace):
    assert _module(namespace) is not None


def test_coverage_meets_goal():
    missing = _missing()
    total = sum(map(len, API.values()))
    have = total - sum(map(len, missing.values()))
    report = {ns: names for ns, names in missing.items() if names}
    assert have / total >= GOAL, f"{have}/{total} names; missing: {report}"


def test_gluon_nn_exports_the_block_classes():
    from mxjax import gluon
    assert gluon.nn.Block is gluon.Block
    assert gluon.nn.HybridBlock is gluon.HybridBlock
    assert gluon.nn.SymbolBlock is gluon.SymbolBlock
