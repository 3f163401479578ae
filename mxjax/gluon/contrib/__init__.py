"""``mx.gluon.contrib``: contributed Gluon layers."""

from . import nn, rnn

__all__ = ["nn", "rnn"]
