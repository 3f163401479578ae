"""Operator golden cases, as plain data, plus the one routine that runs a case.

Each :class:`Case` is one call of ``mx.nd.<op>`` (or of an NDArray method): the inputs to
build, the attributes, which inputs get gradients and how closely mxjax must match MXNet
1.9.1. ``generate_ops.py`` runs every case through real MXNet and writes the results to
``goldens/ops_<family>.npz``; ``tests/test_ops_golden.py`` runs the same cases through
mxjax with :func:`run_case` and compares. Only numpy and the standard library are
imported here, so both environments (numpy 1.23 + MXNet, numpy 2.x + mxjax) load it.
"""

from __future__ import annotations

import ast
import contextlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# ----------------------------------------------------------------------------------------
# Case model
# ----------------------------------------------------------------------------------------

# Generators whose values are indices or lengths: such inputs get no gradient by default.
_INDEX_GENS = ("int", "seqlen")


@dataclass(frozen=True)
class Arr:
    """An NDArray argument, built by :func:`make_inputs` and passed as
    ``mx.nd.array(a, dtype=a.dtype)``; positionally, or as keyword ``name`` if given."""

    shape: tuple
    dtype: str = "float32"
    gen: str = "normal"
    grad: bool | None = None  # None: floating inputs that are not indices get a gradient
    name: str | None = None

    @property
    def wants_grad(self) -> bool:
        if self.grad is not None:
            return self.grad
        return np.dtype(self.dtype).kind == "f" and not self.gen.startswith(_INDEX_GENS)


@dataclass(frozen=True)
class Py:
    """A plain Python argument (scalar, shape tuple, slice...) passed as is."""

    value: object
    name: str | None = None


@dataclass(frozen=True)
class Case:
    """One operator call. ``inputs`` mixes :class:`Arr` and :class:`Py`; "array index"
    below means the position among the ``Arr`` inputs only."""

    id: str  # "<family>/<readable name>", unique
    family: str
    op: str  # dotted name under mx.nd ("linalg.gemm2"), or a method name if `method`
    inputs: tuple = ()
    attrs: dict = field(default_factory=dict)
    method: bool = False  # call getattr(first input, op)(*other inputs, **attrs)
    grad: bool = True  # run backward when some input wants a gradient
    train_mode: bool | None = None  # None: record() default; else record(train_mode=...)
    heads: tuple | None = None  # outputs given head gradients (None: all outputs)
    mutated: tuple = ()  # array indices whose values after the call are checked
    undefined: tuple = ()  # outputs whose values MXNet leaves unset: check shape/dtype only
    error: bool = False  # MXNet is expected to raise
    tol: tuple | None = None  # (rtol, atol) for floating results, overrides the default

    @property
    def arrays(self) -> list[Arr]:
        return [a for a in self.inputs if isinstance(a, Arr)]

    @property
    def grad_inputs(self) -> list[int]:
        """Array indices that get ``attach_grad()``."""
        if not self.grad or self.error:
            return []
        return [i for i, a in enumerate(self.arrays) if a.wants_grad]

    def spec(self) -> str:
        """Everything the golden values depend on; a change means regenerate."""
        fields = (self.op, self.inputs, sorted(self.attrs.items()), self.method,
                  self.grad_inputs, self.train_mode, self.heads, self.mutated)
        return repr(fields)


# Default (rtol, atol) per dtype. float64 allows ~1e-8: some MXNet float64 kernels use
# float32 constants. float32/float64 results of families that sum many terms (in an order
# MXNet does not define) get 10x looser.
_TOL = {"float16": (1e-2, 1e-2), "float32": (1e-5, 1e-6), "float64": (1e-7, 1e-10)}
_LOOSE = {"nn": 10.0, "rnn": 10.0, "linalg": 10.0}


def tolerance(case: Case, dtype) -> tuple[float, float]:
    """(rtol, atol) for comparing a result of `dtype`; integers and bools compare exactly."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return 0.0, 0.0
    if case.tol is not None:
        return case.tol
    rtol, atol = _TOL.get(dtype.name, _TOL["float32"])
    scale = _LOOSE.get(case.family, 1.0) if dtype.name != "float16" else 1.0
    return rtol * scale, atol * scale


# ----------------------------------------------------------------------------------------
# Input values
# ----------------------------------------------------------------------------------------


def _batched_eye(shape):
    return np.broadcast_to(np.eye(shape[-1]), shape)


def _spd(rng, shape):
    b = rng.standard_normal(shape)
    return b @ np.swapaxes(b, -1, -2) / shape[-1] + _batched_eye(shape)


def _distinct(rng, shape):
    """All values different (a shuffled integer range), so sort orders are unambiguous."""
    size = int(np.prod(shape))
    return (rng.permutation(size) - size // 2).reshape(shape)


_GENERATORS: dict[str, Callable] = {
    "normal": lambda rng, shape, scale=1.0: scale * rng.standard_normal(shape),
    "uniform": lambda rng, shape, lo, hi: rng.uniform(lo, hi, shape),
    "positive": lambda rng, shape: rng.uniform(0.5, 2.0, shape),
    "nonzero": lambda rng, shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2, shape),
    "int": lambda rng, shape, lo, hi: rng.integers(lo, hi, shape),  # [lo, hi)
    "seqlen": lambda rng, shape, maxlen: rng.integers(1, maxlen + 1, shape),
    "choice": lambda rng, shape, *values: rng.choice(np.array(values), shape),
    # values on a coarse grid, so zeros and equal pairs (ties) are frequent
    "ties": lambda rng, shape: rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], shape),
    "halves": lambda rng, shape: rng.integers(-3, 3, shape) + 0.5,
    "distinct": _distinct,
    # square matrices in the last two axes: symmetric positive definite, its Cholesky
    # factor, or a diagonally dominant general matrix
    "spd": _spd,
    "chol": lambda rng, shape: np.linalg.cholesky(_spd(rng, shape)),
    "wellcond": lambda rng, shape: 0.5 * rng.standard_normal(shape) + 2 * _batched_eye(shape),
}

_GEN_RE = re.compile(r"^(\w+)(?:\((.*)\))?$")


def _generate(spec: Arr, rng: np.random.Generator) -> np.ndarray:
    match = _GEN_RE.match(spec.gen)
    if match is None or match.group(1) not in _GENERATORS:
        raise ValueError(f"unknown input generator {spec.gen!r}")
    args = ast.literal_eval(f"({match.group(2)},)") if match.group(2) else ()
    values = _GENERATORS[match.group(1)](rng, tuple(spec.shape), *args)
    return np.asarray(values).astype(spec.dtype)


# Golden files: goldens/ops_<family>.npz holds, per case, arrays under
# "<case id>:<kind><n>" (kind: in, out, head, grad, mutated) and one JSON manifest.
GOLDEN_PATTERN = "ops_{family}.npz"
MANIFEST_KEY = "__manifest__"


def golden_key(case: Case, kind: str, index: int) -> str:
    return f"{case.id}:{kind}{index}"


def case_seed(case: Case, salt: str = "") -> int:
    return zlib.crc32((case.id + salt).encode())


def make_inputs(case: Case, rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """The numpy values of the case's array inputs, deterministic for a given case id."""
    rng = rng if rng is not None else np.random.default_rng(case_seed(case))
    return [_generate(spec, rng) for spec in case.arrays]


def random_head_grads(rng: np.random.Generator) -> Callable:
    """A `head_grads` callback for :func:`run_case` drawing values like the outputs."""

    def make(heads: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for h in heads:
            values = (rng.standard_normal(h.shape) if h.dtype.kind == "f"
                      else rng.integers(-2, 3, h.shape))
            out.append(np.asarray(values).astype(h.dtype))
        return out

    return make


def rnn_param_size(mode, num_layers, input_size, state_size, bidirectional=False):
    """Length of RNN's packed parameter vector (all weights, then all biases)."""
    gates = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]
    dirs = 2 if bidirectional else 1
    size = 0
    for layer in range(num_layers):
        layer_in = input_size if layer == 0 else state_size * dirs
        size += dirs * gates * state_size * (layer_in + state_size + 2)
    return size


# ----------------------------------------------------------------------------------------
# Running a case (shared by the generator and the test, against mxnet or mxjax)
# ----------------------------------------------------------------------------------------


@dataclass
class CaseResult:
    outputs: list[np.ndarray]  # asnumpy() of every output
    out_meta: list[tuple]  # (tuple(out.shape), np.dtype(out.dtype)) of every output
    multi: bool  # the op returned a list rather than one NDArray
    head_grads: list[np.ndarray]
    grads: list[np.ndarray]  # input gradients, in `case.grad_inputs` order
    mutated: list[np.ndarray]  # values of `case.mutated` inputs after the call


def _resolve(mx, case: Case, nds: list):
    if case.method:
        return getattr(nds[0], case.op)
    fn = mx.nd
    for part in case.op.split("."):
        fn = getattr(fn, part)
    return fn


def _bind(case: Case, nds: list):
    args, kwargs, it = [], dict(case.attrs), iter(nds)
    for spec in case.inputs:
        value = next(it) if isinstance(spec, Arr) else spec.value
        if spec.name is None:
            args.append(value)
        else:
            kwargs[spec.name] = value
    return (args[1:] if case.method else args), kwargs


