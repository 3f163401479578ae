"""Gluon loss goldens from real MXNet 1.9.1, for tests/gluon/test_losses.py.

    /work/refvenv/bin/python tests/reference/generate_losses.py

Each case builds one ``mx.gluon.loss`` block, calls it on seeded numpy inputs under
``autograd.record()`` and runs backward with a seeded head gradient. ``run_case`` takes
the library under test as ``mx`` (numpy and the standard library only are imported
here), so the test runs the very same code on mxjax. ``goldens/losses.npz`` holds, per
case, the inputs (``<id>:in<i>``), the head gradient (``:head``), the output (``:out``)
and the gradient of every array input (``:grad<i>``); ``goldens/losses.json`` holds the
case specs (to detect stale goldens), ``repr``s, block names and the exceptions MXNet
raises for bad arguments.
"""

import json
import os
from typing import NamedTuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "losses.npz")
JSON = os.path.join(HERE, "goldens", "losses.json")


class Case(NamedTuple):
    """``getattr(mx.gluon.loss, loss)(**kwargs)(*make(rng))``; ``None`` inputs stay None,
    Python floats are passed as they are, arrays become NDArrays with a gradient."""

    loss: str
    kwargs: dict
    make: object  # rng -> list of numpy arrays, None or floats
    # False: forward only, outside record(). MXNet 1.9.1's PoissonNLLLoss(compute_full=True)
    # raises under record() and when hybridized (an in-place `*=` in hybrid_forward).
    record: bool = True
    # Input positions that get no gradient: MXNet leaves the label gradient of
    # CTCLoss(label_layout='TN') uninitialised (swapaxes over an op without label gradient).
    no_grad: tuple = ()


# ---- input generators ------------------------------------------------------------------
def normal(*shape, dtype="float32"):
    return lambda rng: rng.normal(size=shape).astype(dtype)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, size=shape).astype("float32")


def ints(lo, hi, *shape):
    return lambda rng: rng.integers(lo, hi, size=shape).astype("float32")


def signs(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], size=shape).astype("float32")


def probs(*shape, axis=-1):
    def make(rng):
        e = np.exp(rng.normal(size=shape))
        return (e / e.sum(axis=axis, keepdims=True)).astype("float32")
    return make


def log_probs(*shape, axis=-1):
    return lambda rng: np.log(probs(*shape, axis=axis)(rng))


def const(value):
    return lambda rng: None if value is None else np.asarray(value, dtype="float32")


def py(value):
    return lambda rng: value


def inputs(*gens):
    return lambda rng: [g(rng) for g in gens]


def with_ties(shape):
    """pred and label equal in half the entries (abs'(0), relu'(0), where at the edge)."""
    def make(rng):
        pred = rng.normal(size=shape).astype("float32")
        label = rng.normal(size=shape).astype("float32")
        label.flat[::2] = pred.flat[::2]
        return [pred, label]
    return make


def hinge_ties(shape):
    """Signed labels with ``pred * label`` exactly at the margin 1 in some entries."""
    def make(rng):
        label = rng.choice([-1.0, 1.0], size=shape).astype("float32")
        pred = rng.normal(size=shape).astype("float32")
        pred.flat[::3] = label.flat[::3]
        return [pred, label]
    return make


def ctc_labels(n, length, classes, pad=-1.0):
    """(n, length) labels in [0, classes-1) padded at the end with ``pad``."""
    def make(rng):
        lab = rng.integers(0, classes - 1, size=(n, length)).astype("float32")
        for i in range(n):
            lab[i, rng.integers(1, length + 1):] = pad
        return lab
    return make


