"""``mx.metric`` cases, run by real MXNet 1.9.1 (generate_metric_io.py) and by mxjax
(tests/test_metric.py) through the same ``run_case``; numpy and the standard library only.

A case builds one metric and applies a list of steps to it: ``update`` with labels and
predictions (a list of arrays, or a single array passed as one NDArray), ``update_dict``,
``reset_local`` or ``reset``. After construction and after every step the case records
``name``, ``get()``, ``get_global()``, ``get_name_value()``, ``get_global_name_value()``
and ``str()``, or the type of the exception the step raised.

Inputs come from a ``Draw``: from a seeded numpy generator when making goldens, replayed
from the golden file in the same order when testing.
"""

from typing import NamedTuple

import numpy as np


class Draw:
    """Hands out a case's input arrays: drawn with ``rng`` (and remembered in
    ``arrays``), or replayed from ``stored`` in the order they were drawn."""

    def __init__(self, rng=None, stored=None):
        self.rng, self.stored, self.arrays = rng, stored, []

    def __call__(self, make):
        a = make(self.rng) if self.stored is None else self.stored[len(self.arrays)]
        self.arrays.append(a)
        return a


def normal(*shape):
    return lambda rng: rng.normal(size=shape).astype("float32")


def ints(lo, hi, *shape, dtype="float32"):
    return lambda rng: rng.integers(lo, hi, size=shape).astype(dtype)


def probs(*shape):
    def make(rng):
        e = np.exp(rng.normal(size=shape) * 1.5)
        return (e / e.sum(axis=-1, keepdims=True)).astype("float32")
    return make


def with_ignored(lo, hi, n, value):
    """Class labels with every third one set to ``value``."""
    def make(rng):
        lab = rng.integers(lo, hi, size=n).astype("float32")
        lab[::3] = value
        return lab
    return make


def correlated(n):
    """(label, pred) pairs with a positive correlation."""
    def make(rng):
        x = rng.normal(size=n)
        return np.stack([x, x + rng.normal(size=n)]).astype("float32")
    return make


class MetricCase(NamedTuple):
    """``mx.metric.create(metric, **kwargs)``, or ``metric(mx)`` if it is a function, then
    ``steps(draw)``."""

    metric: object
    kwargs: dict
    steps: object  # Draw -> list of step tuples


# ---- step builders ---------------------------------------------------------------------
def update(labels, preds):
    return ("update", labels, preds)


def batches(n, make_pair, *extra):
    """``n`` updates with ``make_pair(draw) -> (labels, preds)``, then the ``extra`` steps
    ('reset_local', 'reset', or more pairs: a callable is one more update)."""
    def steps(draw):
        out = [update(*make_pair(draw)) for _ in range(n)]
        for step in extra:
            out.append(update(*step(draw)) if callable(step) else (step,))
        return out
    return steps


def classify(n, c, label_shape=None):
    """One label array (N,) or ``label_shape`` and one (N, c) score array."""
    return lambda d: ([d(ints(0, c, *(label_shape or (n,))))], [d(probs(n, c))])


def regress(label_shape, pred_shape, label_dtype="float32"):
    return lambda d: ([d(ints(-3, 4, *label_shape, dtype=label_dtype)
                         if label_dtype != "float32" else normal(*label_shape))],
                      [d(normal(*pred_shape))])


def lists(*pair_makers):
    """One update whose labels and predictions are the concatenated lists."""
    def make(d):
        labels, preds = [], []
        for pm in pair_makers:
            lab, pred = pm(d)
            labels += lab
            preds += pred
        return labels, preds
    return make


def single(pair_maker):
    """The pair passed as single arrays instead of lists."""
    def make(d):
        lab, pred = pair_maker(d)
        return lab[0], pred[0]
    return make


# ---- user functions for CustomMetric (module level, so both sides share them) -----------
def mean_abs(label, pred):
    return np.abs(label.reshape(pred.shape[0], -1) - pred.reshape(pred.shape[0], -1)).mean()


def sum_and_count(label, pred):
    return float((pred.argmax(axis=1) == label).sum()), label.shape[0]


def composite(mx):
    return mx.metric.CompositeEvalMetric([mx.metric.Accuracy(), "f1", mx.metric.MSE(),
                                          mx.metric.create("top_k_acc", top_k=2)])


def named(mx):
    return mx.metric.CompositeEvalMetric(
        [mx.metric.Accuracy(output_names=["out_b"], label_names=["lab_b"]), mx.metric.MAE()],
        output_names=["out_a", "out_b"], label_names=["lab_a", "lab_b"])