def run_case(mx, case: Case, arrays: list[np.ndarray], head_grads: Callable) -> CaseResult:
    """Run `case` through the module `mx` (mxnet or mxjax) as a user script would.

    `arrays` are the input values; `head_grads(heads)` gets the differentiated outputs as
    numpy arrays and returns their head gradients. Errors propagate to the caller.
    """
    nds = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
    fn = _resolve(mx, case, nds)
    args, kwargs = _bind(case, nds)
    grad_idx = case.grad_inputs
    hg: list[np.ndarray] = []
    if grad_idx:
        for i in grad_idx:
            nds[i].attach_grad()
        record = (mx.autograd.record() if case.train_mode is None
                  else mx.autograd.record(train_mode=case.train_mode))
        with record:
            out = fn(*args, **kwargs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        picked = range(len(outs)) if case.heads is None else case.heads
        heads = [outs[i] for i in picked]
        hg = head_grads([h.asnumpy() for h in heads])
        mx.autograd.backward(heads, head_grads=[mx.nd.array(h, dtype=h.dtype) for h in hg])
    else:
        mode = {None: contextlib.nullcontext, True: mx.autograd.train_mode,
                False: mx.autograd.predict_mode}[case.train_mode]
        with mode():
            out = fn(*args, **kwargs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return CaseResult(
        outputs=[o.asnumpy() for o in outs],
        out_meta=[(tuple(o.shape), np.dtype(o.dtype)) for o in outs],
        multi=isinstance(out, (list, tuple)),
        head_grads=hg,
        grads=[nds[i].grad.asnumpy() for i in grad_idx],
        mutated=[nds[i].asnumpy() for i in case.mutated],
    )


# ----------------------------------------------------------------------------------------
# Case lists, one builder per family
# ----------------------------------------------------------------------------------------

_BUILDERS: dict[str, Callable] = {}


def _family(name):
    def register(builder):
        _BUILDERS[name] = builder
        return builder

    return register


def _fmt(value) -> str:
    """Compact id text for an attribute value: (1, 2) -> 1x2, None -> none."""
    if isinstance(value, (tuple, list)):
        return "x".join(_fmt(v) for v in value) or "empty"
    return str(value).lower()


def _dt(dtype: str) -> str:
    return {"float32": "f32", "float16": "f16", "float64": "f64", "int32": "i32",
            "int64": "i64", "uint8": "u8"}[dtype]


FLOATS = ("float32", "float64", "float16")

# Unary elementwise ops: input generator for float inputs, and whether int32 is covered.
_UNARY = {
    "abs": ("normal", True), "negative": ("normal", True), "sign": ("normal", True),
    "square": ("normal", True), "relu": ("normal", True),
    "ceil": ("uniform(-3,3)", True), "floor": ("uniform(-3,3)", True),
    "fix": ("uniform(-3,3)", True), "trunc": ("uniform(-3,3)", True),
    "round": ("uniform(-3,3)", True), "rint": ("uniform(-3,3)", True),
    "cos": ("normal", False), "sin": ("normal", False), "tan": ("uniform(-1.2,1.2)", False),
    "tanh": ("normal", False), "sigmoid": ("normal", False), "erf": ("normal", False),
    "exp": ("normal", False), "expm1": ("normal", False),
    "log": ("positive", False), "log10": ("positive", False), "log2": ("positive", False),
    "log1p": ("uniform(-0.5,2)", False), "sqrt": ("positive", False),
    "rsqrt": ("positive", False), "reciprocal": ("nonzero", False),
    "BlockGrad": ("normal", False), "stop_gradient": ("normal", False),
}


@_family("elemwise")
def _elemwise(add):
    shapes = {"float32": (3, 4), "float64": (2, 5), "float16": (6,)}
    for op, (gen, has_int) in _UNARY.items():
        for dtype in FLOATS:
            add(f"{op}-{_dt(dtype)}", op, Arr(shapes[dtype], dtype, gen))
        if has_int:
            add(f"{op}-i32", op, Arr((3, 4), "int32", "int(-5,6)"))
    for op in ("relu", "abs", "sign"):  # gradients exactly at 0
        add(f"{op}-ties", op, Arr((4, 5), gen="ties"))
    for op in ("round", "rint", "fix", "trunc", "ceil", "floor"):
        add(f"{op}-halves", op, Arr((12,), gen="halves"))
        add(f"{op}-halves-f16", op, Arr((12,), "float16", "halves"))
    add("exp-1elem", "exp", Arr((1,)))
    add("exp-4d", "exp", Arr((2, 1, 3, 2)))
    for lo, hi, gen in ((-0.5, 0.5, "ties"), (0.0, 1.5, "normal"), (-1, 1, "normal")):
        add(f"clip-{lo}-{hi}-{gen}", "clip", Arr((3, 5), gen=gen), a_min=lo, a_max=hi)
    add("clip-f64", "clip", Arr((6,), "float64"), a_min=-0.3, a_max=0.3)
    add("clip-f16", "clip", Arr((6,), "float16"), a_min=-0.3, a_max=0.3)
    add("clip-i32", "clip", Arr((3, 4), "int32", "int(-5,6)"), a_min=-2, a_max=3)
    casts = (("float32", "int32", "uniform(-4,4)"), ("float32", "float16", "normal"),
             ("float32", "float64", "normal"), ("int32", "float32", "int(-5,6)"),
             ("float64", "float32", "normal"), ("float16", "float32", "normal"),
             ("float32", "uint8", "uniform(0,200)"), ("int32", "int64", "int(-5,6)"))
    for src, dst, gen in casts:
        add(f"cast-{_dt(src)}-to-{_dt(dst)}", "cast", Arr((3, 4), src, gen), dtype=dst)
    add("Cast-legacy", "Cast", Arr((2, 3), gen="uniform(-4,4)"), dtype="int32")
    add("cast-bad-dtype", "cast", Arr((2, 3)), dtype="complex64", error=True)


_BROADCAST_BINARY = ("add", "sub", "minus", "plus", "mul", "div", "power", "maximum",
                     "minimum", "equal", "not_equal", "greater", "greater_equal", "lesser",
                     "lesser_equal")
_COMPARISONS = ("equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal")


def _binary_gens(op: str, dtype: str = "float32") -> tuple[str, str]:
    if np.dtype(dtype).kind == "i":
        if op in ("div", "divide", "mod"):
            return "int(-9,10)", "choice(-4,-3,-2,2,3,4)"
        return ("int(-9,10)", "int(0,4)") if op == "power" else ("int(-4,5)", "int(-4,5)")
    if op in ("power",):
        return "positive", "uniform(-2,2)"
    if op in ("div", "divide"):
        return "normal", "nonzero"
    if op in _COMPARISONS + ("maximum", "minimum"):
        return "ties", "ties"  # equal pairs test ==, >= and the tie gradients
    return "normal", "normal"


@_family("broadcast")
def _broadcast(add):
    pairs = {"same": ((3, 4), (3, 4)), "col-row": ((3, 1), (1, 4)),
             "rank": ((2, 3, 4), (3, 1)), "lhs1": ((1, 4), (2, 3, 4))}
    for op in _BROADCAST_BINARY:
        for tag, (ls, rs) in pairs.items():
            lg, rg = _binary_gens(op)
            add(f"broadcast_{op}-{tag}", f"broadcast_{op}", Arr(ls, gen=lg), Arr(rs, gen=rg))
        add(f"broadcast_{op}-mismatch", f"broadcast_{op}", Arr((3, 4)), Arr((2, 4)),
            error=True)
    extra = {"int32": ("add", "sub", "mul", "div", "power", "maximum", "minimum", "equal",
                       "greater", "lesser_equal"),
             "float16": ("add", "mul", "div", "maximum", "power", "greater"),
             "float64": ("add", "div", "power", "minimum", "not_equal")}
    for dtype, ops in extra.items():
        for op in ops:
            lg, rg = _binary_gens(op, dtype)
            add(f"broadcast_{op}-{_dt(dtype)}", f"broadcast_{op}",
                Arr((3, 4), dtype, lg), Arr((3, 1), dtype, rg))
    add("broadcast_to-col", "broadcast_to", Arr((3, 1)), shape=(3, 4))
    # MXNet's broadcast_to requires the same ndim
    add("broadcast_to-rank", "broadcast_to", Arr((1, 4)), shape=(2, 3, 4), error=True)
    add("broadcast_to-keep0", "broadcast_to", Arr((3, 1)), shape=(0, 5))
    add("broadcast_to-i32", "broadcast_to", Arr((1, 3), "int32", "int(-5,5)"), shape=(2, 3))
    add("broadcast_to-bad", "broadcast_to", Arr((3, 2)), shape=(3, 4), error=True)
    add("broadcast_like", "broadcast_like", Arr((3, 1)), Arr((3, 4)))
    add("broadcast_like-axes", "broadcast_like", Arr((1, 4)), Arr((5, 3)), lhs_axes=(0,),
        rhs_axes=(0,))
    add("broadcast_like-neg-axes", "broadcast_like", Arr((2, 1, 1)), Arr((6, 3)),
        lhs_axes=(-1, 1), rhs_axes=(1, 0))
    add("broadcast_axis", "broadcast_axis", Arr((1, 3, 1)), axis=(0, 2), size=(2, 4))
    for op in ("add", "sub", "mul", "div"):
        lg, rg = _binary_gens(op)
        add(f"elemwise_{op}", f"elemwise_{op}", Arr((2, 3), gen=lg), Arr((2, 3), gen=rg))
        add(f"elemwise_{op}-i32", f"elemwise_{op}", *(Arr((5,), "int32", g)
                                                      for g in _binary_gens(op, "int32")))
        add(f"elemwise_{op}-no-broadcast", f"elemwise_{op}", Arr((2, 3)), Arr((1, 3)),
            error=True)


# nd.<function>: the operator-style functions dispatching on NDArray vs scalar arguments.
_OPERATOR_FUNCS = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div",
                   "power": "power", "maximum": "maximum", "minimum": "minimum",
                   "equal": "equal", "not_equal": "not_equal", "greater": "greater",
                   "greater_equal": "greater_equal", "lesser": "lesser",
                   "lesser_equal": "lesser_equal"}


@_family("operator")
def _operator(add):
    for fn, kind in _OPERATOR_FUNCS.items():
        lg, rg = _binary_gens(kind)
        add(f"{fn}-nd-nd", fn, Arr((3, 1), gen=lg), Arr((1, 4), gen=rg))
        scalar = 0.5 if kind != "power" else 1.5
        add(f"{fn}-nd-scalar", fn, Arr((3, 4), gen=lg), Py(scalar))
        add(f"{fn}-scalar-nd", fn, Py(2.0 if kind == "power" else scalar), Arr((3, 4), gen=rg))
        il, _ = _binary_gens(kind, "int32")
        add(f"{fn}-i32-scalar", fn, Arr((3, 4), "int32", il), Py(2 if kind != "div" else 3))
    add("divide-i32-i32", "divide", *(Arr((2, 5), "int32", g)
                                      for g in _binary_gens("div", "int32")))


@_family("methods")
def _methods(add):
    bins = {"__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div",
            "__mod__": "mod", "__pow__": "power", "__eq__": "equal", "__ne__": "not_equal",
            "__gt__": "greater", "__ge__": "greater_equal", "__lt__": "lesser",
            "__le__": "lesser_equal"}
    for name, kind in bins.items():
        lg, rg = _binary_gens(kind if kind != "mod" else "div")
        add(f"{name}-nd", name, Arr((3, 4), gen=lg), Arr((3, 4), gen=rg), method=True)
        add(f"{name}-scalar", name, Arr((3, 4), gen=lg), Py(0.5 if kind != "mod" else 0.75),
            method=True)
    for name in ("__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rmod__", "__rpow__"):
        gen = "positive" if name == "__rpow__" else "nonzero"
        add(f"{name}-scalar", name, Arr((3, 4), gen=gen), Py(2.0), method=True)
    for name in ("__truediv__", "__mod__", "__rtruediv__", "__rmod__"):
        add(f"{name}-i32-scalar", name, Arr((2, 6), "int32", "choice(-7,-5,-3,3,5,7)"),
            Py(2), method=True)
    for name in ("__truediv__", "__mod__"):
        add(f"{name}-i32-nd", name, *(Arr((2, 5), "int32", g)
                                      for g in _binary_gens("div", "int32")), method=True)
    add("__mod__-f32-neg", "__mod__", Arr((3, 4), gen="uniform(-5,5)"),
        Arr((3, 4), gen="choice(-2.0,-1.5,1.5,2.0)"), method=True)
    add("__add__-broadcast", "__add__", Arr((3, 1)), Arr((1, 4)), method=True)
    add("__add__-mismatch", "__add__", Arr((3, 4)), Arr((2, 4)), method=True, error=True)
    add("__neg__", "__neg__", Arr((3, 4)), method=True)
    add("__abs__-ties", "__abs__", Arr((3, 4), gen="ties"), method=True)
    indices = {"int": 1, "neg-int": -1, "slice": slice(1, 3), "step": slice(None, None, 2),
               "pair": (1, 2), "col": (slice(None), 1),
               "rows-cols": (slice(0, 2), slice(1, None))}
    for tag, index in indices.items():
        add(f"__getitem__-{tag}", "__getitem__", Arr((3, 4)), Py(index), method=True)
    add("__getitem__-3d-int", "__getitem__", Arr((2, 3, 4)), Py((1, slice(None), 2)),
        method=True)
    add("__getitem__-nd-index", "__getitem__", Arr((4, 3)), Arr((5,), gen="int(0,4)"),
        method=True)
    add("__getitem__-out-of-range", "__getitem__", Arr((3, 4)), Py(3), method=True,
        error=True)
    add("reshape-codes", "reshape", Arr((2, 3, 4)), Py((0, -1)), method=True)
    add("reshape-too-big", "reshape", Arr((2, 3, 4)), Py((5, 5)), method=True, error=True)
    add("reshape-kw", "reshape", Arr((2, 3, 4)), method=True, shape=(-1, 4))
    add("astype-i32", "astype", Arr((3, 4), gen="uniform(-4,4)"), Py("int32"), method=True)
    add("sum-axis", "sum", Arr((3, 4)), method=True, axis=1)
    add("round", "round", Arr((8,), gen="halves"), method=True)
    add("rint", "rint", Arr((8,), gen="halves"), method=True)
    add("clip", "clip", Arr((3, 4)), Py(-0.5), Py(0.5), method=True)
    add("transpose", "transpose", Arr((2, 3, 4)), method=True, axes=(2, 0, 1))
    add("softmax", "softmax", Arr((3, 4)), method=True, axis=0)


_REDUCE = ("sum", "mean", "prod", "max", "min")


@_family("reduce")
def _reduce(add):
    axes = {"all": {}, "axis1": {"axis": 1}, "axis-neg": {"axis": -1},
            "axis02": {"axis": (0, 2)}, "axis1-keepdims": {"axis": 1, "keepdims": True},
            "all-keepdims": {"keepdims": True}, "exclude1": {"axis": 1, "exclude": True},
            "exclude02-keepdims": {"axis": (0, 2), "exclude": True, "keepdims": True},
            "empty-tuple": {"axis": ()}}
    for op in _REDUCE:
        gen = "nonzero" if op == "prod" else "normal"  # prod'(0) is nan in MXNet 1.9.1
        for tag, kw in axes.items():
            add(f"{op}-{tag}", op, Arr((2, 3, 4), gen=gen), **kw)
        add(f"{op}-f64", op, Arr((3, 4), "float64", gen), axis=0)
        add(f"{op}-f16", op, Arr((3, 4), "float16", gen), axis=1)
        add(f"{op}-i32", op, Arr((3, 4), "int32", "int(-3,4)"), axis=1)
        add(f"{op}-i32-all", op, Arr((2, 3), "int32", "int(1,4)"))
        add(f"{op}-bad-axis", op, Arr((2, 3)), axis=2, error=True)
    for op in ("max", "min"):  # MXNet passes the gradient to every tied extremum
        add(f"{op}-ties-axis", op, Arr((4, 5), gen="ties"), axis=1)
        add(f"{op}-ties-all", op, Arr((3, 3), gen="choice(0.0,1.0)"))
    add("sum-empty", "sum", Arr((0, 3)), axis=0, grad=False)
    add("sum-1d", "sum", Arr((7,)))
    for ord_ in (1, 2):
        for tag, kw in {"all": {}, "axis1": {"axis": 1}, "axis-neg-keepdims":
                        {"axis": -1, "keepdims": True}, "axis01": {"axis": (0, 1)}}.items():
            add(f"norm-ord{ord_}-{tag}", "norm", Arr((2, 3, 4), gen="nonzero"), ord=ord_, **kw)
        add(f"norm-ord{ord_}-f64", "norm", Arr((3, 4), "float64", "nonzero"), ord=ord_, axis=0)
    add("norm-f16", "norm", Arr((3, 4), "float16", "nonzero"), axis=1)
    add("norm-ord3", "norm", Arr((3, 4)), ord=3, error=True)
    for op in ("argmax", "argmin"):
        for tag, kw in {"all": {}, "axis1": {"axis": 1}, "axis-neg-keepdims":
                        {"axis": -1, "keepdims": True}, "axis0": {"axis": 0}}.items():
            add(f"{op}-{tag}", op, Arr((3, 4, 2), gen="distinct"), grad=False, **kw)
        add(f"{op}-ties", op, Arr((4, 6), gen="choice(0.0,1.0)"), axis=1, grad=False)
        add(f"{op}-i32", op, Arr((3, 5), "int32", "distinct"), axis=1)
        add(f"{op}-f64", op, Arr((3, 5), "float64", "distinct"), axis=0, grad=False)
        add(f"{op}-grad-zero", op, Arr((3, 4), gen="distinct"), axis=1)


@_family("shape")
def _shape(add):
    reshapes = {"plain": ((2, 3, 4), (4, 6)), "keep0": ((2, 3, 4), (0, -1)),
                "infer": ((2, 3, 4), (-1,)), "copy-rest": ((2, 3, 4), (-2,)),
                "keep0-rest": ((2, 3, 4, 1), (0, -2)), "merge": ((2, 3, 4), (-3, 4)),
                "merge-tail": ((2, 3, 4), (0, -3)), "split": ((6, 4), (-4, 2, 3, -2)),
                "split-infer": ((6, 4), (-4, -1, 2, 0)), "mixed": ((2, 3, 4, 5), (-3, -2)),
                "to-1d": ((2, 3), (6,))}
    for tag, (shape, target) in reshapes.items():
        add(f"reshape-{tag}", "reshape", Arr(shape), shape=target)
    add("reshape-reverse", "reshape", Arr((10, 5, 4)), shape=(-1, 0), reverse=True)
    add("reshape-reverse-keep", "reshape", Arr((2, 3, 4)), shape=(0, -1), reverse=True)
    add("reshape-i32", "reshape", Arr((2, 6), "int32", "int(0,9)"), shape=(3, -1))
    add("reshape-two-infer", "reshape", Arr((2, 3, 4)), shape=(-1, -1), error=True)
    add("Reshape-legacy", "Reshape", Arr((2, 3, 4)), shape=(-3, 0))
    add("reshape_like", "reshape_like", Arr((2, 3, 4)), Arr((6, 4)))
    add("reshape_like-ranges", "reshape_like", Arr((2, 3, 4)), Arr((5, 6, 7)),
        lhs_begin=0, lhs_end=2, rhs_begin=1, rhs_end=2)
    add("reshape_like-bad", "reshape_like", Arr((2, 3)), Arr((4, 2)), error=True)
    for op in ("flatten", "Flatten"):
        add(f"{op}-3d", op, Arr((2, 3, 4)))
        add(f"{op}-2d", op, Arr((2, 3)))
    add("flatten-1d", "flatten", Arr((5,)))
    for axis in (0, 1, -1, 2):
        add(f"expand_dims-{axis}", "expand_dims", Arr((2, 3)), axis=axis)
    add("expand_dims-bad", "expand_dims", Arr((2, 3)), axis=4, error=True)
    add("squeeze-all", "squeeze", Arr((1, 3, 1, 2)))
    add("squeeze-axis", "squeeze", Arr((1, 3, 1, 2)), axis=2)
    add("squeeze-axes", "squeeze", Arr((1, 3, 1, 2)), axis=(0, -2))
    add("squeeze-to-1", "squeeze", Arr((1, 1)))
    add("squeeze-bad", "squeeze", Arr((1, 3)), axis=1, error=True)
    for axes in (None, (1, 0, 2), (2, 0, 1)):  # MXNet rejects negative axes
        kw = {} if axes is None else {"axes": axes}
        add(f"transpose-{_fmt(axes)}", "transpose", Arr((2, 3, 4)), **kw)
    add("transpose-i32", "transpose", Arr((2, 3), "int32", "int(0,9)"))
    for op in ("swapaxes", "SwapAxis"):
        add(f"{op}-0-2", op, Arr((2, 3, 4)), dim1=0, dim2=2)
    add("swapaxes-default", "swapaxes", Arr((2, 3)))
    add("swapaxes-neg", "swapaxes", Arr((2, 3, 4)), dim1=-1, dim2=1)
    for axis in (0, 2, (0, 2)):  # MXNet rejects negative axes
        add(f"flip-{_fmt(axis)}", "flip", Arr((2, 3, 4)), axis=axis)
    for reps in ((2,), (2, 3), (2, 1, 3), (1,)):
        add(f"tile-{_fmt(reps)}", "tile", Arr((2, 3)), reps=reps)
    add("tile-i32", "tile", Arr((3,), "int32", "int(0,9)"), reps=(2, 2))
    for axis in (None, 0, 1, -1):
        kw = {} if axis is None else {"axis": axis}
        add(f"repeat-{_fmt(axis)}", "repeat", Arr((2, 3)), repeats=2, **kw)
    add("repeat-3", "repeat", Arr((4,)), repeats=3, axis=0)
    for op in ("concat", "Concat"):
        for dim in (0, 1, -1):
            add(f"{op}-dim{dim}", op, Arr((2, 3)), Arr((2, 3)), Arr((2, 3)), dim=dim)
    add("concat-default-dim", "concat", Arr((2, 3)), Arr((2, 1)))
    add("concat-uneven", "concat", Arr((1, 3)), Arr((3, 3)), dim=0)
    add("concat-i32", "concat", Arr((2,), "int32", "int(0,5)"), Arr((3,), "int32", "int(0,5)"),
        dim=0)
    add("concat-bad", "concat", Arr((2, 3)), Arr((3, 3)), dim=1, error=True)
    for axis in (0, 1, -1):
        add(f"stack-{axis}", "stack", Arr((2, 3)), Arr((2, 3)), Arr((2, 3)), axis=axis)
    splits = {"2-axis1": {"num_outputs": 2, "axis": 1}, "3-axis0-squeeze":
              {"num_outputs": 3, "axis": 0, "squeeze_axis": True},
              "2-axis-neg": {"num_outputs": 2, "axis": -1}, "1": {"num_outputs": 1}}
    for op in ("split", "SliceChannel"):
        for tag, kw in splits.items():
            add(f"{op}-{tag}", op, Arr((3, 4, 2)), **kw)
    add("split-uneven", "split", Arr((3, 4)), num_outputs=3, axis=1, error=True)
    pads = {"constant": {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1)},
            "constant-value": {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 1, 0, 2),
                               "constant_value": 1.5},
            "edge": {"mode": "edge", "pad_width": (0, 0, 0, 0, 2, 1, 1, 2)},
            "reflect": {"mode": "reflect", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1)}}
    for op in ("pad", "Pad"):
        for tag, kw in pads.items():
            add(f"{op}-{tag}", op, Arr((1, 2, 3, 4)), **kw)
    add("pad-5d", "pad", Arr((1, 1, 2, 3, 2)), mode="edge",
        pad_width=(0, 0, 0, 0, 1, 0, 0, 1, 1, 1))
    add("pad-batch-axis", "pad", Arr((1, 2, 3, 4)), mode="constant",
        pad_width=(1, 0, 0, 0, 1, 1, 1, 1), error=True)
    add("pad-2d", "pad", Arr((3, 4)), mode="constant", pad_width=(0, 0, 1, 1), error=True)
    slices = {"basic": ((0, 1), (2, 3), None), "none": ((None, 1), (None, None), None),
              "neg": ((-2, -3), (None, -1), None), "step": ((0, 0), (3, 4), (2, 2)),
              "neg-step": ((None, None), (None, None), (-1, -2)),
              "neg-step-bounds": ((2, 3), (0, None), (-1, -1)),
              "partial": ((1,), (3,), None)}
    for tag, (begin, end, step) in slices.items():
        kw = {} if step is None else {"step": step}
        add(f"slice-{tag}", "slice", Arr((3, 4, 2)), begin=begin, end=end, **kw)
    for axis, begin, end in ((0, 1, 3), (1, 0, None), (-1, -3, -1), (2, 1, 2)):
        add(f"slice_axis-{axis}-{begin}-{_fmt(end)}", "slice_axis", Arr((3, 4, 5)),
            axis=axis, begin=begin, end=end)
    for axes in ((), (0,), (-1,), (0, 2)):
        add(f"slice_like-{_fmt(axes)}", "slice_like", Arr((4, 5, 3)), Arr((2, 3, 2)),
            axes=axes)
    for op in ("add_n", "ElementWiseSum"):
        add(f"{op}-3", op, Arr((2, 3)), Arr((2, 3)), Arr((2, 3)))
    add("add_n-1", "add_n", Arr((4,)))
    add("add_n-i32", "add_n", Arr((3,), "int32", "int(0,5)"), Arr((3,), "int32", "int(0,5)"))
    add("add_n-f16", "add_n", Arr((3,), "float16"), Arr((3,), "float16"))