# ---- cases -----------------------------------------------------------------------------
CASES = {
    # L2Loss / L1Loss
    "l2": Case("L2Loss", {}, inputs(normal(4, 3), normal(4, 3))),
    "l2-label-reshaped": Case("L2Loss", {}, inputs(normal(4, 3), normal(12))),
    "l2-weight-sample_weight": Case("L2Loss", {"weight": 0.5},
                                    inputs(normal(4, 3), normal(4, 3), uniform(0, 2, 4, 1))),
    "l2-batch_axis1": Case("L2Loss", {"batch_axis": 1}, inputs(normal(3, 4, 2), normal(3, 4, 2))),
    "l2-3d-sample_weight": Case("L2Loss", {}, inputs(normal(2, 3, 4), normal(2, 3, 4),
                                                     uniform(0, 2, 2, 1, 4))),
    "l2-float64": Case("L2Loss", {}, inputs(normal(3, 2, dtype="float64"),
                                            normal(3, 2, dtype="float64"))),
    "l1": Case("L1Loss", {}, inputs(normal(4, 3), normal(4, 3))),
    "l1-ties": Case("L1Loss", {}, with_ties((4, 3))),
    "l1-weight-sample_weight": Case("L1Loss", {"weight": 2.0},
                                    inputs(normal(4, 3), normal(4, 3), uniform(0, 2, 4, 1))),
    "l1-batch_axis1": Case("L1Loss", {"batch_axis": 1}, inputs(normal(3, 4), normal(3, 4))),
    # SigmoidBinaryCrossEntropyLoss
    "sbce": Case("SigmoidBinaryCrossEntropyLoss", {},
                 inputs(normal(4, 3), ints(0, 2, 4, 3))),
    "sbce-soft-zero-pred": Case("SigmoidBinaryCrossEntropyLoss", {},
                                inputs(const([[0.0, 1.5, -2.0], [0.0, -0.5, 3.0]]),
                                       uniform(0, 1, 2, 3))),
    "sbce-pos_weight": Case("SigmoidBinaryCrossEntropyLoss", {},
                            inputs(normal(4, 3), ints(0, 2, 4, 3), py(None),
                                   uniform(0.5, 3, 1, 3))),
    "sbce-pos_weight-sample_weight": Case("SigmoidBCELoss", {"weight": 0.7},
                                          inputs(normal(4, 3), uniform(0, 1, 4, 3),
                                                 uniform(0, 2, 4, 1), uniform(0.5, 3, 1, 3))),
    "sbce-from_sigmoid": Case("SigmoidBCELoss", {"from_sigmoid": True},
                              inputs(uniform(0.05, 0.95, 4, 3), ints(0, 2, 4, 3))),
    "sbce-from_sigmoid-pos_weight": Case("SigmoidBCELoss", {"from_sigmoid": True},
                                         inputs(uniform(0.05, 0.95, 4, 3), uniform(0, 1, 4, 3),
                                                uniform(0, 2, 4, 1), uniform(0.5, 3, 1, 3))),
    "sbce-batch_axis1": Case("SigmoidBCELoss", {"batch_axis": 1},
                             inputs(normal(3, 4, 2), ints(0, 2, 3, 4, 2))),
    # SoftmaxCrossEntropyLoss
    "sce": Case("SoftmaxCrossEntropyLoss", {}, inputs(normal(4, 5), ints(0, 5, 4))),
    "sce-label-clipped": Case("SoftmaxCELoss", {},
                              inputs(normal(3, 4), const([-1.0, 2.0, 7.0]))),
    "sce-axis1": Case("SoftmaxCELoss", {"axis": 1}, inputs(normal(2, 4, 3), ints(0, 4, 2, 3))),
    "sce-dense": Case("SoftmaxCELoss", {"sparse_label": False},
                      inputs(normal(4, 5), probs(4, 5))),
    "sce-dense-axis1": Case("SoftmaxCELoss", {"sparse_label": False, "axis": 1},
                            inputs(normal(2, 4, 3), probs(2, 4, 3, axis=1))),
    "sce-from_logits": Case("SoftmaxCELoss", {"from_logits": True},
                            inputs(log_probs(4, 5), ints(0, 5, 4))),
    "sce-dense-from_logits": Case("SoftmaxCELoss", {"from_logits": True, "sparse_label": False},
                                  inputs(log_probs(4, 5), probs(4, 5))),
    "sce-weight-sample_weight": Case("SoftmaxCELoss", {"weight": 0.5},
                                     inputs(normal(4, 5), ints(0, 5, 4), uniform(0, 2, 4, 1))),
    "sce-batch_axis1": Case("SoftmaxCELoss", {"batch_axis": 1},
                            inputs(normal(3, 4, 5), ints(0, 5, 3, 4))),
    # KLDivLoss
    "kl": Case("KLDivLoss", {}, inputs(log_probs(4, 5), probs(4, 5))),
    "kl-not-from_logits": Case("KLDivLoss", {"from_logits": False},
                               inputs(normal(4, 5), probs(4, 5))),
    "kl-axis1": Case("KLDivLoss", {"from_logits": False, "axis": 1},
                     inputs(normal(2, 4, 3), probs(2, 4, 3, axis=1))),
    "kl-weight-sample_weight": Case("KLDivLoss", {"weight": 2.0},
                                    inputs(log_probs(4, 5), probs(4, 5), uniform(0, 2, 4, 1))),
    "kl-batch_axis1": Case("KLDivLoss", {"batch_axis": 1},
                           inputs(log_probs(3, 4, 5), probs(3, 4, 5))),
    # CTCLoss (blank is the last class, labels padded with -1)
    "ctc": Case("CTCLoss", {}, inputs(normal(3, 6, 5), ctc_labels(3, 3, 5))),
    "ctc-tnc": Case("CTCLoss", {"layout": "TNC"}, inputs(normal(6, 3, 5), ctc_labels(3, 3, 5))),
    "ctc-label-tn": Case("CTCLoss", {"label_layout": "TN"},
                         lambda rng: [normal(3, 6, 5)(rng), ctc_labels(3, 3, 5)(rng).T.copy()],
                         no_grad=(1,)),
    "ctc-lengths": Case("CTCLoss", {}, inputs(normal(3, 6, 5), ctc_labels(3, 3, 5, pad=0.0),
                                              const([6, 4, 5]), const([2, 1, 3]))),
    "ctc-pred_lengths": Case("CTCLoss", {"layout": "TNC"},
                             inputs(normal(6, 3, 5), ctc_labels(3, 3, 5), const([5, 4, 6]))),
    "ctc-label_lengths-sample_weight": Case(
        "CTCLoss", {"weight": 0.5},
        inputs(normal(2, 5, 4), ctc_labels(2, 3, 4, pad=1.0), py(None), const([3, 2]),
               uniform(0, 2, 2))),
    # HuberLoss, HingeLoss, SquaredHingeLoss, LogisticLoss
    "huber": Case("HuberLoss", {}, inputs(normal(4, 3, 2), normal(4, 3, 2))),
    "huber-rho-ties": Case("HuberLoss", {"rho": 0.5}, with_ties((4, 3))),
    "huber-weight-sample_weight": Case("HuberLoss", {"weight": 3.0, "rho": 2},
                                       inputs(normal(4, 3), normal(4, 3), uniform(0, 2, 4, 1))),
    "huber-batch_axis1": Case("HuberLoss", {"batch_axis": 1}, inputs(normal(3, 4), normal(3, 4))),
    "hinge": Case("HingeLoss", {}, hinge_ties((4, 3))),
    "hinge-margin": Case("HingeLoss", {"margin": 2.0, "weight": 0.5},
                         inputs(normal(4, 3), signs(4, 3), uniform(0, 2, 4, 1))),
    "hinge-batch_axis1": Case("HingeLoss", {"batch_axis": 1}, inputs(normal(3, 4), signs(3, 4))),
    "sqhinge": Case("SquaredHingeLoss", {}, hinge_ties((4, 3))),
    "sqhinge-margin": Case("SquaredHingeLoss", {"margin": 1.5, "weight": 2.0},
                           inputs(normal(4, 3), signs(4, 3), uniform(0, 2, 4, 1))),
    "logistic": Case("LogisticLoss", {}, inputs(normal(4, 3), signs(4, 3))),
    "logistic-zero-pred": Case("LogisticLoss", {},
                               inputs(const([[0.0, 1.0], [-2.0, 0.0]]), signs(2, 2))),
    "logistic-binary": Case("LogisticLoss", {"label_format": "binary", "weight": 0.5},
                            inputs(normal(4, 3), ints(0, 2, 4, 3), uniform(0, 2, 4, 1))),
    "logistic-batch_axis1": Case("LogisticLoss", {"batch_axis": 1},
                                 inputs(normal(3, 4), signs(3, 4))),
    # TripletLoss
    "triplet": Case("TripletLoss", {}, inputs(normal(4, 3), normal(4, 3), normal(4, 3))),
    "triplet-margin-weight": Case("TripletLoss", {"margin": 3.0, "weight": 0.5},
                                  inputs(normal(4, 3, 2), normal(4, 6), normal(24))),
    "triplet-batch_axis1": Case("TripletLoss", {"batch_axis": 1},
                                inputs(normal(3, 4), normal(3, 4), normal(3, 4))),
    # PoissonNLLLoss (one value of shape (1,))
    "poisson": Case("PoissonNLLLoss", {}, inputs(normal(4, 3), ints(0, 5, 4, 3))),
    "poisson-not-from_logits": Case("PoissonNLLLoss", {"from_logits": False},
                                    inputs(uniform(0.1, 3, 4, 3), ints(0, 5, 4, 3))),
    "poisson-epsilon": Case("PoissonNLLLoss", {"from_logits": False},
                            inputs(uniform(0.1, 3, 4, 3), ints(0, 5, 4, 3), py(None), py(0.5))),
    "poisson-compute_full": Case("PoissonNLLLoss", {"compute_full": True},
                                 inputs(normal(4, 3), ints(1, 6, 4, 3)), False),
    "poisson-weight-sample_weight": Case("PoissonNLLLoss", {"weight": 2.0},
                                         inputs(normal(4, 3), ints(0, 5, 4, 3),
                                                uniform(0, 2, 4, 1))),
    # CosineEmbeddingLoss (shape (N, 1))
    "cosine": Case("CosineEmbeddingLoss", {}, inputs(normal(4, 3), normal(4, 3), signs(4))),
    "cosine-margin": Case("CosineEmbeddingLoss", {"margin": 0.3, "weight": 2.0},
                          inputs(normal(5, 3), normal(5, 3), signs(5), uniform(0, 2, 5, 1))),
    "cosine-zero-vector": Case("CosineEmbeddingLoss", {},
                               inputs(const([[0.0, 0.0], [1.0, 2.0]]),
                                      const([[1.0, 1.0], [1.0, 2.0]]), const([1.0, -1.0]))),
    # SDMLLoss
    "sdml": Case("SDMLLoss", {}, inputs(normal(4, 3), normal(4, 3))),
    "sdml-smoothing-weight": Case("SDMLLoss", {"smoothing_parameter": 0.1, "weight": 5.0},
                                  inputs(normal(3, 5), normal(3, 5))),
}

