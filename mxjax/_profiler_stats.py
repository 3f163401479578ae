"""The profiler's records: aggregate statistics in MXNet 1.9.1's "Profile Statistics"
layouts (table and JSON), and the compiled-program runs read from a ``jax.profiler``
trace."""

import numpy as np

__all__ = ["AggregateStats", "program_runs", "program_name"]

DURATION, COUNTER = 1, 2
_INT_MAX = 2 ** 31 - 1  # MXNet's initial minimum
_MEMORY_CATEGORIES = ("Device Storage", "Pool Memory")


class _StatData:
    __slots__ = ("kind", "count", "total", "min", "max")

    def __init__(self):
        self.kind, self.count, self.total, self.min, self.max = None, 0, 0, _INT_MAX, 0


def _ms(micro):
    """MXNet's MicroToMilli (and ByteToKilobyte): a float32 of ``value / 1000``."""
    return float(np.float32(micro / 1000))


class AggregateStats:
    """Per category, per name: how many times, total, minimum and maximum (durations in
    microseconds; for counters, the values set). Categories are listed by name (MXNet
    lists them in the order of a hash map)."""

    def __init__(self):
        self.stats = {}

    def clear(self):
        self.stats = {}

    def add_duration(self, category, name, micros):
        data = self.stats.setdefault(category, {}).setdefault(name, _StatData())
        data.kind = DURATION
        micros = int(micros)
        data.count += 1
        data.total += micros
        data.max = max(data.max, micros)
        data.min = min(data.min, micros)

    def add_counter(self, category, name, value):
        data = self.stats.setdefault(category, {}).setdefault(name, _StatData())
        data.kind = COUNTER
        data.count += 1
        data.total = value  # a counter's "total" is its last value, as in MXNet
        data.max = max(data.max, value)
        data.min = min(data.min, value)

    def add_other(self, category):
        """A category whose records are not aggregated (instant markers): its header
        is printed with no rows, as MXNet does."""
        self.stats.setdefault(category, {})

    def _sorted(self, entries, sort_by, ascending):
        # MXNet's max-heap of (value, name): largest first, ties by name descending.
        def value(data):
            if sort_by == "avg":
                v = (data.max - data.min) // 2 if data.kind == COUNTER else \
                    data.total / data.count
            else:
                v = {"total": data.total, "min": data.min, "max": data.max,
                     "count": data.count}[sort_by]
            return -v if ascending else v
        return sorted(entries.items(), key=lambda kv: (value(kv[1]), kv[0]), reverse=True)

    @staticmethod
    def _avg(data):
        if data.kind == COUNTER:
            return _ms((data.max - data.min) // 2)
        return _ms(data.total / data.count)

    def table(self, sort_by="total", ascending=False):
        """MXNet's ``dumps(format='table')`` text."""
        out = ["", "Profile Statistics:", "\tNote the difference in units for different entries."]
        for category, entries in sorted(self.stats.items()):
            memory = category in _MEMORY_CATEGORIES
            out += [category, "================="]
            if memory:
                out.append(f"{'Name':<25}{'Total Count':>16} {'Min Use  (kB)':>16} "
                           f"{'Max Use  (kB)':>16} {'Avg Use  (kB)':>16}")
                out.append(f"{'----':<25}{'-----------':>16} {'-------------':>16} "
                           f"{'-------------':>16} {'-------------':>16}")
            else:
                out.append(f"{'Name':<25}{'Total Count':>16} {'Time (ms)':>16} "
                           f"{'Min Time (ms)':>16} {'Max Time (ms)':>16} "
                           f"{'Avg Time (ms)':>16}")
                out.append(f"{'----':<25}{'-----------':>16} {'---------':>16} "
                           f"{'-------------':>16} {'-------------':>16} "
                           f"{'-------------':>16}")
            for name, data in self._sorted(entries, sort_by, ascending):
                row = f"{name:<25}{data.count:>16} "
                if not memory:
                    row += f"{_ms(data.total):>16.4f} "
                row += (f"{_ms(data.min):>16.4f} {_ms(data.max):>16.4f} "
                        f"{self._avg(data):>16.4f}")
                out.append(row)
            out.append("")
        return "\n".join(out) + "\n"

    def json(self, sort_by="total", ascending=False):
        """MXNet's ``dumps(format='json')`` text (its layout, numbers as ``%.4g``)."""
        time_part, memory_part = [], []
        for category, entries in sorted(self.stats.items()):
            memory = category in _MEMORY_CATEGORIES
            part = memory_part if memory else time_part
            if part:
                part.append("        ,")
            part.append(f'        "{category}": {{')
            first = True
            for name, data in self._sorted(entries, sort_by, ascending):
                if not first:
                    part.append("            ,")
                first = False
                part.append(f'            "{name}": {{')
                part.append(f'                "Count": {data.count},')
                if not memory:
                    part.append(f'                "Total": {_ms(data.total):.4g},')
                part.append(f'                "Min": {_ms(data.min):.4g},')
                part.append(f'                "Max": {_ms(data.max):.4g},')
                part.append(f'                "Avg": {self._avg(data):.4g}')
                part.append("            }")
            part.append("        }")
        lines = ["{", '    "Time": {', *time_part, "    }", "    ,", '    "Memory": {',
                 *memory_part, "    }", ",", '    "Unit": {', '        "Time": "ms",',
                 '        "Memory": "kB"', "    }", "}"]
        return "\n".join(lines) + "\n"


def program_runs(path):
    """``[(program name, start_ns, duration_ns, custom op or None)]`` of the compiled
    programs (XLA executables) that ran during the ``jax.profiler`` trace written to
    ``path``, in order.

    A device plane's "XLA Modules" line holds one event per run. Where there is none
    (XLA's CPU backend), a run is the span of the operation events that name its
    module (``hlo_module``) and share a ``run_id``. Names lose JAX's ``jit_`` prefix,
    so an operator run on its own shows as the operator (``sqrt``). A run inside the
    ``'<op>::pure_python'`` range of a CustomOp's Python code belongs to ``<op>``.
    """
    from jax.profiler import ProfileData

    data = ProfileData.from_file(path)
    runs, spans, custom = [], {}, []
    for plane in data.planes:
        for line in plane.lines:
            if line.name == "XLA Modules":
                runs += [(ev.name, ev.start_ns, ev.duration_ns) for ev in line.events]
                continue
            for ev in line.events:
                if ev.name.endswith("::pure_python"):
                    op = ev.name[:-len("::pure_python")]
                    custom.append((ev.start_ns, ev.start_ns + ev.duration_ns,
                                   op[len("_backward_"):] if op.startswith("_backward_")
                                   else op))
                    continue
                stats = dict(ev.stats)
                module, run_id = stats.get("hlo_module"), stats.get("run_id")
                if module is None or run_id is None:
                    continue
                start, end = ev.start_ns, ev.start_ns + ev.duration_ns
                key = (module, run_id)
                if key in spans:
                    start, end = min(start, spans[key][0]), max(end, spans[key][1])
                spans[key] = (start, end)
    if not runs:
        runs = [(module, start, end - start) for (module, _), (start, end) in spans.items()]

    def owner(start, duration):
        inside = [op for s, e, op in custom if s <= start and start + duration <= e]
        return inside[-1] if inside else None
    return sorted(((program_name(n), s, d, owner(s, d)) for n, s, d in runs),
                  key=lambda r: r[1])


def program_name(name):
    """A program's name without JAX's decoration: ``jit_sqrt``, ``jit(sqrt)`` and
    ``jit_sqrt(12)`` are all ``sqrt``."""
    if name.startswith("jit(") and name.endswith(")"):
        return name[4:-1]
    name = name.split("(")[0]
    return name[4:] if name.startswith("jit_") else name