@_family("indexing")
def _indexing(add):
    for axis in (0, 1, -1):
        for mode in ("clip", "wrap"):
            add(f"take-axis{axis}-{mode}", "take", Arr((3, 4, 2)),
                Arr((2, 3), gen="int(-4,7)"), axis=axis, mode=mode)
    add("take-default", "take", Arr((4, 3)), Arr((5,), gen="int(0,4)"))
    add("take-i32-idx", "take", Arr((4, 3)), Arr((5,), "int32", "int(0,4)"))
    add("take-i32-data", "take", Arr((4, 3), "int32", "int(0,9)"), Arr((2,), gen="int(0,4)"))
    add("take-f16", "take", Arr((4, 3), "float16"), Arr((6,), gen="int(0,4)"))
    add("take-repeated", "take", Arr((3, 2)), Arr((6,), gen="choice(0,0,1)", grad=False))
    for axis, kw in ((-1, {}), (0, {}), (1, {"keepdims": True}), (-1, {"mode": "wrap"}),
                     (1, {"mode": "wrap", "keepdims": True})):
        tag = "-".join(f"{k}-{v}" for k, v in kw.items())
        data = Arr((3, 4, 2))
        idx_shape = tuple(s for i, s in enumerate(data.shape) if i != axis % 3)
        add(f"pick-axis{axis}{'-' + tag if tag else ''}", "pick", data,
            Arr(idx_shape, gen="int(-2,6)"), axis=axis, **kw)
    add("pick-2d", "pick", Arr((4, 5)), Arr((4,), gen="int(0,5)"))
    add("pick-i32-idx", "pick", Arr((4, 5)), Arr((4,), "int32", "int(0,5)"), axis=1)
    add("pick-kw-index", "pick", Arr((4, 5)), Arr((4,), gen="int(0,5)", name="index"))
    add("gather_nd-2x3", "gather_nd", Arr((3, 4)), Arr((2, 3), gen="int(0,3)"))
    add("gather_nd-1x5", "gather_nd", Arr((4, 2, 3)), Arr((1, 5), gen="choice(0,1,1)", grad=False))
    add("gather_nd-full", "gather_nd", Arr((3, 4, 2)), Arr((3, 2, 2), gen="int(0,2)"))
    add("gather_nd-i32", "gather_nd", Arr((3, 4), "int32", "int(0,9)"),
        Arr((2, 4), "int32", "int(0,3)"))
    add("one_hot", "one_hot", Arr((4,), gen="int(0,5)"), depth=5)
    add("one_hot-2d-values", "one_hot", Arr((2, 3), gen="int(0,4)"), depth=4,
        on_value=2.5, off_value=-1.0)
    add("one_hot-i32", "one_hot", Arr((5,), "int32", "int(-1,4)"), depth=3, dtype="int32")
    add("one_hot-out-of-range", "one_hot", Arr((6,), gen="int(-2,6)"), depth=4)
    add("one_hot-f64", "one_hot", Arr((3,), gen="int(0,3)"), depth=3, dtype="float64")
    add("where-same", "where", Arr((3, 4), gen="int(0,2)"), Arr((3, 4)), Arr((3, 4)))
    add("where-rows", "where", Arr((3,), gen="choice(0.0,1.0,-2.0)"), Arr((3, 4)), Arr((3, 4)))
    add("where-i32", "where", Arr((2, 3), "int32", "int(0,2)"), Arr((2, 3), "int32", "int(0,9)"),
        Arr((2, 3), "int32", "int(0,9)"))
    add("where-f64", "where", Arr((5,), gen="int(0,2)"), Arr((5,), "float64"),
        Arr((5,), "float64"))
    add("where-bad", "where", Arr((3, 4), gen="int(0,2)"), Arr((3, 4)), Arr((3, 5)), error=True)
    add("take-bad-axis", "take", Arr((3, 4)), Arr((2,), gen="int(0,3)"), axis=2, error=True)


