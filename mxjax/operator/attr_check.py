"""Attribute values checked against the kind MXNet's parameter struct gives them.

MXNet parses every operator attribute from its string form into a typed field (``int``,
``long``, ``float``, ``boolean``, ``Shape(tuple)``) with optional lower bounds, and
rejects a bad value when the operator is created: on a call, and when a ``-symbol.json``
is loaded. An :class:`~mxjax.operator.spec.OpSpec` knows each attribute's kind from its
default (or from ``Required(kind)``), and its lower bounds from ``bounds``; this module
holds the checks, with MXNet's wording.
"""

import numbers

from ..base import MXNetError

__all__ = ["Kind", "kind_of", "check_value"]

_INT32 = (-(2 ** 31), 2 ** 31 - 1)
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


class Kind:
    """What an attribute holds: ``int`` (``wide``: 64-bit), ``float``, ``bool`` or
    ``tuple`` (a shape: integers, or None where MXNet allows it), and its lower bound."""

    __slots__ = ("type", "wide", "low", "strict")

    def __init__(self, type_, wide=True, low=None, strict=False):
        self.type = type_
        self.wide = wide
        self.low = low
        self.strict = strict  # declared (Required(kind)): a tuple must hold integers

    def describe(self):
        return {int: "int" if not self.wide else "long", float: "float", bool: "boolean",
                tuple: "Shape(tuple)"}[self.type]


# Attribute names MXNet 1.9.1 declares as 64-bit (``long``) in some operator: an attribute
# of that name with an integer default is checked as 64-bit; every other integer as MXNet's
# 32-bit ``int``.
_LONG_NAMES = frozenset({
    "workspace", "low", "high", "N", "M", "k", "axis", "bin_cnt", "end", "start", "step",
    "stop", "lhs_begin", "lhs_end", "rhs_begin", "rhs_end", "max_num_vertices", "num_hops",
    "num_neighbor", "p_value", "projection_size", "int_ind"})


def kind_of(default, low=None, name=None):
    """The kind an attribute ``name`` with this default has; None where the default says
    nothing (None, a string, a dtype)."""
    declared = getattr(default, "kind", None)
    wide = name in _LONG_NAMES
    if declared is not None:  # Required(int) is MXNet's 32-bit int
        return Kind(declared, wide=declared is not int,
                    low=low if low is not None else default.low, strict=True)
    for type_ in (bool, int, float, tuple):
        if isinstance(default, type_):
            return Kind(type_, wide=wide or type_ is not int, low=low)
    return Kind(int, low=low) if low is not None else None


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _invalid(op, name, kind, value):
    return MXNetError(f"Invalid Parameter format for {name} expect {kind.describe()} but "
                      f"value={str(value)!r}, in operator {op}")


def _check_int(op, name, kind, value):
    if not _is_int(value) and not (isinstance(value, bool) and not kind.strict):
        raise _invalid(op, name, kind, value)
    lo, hi = _INT64 if kind.wide else _INT32
    if not lo <= value <= hi:
        raise _invalid(op, name, kind, value)
    if kind.low is not None and value < kind.low:
        raise MXNetError(f"value {value} for Parameter {name} should be greater equal to "
                         f"{kind.low}, in operator {op}")


def check_value(op, name, kind, value):
    """Raise MXNetError (MXNet's wording) unless ``value`` fits ``kind``."""
    if value is None or hasattr(value, "dtype"):  # unset optional; a (traced) array scalar
        return
    if kind.type is bool:
        if not (isinstance(value, bool) or _is_int(value) and value in (0, 1)):
            raise _invalid(op, name, kind, value)
    elif kind.type is int:
        _check_int(op, name, kind, value)
    elif kind.type is float:
        if not isinstance(value, numbers.Real) or isinstance(value, bool) and kind.strict:
            raise _invalid(op, name, kind, value)
        if kind.low is not None and value < kind.low:
            raise MXNetError(f"value {value} for Parameter {name} should be greater equal "
                             f"to {kind.low}, in operator {op}")
    elif kind.type is tuple:
        if not kind.strict and isinstance(value, numbers.Real):
            return  # a tuple of floats given as one number (Normalize's mean)
        if not isinstance(value, tuple):
            raise _invalid(op, name, kind, value)
        for v in value:
            if v is None:
                continue
            if kind.strict or kind.low is not None:  # a shape: integer entries
                if not _is_int(v):
                    raise _invalid(op, name, kind, value)
                if kind.low is not None and v < kind.low:
                    raise MXNetError(f"{op}: every entry of {name} must be at least "
                                     f"{kind.low}, got {value}")
            elif not isinstance(v, numbers.Real):
                raise _invalid(op, name, kind, value)
