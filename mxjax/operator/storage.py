"""Storage-type inference: which operators keep MXNet's sparse storage types.

mxjax computes every operator on dense values (a sparse array is its dense value plus
its sparse structure, see ``mx.nd.sparse``). What MXNet's ``FInferStorageType`` decides
-- the storage type of each output for the storage types of the inputs, and so which
entries an output stores -- is kept here, one rule per operator, attached to its
``OpSpec`` as ``infer_storage``. An operator without a rule returns dense outputs for
sparse inputs, as MXNet's storage fallback does.

A rule is ``rule(attrs, stypes, shapes) -> Storage or None`` (None: every output dense;
``stypes`` and ``shapes`` are the inputs', None for an absent optional input); it may
raise ``MXNetError`` for storage types MXNet has no implementation for. ``Storage.outs``
gives per output its stype and structure:

- ``("same", i)``: the structure of input ``i``;
- ``("union", (i, j, ...))``: the union of those inputs' structures;
- ``("nonzero",)``: the nonzero entries of the computed value;
- ``("empty",)`` / ``("full",)``: nothing stored / everything stored;
- ``("fn", f, (i, ...))``: ``f(*args)`` of those inputs (their structure if sparse,
  else their value), a pure JAX function returning the structure mask;
- for a dense output, ``("value", f, (i, ...))``: its value is ``f(*args)`` (an operator
  that reads the structure itself, like ``getnnz``).

Structures are boolean masks: per row for ``row_sparse``, per element for ``csr``.
``Storage.lazy`` names the row_sparse gradient input of an optimizer update that changes
only the rows the gradient stores (MXNet's lazy update), or is None.

The operators MXNet also lists in ``mx.nd.sparse`` get their ``_sparse_`` alias here.
"""

import functools
from typing import NamedTuple

import jax.numpy as jnp

from ..base import MXNetError
from . import spec as _spec

__all__ = ["Storage", "SPARSE_ALIASES", "attach"]

DNS, RSP, CSR = "default", "row_sparse", "csr"


class Storage(NamedTuple):
    """The outcome of a storage rule: ``outs`` = ((stype, structure), ...) per output, and
    ``lazy``, the position of the row_sparse gradient of a lazy update (or None)."""

    outs: tuple
    lazy: int = None


def _one(stype, structure):
    return Storage(((stype, structure),))


def _unsupported(name, stypes, attrs=None):
    shown = ", ".join(s for s in stypes if s is not None)
    extra = f", params {dict(attrs)}" if attrs else ""
    return MXNetError(f"{name}: operator not implemented for input storage types "
                      f"[{shown}]{extra}")


def _on_dense_inputs(rule):
    """Mark a rule that applies to dense inputs too (the operator makes sparse outputs)."""
    rule.on_dense = True
    return rule


# ---- unary operators: zero-preserving ones keep the input's storage ------------------------
_KEEP_UNARY = (
    "abs arcsin arcsinh arctan arctanh cbrt ceil degrees expm1 fix floor log1p negative "
    "radians relu rint round sign sin sinh sqrt square tan tanh trunc _copy BlockGrad "
    "make_loss _contrib_round_ste _contrib_sign_ste"
).split()


def _keep_unary(attrs, stypes, shapes):
    if stypes[0] in (RSP, CSR):
        return _one(stypes[0], ("same", 0))
    return None


def _zeros_like(attrs, stypes, shapes):
    if stypes[0] in (RSP, CSR):
        return _one(stypes[0], ("empty",))
    return None


def _clip(attrs, stypes, shapes):
    if stypes[0] not in (RSP, CSR):
        return None
    if not attrs["a_min"] <= 0 <= attrs["a_max"]:  # MXNet: no kernel that fills zeros
        raise _unsupported("clip", stypes, {"a_min": attrs["a_min"], "a_max": attrs["a_max"]})
    return _one(stypes[0], ("same", 0))