# ``repr`` of losses built with these arguments.
REPR_CASES = {
    "L2Loss": {}, "L1Loss": {"weight": 2.0, "batch_axis": 1},
    "SigmoidBinaryCrossEntropyLoss": {"from_sigmoid": True}, "SoftmaxCELoss": {},
    "KLDivLoss": {}, "CTCLoss": {}, "CTCLoss-TN": {"label_layout": "TN", "weight": 0.5},
    "HuberLoss": {"rho": 2}, "HingeLoss": {}, "SquaredHingeLoss": {}, "LogisticLoss": {},
    "TripletLoss": {}, "PoissonNLLLoss": {}, "CosineEmbeddingLoss": {}, "SDMLLoss": {},
}

# Bad arguments: MXNet's exception type.
ERROR_CASES = {
    "logistic-label_format": lambda mx: mx.gluon.loss.LogisticLoss(label_format="sign"),
    "ctc-layout": lambda mx: mx.gluon.loss.CTCLoss(layout="NCT"),
    "ctc-label_layout": lambda mx: mx.gluon.loss.CTCLoss(label_layout="NN"),
    "weight-not-a-number": lambda mx: mx.gluon.loss.L1Loss(weight="2")(
        mx.nd.ones((2, 2)), mx.nd.ones((2, 2))),
}


