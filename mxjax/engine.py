"""Step capture: operators wait in a pending graph and run as one compiled XLA call.

From ``autograd.record()`` on, an operator call does not run: it appends a node to the
pending graph and returns ``Pending`` outputs whose shapes and dtypes are known at once
(inferred once per operator and input signature, so shape errors still raise at the
call). ``backward``, ``Trainer.step`` and a hand-written ``param[:] = param - lr * g``
append their own nodes. The graph runs -- as ONE ``jax.jit`` function of its external
inputs, cached by the graph's structure (operators, static attributes, wiring, which
values are still referenced) -- when a value is needed on the host (``asnumpy``,
``print``, ``bool``...; a *forced* run) or when the next ``record()`` begins. Only the
pending values something still refers to come back from it.

A training loop thus costs, from its second step on, the Python bookkeeping of recording
plus one cached XLA call. A forced run of a graph in which nothing was recorded,
differentiated or updated ends capturing until the next ``record()``: evaluation code
and interactive use run op by op, as before.

``MXJAX_CAPTURE=0`` in the environment, or ``with mx.engine.capture(False):``, runs every
operator eagerly instead (for debugging); ``compile_stats()`` tells what capture did.
"""

import collections
import contextlib
import os
import sys
import threading
import warnings
import weakref

import jax
import numpy as np

from . import _tracing
from .base import MXNetError

__all__ = ["Pending", "capture", "set_capture", "is_capturing", "compile_stats",
           "reset_compile_stats", "call", "run_compiled", "apply", "step", "begin_step",
           "materialize", "flush", "wait_all", "set_bulk_size", "bulk", "bind", "rebound",
           "share", "read_elsewhere", "SHARED", "note_traced", "note_signature",
           "note_read"]

_MAX_NODES = 20000             # a graph this long runs even if nothing asks for a value
_LOOP_MIN_OPS = 16             # eager operators between two reads that make a loop body worth
                               # compiling once it repeats (fewer: dispatch beats a compile)
_LOOP_MEMORY = 64              # eager runs remembered, to notice one repeating
_CAPTURE_LOOPS = os.environ.get("MXJAX_CAPTURE_LOOPS", "1") not in ("0", "false", "False")
_RECOMPILE_WARNING_AFTER = 4   # distinct input shapes for one graph structure

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Pending:
    """The output of an operator that has not run yet: shape and dtype known, value not
    (``value`` is set once its graph has run)."""

    __slots__ = ("aval", "shape", "dtype", "weak_type", "graph", "ref", "value", "owner",
                 "thread", "__weakref__")

    def __init__(self, aval, graph, ref):
        self.aval = aval
        self.shape, self.dtype, self.weak_type = aval
        self.graph, self.ref, self.value = graph, ref, None
        self.owner = None  # id() of the one array bound to it, or SHARED (see ``bind``)
        self.thread = graph.thread  # 0 once another thread has read it

    @property
    def ctx(self):
        return self.graph.ctx

    def __repr__(self):
        state = "pending" if self.value is None else "computed"
        return f"<Pending {self.shape} {self.dtype} ({state})>"


class Eager(Exception):
    """An argument is a JAX tracer (we are inside a transformation): run now instead."""


