"""Whole-script benchmark: each script in benchmarks/scripts/ under real MXNet 1.9.1 and
under mxjax, in one run.

    python benchmarks/run_scripts.py [--repeats 1] [--only 03,07] [--ref-python PATH]

Run it with the mxjax virtual environment's python; ``--ref-python`` is a python that has
mxnet==1.9.1 (``make refvenv``). Each script is the same file for both frameworks
(``import mxnet as mx``); the mxjax runs go through mxjax's ``mxjax run`` entry point
(as ``python -m mxjax run``), which makes ``import mxnet`` resolve to mxjax.

Per script the table gives the wall time from process start to the script's last line of
output (import, data, compilation and training included; interpreter teardown not), as
the median over ``--repeats``:

- ``MXNet``: real MXNet 1.9.1;
- ``cold``: mxjax with an empty XLA compilation cache (``MXJAX_CACHE_DIR`` set to a fresh
  temporary directory);
- ``warm``: mxjax run again right after, with the same cache directory;

then the ratios to MXNet, the compile seconds of each mxjax run (``compile_seconds`` of
``mx.engine.compile_stats()``, written to stderr at exit: lowering to MLIR plus XLA's
compile; a warm cache saves only the second), and the final number each
script prints (``RESULT name=value``) under both frameworks, so that one can see they
computed comparable things. Agreement is reported, not asserted: the frameworks draw
different random numbers.

Runs are interleaved: every repeat runs each script under all three settings, MXNet first
on even repeats and last on odd ones, so that a change in the machine's load spreads over
all settings.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS_DIR = os.path.join(HERE, "scripts")
REPO = os.path.dirname(HERE)
RESULT_LINE = re.compile(r"^RESULT (\w+)=(\S+)\s*$")
STATS_LINE = re.compile(r"^MXJAX_COMPILE_STATS (\{.*\})$", re.M)
SETTINGS = ("mxnet", "cold", "warm")
# ``python -m mxjax run SCRIPT``, plus mxjax's compile statistics on stderr at exit.
MXJAX_RUN = """
import atexit, json, sys
import mxjax
from mxjax.__main__ import main
def report():
    s = mxjax.engine.compile_stats()
    keys = ("compile_seconds", "trace_seconds", "cache_load_seconds")
    sys.stderr.write("MXJAX_COMPILE_STATS " + json.dumps({k: s[k] for k in keys}) + "\\n")