@_family("ordering")
def _ordering(add):
    data = Arr((3, 4, 2), gen="distinct")
    for axis in (-1, 0, 1):
        for ascend in (True, False):
            tag = f"axis{axis}-{'asc' if ascend else 'desc'}"
            add(f"sort-{tag}", "sort", data, axis=axis, is_ascend=ascend)
            add(f"argsort-{tag}", "argsort", data, axis=axis, is_ascend=ascend, grad=False)
    # without an explicit axis MXNet 1.9.1's sort backward fails: forward only
    add("sort-default", "sort", Arr((3, 4), gen="distinct"), grad=False)
    add("sort-none", "sort", data, axis=None)
    add("argsort-none", "argsort", data, axis=None, grad=False)
    add("sort-i32", "sort", Arr((3, 5), "int32", "distinct"), axis=1)
    add("sort-f64", "sort", Arr((3, 5), "float64", "distinct"), axis=0)
    add("sort-ties-values", "sort", Arr((3, 6), gen="choice(0.0,1.0,2.0)"), axis=1,
        grad=False)
    add("argsort-i32-out", "argsort", Arr((2, 5), gen="distinct"), dtype="int32")
    add("argsort-f64-out", "argsort", Arr((2, 5), gen="distinct"), dtype="float64",
        is_ascend=False)
    add("argsort-int-data", "argsort", Arr((2, 5), "int32", "distinct"))
    for ret in ("value", "indices", "both", "mask"):
        for k, axis, ascend in ((1, -1, False), (2, 1, False), (3, 0, True)):
            tag = f"{ret}-k{k}-axis{axis}-{'asc' if ascend else 'desc'}"
            differentiable = ret in ("value", "both")
            add(f"topk-{tag}", "topk", data, k=k, axis=axis, ret_typ=ret, is_ascend=ascend,
                grad=differentiable, heads=(0,) if ret == "both" else None)
    add("topk-default", "topk", Arr((3, 5), gen="distinct"), grad=False)
    add("topk-axis-none", "topk", data, k=4, axis=None, ret_typ="value", grad=False)
    add("topk-i32-out", "topk", Arr((3, 5), gen="distinct"), k=2, dtype="int32")
    add("topk-i32-data", "topk", Arr((3, 5), "int32", "distinct"), k=2, axis=1,
        ret_typ="value")
    add("topk-f64-both", "topk", Arr((3, 5), "float64", "distinct"), k=2, axis=1,
        ret_typ="both", heads=(0,))
    add("topk-k-too-big", "topk", Arr((3, 5)), k=6, axis=1, error=True)