def names(mx):
    """Block names of losses created in a fresh naming scope, SDMLLoss's inner loss too."""
    loss = mx.gluon.loss
    with mx.name.NameManager():
        blocks = [loss.L2Loss(), loss.L2Loss(), loss.SoftmaxCrossEntropyLoss(),
                  loss.SoftmaxCELoss(), loss.SigmoidBCELoss(), loss.KLDivLoss(),
                  loss.SDMLLoss(), loss.CTCLoss(prefix="myctc_")]
        return [b.name for b in blocks] + [blocks[6].kl_loss.name,
                                           list(blocks[6].collect_params().keys())]


def build(mx, case, arrays, hybridize=False):
    """The loss block and its NDArray (or None / float) arguments."""
    loss = getattr(mx.gluon.loss, case.loss)(**case.kwargs)
    if hybridize:
        loss.hybridize()
    args = [a if a is None or isinstance(a, float) else mx.nd.array(a, dtype=a.dtype)
            for a in arrays]
    return loss, args


def run_case(mx, case, arrays, head=None, hybridize=False):
    """Forward under record and backward with ``head`` (``ones`` if None):
    (output, gradients of the array inputs) as numpy; no gradients if not ``case.record``."""
    loss, args = build(mx, case, arrays, hybridize)
    if not case.record:
        return loss(*args).asnumpy(), []
    nds = [a for j, a in enumerate(args)
           if isinstance(a, mx.nd.NDArray) and j not in case.no_grad]
    for a in nds:
        a.attach_grad()
    with mx.autograd.record():
        out = loss(*args)
    out.backward(None if head is None else mx.nd.array(head, dtype=head.dtype))
    return out.asnumpy(), [a.grad.asnumpy() for a in nds]