class _Graph:
    """Nodes waiting to run, in call order, and the external values they read."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.device = ctx.jax_device
        self.fns, self.steps = [], []
        self.ext, self.ext_pos, self.ext_avals, self.ext_sites = [], {}, [], []
        self.ext_sources = []  # the computed Pending each external value came from
        self.outputs = []
        self.rebinds = []  # (array, its value before) for each array a node's output rebound
        self.training = False  # something was recorded, differentiated or updated
        self.may_fail = False  # a node checks values on the host (its run can raise)
        self.error = None
        # Another thread may run this graph (it reads an array this one rebound): appends
        # and the run exclude each other.
        self.lock = threading.RLock()
        self.thread = threading.get_ident()
        _open_graphs.add(self)

    def release(self):
        """Drop what the graph holds once it has run (Pendings keep only ``ctx``)."""
        self.fns = self.steps = self.ext = self.ext_pos = self.ext_avals = None
        self.ext_sources = self.ext_sites = None
        self.outputs = self.rebinds = None
        _open_graphs.discard(self)


class _State(threading.local):
    def __init__(self):
        self.enabled = os.environ.get("MXJAX_CAPTURE", "1") not in ("0", "false", "False")
        self.scope = False
        self.graph = None
        self.bulk_size = 0
        self.eager_keys = []  # operators run eagerly since the last read of a value
        self.segments = collections.OrderedDict()  # hashes of eager runs seen (bounded)


_state = _State()
_avals = {}
_open_graphs = weakref.WeakSet()
callback_errors = []  # set by host callbacks (mxjax._host), re-raised by the caller
_host_checks = [0]    # host callbacks staged into traced code so far (``note_host_check``)


def note_host_check():
    """A host callback that may raise was staged into the function being traced: a step
    holding it runs synchronously and donates nothing, so that a failure can be undone."""
    _host_checks[0] += 1


class _Stats:
    def __init__(self):
        self.compiles = 0
        self.cache_hits = 0
        self.evictions = 0
        self.runs = 0
        self.nodes = 0
        self.forced = collections.Counter()
        self.step_runs = 0
        self.traced = collections.Counter()
        self.seconds = collections.Counter()

    def snapshot(self):
        return {"compiles": self.compiles, "cache_hits": self.cache_hits,
                "evictions": self.evictions, "runs": self.runs,
                "nodes": self.nodes, "step_runs": self.step_runs,
                "forced": dict(self.forced), "forced_total": sum(self.forced.values()),
                "traced": dict(self.traced),
                "compile_seconds": self.seconds["compile"], "trace_seconds": self.seconds["trace"],
                "cache_load_seconds": self.seconds["cache_load"]}


_stats = _Stats()
_JAX_DURATIONS = {"/jax/core/compile/backend_compile_duration": "compile",
                  "/jax/core/compile/jaxpr_to_mlir_module_duration": "compile",
                  "/jax/core/compile/jaxpr_trace_duration": "trace",
                  "/jax/compilation_cache/cache_retrieval_time_sec": "cache_load"}


def _note_duration(event, seconds, **_):
    kind = _JAX_DURATIONS.get(event)
    if kind is not None:
        _stats.seconds[kind] += seconds


jax.monitoring.register_event_duration_secs_listener(_note_duration)


def compile_stats():
    """What the engine has compiled and run so far in this process, one set of counters:

    - ``compiles``: captured-step programs built (one per structure and input signature),
      ``cache_hits`` (runs of a program already built), ``evictions`` (programs dropped by
      the bounded cache, ``MXJAX_COMPILE_CACHE_SIZE``), ``runs``, ``nodes`` (operator calls
      captured), ``step_runs`` (runs at a step boundary: the next ``record()``),
      ``forced`` (runs forced by a read of a value, per ``"api at file:line"``) and
      ``forced_total``;
    - ``traced``: functions traced for compilation, per kind (``"step"``,
      ``"hybridized"``, ``"optimizer"``, ``"gradient"``);
    - ``compile_seconds``, ``trace_seconds``: time XLA spent compiling and JAX tracing,
      for every program of the process; ``cache_load_seconds``: time spent loading
      programs from the persistent compilation cache instead."""
    return _stats.snapshot()


def note_traced(kind):
    """A function of ``kind`` was traced to be compiled (counted in ``compile_stats``)."""
    _stats.traced[kind] += 1


def reset_compile_stats():
    """Set every counter of ``compile_stats()`` back to zero."""
    global _stats
    _stats = _Stats()


# ---- the switch and the scope -----------------------------------------------------------
def is_capturing():
    """Whether operator calls are being captured right now."""
    return _state.enabled and _state.scope and not _tracing.active()


def set_capture(enabled):
    """Turn step capture on or off for this thread; returns the previous setting. Turning
    it off runs whatever is pending first."""
    previous = _state.enabled
    if not enabled:
        flush("set_capture(False)")
        _state.scope = False
    _state.enabled = bool(enabled)
    return previous


@contextlib.contextmanager
def capture(enabled=True):
    """``with capture(False):`` runs every operator eagerly inside (op by op)."""
    previous = set_capture(enabled)
    try:
        yield
    finally:
        set_capture(previous)


@contextlib.contextmanager
def suspended():
    """Run operators eagerly inside, leaving what is pending alone (host callbacks)."""
    previous, _state.enabled = _state.enabled, False
    try:
        yield
    finally:
        _state.enabled = previous


@contextlib.contextmanager
def step(ctx):
    """Operators called inside join one graph of their own, run on exit even where
    nothing is captured (an optimizer update outside ``record()``): the arrays they rebind
    are known when it runs, so their previous buffers can be donated. With capture turned
    off they run eagerly, one by one."""
    if not _state.enabled or _state.scope or _tracing.active():
        yield
        return
    previous_scope, previous_enabled = _state.scope, _state.enabled
    _state.scope = _state.enabled = True
    graph = _open(ctx)
    try:
        yield
    finally:
        _state.scope, _state.enabled = previous_scope, previous_enabled
        if _state.graph is graph:
            _state.graph = None
    if graph.fns:
        _run(graph, None)


def note_read():
    """A value is read on the host (``asnumpy`` and everything built on it). Operators
    that ran eagerly since the previous read, outside ``record()``, are one run of the
    user's code -- an evaluation loop's body, say. When the same run (the same operators,
    attributes and order) comes again and is long enough that one compiled program beats
    dispatching its operators one by one, capture starts: the next run is one program,
    and capture stays on while reads keep finding it compiled."""
    keys = _state.eager_keys
    if not keys:
        return
    _state.eager_keys = []
    if len(keys) < _LOOP_MIN_OPS or not _state.enabled or not _CAPTURE_LOOPS or \
            _tracing.active():
        return
    run = hash(tuple(keys))
    segments = _state.segments
    if run in segments:
        _state.scope = True
        return
    segments[run] = True
    if len(segments) > _LOOP_MEMORY:
        segments.popitem(last=False)


def begin_step():
    """``autograd.record()`` begins: run what the previous step left pending, then
    capture from here on."""
    if not _state.enabled or _tracing.active():
        return
    graph = _state.graph
    if graph is not None and graph.fns:
        _run(graph, None)
    _state.scope = True


def current_ctx():
    """The context of the graph being captured, ``None`` when there is none."""
    graph = _state.graph
    return None if graph is None else graph.ctx


def mark_training():
    """The current graph records, differentiates or updates (it is part of a step)."""
    graph = _state.graph
    if graph is not None:
        graph.training = True


# ---- appending nodes --------------------------------------------------------------------
def _aval_of(value):
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        return value.shape, value.dtype, getattr(value, "weak_type", False)
    if isinstance(value, jax.core.Tracer):
        raise Eager
    if isinstance(value, tuple):  # e.g. the start positions of a basic index
        return ("tuple", *(_aval_of(v) for v in value))
    return type(value)


def _spec_of(aval):
    if aval is None:
        return None
    if isinstance(aval, type):
        return aval()  # a Python scalar: only its type matters for tracing
    if aval[0] == "tuple":
        return tuple(_spec_of(a) for a in aval[1:])
    return jax.ShapeDtypeStruct(aval[0], aval[1], weak_type=aval[2])


def _infer(fn, in_avals):
    out = jax.eval_shape(fn, *[_spec_of(a) for a in in_avals])
    return tuple((tuple(o.shape), np.dtype(o.dtype), bool(o.weak_type)) for o in out)


def apply(fn, key, args, ctx):
    """Append ``fn(*args) -> tuple`` (pure; ``key`` names it with everything it compiles
    in) to the pending graph of ``ctx``; returns its outputs as ``Pending`` values.

    ``args`` are Pending values, arrays, Python scalars or ``None``. Raises ``Eager``
    (nothing appended) when an argument is a JAX tracer."""
    graph = _state.graph
    if graph is None or graph.ctx != ctx or graph.fns is None:
        graph = _open(ctx)
    for a in args:  # before taking this graph's lock: no two graphs wait for each other
        if type(a) is Pending and a.value is None and a.graph is not graph:
            materialize(a, "an array of another graph")
    with graph.lock:
        if graph.fns is None:  # another thread ran it meanwhile
            return apply(fn, key, args, ctx)
        return _append(graph, fn, key, args, ctx)


def _append(graph, fn, key, args, ctx):
    wiring, in_avals = [], []
    ext_pos, ext = graph.ext_pos, graph.ext
    for i, a in enumerate(args):
        if a is None:
            wiring.append(None)
            in_avals.append(None)
            continue
        source = None
        if type(a) is Pending:
            if a.value is None:
                if a.graph is graph:
                    wiring.append(a.ref)
                    in_avals.append(a.aval)
                    continue
                materialize(a, "an array of another graph")
            source, aval, a = a, a.aval, a.value
        else:
            aval = _aval_of(a)
        in_avals.append(aval)
        pos = ext_pos.get(id(a))
        if pos is None:
            pos = ext_pos[id(a)] = len(ext)
            ext.append(a)
            graph.ext_avals.append(aval)
            graph.ext_sources.append(source)
            graph.ext_sites.append((key, i))
        wiring.append(pos)
    sig = (key, *in_avals)
    inferred = _avals.get(sig)
    if inferred is None:
        staged = _host_checks[0]
        out_avals = _infer(fn, in_avals)
        inferred = _avals[sig] = (out_avals, _host_checks[0] != staged)
        if graph.fns is None:  # tracing ``fn`` needed a value and ran the graph: again
            return apply(fn, key, args, ctx)
    out_avals, checks_on_host = inferred
    graph.may_fail |= checks_on_host
    fns = graph.fns
    n = len(fns)
    fns.append(fn)
    graph.steps.append((key, tuple(wiring)))
    if len(out_avals) == 1:
        outputs = (Pending(out_avals[0], graph, (n, 0)),)
        graph.outputs.append(weakref.ref(outputs[0]))
    else:
        outputs = tuple([Pending(aval, graph, (n, j)) for j, aval in enumerate(out_avals)])
        graph.outputs += [weakref.ref(p) for p in outputs]
    if n + 1 >= _MAX_NODES:
        _run(graph, None)
    return outputs


def _open(ctx):
    previous = _state.graph
    if previous is not None and previous.fns:
        _run(previous, None)
    graph = _state.graph = _Graph(ctx)
    return graph


# ---- who holds a pending value ----------------------------------------------------------
SHARED = -1  # ``Pending.owner`` of a value bound to more than one array


def bind(value, holder):
    """``holder`` (an array) now refers to ``value``. A value bound to exactly one array
    is that array's own: once the array is rebound, nothing reaches the value any more and
    the step that rebound it may donate its buffer to XLA."""
    if type(value) is Pending:
        owner = value.owner
        if owner is None:
            value.owner = id(holder)
        elif owner != id(holder):
            value.owner = SHARED


def share(values):
    """Something other than an array keeps ``values`` (a graph retained for a second
    backward): never donate them."""
    for value in values:
        if type(value) is Pending:
            value.owner = SHARED


def rebound(holder, before, value, undo):
    """``holder`` was rebound from ``before`` to ``value``. Within a pending step this is
    what a failed run undoes (``undo(holder, before)``), and what lets the step donate
    ``before``."""
    bind(value, holder)
    if type(value) is Pending and value.value is None:
        rebinds = value.graph.rebinds
        if rebinds is not None:
            rebinds.append((holder, before, undo))


def read_elsewhere(value):
    """A thread other than the one that made ``value`` reads it: from now on no step
    donates its buffer (the reader re-reads its array after calling this, so a step that
    donated before the mark had rebound the array already)."""
    value.thread = 0


_eager_fns = {}


def call(fn, key, args, ctx=None, compiled=None):
    """``fn(*args)`` (a pure function returning a tuple, named by ``key``): appended to the
    pending graph while capturing, else run now as one cached ``jax.jit`` call
    (``compiled``, when given, is that call)."""
    if is_capturing():
        if ctx is None:
            ctx = _ctx_of_args(args)
        try:
            return apply(fn, key, args, ctx)
        except Eager:  # a JAX tracer among the arguments: run it now, below
            pass
    values = [materialize(a, "an operator outside capture") if type(a) is Pending else a
              for a in args]
    if any(isinstance(v, jax.core.Tracer) for v in values):
        return fn(*values)
    _state.eager_keys.append(key)
    jitted = compiled or _eager_fns.get(key)
    if jitted is None:
        jitted = _eager_fns[key] = jax.jit(fn)
    return run_compiled(jitted, *values)


def run_compiled(jitted, *args):
    """``jitted(*args)``; an error raised by a host callback inside it (a CustomOp's, an
    ``autograd.Function``'s backward) is raised as itself, not as JAX's runtime error."""
    try:
        return jitted(*args)
    except jax.errors.JaxRuntimeError as e:
        if callback_errors:
            raise callback_errors.pop() from e
        raise


def _ctx_of_args(args):
    from .context import context_of_device, current_context

    for a in args:
        if type(a) is Pending:
            return a.graph.ctx
        if isinstance(a, jax.Array):
            return context_of_device(next(iter(a.devices())))
    return current_context()


# ---- running ----------------------------------------------------------------------------
def materialize(pending, reason=None):
    """The concrete value of ``pending``, running its graph if needed (a forced run)."""
    if pending.value is None:
        graph = pending.graph
        with graph.lock:
            if pending.value is None:
                if graph.error is not None:
                    raise MXNetError("this array's value was lost: the computation that "
                                     f"produced it failed earlier ({graph.error})")
                if graph.fns is None:
                    raise MXNetError("internal error: a pending value was not kept when its "
                                     "graph ran")
                _run_now(graph, reason or _caller())
    return pending.value


def flush(reason="flush"):
    """Run whatever is pending (``mx.nd.waitall`` and friends)."""
    graph = _state.graph
    if graph is not None and graph.fns:
        _run_now(graph, reason)


def _run_now(graph, forced_by):
    """``_run``, also where a value is needed inside a trace (an ``autograd.Function``'s,
    a hybridized block's), which would otherwise stage the compiled call into it."""
    if _tracing.active():
        with jax.ensure_compile_time_eval():
            _run(graph, forced_by)
    else:
        _run(graph, forced_by)


def wait_all():
    """Run whatever is pending, then block until every computation dispatched so far has
    finished (``mx.nd.waitall``).

    JAX keeps no list of running computations (``jax.effects_barrier`` waits only for
    ordered effects). XLA runs the computations of a device in the order they were
    dispatched (the CPU client chains each to the previous one; a GPU uses one stream), so
    a tiny computation dispatched now on every device finishes after all of them, even
    those whose outputs were dropped. Transfers do not join that queue, so every live
    array is waited for as well (about a microsecond per live array).
    """
    flush("waitall")
    devices = _local_devices()
    try:
        jax.block_until_ready([_barrier(_barrier_token(d)) for d in devices])
        for platform in {d.platform: None for d in devices}:
            jax.block_until_ready(jax.live_arrays(platform))
    except jax.errors.JaxRuntimeError as e:  # an asynchronous failure surfaces here
        raise MXNetError(str(e)) from e


def _local_devices():
    """The devices arrays can live on: the default backend's and the host's."""
    devices = list(jax.local_devices())
    if devices[0].platform != "cpu":
        devices += jax.local_devices(backend="cpu")
    return devices


_barrier_tokens = {}
_barrier = jax.jit(lambda token: token + 1)


def _barrier_token(device):
    token = _barrier_tokens.get(device)
    if token is None:
        token = _barrier_tokens[device] = jax.device_put(np.zeros((), np.int8), device)
    return token


def _caller():
    """``"api at file:line"``: the mxjax function that needed a value and the user code
    that called it."""
    frame, api = sys._getframe(2), None
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        name = frame.f_code.co_name
        if api is None or not name.startswith("_") or name.startswith("__"):
            api = name
        frame = frame.f_back
    if frame is None:
        return api or "?"
    return f"{api} at {os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def _run(graph, forced_by):
    """Run ``graph`` as one compiled call; ``forced_by`` names the read that needed it
    (``None``: a step boundary)."""
    with graph.lock:
        if graph.fns is not None:  # not run by another thread meanwhile
            _run_locked(graph, forced_by)


def _run_locked(graph, forced_by):
    if _state.graph is graph:
        _state.graph = None
    # Newest first: JAX pairs donated inputs with the first outputs of their shape, and the
    # last writes of a step (new weights, optimizer states) should reuse their buffers.
    alive = [p for p in (w() for w in reversed(graph.outputs)) if p is not None]
    selection = tuple(p.ref for p in alive)
    donated, copied = ((), ()) if graph.may_fail else _donatable(graph, alive)
    compiles = _stats.compiles
    runner = _runner(graph, selection, donated)
    _stats.runs += 1
    _stats.nodes += len(graph.fns)
    if forced_by is None:
        _stats.step_runs += 1
    else:
        _stats.forced[forced_by] += 1
        # Outside training, capture goes on only while it keeps finding programs compiled
        # (a loop); a new program ends it, and ``note_read`` starts it again on a repeat.
        if not graph.training and _stats.compiles != compiles:
            _state.scope = False
    ext = graph.ext
    # A step whose run can still fail is waited for, and donates nothing it could not
    # give back: host checks (an index out of range) donate nothing at all; a new
    # program (it may not fit in memory) gets copies of its donated inputs, once.
    wait = graph.may_fail or not runner.proven and bool(graph.rebinds)
    if not runner.proven:
        copied = donated
    if copied:
        ext = list(ext)
        for i in copied:
            ext[i] = jax.device_put(ext[i], may_alias=False)
    values = ()
    try:
        values = runner(ext, graph.device)
        if wait:
            jax.block_until_ready(values)
    except Exception as e:
        for value in values:  # failed outputs: ``waitall`` must not raise their error again
            value.delete()
        error = callback_errors.pop() if callback_errors else e
        _undo(graph)
        graph.error = error
        graph.release()
        if error is not e:
            raise error from e
        if isinstance(e, jax.errors.JaxRuntimeError):
            raise MXNetError(str(e)) from e
        raise
    runner.proven = True
    ext_pos = graph.ext_pos
    for p, v in zip(alive, values):
        p.value = v
        if id(v) in ext_pos:  # JAX forwards an input that is returned unchanged
            p.owner = SHARED
            source = graph.ext_sources[ext_pos[id(v)]]
            if source is not None:
                source.owner = SHARED
    graph.release()


def _undo(graph):
    """A run failed: every array a node of it rebound gets its value from before."""
    for holder, before, undo in reversed(graph.rebinds):
        undo(holder, before)


def _donatable(graph, alive):
    """``(donated, copied)``: positions of the external values a step replaces -- the
    previous values of the arrays it rebound -- each matched to an output of its shape and
    dtype, which XLA then writes in place; and those of them the step does not own, which
    it donates a copy of. It owns a value when that array was its only holder, no other
    thread read it and no other pending graph reads it."""
    ext_pos, wanted, donated, copied = graph.ext_pos, None, [], []
    for holder, before, _ in graph.rebinds:
        value = before.value if type(before) is Pending else before
        pos = ext_pos.get(id(value))
        if pos is None or pos in donated or not isinstance(value, jax.Array):
            continue
        if wanted is None:
            wanted = collections.Counter([p.aval[:2] for p in alive])
        aval = graph.ext_avals[pos][:2]
        if wanted[aval] <= 0:
            continue
        wanted[aval] -= 1
        donated.append(pos)
        if (type(before) is not Pending or before.thread == 0 or before.owner != id(holder)
                or _read_by_other_graph(graph, value)):
            copied.append(pos)
    return tuple(sorted(donated)), copied


def _read_by_other_graph(graph, value):
    return any(other is not graph and other.ext_pos is not None and id(value) in other.ext_pos
               for other in list(_open_graphs))


# ---- compiled programs ------------------------------------------------------------------
def _cache_size():
    return max(1, int(os.environ.get("MXJAX_COMPILE_CACHE_SIZE", "64")))


_programs = collections.OrderedDict()  # least recently run first


def _runner(graph, selection, donated):
    """The compiled program of ``graph``'s structure and input signature (a bounded LRU
    cache: a program not run for a while gives its memory back)."""
    signature = tuple(graph.ext_avals)
    key = (tuple(graph.steps), selection, donated, signature)
    runner = _programs.get(key)
    if runner is not None:
        _programs.move_to_end(key)
        _stats.cache_hits += 1
        return runner
    runner = _programs[key] = _Runner(graph.fns, graph.steps, selection, donated)
    _note_compile(graph, signature)
    while len(_programs) > _cache_size():
        _programs.popitem(last=False)
        _stats.evictions += 1
    return runner


class _Runner:
    """One graph structure at one input signature, as a ``jax.jit`` function of its
    external values."""

    def __init__(self, fns, steps, selection, donated):
        wirings = [w for _, w in steps]
        self.proven = False  # has run to completion once

        def run(*ext):
            _stats.traced["step"] += 1
            env = []
            for fn, wiring in zip(fns, wirings):
                env.append(fn(*[None if w is None else ext[w] if type(w) is int
                                else env[w[0]][w[1]] for w in wiring]))
            return [env[i][j] for i, j in selection]

        self.jitted = jax.jit(run, donate_argnums=donated)

    def __call__(self, ext, device):
        if device != _default_device():
            with jax.default_device(device):
                return self.jitted(*ext)
        return self.jitted(*ext)


def _note_compile(graph, signature):
    _stats.compiles += 1
    # The structure without static attributes: reshapes to a new batch size change the
    # program's key, and the warning must still see one step.
    family = tuple((_op_name(k), w) for k, w in graph.steps)
    note_signature(family, signature, [_site_name(s) for s in graph.ext_sites],
                   "a captured step")


def note_signature(family, signature, names, what):
    """``what`` (``"a captured step"``, ``"hybridized block dense0"``...) of structure
    ``family`` is compiled for the input ``signature`` (one ``(shape, dtype, ...)`` or
    Python type per input, named by ``names``): warn once per structure whose input shapes
    keep changing, naming the inputs that changed and the user's line that ran it."""
    seen = _families.setdefault(family, {"signatures": [], "warned": False})
    signatures = seen["signatures"]
    if signature in signatures or seen["warned"]:
        return
    signatures.append(signature)
    if len(signatures) <= _RECOMPILE_WARNING_AFTER:
        return
    seen["warned"] = True
    before = signatures[-2]
    changed = [f"{names[i]}: {_shape_of(before[i])} -> {_shape_of(signature[i])}"
               for i in range(min(len(before), len(signature), len(names)))
               if before[i] != signature[i]]
    if not changed:
        changed = [f"it reads {len(signature)} arrays, {len(before)} before"]
    filename, lineno = _user_line()
    warnings.warn_explicit(
        f"mxjax: {what} was compiled for {len(signatures)} different input "
        f"shapes ({'; '.join(changed[:6])}). Each new shape costs a compile: pad or "
        "bucket inputs to a few fixed shapes to compile less.",
        UserWarning, filename, lineno, module="mxjax")


def _shape_of(aval):
    if aval is None:
        return "None"
    return aval[0] if isinstance(aval, tuple) else aval.__name__


def _user_line():
    """File and line of the innermost frame outside mxjax (and its ``with`` blocks)."""
    frame = sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename.startswith(_PACKAGE_DIR)
                                 or frame.f_code.co_filename == contextlib.__file__):
        frame = frame.f_back
    if frame is None:
        return "<mxjax>", 0
    return frame.f_code.co_filename, frame.f_lineno


_families = {}


def _op_name(key):
    return key[0] if isinstance(key, tuple) and key and isinstance(key[0], str) else key


def _site_name(site):
    key, i = site
    return f"input {i} of {_op_name(key)}"


_devices = []


def _default_device():
    if not _devices:
        _devices.append(jax.local_devices()[0])
    return _devices[0]


def set_bulk_size(size):
    """Set this thread's bulk-execution size and return the previous one (0 at first).

    MXNet bundles up to ``size`` imperative operators into one engine task. mxjax
    bundles through step capture instead (from ``autograd.record()`` on), so the size is
    kept for code that sets and restores it and changes neither results nor timing.
    """
    previous, _state.bulk_size = _state.bulk_size, int(size)
    return previous


@contextlib.contextmanager
def bulk(size):
    """``with mx.engine.bulk(size):`` sets the bulk size (see :func:`set_bulk_size`) and
    restores the previous one on exit."""
    previous = set_bulk_size(size)
    try:
        yield
    finally:
        set_bulk_size(previous)