def named_steps(draw):
    labels = {"lab_a": draw(ints(0, 3, 5)), "lab_b": draw(ints(0, 3, 5)),
              "lab_c": draw(ints(0, 3, 5))}
    preds = {"out_a": draw(ints(0, 3, 5)), "out_b": draw(probs(5, 3)),
             "out_c": draw(ints(0, 3, 5))}
    return [("update_dict", labels, preds), ("update_dict", labels, preds)]


CASES = {
    # Accuracy
    "acc": MetricCase("acc", {}, batches(3, classify(6, 4), "reset_local", classify(5, 4),
                                         "reset", classify(4, 4))),
    "acc-2d-label": MetricCase("accuracy", {}, batches(2, classify(6, 3, (6, 1)))),
    "acc-class-index-pred": MetricCase(
        "acc", {}, batches(2, lambda d: ([d(ints(0, 3, 7))], [d(ints(0, 3, 7))]))),
    "acc-axis": MetricCase("acc", {"axis": 2}, batches(
        2, lambda d: ([d(ints(0, 4, 3, 2))], [d(normal(3, 2, 4))]))),
    "acc-multi-output": MetricCase("acc", {}, batches(2, lists(classify(4, 3), classify(5, 2)))),
    "acc-single-ndarray": MetricCase("acc", {}, batches(2, single(classify(5, 3)))),
    "acc-length-mismatch": MetricCase("acc", {}, batches(
        1, lambda d: ([d(ints(0, 3, 4))], [d(probs(4, 3)), d(probs(4, 3))]))),
    "acc-named": MetricCase("Accuracy", {"name": "my_acc"}, batches(1, classify(4, 3))),
    # TopKAccuracy
    "topk": MetricCase("top_k_accuracy", {"top_k": 3},
                       batches(3, classify(8, 10), "reset_local", classify(8, 10))),
    "topk-alias": MetricCase("top_k_acc", {"top_k": 2}, batches(2, classify(6, 5))),
    "topk-more-than-classes": MetricCase("TopKAccuracy", {"top_k": 5},
                                         batches(2, classify(6, 4))),
    "topk-1": MetricCase("top_k_accuracy", {}, batches(0, None)),
    "topk-multi-output": MetricCase("top_k_acc", {"top_k": 2},
                                    batches(1, lists(classify(4, 5), classify(3, 6)))),
    # F1 and MCC: macro averages per update call, micro over all samples
    "f1-macro": MetricCase("f1", {}, batches(3, classify(8, 2), "reset_local",
                                             classify(6, 2))),
    "f1-micro": MetricCase("f1", {"average": "micro"},
                           batches(3, classify(8, 2), "reset_local", classify(6, 2))),
    "f1-no-positive": MetricCase("F1", {}, batches(
        1, lambda d: ([d(lambda rng: np.zeros(4, "float32"))], [d(probs(4, 2))]))),
    "f1-multi-output": MetricCase("f1", {"average": "micro"},
                                  batches(2, lists(classify(5, 2), classify(4, 2)))),
    "f1-three-classes": MetricCase("f1", {}, batches(
        1, lambda d: ([d(lambda rng: np.array([0, 1, 2, 1], "float32"))], [d(probs(4, 3))]))),
    "mcc-macro": MetricCase("mcc", {}, batches(3, classify(10, 2), "reset_local",
                                               classify(6, 2))),
    "mcc-micro": MetricCase("MCC", {"average": "micro"},
                            batches(3, classify(10, 2), "reset_local", classify(6, 2))),
    # PCC: a confusion matrix that grows with the classes seen
    "pcc": MetricCase("pcc", {}, batches(2, classify(9, 3), classify(9, 5), "reset_local",
                                         classify(7, 3))),
    "pcc-class-index-pred": MetricCase(
        "PCC", {}, batches(2, lambda d: ([d(ints(0, 4, 8))], [d(ints(0, 4, 8))]))),
    "pcc-single-class": MetricCase("pcc", {}, batches(
        1, lambda d: ([d(lambda rng: np.ones(3, "float32"))],
                      [d(lambda rng: np.ones(3, "float32"))]))),
    # Perplexity
    "perplexity": MetricCase("perplexity", {"ignore_label": None},
                             batches(3, classify(6, 5), "reset_local", classify(4, 5))),
    "perplexity-ignore": MetricCase("Perplexity", {"ignore_label": 0}, batches(
        2, lambda d: ([d(with_ignored(0, 4, 7, 0))], [d(probs(7, 4))]))),
    "perplexity-ignore-negative": MetricCase("perplexity", {"ignore_label": -1}, batches(
        2, lambda d: ([d(with_ignored(0, 4, 7, -1))], [d(probs(7, 4))]))),
    "perplexity-2d-label": MetricCase("perplexity", {"ignore_label": None},
                                      batches(2, classify(5, 3, (5, 1)))),
    "perplexity-multi-output": MetricCase("perplexity", {"ignore_label": None},
                                          batches(2, lists(classify(4, 3), classify(6, 5)))),
    "perplexity-axis0": MetricCase("perplexity", {"ignore_label": None, "axis": 0}, batches(
        1, lambda d: ([d(ints(0, 4, 4))], [d(probs(4, 4))]))),
    "perplexity-3d": MetricCase("perplexity", {"ignore_label": None}, batches(
        1, lambda d: ([d(ints(0, 4, 2, 3))], [d(probs(2, 3, 4))]))),
    # MAE / MSE / RMSE: one instance per batch, whatever its size
    "mae": MetricCase("mae", {}, batches(3, regress((4,), (4,)), regress((9,), (9,)),
                                         "reset_local", regress((2,), (2,)))),
    "mae-2d": MetricCase("MAE", {}, batches(2, regress((4, 3), (4, 3)))),
    "mae-column-pred": MetricCase("mae", {}, batches(2, regress((5,), (5, 1)))),
    "mae-broadcast": MetricCase("mae", {}, batches(1, regress((5,), (5, 3)))),
    "mae-int-label": MetricCase("mae", {}, batches(2, regress((5,), (5,), "int32"))),
    "mse": MetricCase("mse", {}, batches(3, regress((4,), (4,)), regress((9,), (9,)),
                                         "reset_local", regress((2,), (2,)))),
    "mse-multi-output": MetricCase("mse", {}, batches(2, lists(regress((3,), (3,)),
                                                               regress((5, 2), (5, 2))))),
    "rmse": MetricCase("rmse", {}, batches(3, regress((4,), (4,)), regress((9,), (9,)),
                                           "reset_local", regress((2,), (2,)))),
    "rmse-column-pred": MetricCase("RMSE", {}, batches(2, regress((6, 1), (6,)))),
    # CrossEntropy / NegativeLogLikelihood
    "ce": MetricCase("ce", {}, batches(3, classify(6, 4), "reset_local", classify(3, 4))),
    "ce-eps": MetricCase("CrossEntropy", {"eps": 0.1}, batches(2, classify(5, 3, (5, 1)))),
    "ce-multi-output": MetricCase("cross-entropy", {}, batches(1, lists(classify(4, 3),
                                                                        classify(3, 5)))),
    "nll": MetricCase("nll_loss", {}, batches(3, classify(6, 4), "reset_local",
                                              classify(3, 4))),
    "nll-eps": MetricCase("NegativeLogLikelihood", {"eps": 1e-3},
                          batches(2, classify(5, 3, (5, 1)))),
    # PearsonCorrelation
    "pearsonr-macro": MetricCase("pearsonr", {}, batches(
        3, lambda d: (lambda lp: ([lp[0]], [lp[1]]))(d(correlated(8))), "reset_local",
        lambda d: (lambda lp: ([lp[0]], [lp[1]]))(d(correlated(5))))),
    "pearsonr-micro": MetricCase("PearsonCorrelation", {"average": "micro"}, batches(
        3, lambda d: ([d(normal(4, 3))], [d(normal(4, 3))]))),
    "pearsonr-shape-mismatch": MetricCase("pearsonr", {}, batches(
        1, lambda d: ([d(normal(6))], [d(normal(6, 1))]))),
    # Loss, Torch, Caffe: the mean of the predictions
    "loss": MetricCase("loss", {}, batches(2, lambda d: ([], [d(normal(4)), d(normal(2, 3))]),
                                           "reset_local", lambda d: ([], [d(normal(5))]))),
    "loss-single-ndarray": MetricCase("Loss", {}, batches(2, lambda d: (None, d(normal(3, 2))))),
    "torch": MetricCase("torch", {}, batches(1, lambda d: ([], [d(normal(3))]))),
    "caffe": MetricCase("caffe", {}, batches(1, lambda d: ([], [d(normal(3))]))),
    # CustomMetric, np()
    "custom": MetricCase(lambda mx: mx.metric.create(mean_abs), {},
                         batches(2, regress((4,), (4,)), "reset_local", regress((3,), (3,)))),
    "custom-tuple": MetricCase(lambda mx: mx.metric.create(sum_and_count), {},
                               batches(2, classify(5, 3))),
    "custom-lambda": MetricCase(lambda mx: mx.metric.CustomMetric(
        lambda label, pred: float(pred.sum())), {},
        batches(2, lambda d: ([d(normal(3))], [d(normal(3))]))),
    "custom-named": MetricCase(lambda mx: mx.metric.CustomMetric(mean_abs, name="mine"), {},
                               batches(1, regress((4,), (4,)))),
    "custom-np": MetricCase(lambda mx: mx.metric.np(mean_abs), {},
                            batches(2, regress((4,), (4,)))),
    "custom-extra-outputs": MetricCase(
        lambda mx: mx.metric.np(mean_abs, allow_extra_outputs=True), {},
        batches(1, lambda d: ([d(normal(3))], [d(normal(3)), d(normal(2, 2))]))),
    "custom-extra-outputs-refused": MetricCase(
        lambda mx: mx.metric.np(mean_abs), {},
        batches(1, lambda d: ([d(normal(3))], [d(normal(3)), d(normal(2, 2))]))),
    # CompositeEvalMetric, create()
    "composite": MetricCase(composite, {}, batches(2, classify(6, 2), "reset_local",
                                                   classify(4, 2))),
    "composite-list": MetricCase(["acc", "ce", mean_abs], {}, batches(2, classify(5, 3))),
    "composite-alias": MetricCase("composite", {}, batches(1, classify(4, 3))),
    "composite-names": MetricCase(named, {}, named_steps),
    "names-update_dict": MetricCase("acc", {"output_names": ["out_b"], "label_names": ["lab_b"]},
                                    named_steps),
    "create-uppercase": MetricCase("RMSE", {}, batches(1, regress((3,), (3,)))),
    "create-json-list": MetricCase('["top_k_accuracy", {"top_k": 2}]', {},
                                   batches(1, classify(4, 3))),
    "create-json-dict": MetricCase('{"metric": "f1", "average": "micro"}', {},
                                   batches(1, classify(4, 2))),
    "create-dict": MetricCase({"metric": "ce", "eps": 0.5, "name": "ce2"}, {},
                              batches(1, classify(4, 3))),
    "create-unknown": MetricCase("no_such_metric", {}, batches(0, None)),
}

