"""NDArray, autograd, context and file behaviour, checked against MXNet 1.9.1 goldens.

The scenarios live in ``tests/reference/scenarios.py`` and run unchanged on both
libraries; ``generate_scenarios.py`` recorded MXNet's results.
"""

import json
import os

import numpy as np
import pytest

import mxjax as mx
from tests.reference.scenarios import SCENARIOS, decode, encode, run_scenario

GOLDEN = os.path.join(os.path.dirname(__file__), "reference", "goldens", "scenarios.json")
with open(GOLDEN) as _f:
    EXPECTED = json.load(_f)


def assert_same(got, want, where):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: expected an array, got {got!r}"
        assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
        assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=where)
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


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_matches_mxnet(name, tmp_path):
    got = decode(encode(run_scenario(name, mx, str(tmp_path))))
    assert_same(got, decode(EXPECTED[name]), name)
