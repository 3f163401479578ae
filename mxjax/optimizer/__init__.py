"""``mx.optimizer``: every optimizer of MXNet 1.9.1, the Updater and the registry.

Each optimizer splits an update into its Python part (update counts, schedules,
multipliers) and a pure array function; all weights of a step are updated by one
compiled function (``_fused``), which ``gluon.Trainer`` calls with donated buffers.
"""

from .. import lr_scheduler  # noqa: F401  (so that mx.lr_scheduler exists, as in MXNet)
from . import contrib, optimizer
from .adam import FTML, LAMB, Adam, Adamax, Nadam
from .optimizer import Optimizer, Updater, create, get_updater, register
from .rmsprop import AdaDelta, AdaGrad, Ftrl, RMSProp
from .sgd import DCASGD, LARS, LBSGD, NAG, SGD, SGLD, Signum, ccSGD
from .test import Test

__all__ = ["AdaDelta", "AdaGrad", "Adam", "Adamax", "DCASGD", "FTML", "Ftrl", "LARS", "LBSGD",
           "NAG", "Nadam", "Optimizer", "RMSProp", "SGD", "SGLD", "Signum", "LAMB", "Test",
           "Updater", "ccSGD", "create", "get_updater", "register", "contrib", "optimizer"]
