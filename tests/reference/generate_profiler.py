"""``mx.profiler`` goldens from real MXNet 1.9.1, for tests/test_profiler.py.

    .refvenv/bin/python tests/reference/generate_profiler.py

Timings differ from run to run, so the recorded ``dumps()`` texts come from records
whose numbers are fixed: ``Counter`` values (their rows show the values set) and
instant markers (a category with no rows), with every automatic category (operators,
C API, memory) switched off. ``goldens/profiler.json`` holds the table and JSON texts
for several sort orders, the text after ``reset``, and the text with aggregation off.
"""

import json
import os
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
JSON = os.path.join(HERE, "goldens", "profiler.json")

SORTS = [("total", False), ("count", False), ("min", True), ("max", False), ("avg", True)]


def counters_only(mx, filename):
    """Record counters and markers; return the dumps texts of every sort order."""
    profiler = mx.profiler
    profiler.set_config(profile_all=False, profile_symbolic=False, profile_imperative=False,
                        profile_memory=False, profile_api=False, aggregate_stats=True,
                        continuous_dump=True, filename=filename)
    profiler.set_state("run")
    profiler.dumps(reset=True)  # nothing from before
    domain = profiler.Domain("Numbers")
    other = profiler.Domain("Other")
    a = domain.new_counter("alpha", 5)
    a += 3
    a -= 1
    b = profiler.Counter(domain, "beta")
    for v in (40, 2, 17, 9):
        b.set_value(v)
    c = other.new_counter("gamma_with_a_long_counter_name", 1000)
    c.increment(250)
    c.decrement(1249)
    profiler.Marker(domain, "tick").mark("process")
    profiler.set_state("stop")
    texts = {}
    for sort_by, ascending in SORTS:
        for fmt in ("table", "json"):
            texts[f"{fmt}/{sort_by}/{ascending}"] = profiler.dumps(
                format=fmt, sort_by=sort_by, ascending=ascending)
    texts["reset"] = profiler.dumps(reset=True)
    texts["after_reset"] = profiler.dumps()
    texts["after_reset_json"] = profiler.dumps(format="json")
    profiler.set_config(aggregate_stats=False)
    texts["aggregation_off"] = profiler.dumps()
    return texts


def main():
    warnings.filterwarnings("ignore")
    import mxnet as mx

    with tempfile.TemporaryDirectory() as workdir:
        texts = counters_only(mx, os.path.join(workdir, "profile.json"))
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, "dumps": texts}, f, indent=1, sort_keys=True)
    print(f"{len(texts)} profiler texts -> {JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