# ---- scalar operators: sparse output when f(0, scalar) == 0 ---------------------------------
_SCALAR_AT_ZERO = {
    "_mul_scalar": lambda s: 0.0, "_div_scalar": lambda s: 0.0,
    "_plus_scalar": lambda s: s, "_minus_scalar": lambda s: -s,
    "_equal_scalar": lambda s: float(0 == s), "_not_equal_scalar": lambda s: float(0 != s),
    "_greater_scalar": lambda s: float(0 > s), "_greater_equal_scalar": lambda s: float(0 >= s),
    "_lesser_scalar": lambda s: float(0 < s), "_lesser_equal_scalar": lambda s: float(0 <= s),
}


def _scalar_rule(name):
    at_zero = _SCALAR_AT_ZERO[name]

    def rule(attrs, stypes, shapes):
        if stypes[0] in (RSP, CSR) and at_zero(float(attrs["scalar"])) == 0:
            return _one(stypes[0], ("same", 0))
        return None

    return rule


def _quadratic(attrs, stypes, shapes):
    """quadratic: a*x**2 + b*x + c keeps the storage when c == 0 (f(0) == 0)."""
    if stypes[0] in (RSP, CSR) and float(attrs["c"]) == 0:
        return _one(stypes[0], ("same", 0))
    return None


# ---- binary operators ---------------------------------------------------------------------
def _same_kind(attrs, stypes, shapes):
    """elemwise_add/sub, _maximum, ...: rsp with rsp -> rsp (union of rows); csr with csr ->
    csr (the nonzero results); anything else dense."""
    lhs, rhs = stypes[:2]
    if lhs == rhs == RSP:
        return _one(RSP, ("union", (0, 1)))
    if lhs == rhs == CSR:
        return _one(CSR, ("nonzero",))
    return None


def _elemwise_mul(attrs, stypes, shapes):
    lhs, rhs = stypes[:2]
    if lhs == rhs == RSP:
        return _one(RSP, ("union", (0, 1)))
    if lhs == rhs == CSR:
        return _one(CSR, ("nonzero",))
    if DNS in (lhs, rhs) and {lhs, rhs} & {RSP, CSR}:
        i = 0 if lhs != DNS else 1
        return _one(stypes[i], ("same", i))
    return None


def _broadcast_csr_dns(name):
    """broadcast_mul/div(csr, dense) -> csr; for a dense rhs that is a whole matrix (not a
    row or a column) MXNet multiplies elementwise and refuses to divide."""

    def rule(attrs, stypes, shapes):
        if stypes[0] != CSR or stypes[1] != DNS:
            return None
        rhs = shapes[1]
        if len(rhs) > 2:
            raise MXNetError(f"{name}: input dense matrix should have less than or equal to "
                             f"2 dimensions, got {rhs}")
        if name == "broadcast_div" and len(rhs) == 2 and 1 not in rhs:
            raise MXNetError("broadcast_div: Please use elemwise_div for division between csr "
                             "and dense of the same shape")
        return _one(CSR, ("same", 0))

    return rule


def _add_n(attrs, stypes, shapes):
    if stypes and all(s == RSP for s in stypes):
        return _one(RSP, ("union", tuple(range(len(stypes)))))
    return None


# ---- dot ------------------------------------------------------------------------------------
def _columns_present(mask):
    return jnp.any(mask, axis=0)


def _rows_present(mask):
    return jnp.any(mask, axis=1)


def _dns_csr(lhs, rhs_mask):
    """dot(dense, csr): every row stores the columns the csr stores anything in."""
    cols = _columns_present(rhs_mask)
    return jnp.broadcast_to(cols[None, :], (lhs.shape[0], cols.shape[0]))


def _dns_csrt(lhs, rhs_mask):
    """dot(dense, csr.T): the nonzero rows of the dense operand store the columns the csr
    has rows for."""
    rows = jnp.any(lhs.reshape(lhs.shape[0], -1) != 0, axis=1)
    return rows[:, None] & _rows_present(rhs_mask)[None, :]


