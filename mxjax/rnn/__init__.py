"""``mx.rnn``: MXNet 1.x's legacy symbolic RNN cells, bucketing data iterator and RNN
checkpoint helpers (built on ``mx.sym``)."""

from . import conv_rnn_cell, io, rnn, rnn_cell
from .conv_rnn_cell import *  # noqa: F401,F403
from .io import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .rnn_cell import *  # noqa: F401,F403

__all__ = rnn_cell.__all__ + conv_rnn_cell.__all__ + rnn.__all__ + io.__all__
