"""``mx.gluon``: the imperative/hybrid neural network API."""

from . import contrib, loss, nn, utils
from .block import Block, HybridBlock, SymbolBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict

__all__ = ["Block", "HybridBlock", "SymbolBlock", "Parameter", "ParameterDict", "Constant",
           "DeferredInitializationError", "contrib", "loss", "nn", "utils"]
