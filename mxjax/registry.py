"""Name registries for serializable classes (``mx.registry``): metrics, and anything else
that is built from a name, a JSON string or a config dict.

Each base class gets one table mapping lower-case names to subclasses; the three
factories below hand out a ``register`` decorator, an ``alias`` decorator and a
``create`` function bound to that table, as MXNet's ``registry`` module does.
"""

import json
import warnings

from .base import string_types

__all__ = ["get_registry", "get_register_func", "get_alias_func", "get_create_func"]

_REGISTRY = {}


def _table(base_class):
    return _REGISTRY.setdefault(base_class, {})


def get_registry(base_class):
    """A copy of the name -> class table of ``base_class``."""
    return dict(_table(base_class))


def get_register_func(base_class, nickname):
    """A decorator ``register(klass, name=None)`` filing ``klass`` under its lower-case name.

    Parameters
    ----------
    base_class : type
        Registered classes must derive from it.
    nickname : str
        What the classes are called in messages ("metric", "optimizer", ...).
    """
    table = _table(base_class)

    def register(klass, name=None):
        if not (isinstance(klass, type) and issubclass(klass, base_class)):
            raise AssertionError(f"Can only register subclass of {base_class.__name__}")
        name = (klass.__name__ if name is None else name).lower()
        if name in table:
            old = table[name]
            warnings.warn(f"New {nickname} {klass.__module__}.{klass.__name__} registered with "
                          f"name {name} is overriding existing {nickname} "
                          f"{old.__module__}.{old.__name__}", UserWarning, stacklevel=2)
        table[name] = klass
        return klass

    register.__doc__ = f"Register a {nickname} class under its lower-case name."
    return register


def get_alias_func(base_class, nickname):
    """A decorator factory ``alias(*names)`` filing a class under extra names."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases):
        def reg(klass):
            for name in aliases:
                register(klass, name)
            return klass
        return reg

    alias.__doc__ = f"Register a {nickname} class under extra names."
    return alias


def get_create_func(base_class, nickname):
    """A factory ``create(name_or_instance, *args, **kwargs)`` for ``base_class``.

    The first argument (or the keyword ``nickname``) may be an instance (returned as it
    is), a registered name (any case), a dict of constructor arguments holding the name
    under ``nickname``, or a JSON string ``'["name", {kwargs}]'`` / ``'{"nickname": ...}'``.
    """
    table = _table(base_class)

    def create(*args, **kwargs):
        if args:
            name, args = args[0], args[1:]
        else:
            name = kwargs.pop(nickname)
        if isinstance(name, base_class):
            if args or kwargs:
                raise AssertionError(f"{nickname} is already an instance. Additional "
                                     "arguments are invalid")
            return name
        if isinstance(name, dict):
            return create(**name)
        if not isinstance(name, string_types):
            raise AssertionError(f"{nickname} must be of string type")
        if name.startswith("[") or name.startswith("{"):
            if args or kwargs:
                raise AssertionError(f"no extra arguments may follow a JSON {nickname} string")
            loaded = json.loads(name)
            return create(**loaded) if name.startswith("{") else create(loaded[0], **loaded[1])
        name = name.lower()
        if name not in table:
            raise AssertionError(f"{name} is not registered. Please register with "
                                 f"{nickname}.register first")
        return table[name](*args, **kwargs)

    create.__doc__ = (f"Create a {nickname} from a name, a config dict, a JSON string or an "
                      f"instance of {base_class.__name__} (returned as it is).")
    return create
