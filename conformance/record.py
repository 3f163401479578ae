"""Record a conformance run (``make conformance``) in the repository.

Reads the JSON summary that ``../shared/conformance/run_upstream.py --json`` wrote and
updates, for every test file that run covered:

- ``conformance/passing.txt``: the counted MXNet 1.9.1 tests that pass on mxjax, one node
  id a line, sorted, so that a regression shows in a diff;
- ``conformance/summary.md``: passed/counted per file, and the reason each counted test
  failed.

Files the run did not cover keep their earlier lines. Only the standard library is used.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
REFERENCE = HERE.parent.parent / "shared" / "conformance"
PASSING, SUMMARY = HERE / "passing.txt", HERE / "summary.md"
# Files whose behaviour belongs to later issues (Module, KVStore, viz): shown, not in the goal.
LATER = {"test_module.py", "test_kvstore.py", "test_viz.py"}


def _read_lines(path):
    return path.read_text().splitlines() if path.exists() else []


def _file_of(node_id):
    return node_id.split("::", 1)[0]


def _counted(files):
    """Node ids that passed on real MXNet 1.9.1 and are not excluded from the metric."""
    baseline = json.loads((REFERENCE / "baseline_mxnet_1.9.1.json").read_text())
    exclusions = json.loads((REFERENCE / "exclusions.json").read_text())
    excluded = set(exclusions.get("deselect", {})) | set(exclusions.get("not_counted", {}))
    return {node_id for fname in files
            for node_id, test in baseline["files"].get(fname, {}).get("tests", {}).items()
            if test.get("outcome") == "passed" and node_id not in excluded}


def main(json_path):
    run = json.loads(Path(json_path).read_text())
    per_file = run["metric"]["per_file"]
    covered = set(per_file)
    passing = {n for n in _read_lines(PASSING) if _file_of(n) not in covered}
    counted = _counted(covered)
    reasons = {}
    for fname in covered:
        tests = run["files"].get(fname, {}).get("tests", {})
        for node_id, test in tests.items():
            if test.get("outcome") == "passed":
                passing.add(node_id)
            elif node_id in counted:
                reasons[node_id] = (test.get("outcome"), test.get("message") or "")
    _write(PASSING, "\n".join(sorted(passing)) + "\n")

    rows, failures = [], []
    totals = {"goal": [0, 0], "later": [0, 0]}
    earlier_counts, earlier_failures = _earlier_summary()
    counts = {f: c for f, c in earlier_counts.items() if f not in covered}
    counts.update((f, (v["passed"], v["eligible"])) for f, v in per_file.items())
    for fname in sorted(counts):
        passed, counted = counts[fname]
        group = "later" if fname in LATER else "goal"
        totals[group][0] += passed
        totals[group][1] += counted
        note = " later issue" if group == "later" else ""
        rows.append(f"| {fname} | {passed} | {counted} |{note} |")
    goal_p, goal_e = totals["goal"]
    for node_id in sorted(reasons):
        outcome, reason = reasons[node_id]
        first_line = reason.splitlines()[0][:200] if reason else ""
        failures.append(f"- `{node_id}` ({outcome}): {first_line}")
    failures += [line for line in earlier_failures if _file_of(line[3:]) not in covered]
    failures.sort()
    text = [
        "# MXNet 1.9.1 unit tests on mxjax",
        "",
        f"Last run: {run.get('started', '?')} ({', '.join(sorted(covered))}), backend"
        f" {run.get('backend_version', '?')}; the other files' lines are from earlier runs.",
        f"Files of issue 10's goal: **{goal_p}/{goal_e} counted tests pass"
        f" ({100.0 * goal_p / max(goal_e, 1):.1f}%)**; Module/KVStore/viz files (later issues):"
        f" {totals['later'][0]}/{totals['later'][1]}.",
        "",
        "| file | passed | counted | |",
        "|---|---|---|---|",
        *rows,
        "",
        "## Counted tests that did not pass",
        "",
        *failures,
        "",
    ]
    _write(SUMMARY, "\n".join(text))
    print(f"conformance: {goal_p}/{goal_e} of the goal files' counted tests pass")


def _earlier_summary():
    """Per-file (passed, counted) and the failure lines of the summary as it stands."""
    counts, failures = {}, []
    for line in _read_lines(SUMMARY):
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| test_") and len(cells) >= 3:
            counts[cells[0]] = (int(cells[1]), int(cells[2]))
        elif line.startswith("- `test_"):
            failures.append(line)
    return counts, failures


def _write(path, text):
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


if __name__ == "__main__":
    main(sys.argv[1])
