"""``mx.metric``: online evaluation metrics, as in MXNet 1.9.1.

Metrics accumulate ``sum_metric`` over ``num_inst`` across ``update(labels, preds)``
calls (lists of NDArray) and compute on the host with numpy, as MXNet does. Each keeps
local statistics (``get``, cleared by ``reset_local``) and global ones (``get_global``,
cleared by ``reset``). ``create`` builds a metric from a name or alias (``'acc'``,
``'ce'``, ``'top_k_acc'`` ...), a list, an instance or a function.
"""

from ._base import (
    Caffe,
    CompositeEvalMetric,
    CustomMetric,
    EvalMetric,
    Loss,
    Torch,
    alias,
    check_label_shapes,
    create,
    np,
    register,
)
from ._classification import F1, MCC, PCC, Accuracy, TopKAccuracy
from ._regression import (
    MAE,
    MSE,
    RMSE,
    CrossEntropy,
    NegativeLogLikelihood,
    PearsonCorrelation,
    Perplexity,
)

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC",
           "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood",
           "PearsonCorrelation", "PCC", "Loss", "Torch", "Caffe", "CustomMetric", "np",
           "create", "register", "alias", "check_label_shapes"]
