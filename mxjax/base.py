"""Errors and small shared helpers (mirrors ``mxnet.base``)."""

__all__ = ["MXNetError", "NotSupportedForSparseNDArray", "numeric_types", "integer_types",
           "string_types"]

import numbers

import numpy as np


class MXNetError(RuntimeError):
    """The error MXNet raises when no more specific Python error applies."""


class NotSupportedForSparseNDArray(MXNetError):
    """mxjax stores every array densely; sparse-only calls raise this."""


numeric_types = (float, int, np.generic, numbers.Number)
integer_types = (int, np.integer)
string_types = (str,)


def shape_error(op, arg, got, expected, **context):
    """An MXNetError naming the operator, the argument and the shapes involved."""
    details = ", ".join(f"{k}={v}" for k, v in context.items())
    tail = f" ({details})" if details else ""
    return MXNetError(f"{op}: {arg} has shape {tuple(got)}, expected {expected}{tail}")