def _dot(attrs, stypes, shapes):
    lhs, rhs = stypes[:2]
    forced = attrs.get("forward_stype")
    if forced not in (None, "None") and {lhs, rhs} & {RSP, CSR}:
        return None if forced == DNS else _one(forced, ("nonzero",))
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    if lhs == CSR and rhs in (DNS, RSP) and ta and not tb:
        # dot(csr.T, x): one output row per column of the csr that stores an entry
        return _one(RSP, ("fn", _columns_present, (0,)))
    if lhs == DNS and rhs == CSR and not ta:
        return _one(CSR, ("fn", _dns_csrt if tb else _dns_csr, (0, 1)))
    return None


# ---- shape and creation ---------------------------------------------------------------------
def _slice(attrs, stypes, shapes):
    if stypes[0] == CSR:
        return _one(CSR, ("fn", _sliced_mask(attrs), (0,)))
    return None


@functools.lru_cache(maxsize=256)
def _sliced_mask_fn(begin, end, step):
    impl = _spec.get("slice").impl

    def sliced(mask):
        return impl(mask.astype(jnp.int8), begin=begin, end=end, step=step) != 0

    return sliced


def _sliced_mask(attrs):
    return _sliced_mask_fn(attrs["begin"], attrs["end"], attrs["step"])


def _concat(attrs, stypes, shapes):
    if stypes and all(s == CSR for s in stypes) and attrs["dim"] == 0:
        return _one(CSR, ("fn", _concat_rows, tuple(range(len(stypes)))))
    return None


def _concat_rows(*masks):
    return jnp.concatenate(masks, axis=0)


@_on_dense_inputs
def _cast_storage(attrs, stypes, shapes):
    src, dst = stypes[0], attrs["stype"]
    if dst not in (DNS, RSP, CSR):
        raise MXNetError(f"cast_storage: unknown storage type {dst!r}")
    if {src, dst} == {RSP, CSR}:
        raise MXNetError(f"cast_storage from {src} to {dst} is not supported")
    if dst == DNS:
        return None
    return _one(dst, ("same", 0) if src == dst else ("nonzero",))


# ---- sparse-only operators ------------------------------------------------------------------
def _retain(attrs, stypes, shapes):
    if stypes[0] != RSP:
        raise _unsupported("_sparse_retain", stypes)
    return _one(RSP, ("fn", _retained_rows, (0, 1)))


def _retained_rows(mask, indices):
    return jnp.zeros_like(mask).at[indices.astype(jnp.int64)].set(True, mode="drop")


def _square_sum(attrs, stypes, shapes):
    if stypes[0] != RSP:
        raise _unsupported("_square_sum", stypes)
    axis = attrs["axis"]
    if attrs["keepdims"] and axis in ((1,), (-1,), 1, -1):
        return _one(RSP, ("same", 0))
    return None


def _take(attrs, stypes, shapes):
    if stypes[0] == CSR and attrs["axis"] == 0 and stypes[1] == DNS:
        return _one(CSR, ("fn", _taken_rows(attrs["mode"]), (0, 1)))
    return None


@functools.lru_cache(maxsize=8)
def _taken_rows(mode):
    impl = _spec.get("take").impl

    def taken(mask, indices):
        return impl(mask.astype(jnp.int8), indices, axis=0, mode=mode) != 0

    return taken


def _getnnz(attrs, stypes, shapes):
    if stypes[0] != CSR:
        raise _unsupported("_contrib_getnnz", stypes)
    return _one(DNS, ("value", _stored_count(attrs["axis"]), (0,)))


@functools.lru_cache(maxsize=8)
def _stored_count(axis):
    from .sparse_ops import count_stored

    return functools.partial(count_stored, axis=axis)


# ---- optimizer updates ----------------------------------------------------------------------
def _std_opt(num_states):
    """sgd_mom_update, adam_update: lazy when the gradient is row_sparse, the states share
    the weight's storage type and lazy_update is set; otherwise a dense (standard) update."""

    def rule(attrs, stypes, shapes):
        weight, grad, states = stypes[0], stypes[1], stypes[2:2 + num_states]
        if grad != RSP or weight not in (DNS, RSP):
            return None
        lazy = attrs["lazy_update"] and all(s == weight for s in states)
        return Storage(((weight, ("same", 0)),), 1 if lazy else None)

    return rule


