"""``mx.mod`` / ``mx.module``: MXNet 1.9.1's Module API.

A Module binds a Symbol to executors for given input shapes, initializes its
parameters, sets up an optimizer and runs training steps (``forward``, ``backward``,
``update``), or whole loops (``fit``, ``score``, ``predict``). ``BucketingModule`` keeps
one Module per bucket key sharing one set of parameters; ``SequentialModule`` chains
modules; ``PythonModule`` / ``PythonLossModule`` are modules written in Python.
"""

from . import (
           base_module,
           bucketing_module,
           executor_group,
           module,
           python_module,
           sequential_module,
)
from .base_module import BaseModule
from .bucketing_module import BucketingModule
from .executor_group import DataParallelExecutorGroup
from .module import Module
from .python_module import PythonLossModule, PythonModule
from .sequential_module import SequentialModule

__all__ = ["BaseModule", "Module", "BucketingModule", "SequentialModule", "PythonModule",
           "PythonLossModule", "DataParallelExecutorGroup", "base_module",
           "bucketing_module", "executor_group", "module", "python_module",
           "sequential_module"]
