"""Regression and probabilistic metrics: MAE, MSE, RMSE, CrossEntropy,
NegativeLogLikelihood, PearsonCorrelation, Perplexity."""

import math

import numpy

from .. import ndarray
from ._base import EvalMetric, alias, as_value, check_label_shapes, register


class _BatchError(EvalMetric):
    """Mean of an elementwise error per batch, averaged over the batches: MXNet counts one
    instance per label/pred pair, whatever the batch size."""

    def __init__(self, name, output_names, label_names):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _error(diff):
        raise NotImplementedError()

    def update(self, labels, preds):
        """Add the batch error of each (label, pred) pair as one instance."""
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = label.asnumpy(), pred.asnumpy()
            # 1-D arrays become columns, so an (N,) label against (N, 1) predictions
            # compares elementwise (other shapes broadcast as numpy does).
            if label.ndim == 1:
                label = label.reshape(label.shape[0], 1)
            if pred.ndim == 1:
                pred = pred.reshape(pred.shape[0], 1)
            self._add(self._error(label - pred), 1)


@register
class MAE(_BatchError):
    """Mean absolute error, averaged per batch (not per sample).

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, name="mae", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff):
        return numpy.abs(diff).mean()


@register
class MSE(_BatchError):
    """Mean squared error, averaged per batch (not per sample).

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, name="mse", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff):
        return (diff ** 2.0).mean()


@register
class RMSE(_BatchError):
    """Root mean squared error of each batch, averaged over the batches.

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, name="rmse", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff):
        return numpy.sqrt((diff ** 2.0).mean())


class _LabelLogProb(EvalMetric):
    """Mean of ``-log(p[label] + eps)`` per sample, ``p`` of shape (N, classes)."""

    def __init__(self, eps, name, output_names, label_names):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        """Add ``-log`` of each sample's probability of its label."""
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = label.asnumpy().ravel(), pred.asnumpy()
            num = pred.shape[0]
            assert label.shape[0] == num, (label.shape[0], num)
            prob = pred[numpy.arange(num, dtype=numpy.int64), numpy.int64(label)]
            self._add((-numpy.log(prob + self.eps)).sum(), num)


@register
@alias("ce")
class CrossEntropy(_LabelLogProb):
    """Cross entropy of predicted class probabilities against class-index labels.

    Parameters
    ----------
    eps : float, default 1e-12
        Added to the probabilities before the log.
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, eps=1e-12, name="cross-entropy", output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LabelLogProb):
    """Negative log-likelihood of the labels under the predicted class probabilities.

    Parameters
    ----------
    eps : float, default 1e-12
        Added to the probabilities before the log.
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, eps=1e-12, name="nll-loss", output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation between predictions and labels.

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    average : {'macro', 'micro'}, default 'macro'
        'macro' averages the correlation of each label/pred pair; 'micro' computes one
        correlation over all the values (with running means and co-moments).
    """

    def __init__(self, name="pearsonr", output_names=None, label_names=None, average="macro"):
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def reset_micro(self):
        """Clear the running statistics of 'micro' averaging."""
        self._sse_p = self._mean_p = self._pred_nums = 0
        self._sse_l = self._mean_l = self._label_nums = 0
        self._conv = 0

    def reset(self):
        """Clear all the statistics."""
        super().reset()
        if self.average == "micro":
            self.reset_micro()

    @staticmethod
    def update_variance(new_values, count, mean, m_2):
        """Welford's update of ``(count, mean, sum of squared deviations)``."""
        count += len(new_values)
        delta = new_values - mean
        mean += numpy.sum(delta / count)
        m_2 += numpy.sum(delta * (new_values - mean))
        return count, mean, m_2

    def update_cov(self, label, pred):
        """Add the batch's co-moment (label mean already updated, pred mean not yet)."""
        self._conv = self._conv + numpy.sum((label - self._mean_l) * (pred - self._mean_p))

    def update(self, labels, preds):
        """Add each (label, pred) pair, flattened to float64."""
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            label = label.asnumpy().ravel().astype(numpy.float64)
            pred = pred.asnumpy().ravel().astype(numpy.float64)
            if self.average == "macro":
                self._add(numpy.corrcoef(pred, label)[0, 1], 1)
                continue
            self.num_inst += 1
            self.global_num_inst += 1
            self._label_nums, self._mean_l, self._sse_l = self.update_variance(
                label, self._label_nums, self._mean_l, self._sse_l)
            self.update_cov(label, pred)
            self._pred_nums, self._mean_p, self._sse_p = self.update_variance(
                pred, self._pred_nums, self._mean_p, self._sse_p)

    def _micro(self):
        n = self._label_nums
        return self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1))
                             * numpy.sqrt(self._sse_l / (n - 1)))

    def get(self):
        """``(name, correlation)``; nan before any update."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        if self.average == "macro":
            return super().get()
        return (self.name, as_value(self._micro()))

    def get_global(self):
        """``(name, correlation)`` since the last ``reset``."""
        if self.average == "macro" or self.global_num_inst == 0:
            return super().get_global()
        # MXNet 1.9.1 returns 0 here ('micro' keeps no global sum); its running
        # statistics are only cleared by reset(), so they are the global ones.
        return (self.name, as_value(self._micro()))


@register
class Perplexity(EvalMetric):
    """Perplexity: ``exp`` of the mean negative log-probability of the labels.

    Parameters
    ----------
    ignore_label : int or None
        Label value whose samples are not counted (``None``: count all).
    axis : int, default -1
        The class axis of the predictions.
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, ignore_label, axis=-1, name="perplexity",
                 output_names=None, label_names=None):
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        """Add the negative log-probabilities (floored at 1e-10) of the batch's labels."""
        assert len(labels) == len(preds)
        loss, num = 0.0, 0
        for label, pred in zip(labels, preds):
            assert label.size == pred.size / pred.shape[-1], \
                f"shape mismatch: {label.shape} vs. {pred.shape}"
            # Computed with NDArray operators in pred's dtype, as MXNet does (out-of-range
            # labels are clipped by pick).
            label = label.as_in_context(pred.context).reshape((label.size,))
            pred = ndarray.pick(pred, label.astype(dtype="int32"), axis=self.axis)
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(pred.dtype)
                num -= float(ndarray.sum(ignore).asscalar())
                pred = pred * (1 - ignore) + ignore
            loss -= float(ndarray.sum(ndarray.log(ndarray.maximum(1e-10, pred))).asscalar())
            num += pred.size
        self._add(loss, num)

    def get(self):
        """``(name, perplexity)`` of the local statistics; nan before any update."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        """``(name, perplexity)`` since the last ``reset``."""
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))
