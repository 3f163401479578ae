"""Block.register_op_hook against MXNet 1.9.1: names, operators, order and values."""

import json
import os

import numpy as np
import pytest

import mxjax as mx
from tests.reference import op_hook_cases as cases

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "reference", "goldens", "op_hook.json")
with open(GOLDEN, encoding="utf-8") as _f:
    EXPECTED = json.load(_f)


def test_goldens_cover_every_case():
    assert set(EXPECTED) == set(cases.CASES)


@pytest.mark.parametrize("case", cases.CASES)
def test_hook_sees_what_mxnet_shows(case):
    got, want = cases.run_case(mx, case), EXPECTED[case]
    assert [g[:3] for g in got] == [w[:3] for w in want]
    for (name, _, _, values), (_, _, _, expected) in zip(got, want):
        # values rounded to 5 decimals on both sides: one rounding step apart at most
        np.testing.assert_allclose(values, expected, rtol=1e-4, atol=2e-5, err_msg=name)
