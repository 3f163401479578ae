"""Loading a model zoo network's pretrained parameters from the local model store."""

from ....context import cpu
from .. import model_store


def load_pretrained(net, name, pretrained, ctx, root):
    """Load ``name``'s pretrained parameters into ``net`` when ``pretrained``; ``net``."""
    if pretrained:
        net.load_parameters(model_store.get_model_file(name, root=root),
                            ctx=cpu() if ctx is None else ctx)
    return net
