"""``mx.gluon.contrib``: contributed Gluon layers."""

from . import nn

__all__ = ["nn"]