# (act_type, data generator) for Activation; relu at ties checks relu'(0) = 0
_ACTIVATIONS = {"relu": "ties", "sigmoid": "normal", "softrelu": "normal",
                "softsign": "normal", "tanh": "normal"}


def _conv_weight(cin, nfilter, group, kernel, transposed=False):
    return ((cin, nfilter // group) if transposed else (nfilter, cin // group)) + kernel


def _conv_cases(add):
    # tag: (data shape, num_filter, kernel, extra attrs)
    convs = {
        "1d": ((2, 3, 7), 4, (3,), {}),
        "1d-stride-pad": ((2, 2, 8), 3, (3,), {"stride": (2,), "pad": (1,)}),
        "2d": ((2, 3, 5, 5), 4, (3, 3), {}),
        "2d-stride-pad": ((1, 2, 6, 7), 3, (3, 2), {"stride": (2, 1), "pad": (1, 0)}),
        "2d-dilate": ((1, 2, 7, 7), 2, (3, 3), {"dilate": (2, 2)}),
        "2d-group": ((2, 4, 4, 4), 6, (2, 2), {"num_group": 2}),
        "2d-depthwise": ((1, 3, 5, 5), 3, (3, 3), {"num_group": 3, "pad": (1, 1)}),
        "2d-no-bias": ((2, 2, 4, 4), 3, (3, 3), {"no_bias": True}),
        "3d": ((1, 2, 4, 4, 4), 2, (2, 2, 2), {"stride": (1, 2, 1)}),
        # XLA CPU aborted on this gradient (strided, padded, non-cubic 3-D kernel)
        "3d-stride-pad": ((1, 2, 4, 4, 3), 3, (3, 2, 2), {"stride": (2, 2, 2),
                                                        "pad": (1, 1, 1)}),
        "1x1": ((2, 3, 3, 3), 2, (1, 1), {}),
    }
    for tag, (shape, nf, kernel, kw) in convs.items():
        group = kw.get("num_group", 1)
        ins = [Arr(shape), Arr(_conv_weight(shape[1], nf, group, kernel), gen="normal(0.5)")]
        if not kw.get("no_bias"):
            ins.append(Arr((nf,)))
        add(f"Convolution-{tag}", "Convolution", *ins, kernel=kernel, num_filter=nf, **kw)
    add("Convolution-f64", "Convolution", Arr((1, 2, 4, 4), "float64"),
        Arr((2, 2, 3, 3), "float64"), Arr((2,), "float64"), kernel=(3, 3), num_filter=2)
    add("Convolution-kw-inputs", "Convolution", Arr((1, 2, 5), name="data"),
        Arr((3, 2, 2), name="weight"), kernel=(2,), num_filter=3, no_bias=True)
    add("Convolution-bad-channels", "Convolution", Arr((1, 3, 5, 5)), Arr((2, 2, 3, 3)),
        Arr((2,)), kernel=(3, 3), num_filter=2, error=True)
    deconvs = {
        "1d": ((2, 3, 5), 2, (3,), {}),
        "2d-stride-pad": ((1, 2, 4, 4), 3, (3, 3), {"stride": (2, 2), "pad": (1, 1)}),
        "2d-adj": ((1, 2, 3, 4), 2, (3, 3), {"stride": (2, 2), "pad": (1, 1), "adj": (1, 0)}),
        "2d-target-shape": ((1, 2, 3, 3), 2, (3, 3),
                            {"stride": (2, 2), "pad": (1, 1), "target_shape": (6, 6)}),
        "2d-group": ((1, 4, 3, 3), 4, (2, 2), {"num_group": 2}),
        "2d-bias": ((2, 2, 3, 3), 3, (2, 2), {"no_bias": False}),
        "2d-dilate": ((1, 1, 3, 3), 2, (2, 2), {"dilate": (2, 2)}),
        "3d": ((1, 2, 2, 3, 2), 2, (2, 2, 2), {"stride": (2, 1, 1)}),
    }
    for tag, (shape, nf, kernel, kw) in deconvs.items():
        group = kw.get("num_group", 1)
        ins = [Arr(shape), Arr(_conv_weight(shape[1], nf, group, kernel, transposed=True),
                               gen="normal(0.5)")]
        if kw.get("no_bias") is False:  # Deconvolution defaults to no_bias=True
            ins.append(Arr((nf,)))
        add(f"Deconvolution-{tag}", "Deconvolution", *ins, kernel=kernel, num_filter=nf, **kw)


def _pooling_cases(add):
    pools = {
        "2d-k2s2": ((2, 2, 4, 4), {"kernel": (2, 2), "stride": (2, 2)}),
        "2d-k3s2p1": ((1, 2, 5, 5), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)}),
        "2d-full": ((1, 2, 5, 5), {"kernel": (2, 2), "stride": (2, 2),
                                   "pooling_convention": "full"}),
        "2d-full-pad": ((1, 1, 6, 5), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                                       "pooling_convention": "full"}),
        "2d-global": ((2, 3, 3, 4), {"kernel": (1, 1), "global_pool": True}),
        "2d-overlap": ((1, 1, 5, 4), {"kernel": (3, 2), "stride": (1, 1)}),
        "1d": ((2, 2, 7), {"kernel": (3,), "stride": (2,)}),
        "1d-pad": ((1, 2, 6), {"kernel": (2,), "stride": (2,), "pad": (1,)}),
        "3d": ((1, 1, 4, 4, 4), {"kernel": (2, 2, 2), "stride": (2, 2, 2)}),
        "3d-global": ((1, 2, 2, 3, 2), {"kernel": (1, 1, 1), "global_pool": True}),
    }
    for pool_type in ("max", "avg", "sum"):
        for tag, (shape, kw) in pools.items():
            add(f"Pooling-{pool_type}-{tag}", "Pooling", Arr(shape), pool_type=pool_type, **kw)
    for include in (True, False):
        for tag in ("2d-k3s2p1", "2d-full-pad", "1d-pad"):
            shape, kw = pools[tag]
            add(f"Pooling-avg-{tag}-count-pad-{include}", "Pooling", Arr(shape),
                pool_type="avg", count_include_pad=include, **kw)
    for p in (1, 2, 3):
        shape, kw = pools["2d-k2s2"]
        add(f"Pooling-lp{p}", "Pooling", Arr(shape, gen="positive"), pool_type="lp",
            p_value=p, **kw)
    add("Pooling-lp2-global", "Pooling", Arr((1, 2, 3, 3), gen="positive"), pool_type="lp",
        p_value=2, kernel=(1, 1), global_pool=True)
    add("Pooling-max-ties", "Pooling", Arr((1, 1, 4, 4), gen="choice(0.0,1.0)"),
        kernel=(2, 2), stride=(2, 2))
    add("Pooling-max-f64", "Pooling", Arr((1, 1, 4, 4), "float64"), kernel=(2, 2))
    add("Pooling-avg-f16", "Pooling", Arr((1, 1, 4, 4), "float16"), kernel=(2, 2),
        pool_type="avg")
    add("Pooling-default-stride", "Pooling", Arr((1, 1, 4, 5)), kernel=(2, 3))
    add("Pooling-kernel-too-big", "Pooling", Arr((1, 1, 2, 2)), kernel=(3, 3), error=True)


