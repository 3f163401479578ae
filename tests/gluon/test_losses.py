"""``gluon.loss`` against MXNet 1.9.1 goldens (tests/reference/generate_losses.py).

Every case runs through the generator's own ``run_case`` on the stored inputs and head
gradient, imperatively and hybridized, and must give MXNet's output (shape, dtype,
values) and the gradients of all its array inputs; both modes must also agree with each
other. ``repr``, block names and argument errors come from the same goldens.
"""

import functools
import json

import numpy as np
import pytest

import mxjax as mx
from tests.reference.generate_losses import (
    CASES,
    ERROR_CASES,
    JSON,
    NPZ,
    REPR_CASES,
    run_case,
    spec,
)
from tests.reference.generate_losses import names as loss_names
from tests.variants import alternating

with np.load(NPZ) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(JSON, encoding="utf-8") as _f:
    META = json.load(_f)

REGENERATE = "regenerate with: /work/refvenv/bin/python tests/reference/generate_losses.py"
# float32: gradients such as KLDivLoss's wrt its label cancel down to ~1e-3.
TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-14)}
# SDMLLoss: softmax over negative squared distances magnifies float32 rounding.
LOSS_TOL = {"SDMLLoss": dict(rtol=1e-4, atol=1e-4)}


def golden_inputs(cid):
    entry = META["cases"].get(cid)
    assert entry is not None, f"{cid} has no goldens; {REGENERATE}"
    assert {k: entry[k] for k in spec(CASES[cid])} == json.loads(json.dumps(spec(CASES[cid]))), \
        f"{cid} changed since its goldens; {REGENERATE}"
    return [ARRAYS[f"{cid}:in{j}"] if kind == "array" else kind
            for j, kind in enumerate(entry["inputs"])]


def check(got, want, what, loss=None):
    assert got.shape == want.shape and got.dtype == want.dtype, \
        (what, got.shape, got.dtype, want.shape, want.dtype)
    np.testing.assert_allclose(got, want, equal_nan=True, err_msg=what,
                               **LOSS_TOL.get(loss, TOL[str(want.dtype)]))


def test_goldens_cover_every_case():
    assert set(META["cases"]) == set(CASES)
    assert set(META["repr"]) == set(REPR_CASES)
    assert set(META["errors"]) == set(ERROR_CASES)


@functools.cache
def mxjax_result(cid, hybridize):
    """mxjax's (output, gradients) for a golden case, computed once per mode."""
    return run_case(mx, CASES[cid], golden_inputs(cid), ARRAYS[f"{cid}:head"], hybridize)


def takes_float(cid):
    return any(isinstance(a, float) for a in golden_inputs(cid))


@pytest.mark.parametrize("cid,hybridize", alternating(sorted(CASES)))
def test_matches_mxnet(cid, hybridize):
    ins, case = golden_inputs(cid), CASES[cid]
    if hybridize and takes_float(cid):
        with pytest.raises(ValueError, match="must be .*list of"):  # as in MXNet
            run_case(mx, case, ins, hybridize=True)
        return
    out, grads = mxjax_result(cid, hybridize)
    check(out, ARRAYS[f"{cid}:out"], "output", case.loss)
    grad_keys = [f"{cid}:grad{j}" for j, a in enumerate(ins)
                 if isinstance(a, np.ndarray) and j not in case.no_grad]
    for key, got in zip(grad_keys if case.record else [], grads, strict=True):
        check(got, ARRAYS[key], key, case.loss)


@pytest.mark.parametrize("cid", sorted(c for c in CASES
                                       if CASES[c].record and not takes_float(c)))
def test_hybridized_equals_imperative(cid):
    out, grads = mxjax_result(cid, False)
    hyb_out, hyb_grads = mxjax_result(cid, True)
    for got, want in zip([hyb_out, *hyb_grads], [out, *grads], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_poisson_compute_full_records(hybridize):
    # MXNet 1.9.1 raises here (an in-place `*=` under record); the Stirling term depends on
    # the target only, so the gradient wrt pred is that of compute_full=False.
    full = CASES["poisson-compute_full"]._replace(record=True)
    ins, head = golden_inputs("poisson-compute_full"), np.array([0.7], np.float32)
    out, (g_full, _) = run_case(mx, full, ins, head, hybridize)
    _, (g_plain, _) = run_case(mx, full._replace(kwargs={}), ins, head, hybridize)
    check(out, ARRAYS["poisson-compute_full:out"], "output")
    np.testing.assert_allclose(g_full, g_plain, rtol=1e-6)


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_poisson_compute_full_small_targets(hybridize):
    # The Stirling term applies to targets above 1 only. MXNet 1.9.1 still evaluates
    # 0 * log(0) at targets of 0 and returns NaN (a bug not copied).
    pred = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]], np.float32)
    target = np.array([[0.0, 1.0, 3.0], [0.0, 4.0, 1.0]], np.float32)
    case = CASES["poisson-compute_full"]._replace(record=True)
    out, grads = run_case(mx, case, [pred, target], hybridize=hybridize)
    t = target.astype(np.float64)
    big = np.maximum(t, 1)
    stirling = np.where(t > 1, big * np.log(big) - big + 0.5 * np.log(2 * big * np.pi), 0)
    want = np.mean(np.exp(pred.astype(np.float64)) - t * pred + stirling)
    np.testing.assert_allclose(out, [want], rtol=1e-6)
    assert all(np.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", sorted(REPR_CASES))
def test_repr(name):
    loss = getattr(mx.gluon.loss, name.split("-")[0])(**REPR_CASES[name])
    assert repr(loss) == META["repr"][name]


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_errors(name):
    with pytest.raises(Exception) as info:
        ERROR_CASES[name](mx)
    assert type(info.value).__name__ == META["errors"][name]


def test_names():
    assert loss_names(mx) == META["names"]


def test_aliases():
    assert mx.gluon.loss.SigmoidBCELoss is mx.gluon.loss.SigmoidBinaryCrossEntropyLoss
    assert mx.gluon.loss.SoftmaxCELoss is mx.gluon.loss.SoftmaxCrossEntropyLoss
    assert not isinstance(mx.gluon.loss.SquaredHingeLoss(), mx.gluon.loss.HingeLoss)
    assert set(mx.gluon.loss.__all__) >= {"Loss", "CTCLoss", "SDMLLoss", "PoissonNLLLoss"}


def test_hybridized_loss_compiles_once():
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    loss.hybridize()
    pred, label = mx.nd.array(np.ones((4, 5))), mx.nd.array([0, 1, 2, 3])
    pred.attach_grad()
    for scale in (1.0, 2.0, 3.0):
        with mx.autograd.record():
            out = loss(pred * scale, label)
        out.backward()
    info = loss._cache_info()
    assert info["calls"] == 3 and info["compiles"] == 1, info


def test_hybridized_loss_keeps_its_argument_structure():
    # MXNet 1.9.1: a hybridized block first called without sample_weight raises when
    # called with it (the cached argument structure differs).
    loss = mx.gluon.loss.L1Loss()
    loss.hybridize()
    pred, label = mx.nd.array([[1.0, -2.0], [3.0, 0.5]]), mx.nd.zeros((2, 2))
    np.testing.assert_allclose(loss(pred, label).asnumpy(), [1.5, 1.75])
    with pytest.raises(ValueError, match="argument structure"):
        loss(pred, label, mx.nd.array([[2.0], [0.0]]))
