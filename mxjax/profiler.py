"""``mx.profiler``: MXNet 1.9.1's profiler API on what XLA can observe.

What is measured
----------------
- **Compiled programs** (category ``operator``): every XLA executable that runs while
  the profiler runs, with its name and duration, read from a ``jax.profiler`` trace
  (started by ``set_state('run')``, read back at ``set_state('stop')``, ``pause``,
  ``dump`` and ``dumps``). An operator run on its own (``mx.nd.sqrt(x)`` outside
  ``autograd.record()``) is one program named after the operator, so it shows as
  ``sqrt``, as in MXNet. A captured training step, a hybridized block, an Executor's
  forward or backward is ONE program: XLA fuses its operators, so per-operator time is
  not observable there and is reported per compiled program instead.
- **Compilation** (category ``XLA compile``): time XLA spent compiling each program.
- **Step capture**: ``mx.engine.compile_stats()`` counters since ``set_state('run')``,
  appended to ``dumps()`` (a ``Capture`` entry in the JSON form).
- **Your own ranges**: ``Domain``, ``Task``, ``Frame``, ``Event``, ``Counter``,
  ``Marker``, timed on the host as MXNet times them.

``dump()`` writes the records as a Chrome trace (``chrome://tracing``, Perfetto) to the
configured ``filename``; ``dumps()`` returns the aggregate table (``aggregate_stats=True``).
``set_config(xla_trace_dir=...)`` (an mxjax addition) keeps JAX's own trace files there
for TensorBoard / Perfetto, with XLA's per-operation timings inside each program.
C-API timings (``profile_api``) and memory use (``profile_memory``) have no counterpart
and are not recorded.
"""

import contextlib
import glob
import json
import os
import shutil
import tempfile
import threading
import time
import warnings

from . import engine
from ._profiler_stats import AggregateStats, program_name, program_runs
from .base import MXNetError

__all__ = ["set_config", "profiler_set_config", "set_state", "profiler_set_state", "dump",
           "dump_profile", "dumps", "pause", "resume", "Domain", "Task", "Frame", "Event",
           "Counter", "Marker", "custom_operator"]

_DEFAULT_CONFIG = {"profile_all": False, "profile_symbolic": True,
                   "profile_imperative": True, "profile_memory": True, "profile_api": True,
                   "filename": "profile.json", "continuous_dump": True, "dump_period": 1.0,
                   "aggregate_stats": False, "profile_process": "worker",
                   "xla_trace_dir": None}
_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_SCOPES = {"global": "g", "process": "p", "thread": "t", "task": "t", "marker": "t"}


def _now_us():
    return time.time_ns() // 1000