def _norm_cases(add):
    def bn(shape, axis=1, **kw):
        c = shape[axis]
        return (Arr(shape), Arr((c,), gen="positive"), Arr((c,)), Arr((c,), grad=False),
                Arr((c,), gen="positive", grad=False))

    train = {"fix-gamma": {}, "free-gamma": {"fix_gamma": False},
             "global-stats": {"fix_gamma": False, "use_global_stats": True},
             "momentum-eps": {"fix_gamma": False, "momentum": 0.5, "eps": 1e-3},
             "mean-var": {"fix_gamma": False, "output_mean_var": True}}
    for tag, kw in train.items():
        add(f"BatchNorm-train-{tag}", "BatchNorm", *bn((4, 3, 2, 2)), train_mode=True,
            mutated=(3, 4), heads=(0,), **kw)
    add("BatchNorm-train-axis-last", "BatchNorm", *bn((3, 2, 4), axis=-1), axis=-1,
        fix_gamma=False, train_mode=True, mutated=(3, 4))
    add("BatchNorm-train-2d", "BatchNorm", *bn((5, 3)), fix_gamma=False, train_mode=True,
        mutated=(3, 4))
    add("BatchNorm-train-f64", "BatchNorm", *(Arr(a.shape, "float64", a.gen, a.grad)
                                              for a in bn((4, 2, 3))),
        fix_gamma=False, train_mode=True, mutated=(3, 4))
    # In predict mode MXNet 1.9.1's data gradient keeps the batch-statistics terms while
    # the forward used the running statistics (a bug): forward only.
    add("BatchNorm-predict", "BatchNorm", *bn((2, 3, 2, 2)), fix_gamma=False, grad=False,
        train_mode=False, mutated=(3, 4))
    add("BatchNorm-predict-fix-gamma", "BatchNorm", *bn((2, 3, 4)), grad=False,
        train_mode=False)
    add("BatchNorm-inference-call", "BatchNorm", *bn((2, 3, 2)), fix_gamma=False, grad=False,
        mutated=(3, 4))
    add("BatchNorm-train-no-backward", "BatchNorm", *bn((4, 3)), fix_gamma=False, grad=False,
        train_mode=True, mutated=(3, 4))
    for shape, groups in (((2, 4, 3, 3), 2), ((2, 6, 5), 3), ((1, 4, 2, 2), 1)):
        add(f"GroupNorm-{_fmt(shape)}-g{groups}", "GroupNorm", Arr(shape),
            Arr((groups,), gen="positive"), Arr((groups,)), num_groups=groups)
    add("GroupNorm-mean-var", "GroupNorm", Arr((2, 4, 3)), Arr((2,), gen="positive"),
        Arr((2,)), num_groups=2, output_mean_var=True, eps=1e-3, heads=(0,))
    add("GroupNorm-bad-groups", "GroupNorm", Arr((2, 5, 3)), Arr((2,)), Arr((2,)),
        num_groups=2, error=True)
    for shape in ((2, 3, 4), (2, 3, 2, 3), (1, 2, 5)):
        add(f"InstanceNorm-{_fmt(shape)}", "InstanceNorm", Arr(shape),
            Arr((shape[1],), gen="positive"), Arr((shape[1],)))
    add("InstanceNorm-eps", "InstanceNorm", Arr((2, 2, 3)), Arr((2,)), Arr((2,)), eps=0.1)
    for axis, shape in ((-1, (2, 3, 4)), (1, (2, 3, 4)), (0, (3, 2)), (-1, (4, 5))):
        add(f"LayerNorm-axis{axis}-{_fmt(shape)}", "LayerNorm", Arr(shape),
            Arr((shape[axis],), gen="positive"), Arr((shape[axis],)), axis=axis)
    add("LayerNorm-mean-var", "LayerNorm", Arr((3, 4)), Arr((4,)), Arr((4,)),
        output_mean_var=True, eps=1e-3, heads=(0,))
    add("LayerNorm-f64", "LayerNorm", Arr((3, 4), "float64"), Arr((4,), "float64"),
        Arr((4,), "float64"))
    add("LayerNorm-f16", "LayerNorm", Arr((3, 4), "float16"), Arr((4,), "float16"),
        Arr((4,), "float16"))


def _softmax_cases(add):
    for op in ("softmax", "log_softmax"):
        for tag, kw in {"default": {}, "axis0": {"axis": 0}, "axis1-3d": {"axis": 1},
                        "temperature": {"temperature": 2.5}, "temp-axis0":
                        {"temperature": 0.5, "axis": 0}}.items():
            shape = (2, 3, 4) if tag.endswith("3d") else (3, 5)
            add(f"{op}-{tag}", op, Arr(shape), **kw)
        add(f"{op}-f64", op, Arr((3, 4), "float64"))
        add(f"{op}-f16", op, Arr((3, 4), "float16"))
        add(f"{op}-dtype-f64", op, Arr((3, 4)), dtype="float64")
        add(f"{op}-large", op, Arr((2, 4), gen="normal(30.0)"))
    add("softmax-length", "softmax", Arr((3, 5)), Arr((3,), "int32", "seqlen(5)", name="length"),
        use_length=True)
    add("softmax-length-axis0", "softmax", Arr((4, 2, 3)),
        Arr((2, 3), "int32", "seqlen(4)", name="length"), use_length=True, axis=0)
    def labels(shape, classes):
        return Arr(shape, gen=f"int(0,{classes})")

    for op in ("SoftmaxOutput", "Softmax"):
        add(f"{op}-default", op, Arr((4, 5)), labels((4,), 5))
    outs = {"batch": {"normalization": "batch"}, "valid-ignore":
            {"normalization": "valid", "use_ignore": True, "ignore_label": 1},
            "grad-scale": {"grad_scale": 0.5}, "ignore-null":
            {"use_ignore": True, "ignore_label": 2},
            "ignore-unused": {"ignore_label": 2}, "smooth":
            {"smooth_alpha": 0.1}, "out-grad": {"out_grad": True}}
    for tag, kw in outs.items():
        add(f"SoftmaxOutput-{tag}", "SoftmaxOutput", Arr((6, 4)), labels((6,), 4), **kw)
    add("SoftmaxOutput-multi", "SoftmaxOutput", Arr((2, 3, 4)), labels((2, 4), 3),
        multi_output=True)
    add("SoftmaxOutput-multi-valid", "SoftmaxOutput", Arr((2, 3, 2, 2)), labels((2, 2, 2), 3),
        multi_output=True, normalization="valid", use_ignore=True, ignore_label=0)
    add("SoftmaxOutput-preserve", "SoftmaxOutput", Arr((2, 3, 4)), labels((2, 3), 4),
        preserve_shape=True)
    add("SoftmaxOutput-3d", "SoftmaxOutput", Arr((2, 3, 2)), labels((2, 3), 2))
    add("SoftmaxOutput-prob-label", "SoftmaxOutput", Arr((3, 4)), Arr((3, 4), gen="positive",
                                                                    grad=False))
    add("SoftmaxOutput-kw-label", "SoftmaxOutput", Arr((3, 4)),
        Arr((3,), gen="int(0,4)", name="label"))


