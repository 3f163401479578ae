"""mxjax operators against MXNet 1.9.1 goldens (tests/reference/goldens/ops_<family>.npz).

Every case in tests/reference/op_cases.py runs through ``op_cases.run_case`` exactly as
the generator ran it in MXNet, on the stored inputs and head gradients, and must give
the stored output shapes, dtypes and values, input gradients and mutated inputs, or
raise where MXNet raised. Select with -k: ``-k reduce/``, ``-k broadcast_add``,
``-k "nn/ and BatchNorm"``.

``MXJAX_GOLDEN_BACKEND=mxnet`` runs the same tests against real MXNet 1.9.1 (in its own
environment), which checks the harness and the goldens themselves.
"""

import builtins
import functools
import importlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).resolve().parent / "reference"
sys.path.insert(0, str(REFERENCE))
import op_cases  # noqa: E402
from op_cases import golden_key  # noqa: E402

BACKEND = os.environ.get("MXJAX_GOLDEN_BACKEND", "mxjax")
if BACKEND not in ("mxjax", "mxnet"):
    raise ValueError(f"MXJAX_GOLDEN_BACKEND must be 'mxjax' or 'mxnet', not {BACKEND!r}")
mx = importlib.import_module(BACKEND)

CASES = op_cases.all_cases()

# Golden cases where mxjax deliberately gives another gradient than MXNet 1.9.1, and why.
# The test checks mxjax's documented behaviour there instead (all-zero gradients).
_NO_GRAD_THROUGH_INT = ("JAX does not differentiate through integer-valued outputs, so a "
                        "cast to an integer type stops the gradient (MXNet passes the head "
                        "gradient through)")
ZERO_GRADIENT_DEVIATIONS = {
    case_id: _NO_GRAD_THROUGH_INT
    for case_id in ("elemwise/cast-f32-to-i32", "elemwise/cast-f32-to-u8",
                    "elemwise/Cast-legacy", "methods/astype-i32")
}
REGENERATE = "regenerate with: /work/refvenv/bin/python tests/reference/generate_ops.py"


@functools.cache
def _golden_file(family: str) -> tuple[dict, dict]:
    """(arrays by key, manifest) of one family's golden file."""
    path = REFERENCE / "goldens" / op_cases.GOLDEN_PATTERN.format(family=family)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; {REGENERATE}")
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads(str(arrays.pop(op_cases.MANIFEST_KEY)))


def _golden(case: op_cases.Case) -> tuple[dict, dict]:
    arrays, manifest = _golden_file(case.family)
    entry = manifest["cases"].get(case.id)
    assert entry is not None, f"{case.id} has no golden values; {REGENERATE}"
    assert entry["spec"] == case.spec(), f"{case.id} changed since its goldens; {REGENERATE}"
    return arrays, entry


def _expected_error(raised: dict):
    """MXNet's own Python exception type, or for MXNetError the errors mxjax may use."""
    builtin = getattr(builtins, raised["type"], None)
    if isinstance(builtin, type) and issubclass(builtin, BaseException):
        return builtin
    return (mx.base.MXNetError, ValueError, TypeError, IndexError)


def _check(case, what, actual, expected, meta=None, values=True):
    """Shape, dtype (of the NDArray and of asnumpy()) and values of one result."""
    if meta is not None:
        shape, dtype = meta
        assert shape == expected.shape, f"{what}: NDArray shape {shape}, MXNet {expected.shape}"
        assert dtype == expected.dtype, f"{what}: NDArray dtype {dtype}, MXNet {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, MXNet {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, MXNet {expected.dtype}"
    if not values:
        return
    rtol, atol = op_cases.tolerance(case, expected.dtype)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=f"{case.id}: {what}")


# Families whose cases compile slowly (detection, RCNN, deformable and vision sampling
# operators, the fused RNN, random pdfs): make test checks the first two variants of each
# of their operators, make test-slow every variant.
_HEAVY_FAMILIES = ("rcnn", "detection", "deformable", "vision", "rnn", "pdf")


def _case_params():
    seen = {}
    for case in CASES:
        op = case.id.split("-")[0]
        seen[op] = seen.get(op, 0) + 1
        slow = case.id.split("/")[0] in _HEAVY_FAMILIES and seen[op] > 2
        yield pytest.param(case, id=case.id, marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("case", list(_case_params()))
def test_op_matches_mxnet(case):
    arrays, entry = _golden(case)
    inputs = [arrays[golden_key(case, "in", i)] for i in range(len(case.arrays))]
    if entry["raises"]:
        heads = op_cases.random_head_grads(np.random.default_rng(0))
        with pytest.raises(_expected_error(entry["raises"])):
            op_cases.run_case(mx, case, inputs, heads)
        return
    stored_heads = [arrays[golden_key(case, "head", i)] for i in range(len(entry["head_grads"]))]

    def head_grads(heads):
        assert [h.shape for h in heads] == [h.shape for h in stored_heads], \
            "differentiated outputs differ in number or shape from MXNet's"
        return stored_heads

    result = op_cases.run_case(mx, case, inputs, head_grads)
    kind = "a list of NDArrays" if entry["multi"] else "one NDArray"
    assert result.multi == entry["multi"], f"MXNet returns {kind}"
    assert len(result.outputs) == len(entry["outputs"]), "number of outputs"
    for i, (out, meta) in enumerate(zip(result.outputs, result.out_meta)):
        _check(case, f"output {i}", out, arrays[golden_key(case, "out", i)], meta,
               values=i not in case.undefined)
    for i, (grad, spec) in enumerate(zip(result.grads, entry["grads"], strict=True)):
        expected = arrays[golden_key(case, "grad", i)]
        if BACKEND == "mxjax" and case.id in ZERO_GRADIENT_DEVIATIONS:
            expected = np.zeros_like(expected)
        _check(case, f"gradient of input {spec['input']}", grad, expected)
    for i, (value, spec) in enumerate(zip(result.mutated, entry["mutated"], strict=True)):
        _check(case, f"input {spec['input']} after the call", value,
               arrays[golden_key(case, "mutated", i)])


@pytest.mark.parametrize("family", op_cases.FAMILIES)
def test_goldens_have_no_orphans(family):
    """Every stored case is still defined (a removed or renamed case means regenerate)."""
    _, manifest = _golden_file(family)
    defined = {c.id for c in CASES if c.family == family}
    orphans = sorted(set(manifest["cases"]) - defined)
    assert not orphans, f"goldens for undefined cases {orphans}; {REGENERATE}"
