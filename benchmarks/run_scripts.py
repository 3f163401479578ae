"""Whole-script benchmark: each script in benchmarks/scripts/ under real MXNet 1.9.1 and
under mxjax, in one run.

    python benchmarks/run_scripts.py [--repeats 1] [--only 03,07] [--ref-python PATH]

Run it with the mxjax virtual environment's python; ``--ref-python`` is a python that has
mxnet==1.9.1 (``make refvenv``). Each script is the same file for both frameworks
(``import mxnet as mx``); the mxjax runs go through ``python -m mxjax run``, which makes
``import mxnet`` resolve to mxjax.

Per script the table gives the wall time from process start to the script's last line of
output (import, data, compilation and training included; interpreter teardown not), as
the median over ``--repeats``:

- ``MXNet``: real MXNet 1.9.1;
- ``cold``: mxjax with an empty XLA compilation cache (``MXJAX_CACHE_DIR`` set to a fresh
  temporary directory);
- ``warm``: mxjax run again right after, with the same cache directory;

then the ratios to MXNet, and the final number each script prints (``RESULT name=value``)
under both frameworks, so that one can see they computed comparable things. Agreement is
reported, not asserted: the frameworks draw different random numbers.

Runs are interleaved: every repeat runs each script under all three settings, MXNet first
on even repeats and last on odd ones, so that a change in the machine's load spreads over
all settings.
"""

import argparse
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
SETTINGS = ("mxnet", "cold", "warm")


def find_scripts(only):
    names = sorted(f for f in os.listdir(SCRIPTS_DIR) if re.match(r"\d\d_.*\.py$", f))
    if only:
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        names = [n for n in names if any(n.startswith(w) for w in wanted)]
    return names


def run_once(argv, env, timeout):
    """Run one script; returns (seconds to its last line of output, RESULT value, error)."""
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
        if proc.returncode != 0 or result is None:
            err.seek(0)
            tail = err.read().strip().splitlines()[-3:]
            why = f"exit {proc.returncode}" if proc.returncode else "no RESULT line"
            return None, None, f"{why}: {' | '.join(tail)}"
    return last_output - start, result, None


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
    mxjax_argv = [sys.executable, "-m", "mxjax", "run", name]
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
            seconds, _, error = out[setting]
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
    print(f"\n{'script':<26}{'MXNet s':>9}{'cold s':>9}{'warm s':>9}{'cold/MX':>9}"
          f"{'warm/MX':>9}  {'final number (MXNet | mxjax)'}")
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
        print(f"{name[:-3]:<26}{fmt_seconds(med['mxnet']):>9}{fmt_seconds(med['cold']):>9}"
              f"{fmt_seconds(med['warm']):>9}{fmt_ratio(med['cold'], med['mxnet']):>9}"
              f"{fmt_ratio(med['warm'], med['mxnet']):>9}  {metric}")
    label = "total" if complete else "total (ok rows)"
    print(f"{label:<26}{totals['mxnet']:>9.1f}{totals['cold']:>9.1f}{totals['warm']:>9.1f}"
          f"{fmt_ratio(totals['cold'], totals['mxnet']):>9}"
          f"{fmt_ratio(totals['warm'], totals['mxnet']):>9}")
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