@_family("nn")
def _nn(add):
    for act, gen in _ACTIVATIONS.items():
        add(f"Activation-{act}", "Activation", Arr((2, 3, 4), gen=gen), act_type=act)
        add(f"Activation-{act}-f64", "Activation", Arr((5,), "float64", gen), act_type=act)
        add(f"Activation-{act}-f16", "Activation", Arr((5,), "float16", gen), act_type=act)
    add("Activation-bad-type", "Activation", Arr((3,)), act_type="gelu", error=True)
    leaky = {"leaky": {}, "leaky-slope": {"slope": 0.1}, "elu": {"act_type": "elu"},
             "elu-slope": {"act_type": "elu", "slope": 0.7}, "selu": {"act_type": "selu"},
             "gelu": {"act_type": "gelu"}}
    for tag, kw in leaky.items():
        add(f"LeakyReLU-{tag}", "LeakyReLU", Arr((3, 4), gen="ties"), **kw)
        add(f"LeakyReLU-{tag}-normal", "LeakyReLU", Arr((2, 3, 2)), **kw)
    add("LeakyReLU-f64", "LeakyReLU", Arr((6,), "float64"), act_type="elu")
    add("LeakyReLU-prelu", "LeakyReLU", Arr((2, 3, 4), gen="ties"),
        Arr((3,), gen="uniform(0,0.5)", name="gamma"), act_type="prelu")
    add("LeakyReLU-prelu-scalar-gamma", "LeakyReLU", Arr((2, 3, 2)),
        Arr((1,), gen="uniform(0,0.5)", name="gamma"), act_type="prelu")
    add("LeakyReLU-prelu-2d", "LeakyReLU", Arr((4, 3)), Arr((3,), gen="uniform(0,0.5)"),
        act_type="prelu")
    # rrelu returns [out, mask]; in predict mode MXNet 1.9.1 leaves the mask unset, and
    # its backward reads that mask: forward only, mask checked for shape and dtype only
    add("LeakyReLU-rrelu-predict", "LeakyReLU", Arr((3, 4)), act_type="rrelu", grad=False,
        undefined=(1,))
    add("LeakyReLU-rrelu-bounds-predict", "LeakyReLU", Arr((3, 4)), act_type="rrelu",
        lower_bound=0.2, upper_bound=0.4, grad=False, train_mode=False, undefined=(1,))
    _conv_cases(add)
    _pooling_cases(add)
    _norm_cases(add)
    _softmax_cases(add)
    add("Dropout-p0-train", "Dropout", Arr((3, 4)), p=0.0, train_mode=True)
    add("Dropout-predict", "Dropout", Arr((3, 4)), p=0.5, train_mode=False)
    add("Dropout-predict-axes", "Dropout", Arr((2, 3, 4)), p=0.3, axes=(1,), train_mode=False)
    add("Dropout-always-p0", "Dropout", Arr((2, 5)), p=0.0, mode="always", train_mode=False)
    add("Dropout-plain-call", "Dropout", Arr((2, 5)), p=0.5, grad=False)
    add("Embedding", "Embedding", Arr((2, 3), gen="int(0,5)"), Arr((5, 4)), input_dim=5,
        output_dim=4)
    add("Embedding-repeated", "Embedding", Arr((6,), gen="choice(0,1,1,3)", grad=False),
        Arr((4, 2)),
        input_dim=4, output_dim=2)
    add("Embedding-i32-data", "Embedding", Arr((2, 2), "int32", "int(0,3)"), Arr((3, 3)),
        input_dim=3, output_dim=3)
    add("Embedding-f64", "Embedding", Arr((3,), gen="int(0,3)"), Arr((3, 2), "float64"),
        input_dim=3, output_dim=2, dtype="float64")
    add("Embedding-bad-weight", "Embedding", Arr((3,), gen="int(0,3)"), Arr((4, 2)),
        input_dim=3, output_dim=2, error=True)
    fcs = {"flatten-3d": ((2, 3, 4), 5, {}), "no-flatten-3d": ((2, 3, 4), 5, {"flatten": False}),
           "2d": ((3, 4), 2, {}), "no-bias": ((3, 4), 2, {"no_bias": True}),
           "no-flatten-no-bias": ((2, 2, 3), 4, {"flatten": False, "no_bias": True}),
           "1d": ((4,), 3, {"flatten": False})}
    for tag, (shape, hidden, kw) in fcs.items():
        in_units = shape[-1] if not kw.get("flatten", True) else int(np.prod(shape[1:]))
        ins = [Arr(shape), Arr((hidden, in_units))]
        if not kw.get("no_bias"):
            ins.append(Arr((hidden,)))
        add(f"FullyConnected-{tag}", "FullyConnected", *ins, num_hidden=hidden, **kw)
    add("FullyConnected-f64", "FullyConnected", Arr((2, 3), "float64"), Arr((2, 3), "float64"),
        Arr((2,), "float64"), num_hidden=2)
    add("FullyConnected-bad-weight", "FullyConnected", Arr((2, 3)), Arr((2, 4)), Arr((2,)),
        num_hidden=2, error=True)


@_family("rnn")
def _rnn(add):
    seq, batch, feat, hidden = 3, 2, 3, 4
    configs = [("rnn_relu", 1, False, False), ("rnn_relu", 2, True, True),
               ("rnn_tanh", 1, True, False), ("rnn_tanh", 2, False, True),
               ("lstm", 1, False, True), ("lstm", 2, True, False), ("lstm", 1, True, True),
               ("gru", 1, True, True), ("gru", 2, False, False), ("gru", 1, False, True)]
    for mode, layers, bidir, state_outputs in configs:
        dirs = 2 if bidir else 1
        size = rnn_param_size(mode, layers, feat, hidden, bidir)
        ins = [Arr((seq, batch, feat)), Arr((size,), gen="uniform(-0.5,0.5)"),
               Arr((layers * dirs, batch, hidden), gen="uniform(-0.5,0.5)")]
        if mode == "lstm":
            ins.append(Arr((layers * dirs, batch, hidden), gen="uniform(-0.5,0.5)"))
        tag = f"{mode}-l{layers}{'-bidir' if bidir else ''}{'-states' if state_outputs else ''}"
        add(f"RNN-{tag}", "RNN", *ins, state_size=hidden, num_layers=layers, bidirectional=bidir,
            mode=mode, state_outputs=state_outputs)
    add("RNN-lstm-predict", "RNN", Arr((2, 1, 2)), Arr((rnn_param_size("lstm", 1, 2, 3),)),
        Arr((1, 1, 3)), Arr((1, 1, 3)), state_size=3, num_layers=1, mode="lstm",
        train_mode=False)
    add("RNN-gru-f64", "RNN", Arr((2, 2, 2), "float64"),
        Arr((rnn_param_size("gru", 1, 2, 3),), "float64", "uniform(-0.5,0.5)"),
        Arr((1, 2, 3), "float64"), state_size=3, num_layers=1, mode="gru")
    add("RNN-bad-param-size", "RNN", Arr((2, 2, 2)), Arr((7,)), Arr((1, 2, 3)), state_size=3,
        num_layers=1, mode="rnn_tanh", error=True)


@_family("sequence")
def _sequence(add):
    for op in ("SequenceLast", "SequenceMask", "SequenceReverse"):
        # MXNet 1.9.1's SequenceLast backward without lengths corrupts memory: forward only
        no_length_grad = op != "SequenceLast"
        add(f"{op}-no-length", op, Arr((4, 3, 2)), grad=no_length_grad)
        add(f"{op}-length", op, Arr((4, 3, 2)), Arr((3,), gen="seqlen(4)"),
            use_sequence_length=True)
        add(f"{op}-length-kw", op, Arr((5, 2)),
            Arr((2,), gen="seqlen(5)", name="sequence_length"), use_sequence_length=True)
        add(f"{op}-length-i32", op, Arr((3, 2, 2)), Arr((2,), "int32", "seqlen(3)"),
            use_sequence_length=True)
        add(f"{op}-f64", op, Arr((3, 2, 2), "float64"), Arr((2,), "float64", "seqlen(3)"),
            use_sequence_length=True)
        add(f"{op}-bad-length", op, Arr((3, 2, 2)), Arr((3,), gen="seqlen(3)"),
            use_sequence_length=True, error=True)
        if op != "SequenceReverse":  # SequenceReverse only supports axis=0
            add(f"{op}-axis1-length", op, Arr((3, 4, 2)), Arr((3,), gen="seqlen(4)"),
                use_sequence_length=True, axis=1)
            add(f"{op}-axis1-no-length", op, Arr((3, 4)), axis=1, grad=no_length_grad)
    add("SequenceMask-value", "SequenceMask", Arr((4, 2, 3)), Arr((2,), gen="seqlen(4)"),
        use_sequence_length=True, value=-2.5)
    add("SequenceReverse-axis1", "SequenceReverse", Arr((3, 4, 2)), Arr((3,), gen="seqlen(4)"),
        use_sequence_length=True, axis=1, error=True)


