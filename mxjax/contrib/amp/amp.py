"""``mx.contrib.amp.amp``: importable, every name raises ``NotImplementedError``."""

AMP_MISSING = ("automatic mixed precision (mx.contrib.amp) is not implemented in mxjax; "
               "cast parameters and inputs with astype / Block.cast instead")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(f"mx.contrib.amp.{name}: {AMP_MISSING}")
