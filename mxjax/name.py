"""Automatic naming (``mx.name``): global per-hint counters, ``dense0``, ``dense1`` ..."""

import threading

from .base import _MXClassPropertyMetaClass, classproperty

__all__ = ["NameManager", "Prefix"]


class NameManager(metaclass=_MXClassPropertyMetaClass):
    """Gives ``hint`` + a counter per hint when no name is given; usable with ``with``."""

    _current = threading.local()

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f"{hint}{count}"

    def __enter__(self):
        self._old_manager = current()
        NameManager._current.value = self
        return self

    def __exit__(self, *exc):
        NameManager._current.value = self._old_manager

    @classproperty
    def current(cls):
        """This thread's active NameManager; assigning it replaces it for this thread."""
        return current()

    @current.setter
    def current(cls, value):
        NameManager._current.value = value


class Prefix(NameManager):
    """A NameManager that prepends ``prefix`` to every name."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


def current():
    if not hasattr(NameManager._current, "value"):
        NameManager._current.value = NameManager()
    return NameManager._current.value
