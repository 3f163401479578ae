"""``mx.contrib.amp``: MXNet's automatic mixed precision, not implemented in mxjax.

The package exists so that code importing it (``from mxnet.contrib.amp import amp``)
loads; calling any of its functions raises ``NotImplementedError``.
"""

from . import amp

__all__ = ["amp"]