class _Profiler:
    """The process-wide profiler: configuration, state, records."""

    def __init__(self):
        self.lock = threading.RLock()
        self.config = dict(_DEFAULT_CONFIG)
        self.running = False
        self.paused = False
        self.events = []          # Chrome trace events, in the order recorded
        self.categories = {}      # category -> pid in the trace file
        self.stats = AggregateStats()
        self.trace_dir = None     # where the current jax.profiler trace is written
        self.trace_start_us = 0
        self.capture_base = None  # compile_stats() at set_state('run')
        self.trace_warned = False
        self.trace_file = None    # (filename, offset of the closing text, written pids)

    # ---- what is recorded -------------------------------------------------------------------
    def active(self):
        return self.running and not self.paused

    def _pid(self, category):
        return self.categories.setdefault(category, len(self.categories))

    def add_duration(self, category, name, start_us, duration_us, **extra):
        with self.lock:
            pid, tid = self._pid(category), threading.get_ident()
            base = {"name": name, "cat": category, "pid": pid, "tid": tid, **extra}
            self.events.append(dict(base, ph="B", ts=start_us))
            self.events.append(dict(base, ph="E", ts=start_us + duration_us))
            if self.config["aggregate_stats"]:
                self.stats.add_duration(category, name, duration_us)

    def add_counter(self, category, name, value):
        with self.lock:
            self.events.append({"name": name, "cat": category, "ph": "C", "ts": _now_us(),
                                "args": {name: value}, "pid": self._pid(category),
                                "tid": threading.get_ident()})
            if self.config["aggregate_stats"]:
                self.stats.add_counter(category, name, value)

    def add_marker(self, category, name, scope):
        with self.lock:
            self.events.append({"name": name, "cat": category, "ph": "i", "ts": _now_us(),
                                "s": scope, "pid": self._pid(category),
                                "tid": threading.get_ident()})
            if self.config["aggregate_stats"]:
                self.stats.add_other(category)

    def on_compile(self, event, duration_secs, fun_name="?", **_):
        if event == _COMPILE_EVENT and self.active():
            name = program_name(fun_name)
            micros = int(duration_secs * 1e6)
            self.add_duration("XLA compile", name, _now_us() - micros, micros)

    # ---- the jax.profiler trace of compiled programs ------------------------------------------
    def wants_programs(self):
        c = self.config
        return c["profile_all"] or c["profile_symbolic"] or c["profile_imperative"]

    def start_trace(self):
        if not self.wants_programs() or self.trace_dir is not None:
            return
        import jax

        keep = self.config["xla_trace_dir"]
        self.trace_dir = keep or tempfile.mkdtemp(prefix="mxjax-profile-")
        # XLA's own events only: tracing every Python call would slow the program down
        options = jax.profiler.ProfileOptions()
        options.python_tracer_level = 0
        options.host_tracer_level = 1
        options.enable_hlo_proto = False
        try:
            jax.profiler.start_trace(self.trace_dir, profiler_options=options)
        except RuntimeError as e:  # another jax.profiler trace is running
            if not keep:
                shutil.rmtree(self.trace_dir, ignore_errors=True)
            self.trace_dir = None
            if not self.trace_warned:
                self.trace_warned = True
                warnings.warn(f"mx.profiler: compiled programs are not timed ({e})",
                              stacklevel=3)
            return
        self.trace_start_us = _now_us()

    def stop_trace(self):
        """Stop the trace and record the programs it saw."""
        if self.trace_dir is None:
            return
        import jax

        jax.block_until_ready(jax.live_arrays())  # programs still running belong here
        jax.profiler.stop_trace()
        directory, self.trace_dir = self.trace_dir, None
        try:
            newest = sorted(glob.glob(os.path.join(directory, "**", "*.xplane.pb"),
                                      recursive=True), key=os.path.getmtime)
            runs = program_runs(newest[-1]) if newest else []
        finally:
            if directory != self.config["xla_trace_dir"]:
                shutil.rmtree(directory, ignore_errors=True)
        origin = min((start for _, start, _, _ in runs), default=0)
        for name, start_ns, duration_ns, custom_op in runs:
            self.add_duration("operator" if custom_op is None else "Custom Operator",
                              name if custom_op is None else f"{custom_op}::{name}",
                              self.trace_start_us + (start_ns - origin) // 1000,
                              max(duration_ns // 1000, 0))

    def refresh(self):
        """Read what the running trace holds so far (stop it, start a new one)."""
        if self.active():
            self.stop_trace()
            self.start_trace()

    def write_trace(self):
        """Append the events recorded since the last dump (and the names of categories
        new to the file) to the trace file, keeping it valid JSON; forget them."""
        filename = self.config["filename"]
        if self.trace_file is None or self.trace_file[0] != filename:
            with open(filename, "wb") as f:
                f.write(b'{\n    "traceEvents": [\n')
                self.trace_file = (filename, f.tell(), set())
        _, offset, named = self.trace_file
        new = [{"ph": "M", "args": {"name": category}, "pid": pid, "name": "process_name"}
               for category, pid in self.categories.items() if pid not in named]
        named.update(e["pid"] for e in new)
        new += self.events
        self.events = []
        with open(filename, "r+b") as f:
            f.seek(offset)
            f.truncate()
            if new:
                if offset > len(b'{\n    "traceEvents": [\n'):
                    f.write(b",\n")
                f.write(",\n".join("        " + json.dumps(e) for e in new).encode())
            self.trace_file = (filename, f.tell(), named)
            f.write(b'\n    ],\n    "displayTimeUnit": "ms"\n}\n')

    def capture_counters(self):
        """``compile_stats()`` counters since recording began (or the last reset); only
        while compiled programs are profiled."""
        if self.capture_base is None or not self.wants_programs():
            return {}
        now = engine.compile_stats()
        return {k: now[k] - self.capture_base.get(k, 0) for k in
                ("compiles", "cache_hits", "runs", "step_runs", "nodes", "forced_total")}


_profiler = _Profiler()


def _listener(event, duration_secs, **kwargs):
    _profiler.on_compile(event, duration_secs, **kwargs)


# ---- configuration and state -------------------------------------------------------------------
def _parse_bool(key, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise MXNetError(f"Invalid Parameter format for {key} expect boolean but value='{value}'")


def set_config(**kwargs):
    """Configure the profiler (keywords only).

    Parameters
    ----------
    filename : str
        Where ``dump`` writes the Chrome trace (default ``profile.json``).
    profile_all, profile_symbolic, profile_imperative : bool
        Time compiled programs (any of them; symbolic and imperative ones are not told
        apart: a captured step mixes them).
    profile_memory, profile_api : bool
        Accepted; nothing to record in mxjax.
    continuous_dump : bool
        Each ``dump`` writes everything recorded so far.
    dump_period : float
        Accepted (dumps happen when ``dump`` is called).
    aggregate_stats : bool
        Keep the statistics ``dumps`` prints.
    profile_process : str
        'worker' (a 'server' has nothing to profile in one process).
    xla_trace_dir : str, optional
        mxjax only: keep the ``jax.profiler`` traces in this directory.
    """
    with _profiler.lock:
        config = dict(_profiler.config)
        for key, value in kwargs.items():
            if key not in _DEFAULT_CONFIG:
                raise MXNetError(f"Cannot find argument '{key}', Possible Arguments: "
                                 + ", ".join(_DEFAULT_CONFIG))
            default = _DEFAULT_CONFIG[key]
            if isinstance(default, bool):
                value = _parse_bool(key, value)
            elif isinstance(default, float):
                value = float(value)
            elif key == "profile_process" and value not in ("worker", "server"):
                raise MXNetError(f"Invalid Input: '{value}', valid values are: "
                                 "{'server', 'worker'}")
            config[key] = value
        if config["aggregate_stats"] and not _profiler.config["aggregate_stats"]:
            _profiler.stats.clear()
        _profiler.config = config


def profiler_set_config(mode="symbolic", filename="profile.json"):
    """Deprecated: ``set_config(profile_<mode>=True, filename=filename)``."""
    warnings.warn("profiler.profiler_set_config() is deprecated. "
                  "Please use profiler.set_config() instead", stacklevel=2)
    set_config(**{"profile_" + mode: True, "filename": filename})


def _check_process(profile_process):
    if profile_process not in ("worker", "server"):
        raise KeyError(profile_process)


def set_state(state="stop", profile_process="worker"):
    """Start (``'run'``) or stop (``'stop'``) recording."""
    _check_process(profile_process)
    if state not in ("run", "stop"):
        raise KeyError(state)
    import jax

    with _profiler.lock:
        if state == "run" and not _profiler.running:
            _profiler.running, _profiler.paused = True, False
            _profiler.capture_base = engine.compile_stats()
            jax.monitoring.register_event_duration_secs_listener(_listener)
            _profiler.start_trace()
        elif state == "stop" and _profiler.running:
            _profiler.stop_trace()
            _profiler.running = False
            jax.monitoring.unregister_event_duration_listener(_listener)


def profiler_set_state(state="stop"):
    """Deprecated: ``set_state(state)``."""
    warnings.warn("profiler.profiler_set_state() is deprecated. "
                  "Please use profiler.set_state() instead", stacklevel=2)
    set_state(state)


def pause(profile_process="worker"):
    """Stop recording until ``resume`` (the profiler stays in the 'run' state)."""
    _check_process(profile_process)
    with _profiler.lock:
        if _profiler.running and not _profiler.paused:
            _profiler.stop_trace()
            _profiler.paused = True


def resume(profile_process="worker"):
    """Resume recording after ``pause``."""
    _check_process(profile_process)
    with _profiler.lock:
        if _profiler.running and _profiler.paused:
            _profiler.paused = False
            _profiler.start_trace()


def dump(finished=True, profile_process="worker"):
    """Write the records to the configured ``filename`` as a Chrome trace
    (``{"traceEvents": [...], "displayTimeUnit": "ms"}``, valid JSON after every dump).
    Each dump appends what was recorded since the previous one, so the file grows while
    recording goes on; ``finished`` ends that file: the next dump starts a new one."""
    _check_process(profile_process)
    with _profiler.lock:
        _profiler.refresh()
        _profiler.write_trace()
        if finished:
            _profiler.trace_file = None


def dump_profile():
    """Deprecated: ``dump(True)``."""
    warnings.warn("profiler.dump_profile() is deprecated. "
                  "Please use profiler.dump() instead", stacklevel=2)
    dump(True)


def dumps(reset=False, format="table", sort_by="total", ascending=False):  # noqa: A002
    """The aggregate statistics (``set_config(aggregate_stats=True)``; '' otherwise) in
    MXNet's "Profile Statistics" layout: per category, per name, the count and total,
    minimum, maximum and average time in ms.

    Parameters
    ----------
    reset : bool
        Clear the statistics afterwards.
    format : {'table', 'json'}
    sort_by : {'total', 'avg', 'min', 'max', 'count'}
    ascending : bool

    Compiled programs are listed under ``operator`` by program name: per-operator time
    inside a captured step, hybridized block or executor is not observable (see the
    module's notes). While programs are profiled, the table ends with the step-capture
    counters (``mx.engine.compile_stats()`` since ``set_state('run')`` or the last reset).
    """
    assert format in ("table", "json"), \
        f"Invalid value provided for format: {format}. Support: 'table', 'json'"
    assert sort_by in ("total", "avg", "min", "max", "count"), \
        (f"Invalid value provided for sort_by: {sort_by}. "
         "Support: 'total', 'avg', 'min', 'max', 'count'")
    assert ascending in (False, True), \
        f"Invalid value provided for ascending: {ascending}. Support: False, True"
    assert reset in (False, True), \
        f"Invalid value provided for reset: {reset}. Support: False, True"
    with _profiler.lock:
        if not _profiler.config["aggregate_stats"]:
            return ""
        _profiler.refresh()
        counters = _profiler.capture_counters()
        if format == "json":
            text = _profiler.stats.json(sort_by, ascending)
            if counters:
                text = text.rstrip()[:-1] + ',\n    "Capture": ' + json.dumps(counters) + "\n}\n"
        else:
            text = _profiler.stats.table(sort_by, ascending)
            if counters:
                text += "Step capture (mx.engine.compile_stats since set_state('run'))\n"
                text += "".join(f"{k:<25}{v:>16}\n" for k, v in counters.items())
        if reset:
            _profiler.stats.clear()
            if _profiler.capture_base is not None:
                _profiler.capture_base = engine.compile_stats()
        return text


# ---- user-defined ranges ------------------------------------------------------------------------
class Domain:
    """A named group (trace category) of tasks, frames, counters and markers."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name

    def new_task(self, name):
        """A ``Task`` of this domain."""
        return Task(self, name)

    def new_frame(self, name):
        """A ``Frame`` of this domain."""
        return Frame(self, name)

    def new_counter(self, name, value=None):
        """A ``Counter`` of this domain."""
        return Counter(self, name, value)

    def new_marker(self, name):
        """A ``Marker`` of this domain."""
        return Marker(self, name)


class _Duration:
    """A range timed from ``start()`` to ``stop()``, recorded if the profiler is running
    (and not paused) at ``stop()``."""

    def __init__(self, category, name):
        self.name = name
        self._category = category
        self._start = None

    def start(self):
        """Start timing."""
        self._start = _now_us()

    def stop(self):
        """Stop timing and record the range."""
        if self._start is None:
            return
        start, self._start = self._start, None
        if _profiler.active():
            _profiler.add_duration(self._category, self.name, start, _now_us() - start)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __str__(self):
        return self.name


class Task(_Duration):
    """A unit of work of one thread; all its runs aggregate under the domain."""

    def __init__(self, domain, name):
        super().__init__(domain.name, name)


class Frame(_Duration):
    """A frame (e.g. one iteration), aggregated under ``'<domain>,frame'``."""

    def __init__(self, domain, name):
        super().__init__(f"{domain.name},frame", name)


class Event(_Duration):
    """A range of code in no domain (category ``event``)."""

    def __init__(self, name):
        super().__init__("event", name)


class Counter:
    """A value tracked over time (``set_value``, ``increment``, ``+=`` ...)."""

    def __init__(self, domain, name, value=None):
        self.name = name
        self._domain = domain
        self._value = 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        """Set the counter."""
        self._value = int(value)
        if _profiler.active():
            _profiler.add_counter(self._domain.name, self.name, self._value)

    def increment(self, delta=1):
        """Add ``delta``."""
        self.set_value(self._value + int(delta))

    def decrement(self, delta=1):
        """Subtract ``delta``."""
        self.set_value(self._value - int(delta))

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __str__(self):
        return self.name


class Marker:
    """An instant in time, in category ``'<domain>,instant_marker'``."""

    def __init__(self, domain, name):
        self.name = name
        self.domain = domain

    def mark(self, scope="process"):
        """Record the instant; ``scope`` is 'global', 'process', 'thread', 'task' or
        'marker'."""
        if _profiler.active():
            _profiler.add_marker(f"{self.domain.name},instant_marker", self.name,
                                 _SCOPES.get(scope, "p"))


@contextlib.contextmanager
def custom_operator(name):
    """Time a CustomOp's Python code (``'<op_type>::pure_python'``, or
    ``'_backward_<op_type>::pure_python'``) under category ``Custom Operator``, as
    MXNet does; the programs it runs meanwhile are listed there as
    ``'<op_type>::<program>'`` (``MyAdd::_plus_scalar``) instead of under ``operator``."""
    if not _profiler.active():
        yield
        return
    import jax

    start = _now_us()
    try:
        with jax.profiler.TraceAnnotation(name):
            yield
    finally:
        _profiler.add_duration("Custom Operator", name, start, _now_us() - start)
