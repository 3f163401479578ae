"""Make ``import mxnet`` (and ``mxnet.<sub>``) resolve to mxjax, for unmodified scripts."""

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install"]


class _MXNetAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``mxnet[.x.y]`` and hands back the module ``mxjax[.x.y]``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "mxnet" and not fullname.startswith("mxnet."):
            return None
        target_name = "mxjax" + fullname[len("mxnet"):]
        if importlib.util.find_spec(target_name) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("mxjax" + spec.name[len("mxnet"):])

    def exec_module(self, module):
        """The mxjax module is already executed."""


def install():
    """Install the alias once; afterwards ``import mxnet as mx`` gives mxjax."""
    if not any(isinstance(f, _MXNetAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _MXNetAlias())
