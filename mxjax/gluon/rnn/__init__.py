"""``mx.gluon.rnn``: recurrent layers (fused RNN, LSTM, GRU) and cells."""

from . import rnn_cell, rnn_layer
from .rnn_cell import *  # noqa: F401,F403
from .rnn_layer import *  # noqa: F401,F403

__all__ = rnn_cell.__all__ + rnn_layer.__all__
