"""``mx.mod`` / ``mx.module``: MXNet 1.9.1's Module API (``BaseModule``, ``Module``).

A Module binds a Symbol to executors for given input shapes, initializes its
parameters, sets up an optimizer and runs training steps (``forward``, ``backward``,
``update``), or whole loops (``fit``, ``score``, ``predict``).
"""

from . import base_module, executor_group, module
from .base_module import BaseModule
from .executor_group import DataParallelExecutorGroup
from .module import Module

__all__ = ["BaseModule", "Module", "DataParallelExecutorGroup", "base_module",
           "executor_group", "module"]