def spec(case):
    """What the goldens of a case were made from, to detect stale goldens."""
    return {"loss": case.loss, "kwargs": case.kwargs, "record": case.record}


def main():
    import sys

    import mxnet as mx
    sys.path.insert(0, HERE)
    from generate_ops import write_npz  # fixed timestamps: reruns give equal bytes

    arrays, meta = {}, {"cases": {}, "repr": {}, "errors": {}}
    for i, (cid, case) in enumerate(CASES.items()):
        rng = np.random.default_rng(1000 + i)
        ins = case.make(rng)
        out, _ = run_case(mx, case, ins)
        head = rng.normal(size=out.shape).astype(out.dtype)
        out, grads = run_case(mx, case, ins, head)
        entry = {**spec(case), "inputs": []}
        k = 0
        for j, a in enumerate(ins):
            if isinstance(a, np.ndarray):
                arrays[f"{cid}:in{j}"] = a
                if case.record and j not in case.no_grad:
                    arrays[f"{cid}:grad{j}"] = grads[k]
                    k += 1
                entry["inputs"].append("array")
            else:
                entry["inputs"].append(a)
        arrays[f"{cid}:head"], arrays[f"{cid}:out"] = head, out
        meta["cases"][cid] = entry
    for name, kwargs in REPR_CASES.items():
        meta["repr"][name] = repr(getattr(mx.gluon.loss, name.split("-")[0])(**kwargs))
    for name, fn in ERROR_CASES.items():
        try:
            fn(mx)
        except Exception as e:  # noqa: BLE001 - recording whatever MXNet raises
            meta["errors"][name] = type(e).__name__
        else:
            raise SystemExit(f"{name}: MXNet did not raise")
    meta["names"] = names(mx)
    write_npz(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(CASES)} cases -> {NPZ}")


if __name__ == "__main__":
    main()
