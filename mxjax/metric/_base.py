"""The metric base class, its registry, composites and user-defined metrics."""

from collections import OrderedDict

import numpy

from .. import registry
from ..base import numeric_types, string_types
from ..ndarray import NDArray


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and predictions agree in length (or in shape).

    Parameters
    ----------
    labels, preds : list of NDArray, or NDArray
        The labels and the predictions.
    wrap : bool
        Wrap a single NDArray into a one-element list.
    shape : bool
        Compare ``.shape`` instead of ``len()``.

    Returns
    -------
    (labels, preds)

    Raises
    ------
    ValueError
        When they disagree.
    """
    label_shape, pred_shape = (labels.shape, preds.shape) if shape else (len(labels), len(preds))
    if label_shape != pred_shape:
        raise ValueError(f"Shape of labels {label_shape} does not match shape of "
                         f"predictions {pred_shape}")
    if wrap:
        if isinstance(labels, NDArray):
            labels = [labels]
        if isinstance(preds, NDArray):
            preds = [preds]
    return labels, preds


def as_float64(value):
    """A numpy float scalar widened to float64: under numpy 1.x (MXNet's), adding a float32
    scalar to a Python float gave float64; numpy 2 would keep accumulating in float32."""
    return numpy.float64(value) if isinstance(value, numpy.floating) else value


def as_value(value):
    """A metric value as a Python float: MXNet's numpy 1.x float64 printed as a plain
    number, which numpy 2 scalars no longer do (``get()`` output is often printed)."""
    return float(value) if isinstance(value, numpy.floating) else value


class EvalMetric:
    """Base class of the evaluation metrics: accumulates ``sum_metric`` over ``num_inst``.

    Parameters
    ----------
    name : str
        Display name.
    output_names, label_names : list of str or None
        The predictions / labels ``update_dict`` picks by name (default: all of them).
    **kwargs
        Constructor arguments of the subclass, kept for ``get_config``; the private
        ``has_global_stats`` says whether the metric keeps ``global_*`` statistics that
        survive ``reset_local``.
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self):
        """The constructor arguments: ``metric.create(**config)`` rebuilds the metric."""
        config = self._kwargs.copy()
        config.update({"metric": self.__class__.__name__, "name": self.name,
                       "output_names": self.output_names, "label_names": self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update with ``name -> NDArray`` dicts, picking ``label_names``/``output_names``."""
        pred = (list(pred.values()) if self.output_names is None
                else [pred[name] for name in self.output_names])
        label = (list(label.values()) if self.label_names is None
                 else [label[name] for name in self.label_names])
        self.update(label, pred)

    def update(self, labels, preds):
        """Accumulate one batch of labels and predictions (lists of NDArray)."""
        raise NotImplementedError()

    def reset(self):
        """Clear the local and the global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clear the local statistics only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)`` of the local statistics; the value is nan before any update."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, as_value(self.sum_metric / self.num_inst))

    def get_global(self):
        """``(name, value)`` of the statistics since the last ``reset``."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, as_value(self.global_sum_metric / self.global_num_inst))

    def get_name_value(self):
        """``get()`` as a list of ``(name, value)`` pairs."""
        return _zip_pairs(*self.get())

    def get_global_name_value(self):
        """``get_global()`` as a list of ``(name, value)`` pairs."""
        if not self._has_global_stats:
            return self.get_name_value()
        return _zip_pairs(*self.get_global())

    def _add(self, value, count):
        """Add ``value`` over ``count`` instances to the local and the global sums."""
        value = as_float64(value)
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count


def _zip_pairs(name, value):
    names = name if isinstance(name, list) else [name]
    values = value if isinstance(value, list) else [value]
    return list(zip(names, values))


register = registry.get_register_func(EvalMetric, "metric")
alias = registry.get_alias_func(EvalMetric, "metric")
_create = registry.get_create_func(EvalMetric, "metric")


def create(metric, *args, **kwargs):
    """Create a metric from a name, an instance, a list of those, or a function.

    Parameters
    ----------
    metric : str, EvalMetric, list or callable
        A registered name or alias (``'acc'``, ``'ce'``, ``'f1'`` ...), a metric instance
        (returned as it is), a list (gives a ``CompositeEvalMetric`` of each element), or
        a function ``feval(label, pred)`` on numpy arrays (gives a ``CustomMetric``).
    *args, **kwargs
        Constructor arguments.

    Examples
    --------
    >>> mx.metric.create(['acc', 'ce']).get()
    (['accuracy', 'cross-entropy'], [nan, nan])
    """
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return _create(metric, *args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get`` returns lists of names and values.

    Parameters
    ----------
    metrics : list of EvalMetric, names or functions, optional
        The child metrics (each goes through ``create``).
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, metrics=None, name="composite", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric):
        """Append a child metric (anything ``create`` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            # MXNet 1.9.1 returns this exception instead of raising it.
            raise ValueError(f"Metric index {index} is out of range 0 and "
                             f"{len(self.metrics)}") from None

    def update_dict(self, labels, preds):
        """Update every child with the dicts, filtered by this metric's names first."""
        if self.label_names is not None:
            labels = OrderedDict(i for i in labels.items() if i[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(i for i in preds.items() if i[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        """Update every child metric."""
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        """Reset every child metric."""
        for metric in getattr(self, "metrics", ()):  # the base __init__ resets before
            metric.reset()

    def reset_local(self):
        """Reset the local statistics of every child metric."""
        for metric in getattr(self, "metrics", ()):
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            names.extend([name] if isinstance(name, string_types) else name)
            values.extend([value] if isinstance(value, numeric_types) else value)
        return (names, values)

    def get(self):
        """``([names], [values])`` of the children's local statistics."""
        return self._collect(lambda m: m.get())

    def get_global(self):
        """``([names], [values])`` of the children's global statistics."""
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        """The config of this metric with its children's configs under ``metrics``."""
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


@register
class Loss(EvalMetric):
    """The mean of the predictions themselves, for outputs that are already losses.

    Parameters
    ----------
    name, output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, name="loss", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _, preds):
        """Add the sum of every prediction over its number of elements (labels unused)."""
        if isinstance(preds, NDArray):
            preds = [preds]
        for pred in preds:
            self._add(pred.asnumpy().sum(), pred.size)


@register
class Torch(Loss):
    """``Loss`` named ``'torch'`` (for Torch criterions)."""

    def __init__(self, name="torch", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """``Loss`` named ``'caffe'`` (for Caffe criterions)."""

    def __init__(self, name="caffe", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric computed by ``feval(label, pred)`` on numpy arrays, per label/pred pair.

    ``feval`` returns either the batch's metric (counted as one instance) or a tuple
    ``(sum_metric, num_inst)``.

    Parameters
    ----------
    feval : callable
        The function.
    name : str, optional
        Display name; default ``feval.__name__`` (``'custom(<lambda>)'`` for a lambda).
    allow_extra_outputs : bool
        Allow more predictions than labels (e.g. RNN states); the extra ones are ignored.
    output_names, label_names
        As for ``EvalMetric``.
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False,
                 output_names=None, label_names=None):
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        """Call ``feval`` on each (label, pred) pair as numpy arrays and accumulate."""
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            reval = self._feval(label.asnumpy(), pred.asnumpy())
            if isinstance(reval, tuple):
                self._add(*reval)
            else:
                self._add(reval, 1)

    def get_config(self):
        """Not available: a function cannot be serialized."""
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval, name=None, allow_extra_outputs=False):
    """A ``CustomMetric`` from a function of numpy ``(label, pred)`` returning a float.

    Parameters
    ----------
    numpy_feval : callable
        The function.
    name : str, optional
        Display name (default: the function's name).
    allow_extra_outputs : bool
        Allow more predictions than labels.

    Returns
    -------
    CustomMetric
    """
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
