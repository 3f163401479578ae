"""NDArray, autograd, context, file and Gluon behaviour, checked against MXNet 1.9.1.

The scenarios live in ``tests/reference/scenarios.py`` and ``gluon_scenarios.py`` and run
unchanged on both libraries; ``generate_scenarios.py`` recorded MXNet's results.
"""

import importlib
import json
import os

import numpy as np
import pytest

import mxjax as mx

MODULES = {m: importlib.import_module(f"tests.reference.{m}")
           for m in ("scenarios", "gluon_scenarios")}
GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")


def _expected(module_name):
    with open(os.path.join(GOLDENS, f"{module_name}.json")) as f:
        return json.load(f)


EXPECTED = {m: _expected(m) for m in MODULES}
CASES = [(m, name) for m, mod in MODULES.items() for name in sorted(mod.SCENARIOS)]


# Summation order differs between MXNet's kernels and XLA's: float32 agrees to ~1e-6.
_TOLERANCE = {"float16": (1e-3, 1e-3), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def assert_same(got, want, where):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: expected an array, got {got!r}"
        assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
        assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
        rtol, atol = _TOLERANCE.get(np.dtype(want.dtype).name, (0, 0))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{where}: keys differ"
        for k in want:
            assert_same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-6), f"{where}: {got!r} != {want!r}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


@pytest.mark.parametrize("module_name,name", CASES, ids=[f"{m}/{n}" for m, n in CASES])
def test_scenario_matches_mxnet(module_name, name, tmp_path):
    mod = MODULES[module_name]
    got = mod.decode(mod.encode(mod.run_scenario(name, mx, str(tmp_path))))
    assert_same(got, mod.decode(EXPECTED[module_name][name]), f"{module_name}/{name}")
