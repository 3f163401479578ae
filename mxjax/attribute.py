"""Attribute scopes (``mx.AttrScope``): string attributes attached to every Symbol created
inside a ``with`` block, e.g. ``with mx.AttrScope(ctx_group='dev1'):``."""

import threading

from .base import _MXClassPropertyMetaClass, classproperty

__all__ = ["AttrScope", "current"]


class AttrScope(metaclass=_MXClassPropertyMetaClass):
    """Attributes (strings) given to every symbol created while this scope is active.

    Nested scopes merge: an inner scope adds to (and overrides) the outer one's attributes.
    """

    _current = threading.local()

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ValueError(f"Attributes need to be string (got {key}={value!r})")
        self._attr = dict(kwargs)
        self._old_scope = None

    def get(self, attr):
        """The scope's attributes updated with ``attr`` (a dict, or None)."""
        merged = dict(self._attr)
        merged.update(attr or {})
        return merged

    def __enter__(self):
        self._old_scope = current()
        self._attr = {**self._old_scope._attr, **self._attr}
        AttrScope._current.value = self
        return self

    def __exit__(self, *exc):
        AttrScope._current.value = self._old_scope

    @classproperty
    def current(cls):
        """This thread's active AttrScope; assigning it replaces it for this thread."""
        return current()

    @current.setter
    def current(cls, value):
        AttrScope._current.value = value


def current():
    """The active AttrScope (an empty one outside any ``with``)."""
    if not hasattr(AttrScope._current, "value"):
        AttrScope._current.value = AttrScope()
    return AttrScope._current.value
