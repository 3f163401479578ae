"""Pickling a dataset for DataLoader worker processes.

MXNet forks its workers, so they see everything the script has defined. mxjax's workers
are forked from a clean fork server and never run the script (see ``dataloader.py``), so
what the script itself defines -- functions, lambdas and classes of ``__main__`` -- travels
by value: code, defaults, closure and the globals it reads, as they are now (what a fork
at this moment would have copied). Everything else pickles as usual, by reference.
"""

import dis
import enum
import importlib
import io
import marshal
import pickle
import types

__all__ = ["dumps"]


def dumps(obj):
    """``pickle.dumps(obj)``, with ``__main__``'s functions and classes by value."""
    buf = io.BytesIO()
    _Pickler(buf).dump(obj)
    return buf.getvalue()


def _from_main(obj):
    return getattr(obj, "__module__", None) == "__main__"


class _Pickler(pickle.Pickler):
    def __init__(self, file):
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        # One globals dict per source module, shared by all its functions in the worker.
        self._globals = {}

    def reducer_override(self, obj):
        kind = type(obj)
        if kind is types.FunctionType and _from_main(obj):
            return self._function(obj)
        if isinstance(obj, type) and _from_main(obj):
            return self._class(obj)
        if kind is types.CodeType:
            return marshal.loads, (marshal.dumps(obj),)
        if kind is types.ModuleType:
            return importlib.import_module, (obj.__name__,)
        if kind is staticmethod or kind is classmethod:
            return kind, (obj.__func__,)
        if kind is property:
            return property, (obj.fget, obj.fset, obj.fdel, obj.__doc__)
        return NotImplemented

    def _function(self, f):
        shared = self._globals.get(id(f.__globals__))
        if shared is None:
            shared = self._globals[id(f.__globals__)] = ({"__name__": "__main__"},
                                                         f.__globals__)
        used = {n: f.__globals__[n] for n in sorted(_global_names(f.__code__))
                if n in f.__globals__}
        cells = [_cell_value(c) for c in f.__closure__ or ()]
        state = {"globals": used, "defaults": f.__defaults__, "kwdefaults": f.__kwdefaults__,
                 "qualname": f.__qualname__, "doc": f.__doc__, "dict": f.__dict__,
                 "cells": cells}
        # The function is built empty first and filled afterwards, so that it may refer
        # to itself (recursion, a method naming its class) through its globals or cells.
        ncells = None if f.__closure__ is None else len(cells)
        return (_make_function, (f.__code__, shared[0], f.__name__, ncells), state, None,
                None, _set_function_state)

    def _class(self, cls):
        if isinstance(cls, enum.EnumMeta):  # its members cannot be set after creation
            raise pickle.PicklingError(f"the script's enum {cls.__qualname__} cannot be "
                                       "sent to worker processes")
        slots = cls.__dict__.get("__slots__")
        slot_names = [] if slots is None else [slots] if isinstance(slots, str) else list(slots)
        namespace = {"__qualname__": cls.__qualname__}
        if slots is not None:
            namespace["__slots__"] = slots
        skip = {"__dict__", "__weakref__", "__slots__", "_abc_impl", *slot_names}
        state = {k: v for k, v in cls.__dict__.items() if k not in skip}
        return (_make_class, (type(cls), cls.__name__, cls.__bases__, namespace), state, None,
                None, _set_class_state)


class _Empty:
    """Marks a closure cell without a value."""


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _Empty


def _global_names(code):
    names = {ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ("LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _make_function(code, globals_, name, ncells):
    closure = None if ncells is None else tuple(types.CellType() for _ in range(ncells))
    return types.FunctionType(code, globals_, name, None, closure)


def _set_function_state(f, state):
    f.__globals__.update(state["globals"])
    f.__defaults__, f.__kwdefaults__ = state["defaults"], state["kwdefaults"]
    f.__qualname__, f.__doc__ = state["qualname"], state["doc"]
    f.__dict__.update(state["dict"])
    for cell, value in zip(f.__closure__ or (), state["cells"]):
        if value is not _Empty:
            cell.cell_contents = value
    return f


def _make_class(metaclass, name, bases, namespace):
    return types.new_class(name, bases, {"metaclass": metaclass},
                           lambda ns: ns.update(namespace))


def _set_class_state(cls, state):
    for key, value in state.items():
        setattr(cls, key, value)
    return cls