atexit.register(report)
main(["run", *sys.argv[1:]])
"""


def find_scripts(only):
    names = sorted(f for f in os.listdir(SCRIPTS_DIR) if re.match(r"\d\d_.*\.py$", f))
    if only:
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        names = [n for n in names if any(n.startswith(w) for w in wanted)]
    return names


def run_once(argv, env, timeout):
    """Run one script; returns (seconds to its last line of output, RESULT value, error,
    XLA compile seconds or None)."""
    with tempfile.TemporaryFile(mode="w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=SCRIPTS_DIR, env=env, stdout=subprocess.PIPE,
                                stderr=err, text=True)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        last_output, result = start, None
        for line in proc.stdout:
            last_output = time.perf_counter()
            match = RESULT_LINE.match(line)
            if match:
                result = (match.group(1), match.group(2))
        proc.wait()
        killer.cancel()
        err.seek(0)
        stderr = err.read()
    stats = STATS_LINE.search(stderr)
    compile_seconds = json.loads(stats.group(1))["compile_seconds"] if stats else None
    if proc.returncode != 0 or result is None:
        tail = STATS_LINE.sub("", stderr).strip().splitlines()[-3:]
        why = f"exit {proc.returncode}" if proc.returncode else "no RESULT line"
        return None, None, f"{why}: {' | '.join(tail)}", compile_seconds
    return last_output - start, result, None, compile_seconds


def base_env():
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    # ``python script.py`` puts the script's folder on sys.path; ``-m mxjax run`` does not.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SCRIPTS_DIR, env.get("PYTHONPATH")) if p)
    for name in ("MXJAX_COMPILATION_CACHE", "JAX_COMPILATION_CACHE_DIR"):
        env.pop(name, None)
    return env


def run_script(name, repeat, args):
    """All three settings of one script for one repeat, in the interleaved order."""
    env = base_env()
    mxnet_argv = [args.ref_python, name]
    mxjax_argv = [sys.executable, "-c", MXJAX_RUN, name]
    cache = tempfile.mkdtemp(prefix="mxjax-xla-")
    jax_env = dict(env, MXJAX_CACHE_DIR=cache)
    plan = [("mxnet", mxnet_argv, env), ("cold", mxjax_argv, jax_env),
            ("warm", mxjax_argv, jax_env)]
    if repeat % 2:
        plan = plan[1:] + plan[:1]
    out = {}
    try:
        for setting, argv, run_env in plan:
            out[setting] = run_once(argv, run_env, args.timeout)
            seconds, _, error, _ = out[setting]
            shown = f"{seconds:.1f}s" if error is None else f"FAILED ({error})"
            print(f"  [{repeat + 1}/{args.repeats}] {name:<28} {setting:<6} {shown}", flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_seconds(value):
    return f"{value:.1f}" if value is not None else "FAIL"


def fmt_ratio(num, den):
    return f"{num / den:.2f}x" if num is not None and den else "-"


def describe_agreement(ref, ours):
    """``name: MXNet's value | mxjax's value (relative difference)``."""
    text = f"{ref[0]}: {ref[1]} | {ours[1]}"
    try:
        a, b = float(ref[1]), float(ours[1])
    except ValueError:
        return text
    return text + (f" ({(b - a) / abs(a):+.0%})" if a else "")


def print_table(names, runs):
    print(f"\n{'script':<24}{'MXNet s':>8}{'cold s':>8}{'warm s':>8}{'cold/MX':>8}"
          f"{'warm/MX':>8}{'compile s':>15}  final number (MXNet | mxjax)")
    print(f"{'':<64}{'cold | warm':>15}")
    totals = {s: 0.0 for s in SETTINGS}
    complete = True
    for name in names:
        med = {s: median_or_none([r[s][0] for r in runs[name]]) for s in SETTINGS}
        for s in SETTINGS:
            if med[s] is None:
                complete = False
            else:
                totals[s] += med[s]
        results = {s: next((r[s][1] for r in runs[name] if r[s][1]), None) for s in SETTINGS}
        metric = "-"
        if results["mxnet"] and results["cold"]:
            metric = describe_agreement(results["mxnet"], results["cold"])
        compile_s = [median_or_none([r[s][3] for r in runs[name]]) for s in ("cold", "warm")]
        compiled = " | ".join("-" if c is None else f"{c:.1f}" for c in compile_s)
        print(f"{name[3:-3]:<24}{fmt_seconds(med['mxnet']):>8}{fmt_seconds(med['cold']):>8}"
              f"{fmt_seconds(med['warm']):>8}{fmt_ratio(med['cold'], med['mxnet']):>8}"
              f"{fmt_ratio(med['warm'], med['mxnet']):>8}{compiled:>15}  {metric}")
    label = "total" if complete else "total (ok rows)"
    print(f"{label:<24}{totals['mxnet']:>8.1f}{totals['cold']:>8.1f}{totals['warm']:>8.1f}"
          f"{fmt_ratio(totals['cold'], totals['mxnet']):>8}"
          f"{fmt_ratio(totals['warm'], totals['mxnet']):>8}")
    for name in names:
        for s in SETTINGS:
            errors = {r[s][2] for r in runs[name] if r[s][2]}
            for error in errors:
                print(f"FAILED {name} ({s}): {error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated script name prefixes")
    parser.add_argument("--ref-python", default=os.path.join(REPO, ".refvenv", "bin", "python"),
                        help="a python with mxnet==1.9.1 (make refvenv)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds before a run is killed")
    args = parser.parse_args()
    if not os.path.exists(args.ref_python):
        sys.exit(f"run_scripts: no MXNet python at {args.ref_python}; run `make refvenv` "
                 "or pass --ref-python")
    args.ref_python = os.path.abspath(args.ref_python)
    names = find_scripts(args.only)
    if not names:
        sys.exit(f"run_scripts: no script in {SCRIPTS_DIR} matches --only {args.only!r}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{len(names)} scripts x {args.repeats} repeats on {os.cpu_count()} CPUs "
          f"(load average {load} at start)", flush=True)
    runs = {name: [] for name in names}
    for repeat in range(args.repeats):
        for name in names:
            runs[name].append(run_script(name, repeat, args))
    print_table(names, runs)


if __name__ == "__main__":
    main()