def _sgd(attrs, stypes, shapes):
    weight, grad = stypes[:2]
    if grad != RSP or weight not in (DNS, RSP):
        return None
    return Storage(((weight, ("same", 0)),), 1 if attrs["lazy_update"] else None)


def _ftrl(attrs, stypes, shapes):
    if all(s == RSP for s in stypes[:4]):
        return Storage(((RSP, ("same", 0)),), 1)
    return None


def _adagrad_like(name, need_zero_wd):
    def rule(attrs, stypes, shapes):
        weight, grad, history = stypes[:3]
        if grad == DNS and weight in (DNS, None) and history in (DNS, None):
            return None  # MXNet has no dense _sparse_adagrad_update; mxjax computes it
        ok = grad == RSP and weight in (DNS, RSP) and history == weight
        if not ok or (need_zero_wd and attrs.get("wd", 0.0) != 0.0):
            raise _unsupported(name, stypes, {"wd": attrs.get("wd")} if need_zero_wd else None)
        return Storage(((weight, ("same", 0)),), 1)

    return rule


def _embedding(attrs, stypes, shapes):
    if stypes[1] == CSR:
        raise _unsupported("Embedding", stypes)
    return None


# ---- the table ------------------------------------------------------------------------------
def _rules():
    rules = {name: _keep_unary for name in _KEEP_UNARY}
    rules.update({name: _scalar_rule(name) for name in _SCALAR_AT_ZERO})
    rules.update({name: _same_kind for name in ("elemwise_add", "elemwise_sub", "_grad_add",
                                                "_maximum", "_minimum", "_hypot")})
    rules.update({
        "zeros_like": _zeros_like, "clip": _clip, "elemwise_mul": _elemwise_mul,
        "broadcast_mul": _broadcast_csr_dns("broadcast_mul"),
        "broadcast_div": _broadcast_csr_dns("broadcast_div"),
        "add_n": _add_n, "dot": _dot, "Embedding": _embedding, "take": _take,
        "_contrib_getnnz": _getnnz, "_contrib_quadratic": _quadratic, "slice": _slice,
        "Concat": _concat,
        "cast_storage": _cast_storage, "_sparse_retain": _retain, "_square_sum": _square_sum,
        "sgd_update": _sgd, "sgd_mom_update": _std_opt(1), "adam_update": _std_opt(2),
        "ftrl_update": _ftrl,
        "_sparse_adagrad_update": _adagrad_like("_sparse_adagrad_update", True),
        "_contrib_group_adagrad_update": _adagrad_like("_contrib_group_adagrad_update", False),
    })
    return rules


# The operators of MXNet 1.9.1's ``mx.nd.sparse`` / ``mx.sym.sparse`` (its ``_sparse_``
# aliases); ``retain`` and ``adagrad_update`` are their own ``_sparse_`` operators.
SPARSE_ALIASES = (
    "ElementWiseSum Embedding FullyConnected LinearRegressionOutput LogisticRegressionOutput "
    "MAERegressionOutput _contrib_round_ste _contrib_sign_ste abs adam_update add_n arccos "
    "arccosh arcsin arcsinh arctan arctanh broadcast_add broadcast_div broadcast_minus "
    "broadcast_mul broadcast_plus broadcast_sub cast_storage cbrt ceil clip concat cos cosh "
    "degrees dot elemwise_add elemwise_div elemwise_mul elemwise_sub exp expm1 fix floor "
    "ftrl_update gamma gammaln log log10 log1p log2 make_loss mean negative norm radians relu "
    "rint round rsqrt sgd_mom_update sgd_update sigmoid sign sin sinh slice sqrt square "
    "stop_gradient sum tan tanh trunc where zeros_like"
).split()


def _attach():
    for name, rule in _rules().items():
        try:
            _spec.get(name).infer_storage = rule
        except MXNetError:  # an operator this build does not register
            continue
    for name in SPARSE_ALIASES:
        try:
            _spec.add_alias(name, "_sparse_" + name)
        except MXNetError:
            continue


def attach():
    """Attach every rule and alias (once all operators are registered)."""
    if not _attached:
        _attach()
        _attached.append(True)


_attached = []