# Metrics whose get_config() goes back through create(); the config and the rebuilt
# metric's name and config are recorded.
CONFIG_CASES = {
    "acc": ("acc", {"axis": 0}), "topk": ("top_k_acc", {"top_k": 3}), "f1": ("f1", {}),
    "f1-micro": ("f1", {"average": "micro"}), "mcc": ("mcc", {}), "pcc": ("pcc", {}),
    "perplexity": ("perplexity", {"ignore_label": 2, "axis": 1}), "mae": ("mae", {}),
    "mse": ("mse", {"name": "m"}), "rmse": ("rmse", {}), "ce": ("ce", {"eps": 0.25}),
    "nll": ("nll_loss", {}), "pearsonr": ("pearsonr", {}), "loss": ("loss", {}),
    "torch": ("torch", {}), "caffe": ("caffe", {}),
    "composite": (["acc", "mse"], {}),
    "names": ("acc", {"output_names": ["a"], "label_names": ["b"]}),
}


# ---- running -----------------------------------------------------------------------------
def _plain(v):
    """get()/get_name_value() results as JSON: tuples become lists, numbers floats."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, str):
        return v
    return float(v)


def _is_float32(v):
    return isinstance(v, list) and any(_is_float32(x) for x in v) or \
        type(v).__name__ == "float32"


def state(metric):
    """What a metric reports."""
    got = {"name": metric.name, "str": str(metric)}
    for key in ("get", "get_global", "get_name_value", "get_global_name_value"):
        value = list(getattr(metric, key)())
        got[key] = _plain(value)
        got[key + ":float32"] = _is_float32(value)
    return got


def _nd(mx, a):
    return mx.nd.array(a, dtype=a.dtype)


def _nds(mx, x):
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return _nd(mx, x)
    if isinstance(x, dict):
        return {k: _nd(mx, a) for k, a in x.items()}
    return [_nd(mx, a) for a in x]


def build(mx, case):
    spec = case.metric
    return spec(mx) if callable(spec) else mx.metric.create(spec, **case.kwargs)


def run_case(mx, case, draw):
    """The list of records: construction, then one per step."""
    try:
        metric = build(mx, case)
    except Exception as e:  # noqa: BLE001 - the exception type is the result
        return [{"error": type(e).__name__}]
    records = [state(metric)]
    for step in case.steps(draw):
        kind, args = step[0], [_nds(mx, x) for x in step[1:]]
        try:
            getattr(metric, kind)(*args)
        except Exception as e:  # noqa: BLE001
            records.append({"error": type(e).__name__})
        else:
            records.append(state(metric))
    return records


def run_config(mx, name):
    """get_config() of a metric, and the name and config of the metric rebuilt from it."""
    spec, kwargs = CONFIG_CASES[name]
    config = mx.metric.create(spec, **kwargs).get_config()
    rebuilt = mx.metric.create(config)
    return {"config": config, "rebuilt_name": rebuilt.name,
            "rebuilt_config": rebuilt.get_config(), "rebuilt_type": type(rebuilt).__name__}
