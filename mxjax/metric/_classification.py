"""Classification metrics: Accuracy, TopKAccuracy, F1, MCC, PCC."""

import math

import numpy

from .. import ndarray
from ._base import EvalMetric, alias, check_label_shapes, register


@register
@alias("acc")
class Accuracy(EvalMetric):
    """The fraction of predictions equal to the label.

    Parameters
    ----------
    axis : int, default 1
        The class axis of predictions given as scores (they are argmax-ed along it when
        their shape differs from the label's); predictions shaped like the label are
        class indices already.
    name, output_names, label_names
        As for ``EvalMetric``.

    Examples
    --------
    >>> acc = mx.metric.Accuracy()
    >>> acc.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> acc.get()
    ('accuracy', 0.6666666666666666)
    """

    def __init__(self, axis=1, name="accuracy", output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        """Count the correct predictions of each (label, pred) pair."""
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            if pred.shape != label.shape:
                pred = ndarray.argmax(pred, axis=self.axis)
            pred = pred.asnumpy().astype("int32").ravel()
            label = label.asnumpy().astype("int32").ravel()
            check_label_shapes(label, pred)
            self._add((pred == label).sum(), len(pred))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """The fraction of samples whose label is among the ``top_k`` highest scores.

    Parameters
    ----------
    top_k : int
        How many of the best classes count as correct; must be more than 1 (use
        ``Accuracy`` for 1). The name gets ``_<top_k>`` appended.
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, top_k=1, name="top_k_accuracy", output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        assert self.top_k > 1, "Please use Accuracy if top_k is no more than 1"
        self.name += f"_{self.top_k}"

    def update(self, labels, preds):
        """Count the samples whose label is among their top ``top_k`` scores."""
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            assert len(pred.shape) <= 2, "Predictions should be no more than 2 dims"
            # Only which indices are in the top k matters, not their order.
            order = numpy.argpartition(pred.asnumpy().astype("float32"), -self.top_k)
            label = label.asnumpy().astype("int32")
            check_label_shapes(label, order)
            if order.ndim == 1:
                correct = (order.ravel() == label.ravel()).sum()
            else:
                num_classes = order.shape[1]
                correct = sum((order[:, num_classes - 1 - j].ravel() == label.ravel()).sum()
                              for j in range(min(num_classes, self.top_k)))
            self._add(correct, order.shape[0])


class _BinaryClassificationMetrics:
    """Local and global true/false positive/negative counts over mini-batches."""

    _COUNTS = ("true_positives", "false_negatives", "false_positives", "true_negatives")

    def __init__(self):
        self.reset_stats()

    def update_binary_stats(self, label, pred):
        """Add the counts of one batch: ``pred`` are 2-class scores, ``label`` 0/1."""
        pred = pred.asnumpy()
        # Raveled: MXNet 1.9.1 broadcasts an (N, 1) label against the (N,) predictions into
        # N x N counts (wrong numbers); mxjax counts per sample.
        label = label.asnumpy().astype("int32").ravel()
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise ValueError(f"{self.__class__.__name__} currently only supports binary "
                             "classification.")
        pred_true = pred_label == 1
        pred_false = 1 - pred_true
        label_true = label == 1
        label_false = 1 - label_true
        batch = {"true_positives": (pred_true * label_true).sum(),
                 "false_positives": (pred_true * label_false).sum(),
                 "false_negatives": (pred_false * label_true).sum(),
                 "true_negatives": (pred_false * label_false).sum()}
        for key, count in batch.items():
            setattr(self, key, getattr(self, key) + count)
            setattr(self, "global_" + key, getattr(self, "global_" + key) + count)

    def _counts(self, use_global):
        prefix = "global_" if use_global else ""
        return [getattr(self, prefix + key) for key in self._COUNTS]

    def _ratio(self, other, use_global):
        """tp / (tp + other): precision with the false positives, recall with the false
        negatives; 0 where undefined."""
        prefix = "global_" if use_global else ""
        tp, rest = getattr(self, prefix + "true_positives"), getattr(self, prefix + other)
        return float(tp) / (tp + rest) if tp + rest > 0 else 0.0

    precision = property(lambda self: self._ratio("false_positives", False),
                         doc="Precision of the local counts.")
    global_precision = property(lambda self: self._ratio("false_positives", True),
                                doc="Precision of the global counts.")
    recall = property(lambda self: self._ratio("false_negatives", False),
                      doc="Recall of the local counts.")
    global_recall = property(lambda self: self._ratio("false_negatives", True),
                             doc="Recall of the global counts.")

    def fscore_of(self, use_global=False):
        """F1 of the local (or global) counts; 0 where undefined."""
        precision = self._ratio("false_positives", use_global)
        recall = self._ratio("false_negatives", use_global)
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.0

    fscore = property(lambda self: self.fscore_of(False), doc="F1 of the local counts.")
    global_fscore = property(lambda self: self.fscore_of(True), doc="F1 of the global counts.")

    def matthewscc(self, use_global=False):
        """Matthews correlation of the local (or global) counts; zero factors count as 1."""
        counts = self._counts(use_global)
        if not sum(counts):
            return 0.0
        tp, fn, fp, tn = (float(c) for c in counts)
        denom = 1.0
        for term in (tp + fp, tp + fn, tn + fp, tn + fn):
            if term != 0.0:
                denom *= term
        return (tp * tn - fp * fn) / math.sqrt(denom)

    @property
    def total_examples(self):
        """Number of examples in the local counts."""
        return sum(self._counts(False))

    @property
    def global_total_examples(self):
        """Number of examples in the global counts."""
        return sum(self._counts(True))

    def local_reset_stats(self):
        """Zero the local counts."""
        for key in self._COUNTS:
            setattr(self, key, 0)

    def reset_stats(self):
        """Zero the local and the global counts."""
        self.local_reset_stats()
        for key in self._COUNTS:
            setattr(self, "global_" + key, 0)


class _BinaryMetric(EvalMetric):
    """F1 and MCC: a score of the binary counts, averaged per batch ('macro') or computed
    once over all the samples seen ('micro')."""

    def __init__(self, name, output_names, label_names, average):
        self._average = average
        self._metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names,
                            label_names=label_names, has_global_stats=True)

    def _score(self, use_global):
        raise NotImplementedError()

    def update(self, labels, preds):
        """Add the batch's counts and update the score."""
        labels, preds = check_label_shapes(labels, preds, True)
        stats = self._metrics
        for label, pred in zip(labels, preds):
            stats.update_binary_stats(label, pred)
        if self._average == "macro":
            self._add(self._score(False), 1)
            # MXNet clears the global counts too: global 'macro' is also per batch.
            stats.reset_stats()
        else:
            self.sum_metric = self._score(False) * stats.total_examples
            self.global_sum_metric = self._score(True) * stats.global_total_examples
            self.num_inst = stats.total_examples
            self.global_num_inst = stats.global_total_examples

    def reset(self):
        """Clear the local and the global statistics."""
        super().reset()
        self._metrics.reset_stats()

    def reset_local(self):
        """Clear the local statistics only."""
        super().reset_local()
        self._metrics.local_reset_stats()


@register
class F1(_BinaryMetric):
    """F1 score (harmonic mean of precision and recall) of a binary classifier.

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    average : {'macro', 'micro'}, default 'macro'
        'macro' averages the F1 of each ``update`` call; 'micro' computes one F1 from
        all the samples.
    """

    def __init__(self, name="f1", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)

    average = property(lambda self: self._average,
                       lambda self, value: setattr(self, "_average", value),
                       doc="'macro' or 'micro'.")
    metrics = property(lambda self: self._metrics,
                       lambda self, value: setattr(self, "_metrics", value),
                       doc="The binary counts.")

    def _score(self, use_global):
        return self._metrics.fscore_of(use_global)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier (see ``PCC`` for more
    classes); zero factors in the denominator count as 1.

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    average : {'macro', 'micro'}, default 'macro'
        'macro' averages the MCC of each ``update`` call; 'micro' computes one MCC from
        all the samples.
    """

    def __init__(self, name="mcc", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)

    def _score(self, use_global):
        return self._metrics.matthewscc(use_global)


@register
class PCC(EvalMetric):
    """Multi-class Matthews correlation (Pearson correlation of the confusion matrix).

    The confusion matrix grows with the largest class seen; the value is nan while it
    has a single row or column with counts.

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    has_global_stats : bool, default True
        Keep a global confusion matrix that survives ``reset_local``.
    """

    def __init__(self, name="pcc", output_names=None, label_names=None,
                 has_global_stats=True):
        self.k = 2
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc):
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), "constant")
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), "constant")
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat):
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        """Add the batch to the confusion matrices (one instance per ``update`` call)."""
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = label.astype("int32", copy=False).asnumpy()
            pred = pred.asnumpy()
            pred = pred.argmax(axis=1) if pred.shape != label.shape else pred.astype("int32")
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(n + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            for i, j in zip(pred, label):  # a (N, 1) label indexes with rows, as in MXNet
                bcm[i, j] += 1
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        """MCC of the local confusion matrix times ``num_inst``."""
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self):
        """MCC of the global confusion matrix times ``global_num_inst``."""
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self):
        """Clear both confusion matrices."""
        self.global_num_inst = 0.0
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        """Clear the local confusion matrix."""
        self.num_inst = 0.0
        self.lcm = numpy.zeros((self.k, self.k))
