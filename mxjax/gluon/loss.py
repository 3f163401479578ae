"""Losses of ``gluon.loss``: HybridBlocks that return one loss value per sample.

Every loss takes ``weight`` (a global scalar factor, or None) and ``batch_axis`` (the
axis of the samples); most also take a ``sample_weight`` input broadcast against the
element-wise loss before the mean over every axis but ``batch_axis``.
"""

import numpy as np

from .. import ndarray as nd
from ..base import numeric_types
from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "CTCLoss", "HuberLoss",
           "HingeLoss", "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss",
           "CosineEmbeddingLoss", "SDMLLoss"]


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """``loss * sample_weight`` (broadcast) times the scalar ``weight``, each if given."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        assert isinstance(weight, numeric_types), "weight must be a number"
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """``x`` with the shape of ``y`` (same number of elements)."""
    return x.reshape(y.shape) if F is nd else F.reshape_like(x, y)


def _hinge(F, pred, label, margin):
    return F.relu(margin - pred * label)


def _sigmoid_ce(F, pred, label):
    """Binary cross entropy of logits, stably: max(x, 0) - x * z + log(1 + exp(-|x|))."""
    return F.relu(pred) - pred * label + F.Activation(-F.abs(pred), act_type="softrelu")


class Loss(HybridBlock):
    """Base class of the losses.

    Parameters
    ----------
    weight : float or None
        Global scalar weight of the loss.
    batch_axis : int
        The axis of the samples; the loss is averaged over all the others.
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _batch_mean(self, F, loss, sample_weight):
        """Weight ``loss`` and average it over every axis but ``batch_axis``."""
        loss = _apply_weighting(F, loss, self._global_weight(), sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def _global_weight(self):
        return self._weight

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


class _ElementwiseLoss(Loss):
    """A loss of ``pred`` and ``label`` (reshaped like ``pred``) element by element."""

    def _elementwise(self, F, pred, label):
        raise NotImplementedError

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        loss = self._elementwise(F, pred, _reshape_like(F, label, pred))
        return self._batch_mean(F, loss, sample_weight)


class L2Loss(_ElementwiseLoss):
    r"""Half the mean squared error: :math:`L = \frac{1}{2} \sum_i (label_i - pred_i)^2`.

    Inputs ``pred``, ``label`` (same number of elements) and optional ``sample_weight``
    (broadcastable to ``pred``); output of shape (batch_size,).
    """

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def _elementwise(self, F, pred, label):
        return F.square(label - pred)

    def _global_weight(self):
        return self._weight / 2


class L1Loss(_ElementwiseLoss):
    r"""Mean absolute error: :math:`L = \sum_i |label_i - pred_i|`.

    Inputs ``pred``, ``label`` (same number of elements) and optional ``sample_weight``;
    output of shape (batch_size,).
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def _elementwise(self, F, pred, label):
        return F.abs(label - pred)


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross entropy of a sigmoid output (alias ``SigmoidBCELoss``).

    :math:`L = -\sum_i pos\_weight \cdot label_i \log p_i + (1 - label_i) \log(1 - p_i)`
    with :math:`p = sigmoid(pred)`, or :math:`p = pred` if ``from_sigmoid``.

    Parameters
    ----------
    from_sigmoid : bool, default False
        Whether ``pred`` already holds probabilities; otherwise the sigmoid and the
        cross entropy are computed together, stably.
    weight : float or None
    batch_axis : int, default 0

    Inputs ``pred``, ``label`` in [0, 1], optional ``sample_weight`` and ``pos_weight``
    (broadcastable to ``pred``, e.g. (1, classes)); output of shape (batch_size,).
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = _sigmoid_ce(F, pred, label)
            else:
                # x - x * z + (1 + (pos_weight - 1) * z) * (log(1 + exp(-|x|)) + max(-x, 0))
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (
                    F.Activation(-F.abs(pred), act_type="softrelu") + F.relu(-pred))
        else:
            eps = 1e-12
            positive = F.log(pred + eps) * label
            if pos_weight is not None:
                positive = F.broadcast_mul(positive, pos_weight)
            loss = -(positive + F.log(1. - pred + eps) * (1. - label))
        return self._batch_mean(F, loss, sample_weight)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    r"""Cross entropy of a softmax output (alias ``SoftmaxCELoss``).

    With ``sparse_label`` (default), ``label`` holds class indices and has ``pred``'s
    shape without ``axis``: :math:`L = -\log softmax(pred)_{label}`. Otherwise ``label``
    holds a distribution shaped like ``pred``: :math:`L = -\sum_j label_j \log
    softmax(pred)_j`.

    Parameters
    ----------
    axis : int, default -1
        The class axis.
    sparse_label : bool, default True
        Whether ``label`` holds class indices rather than probabilities.
    from_logits : bool, default False
        Whether ``pred`` already holds log probabilities (e.g. from ``log_softmax``).
    weight : float or None
    batch_axis : int, default 0

    Inputs ``pred``, ``label`` and optional ``sample_weight`` (broadcastable to the loss,
    which keeps ``axis`` as size 1); output of shape (batch_size,).
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        return self._batch_mean(F, loss, sample_weight)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    r"""Kullback-Leibler divergence: :math:`L = \sum_i label_i (\log label_i - pred_i)`.

    Parameters
    ----------
    from_logits : bool, default True
        Whether ``pred`` holds log probabilities; otherwise ``log_softmax`` over ``axis``
        is applied first.
    axis : int, default -1
        The softmax axis (only used when ``from_logits`` is False).
    weight : float or None
    batch_axis : int, default 0

    Inputs ``pred``, ``label`` (a distribution, same shape) and optional
    ``sample_weight``; output of shape (batch_size,): the sum over the other axes.
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        # MXNet 1.9.1 sums (not averages) over the non-batch axes here.
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class CTCLoss(Loss):
    """Connectionist temporal classification loss of unnormalised predictions.

    The last class (``alphabet_size - 1``) is the blank; labels are zero-based and
    padded with -1 (or their lengths given).

    Parameters
    ----------
    layout : {'NTC', 'TNC'}, default 'NTC'
        Layout of ``pred``: batch, sequence and alphabet axes.
    label_layout : {'NT', 'TN'}, default 'NT'
        Layout of ``label``; its 'N' position is the ``batch_axis``.
    weight : float or None

    Inputs ``pred``, ``label``, optional ``pred_lengths`` and ``label_lengths`` (shape
    (batch_size,)) and ``sample_weight``; output of shape (batch_size,).
    """

    def __init__(self, layout="NTC", label_layout="NT", weight=None, **kwargs):
        assert layout in ["NTC", "TNC"], \
            f"Only 'NTC' and 'TNC' layouts for pred are supported. Got: {layout}"
        assert label_layout in ["NT", "TN"], \
            f"Only 'NT' and 'TN' layouts for label are supported. Got: {label_layout}"
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None,
                       sample_weight=None):
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None, blank_label="last")
        return _apply_weighting(F, loss, self._weight, sample_weight)


class HuberLoss(_ElementwiseLoss):
    r"""Smoothed L1 loss: squared below ``rho``, absolute above.

    :math:`L = \sum_i \frac{1}{2 \rho} d_i^2` where :math:`d_i = |label_i - pred_i| \le
    \rho`, else :math:`d_i - \frac{\rho}{2}`.

    Parameters
    ----------
    rho : float, default 1
        Where the loss turns from quadratic to linear.
    weight : float or None
    batch_axis : int, default 0
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def _elementwise(self, F, pred, label):
        dist = F.abs(label - pred)
        return F.where(dist > self._rho, dist - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(dist))


class HingeLoss(_ElementwiseLoss):
    r"""SVM hinge loss :math:`L = \sum_i \max(0, margin - pred_i \cdot label_i)`.

    ``label`` holds -1 or 1.

    Parameters
    ----------
    margin : float, default 1
    weight : float or None
    batch_axis : int, default 0
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def _elementwise(self, F, pred, label):
        return _hinge(F, pred, label, self._margin)


class SquaredHingeLoss(_ElementwiseLoss):
    r"""Soft-margin SVM loss :math:`L = \sum_i \max(0, margin - pred_i \cdot label_i)^2`.

    ``label`` holds -1 or 1.

    Parameters
    ----------
    margin : float, default 1
    weight : float or None
    batch_axis : int, default 0
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def _elementwise(self, F, pred, label):
        return F.square(_hinge(F, pred, label, self._margin))


class LogisticLoss(_ElementwiseLoss):
    r"""Logistic loss :math:`L = \sum_i \log(1 + \exp(-pred_i \cdot label_i))`.

    Parameters
    ----------
    weight : float or None
    batch_axis : int, default 0
    label_format : {'signed', 'binary'}, default 'signed'
        Whether labels are -1/1 or 0/1.
    """

    def __init__(self, weight=None, batch_axis=0, label_format="signed", **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._label_format = label_format
        if label_format not in ["signed", "binary"]:
            raise ValueError(f"label_format can only be signed or binary, recieved "
                             f"{label_format}.")

    def _elementwise(self, F, pred, label):
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0  # -1/1 -> 0/1
        return _sigmoid_ce(F, pred, label)


class TripletLoss(Loss):
    r"""Triplet loss :math:`L = \max(\|pos - pred\|^2 - \|neg - pred\|^2 + margin, 0)`.

    Inputs ``pred``, ``positive`` and ``negative`` (same number of elements); output of
    shape (batch_size,).

    Parameters
    ----------
    margin : float, default 1
    weight : float or None
    batch_axis : int, default 0
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred),
                     axis=self._batch_axis, exclude=True)
        return _apply_weighting(F, F.relu(loss + self._margin), self._weight)


class PoissonNLLLoss(Loss):
    r"""Negative log likelihood of ``target`` under a Poisson distribution of mean ``pred``.

    :math:`L = \exp(pred) - target \cdot pred` if ``from_logits`` (``pred`` is the log
    mean), else :math:`pred - target \cdot \log(pred + epsilon)`. The output is the mean
    over all elements, of shape (1,).

    Parameters
    ----------
    weight : float or None
    from_logits : bool, default True
    batch_axis : int, default 0
    compute_full : bool, default False
        Add Stirling's approximation of :math:`\log(target!)` (for targets above 1).

    Inputs ``pred``, ``target``, optional ``sample_weight`` and ``epsilon`` (default
    1e-08, avoids log(0)).
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            # Stirling's term, for targets above 1 only. MXNet 1.9.1 evaluates it at every
            # target, so targets of 0 give NaN (0 * log 0), and masks it in place, which
            # fails under record(); clamping first keeps the other values and the gradient.
            big = F.maximum(target, 1)
            stirling = big * F.log(big) - big + 0.5 * F.log(2 * big * np.pi)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    r"""Cosine distance loss of pairs: :math:`1 - \cos(x_1, x_2)` where ``label`` is 1,
    :math:`\max(0, \cos(x_1, x_2) - margin)` where it is -1.

    Inputs ``input1``, ``input2`` (same number of elements), ``label`` (one value per
    pair) and optional ``sample_weight``; output of shape (batch_size, 1).

    Parameters
    ----------
    weight : float or None
    batch_axis : int, default 0
    margin : float, default 0
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = label.reshape((-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        dissimilar = F.broadcast_maximum(F.zeros((1, 1)), (label == -1) * (cos_sim - self._margin))
        return _apply_weighting(F, similar + dissimilar, self._weight, sample_weight)

    def _cosine_similarity(self, F, x, y, axis=-1):
        """Cosine similarity of the rows of ``x`` and ``y``, shape (batch_size, 1)."""
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
        return F.broadcast_div(x_dot_y, F.broadcast_maximum(x_norm * y_norm,
                                                            F.full((1, 1), 1e-12)))


class SDMLLoss(Loss):
    """Batchwise smoothed deep metric learning loss (Bonadiman et al., 2019).

    Row ``i`` of ``x1`` and row ``i`` of ``x2`` form a positive pair; every other row of
    the minibatch serves as a negative. The loss is the KL divergence between a smoothed
    identity matrix and the softmax of the negative squared distances.

    Parameters
    ----------
    smoothing_parameter : float, default 0.3
        Probability mass spread over the negatives (< 1).
    weight : float, default 1
        Stored, but (as in MXNet 1.9.1) not applied to the loss.
    batch_axis : int, default 0

    Inputs ``x1``, ``x2`` of shape (batch_size, dim); output of shape (batch_size,).
    """

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _compute_distances(self, x1, x2):
        """Squared euclidean distance between every row of ``x1`` and every row of ``x2``."""
        assert x1.shape == x2.shape
        batch_size, dim = x1.shape
        x1_ = x1.expand_dims(1).broadcast_to([batch_size, batch_size, dim])
        x2_ = x2.expand_dims(0).broadcast_to([batch_size, batch_size, dim])
        return ((x1_ - x2_) ** 2).sum(axis=2)

    def _compute_labels(self, F, batch_size):
        """Identity matrix with ``smoothing_parameter`` spread off the diagonal."""
        gold = F.eye(batch_size)
        return gold * (1 - self.smoothing_parameter) + \
            (1 - gold) * self.smoothing_parameter / (batch_size - 1)

    def _loss(self, F, x1, x2):
        labels = self._compute_labels(F, x1.shape[0])
        distances = self._compute_distances(x1, x2)
        log_probabilities = F.log_softmax(-distances, axis=1)
        return self.kl_loss(log_probabilities, labels.as_in_context(distances.context))

    def hybrid_forward(self, F, x1, x2):
        return self._loss(F, x1, x2)