@_family("linalg")
def _linalg(add):
    gemms = {"plain": ((2, 3), (3, 4), {}), "ta": ((3, 2), (3, 4), {"transpose_a": True}),
             "tb": ((2, 3), (4, 3), {"transpose_b": True}),
             "ta-tb": ((3, 2), (4, 3), {"transpose_a": True, "transpose_b": True}),
             "batched": ((2, 2, 3), (2, 3, 2), {}),
             "batched-4d": ((2, 1, 2, 3), (2, 1, 3, 2), {"transpose_a": False}),
             "axis0": ((2, 3, 4), (4, 3, 5), {"axis": 0})}
    for tag, (a, b, kw) in gemms.items():
        ta, tb = kw.get("transpose_a"), kw.get("transpose_b")
        if kw.get("axis") == 0:  # rows in axis 0, columns in the last axis, batch between
            c = (a[0], a[1], b[2])
        else:
            c = a[:-2] + (a[-1] if ta else a[-2], b[-2] if tb else b[-1])
        add(f"gemm2-{tag}", "linalg.gemm2", Arr(a), Arr(b), alpha=1.5, **kw)
        add(f"gemm-{tag}", "linalg.gemm", Arr(a), Arr(b), Arr(c), alpha=0.5, beta=2.0, **kw)
    add("gemm2-default-alpha", "linalg.gemm2", Arr((2, 3)), Arr((3, 2)))
    add("gemm2-f64", "linalg.gemm2", Arr((2, 3), "float64"), Arr((3, 2), "float64"))
    add("gemm2-bad", "linalg.gemm2", Arr((2, 3)), Arr((2, 3)), error=True)
    for shape in ((3, 3), (2, 3, 3), (1, 1)):
        tag = _fmt(shape)
        add(f"potrf-{tag}", "linalg.potrf", Arr(shape, gen="spd"))
        add(f"potri-{tag}", "linalg.potri", Arr(shape, gen="chol"))
        add(f"inverse-{tag}", "linalg.inverse", Arr(shape, gen="wellcond"))
        add(f"det-{tag}", "linalg.det", Arr(shape, gen="wellcond"))
        add(f"slogdet-{tag}", "linalg.slogdet", Arr(shape, gen="wellcond"), heads=(1,))
    add("potrf-f64", "linalg.potrf", Arr((3, 3), "float64", "spd"))
    add("inverse-f64", "linalg.inverse", Arr((2, 3, 3), "float64", "wellcond"))
    add("det-negative", "linalg.det", Arr((2, 2), gen="choice(0.0,1.0)"), grad=False)
    add("slogdet-f64", "linalg.slogdet", Arr((3, 3), "float64", "wellcond"), heads=(1,))
    add("inverse-not-square", "linalg.inverse", Arr((2, 3)), error=True)
    tri = {"default": {}, "upper": {"lower": False}, "transpose": {"transpose": True},
           "rightside": {"rightside": True}, "right-upper-t": {"rightside": True,
                                                               "lower": False,
                                                               "transpose": True},
           "alpha": {"alpha": 2.0}}
    for op in ("trsm", "trmm"):
        for tag, kw in tri.items():
            b = (3, 2) if not kw.get("rightside") else (2, 3)
            add(f"{op}-{tag}", f"linalg.{op}", Arr((3, 3), gen="wellcond"), Arr(b), **kw)
        add(f"{op}-batched", f"linalg.{op}", Arr((2, 3, 3), gen="wellcond"), Arr((2, 3, 4)))
    for tag, kw in {"default": {}, "transpose": {"transpose": True}, "alpha":
                    {"alpha": 0.5}}.items():
        add(f"syrk-{tag}", "linalg.syrk", Arr((2, 3)), **kw)
    add("syrk-batched", "linalg.syrk", Arr((2, 3, 2)), transpose=True)
    dots = {"1d-1d": ((4,), (4,), {}), "2d": ((2, 3), (3, 4), {}),
            "ta": ((3, 2), (3, 4), {"transpose_a": True}),
            "tb": ((2, 3), (4, 3), {"transpose_b": True}),
            "ta-tb": ((3, 2), (4, 3), {"transpose_a": True, "transpose_b": True}),
            "nd": ((2, 3, 4), (4, 5), {}), "nd-nd": ((2, 3), (3, 2, 2), {}),
            "2d-1d": ((2, 3), (3,), {}), "1d-2d": ((3,), (3, 2), {})}
    for tag, (a, b, kw) in dots.items():
        add(f"dot-{tag}", "dot", Arr(a), Arr(b), **kw)
    add("dot-f64", "dot", Arr((2, 3), "float64"), Arr((3, 2), "float64"))
    add("dot-mismatch", "dot", Arr((2, 3)), Arr((2, 3)), error=True)
    bdots = {"plain": ((2, 2, 3), (2, 3, 4), {}),
             "ta": ((2, 3, 2), (2, 3, 4), {"transpose_a": True}),
             "tb": ((2, 2, 3), (2, 4, 3), {"transpose_b": True}),
             "ta-tb": ((3, 3, 2), (3, 4, 3), {"transpose_a": True, "transpose_b": True})}
    for tag, (a, b, kw) in bdots.items():
        add(f"batch_dot-{tag}", "batch_dot", Arr(a), Arr(b), **kw)
    add("batch_dot-f64", "batch_dot", Arr((2, 2, 2), "float64"), Arr((2, 2, 3), "float64"))
    add("batch_dot-batch-mismatch", "batch_dot", Arr((2, 2, 3)), Arr((3, 3, 2)), error=True)


@_family("creation")
def _creation(add):
    for op in ("zeros", "ones"):
        add(f"{op}-tuple", op, Py((2, 3)))
        add(f"{op}-int", op, Py(4))
        add(f"{op}-i32", op, Py((3, 2)), dtype="int32")
        add(f"{op}-f16-kw", op, shape=(2, 2), dtype="float16")
        add(f"{op}-f64", op, Py((2,)), dtype="float64")
    for tag, args, kw in (("f32", ((2, 3), 7.5), {}), ("i32", ((3,), 4), {"dtype": "int32"}),
                          ("f64", ((2, 2), -1.25), {"dtype": "float64"}),
                          ("int-shape", (4, 2.0), {})):
        add(f"full-{tag}", "full", *map(Py, args), **kw)
    aranges = {"stop": ((5,), {}), "start-stop": ((2, 7), {}),
               "step": ((0, 3, 0.5), {}), "neg-step": ((5, 0, -1.5), {}),
               "repeat": ((0, 3), {"repeat": 2}), "i32": ((1, 9, 2), {"dtype": "int32"}),
               "f64": ((0.1, 1.0, 0.3), {"dtype": "float64"}), "kw": ((), {"start": 3,
                                                                          "stop": 6})}
    for tag, (args, kw) in aranges.items():
        add(f"arange-{tag}", "arange", *map(Py, args), **kw)
    for tag, args, kw in (("square", (3,), {}), ("rect", (2, 4), {}), ("k1", (3, 4, 1), {}),
                          ("k-neg", (4, 3, -2), {}), ("i32", (3,), {"dtype": "int32"})):
        add(f"eye-{tag}", "eye", *map(Py, args), **kw)
    for tag, args, kw in (("basic", (0, 1, 5), {}), ("no-endpoint", (0, 1, 4),
                                                     {"endpoint": False}),
                          ("desc", (2, -2, 6), {}), ("one", (3, 4, 1), {}),
                          ("i32", (0, 10, 4), {"dtype": "int32"})):
        add(f"linspace-{tag}", "linspace", *map(Py, args), **kw)
    for op in ("zeros_like", "ones_like"):
        add(f"{op}", op, Arr((2, 3)))
        add(f"{op}-i32", op, Arr((3,), "int32", "int(0,5)"))
        add(f"{op}-f16", op, Arr((2, 2), "float16"))


def _collect(family: str) -> list[Case]:
    cases: list[Case] = []

    def add(name, op, *inputs, **options):
        # the op's name is in the id, so `pytest -k broadcast_add` selects its cases
        assert op.split(".")[-1] in name, f"case name {name!r} should contain {op!r}"
        fields = {k: options.pop(k) for k in list(options) if k in _CASE_OPTIONS}
        cases.append(Case(id=f"{family}/{name}", family=family, op=op, inputs=tuple(inputs),
                          attrs=options, **fields))

    _BUILDERS[family](add)
    return cases


_CASE_OPTIONS = ("method", "grad", "train_mode", "heads", "mutated", "undefined", "error",
                 "tol")


def all_cases(families=None) -> list[Case]:
    """Every case (or those of the given families), checked for unique ids."""
    chosen = list(_BUILDERS) if families is None else list(families)
    unknown = set(chosen) - set(_BUILDERS)
    if unknown:
        raise ValueError(f"unknown families {sorted(unknown)}; known: {list(_BUILDERS)}")
    cases = [c for family in chosen for c in _collect(family)]
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate case ids: {duplicates}")
    return cases


FAMILIES = tuple(_BUILDERS)
