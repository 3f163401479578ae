"""``_CachedOp``: a hybridized block as one node of a graph.

``autograd.get_symbol`` shows a hybridized block recorded by ``autograd.record`` as one
``_CachedOp`` node over the block's inputs and parameters, as MXNet 1.9.1 does when the
block has more operators than its ``inline_limit``. The node only describes the graph:
as in MXNet, the operator cannot be called on its own.
"""

from ..base import MXNetError
from .spec import register


@register("_CachedOp", inputs=("data",), variadic=True, attrs=dict(num_outputs=1),
          num_outputs=lambda attrs: attrs["num_outputs"])
def cached_op(*data, num_outputs):  # noqa: ARG001 - the node's signature
    """A hybridized block, as it appears in graphs from ``autograd.get_symbol``."""
    raise MXNetError("_CachedOp: this node stands for a hybridized block in a graph from "
                     "autograd.get_symbol; it cannot be run on its own (call the block)")
